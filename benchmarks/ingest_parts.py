"""Where an extraction worker's CPU goes, piece by piece, on the ingest benchmark's pages (benchmarks/ingest_speed.py).

The stored path is the ingest's own code (`worker.process_for_store`, run as `fetching.fetch_and_process` runs it
without a pool): each named function is wrapped, where the ingest's modules look it up, by a timer that adds the
CPU time of its calls (`time.process_time`, this process only) to its row. Nothing is re-implemented here, so the
rows are the ingest's code as it stands. Pages are sent in order, `batch_size` at a time, with the boilerplate
relearnt after each batch as the run does (`pipeline._Learning.after_batch`, here without a pool, so its cost is
timed in the same process), and each page gets the boilerplate learnt so far, as in the run.

Also timed: pickling the page's task to a worker and its result back (both sides: the main process pickles the
task and unpickles the result, the worker the reverse), and the benchmark's extraction-only path
(`worker.process_page` on the same inputs, without boilerplate or signature), BLOCK pages at a time alternately
before and after the stored path, so that the two are compared in one process under the same load. The language
detector's cache (`language._classify`) is emptied before each, so that neither gets the other's detection free.
"""

from __future__ import annotations

import pickle
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script too: the repo's packages first

from ingest import pipeline, worker  # noqa: E402
from ingest.extract import article, combine, language  # noqa: E402
from ingest.records import Article, Candidate  # noqa: E402

# (module, attribute, row label, nested under): the rows of the table, in the order of the stored path.
PARTS = [
    (worker, "extract_article", "extract_article (all of it)", None),
    (article, "decode_html", "decoding", "extract_article"),
    (article, "parse_html", "lxml parse", "extract_article"),
    (article, "run_newspaper", "newspaper3k (on a copy of the tree)", "extract_article"),
    (article, "trafilatura_paragraphs", "trafilatura", "extract_article"),
    (article, "newspaper_paragraphs", "newspaper3k paragraphs", "extract_article"),
    (article, "merge_candidates", "merge (with furniture rules)", "extract_article"),
    (combine, "furniture_kind", "furniture rules in the merge", "merge_candidates"),
    (article, "remove_boilerplate", "applying learnt boilerplate", "extract_article"),
    (article, "_refuse", "refusal checks (not-found, login, links)", "extract_article"),
    (article, "pick_published", "dates", "extract_article"),
    (article, "detect_language", "language detection (py3langid)", "extract_article"),
    (worker, "canonical_url", "canonical URL", None),
    (worker, "choose_language", "language choice (source declared)", None),
    (worker, "content_hash", "content hash", None),
    (worker, "article_id", "article id", None),
    (worker, "signature", "MinHash signature", None),
]


TASK, RESULT, RELEARN = ("task pickle (main) + unpickle (worker)", "result pickle (worker) + unpickle (main)",
                         "relearning boilerplate (after each batch)")
AROUND = (TASK, RESULT, RELEARN)  # what the run does around process_for_store for each page
EXTRACTION_ONLY = "extraction only"
# Pages go in blocks: the stored path over a block, then the extraction-only path over it, or the other way round
# every other block. A page's second run within a few pages is faster than its first (trafilatura's caches of 1,024
# texts), and no page of the ingest is run twice; 16 pages apart, the caches no longer hold the page.
BLOCK = 16


class Timers:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

        self.on = True  # off while the extraction-only path runs: its parts are not rows of the table

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                if self.on:
                    self.cpu[name] += time.process_time() - t
                    self.calls[name] += 1
        return timed

    @contextmanager
    def add(self, name: str):
        t = time.process_time()
        yield
        self.cpu[name] += time.process_time() - t
        self.calls[name] += 1


@contextmanager
def patched(timers: Timers):
    with ExitStack() as stack:
        for module, attr, _, _ in PARTS:
            original = getattr(module, attr)
            setattr(module, attr, timers.wrap(attr, original))
            stack.callback(setattr, module, attr, original)
        matcher = worker._matcher
        original_find = matcher.find
        matcher.find = timers.wrap("find", original_find)
        stack.callback(delattr, matcher, "find")
        yield


def stored_path(pages: list[bytes], url_of: Callable[[int], str], published: datetime | None = None,
                batch_size: int = 200) -> tuple[Timers, int, int]:
    """Run the worker's stored path over the pages, as the ingest does, with every part timed, and, page by page,
    the extraction-only path (`benchmarks/ingest_speed.py _extract_all`: `process_page` without boilerplate) into the
    row EXTRACTION_ONLY, BLOCK pages at a time, alternately before and after the stored path, each with the
    language detector's cache emptied, so that a change in the machine's load weighs on both alike.

    Returns the timers, the pages processed and the articles produced."""
    worker.init_worker(None)
    timers = Timers()
    now = datetime.now(UTC)
    stored = 0
    # warm-up, not timed: what a worker process loads once (py3langid's model, ~0.3 s; lazy imports)
    worker.process_for_store(Candidate(url_of(0), "bench", "0", published), pages[0], url_of(0), None, now)
    with tempfile.TemporaryDirectory() as tmp, patched(timers):
        learning = pipeline._Learning({})
        batch: list[Article] = []
        for start in range(0, len(pages), BLOCK):
            block = range(start, min(start + BLOCK, len(pages)))
            if start // BLOCK % 2:  # every other block, extraction only first
                for i in block:
                    _extraction_only(timers, Candidate(url_of(i), "bench", str(i), published), pages[i], url_of(i), now)
            for i in block:
                url = url_of(i)
                task = (Candidate(url, "bench", str(i), published), pages[i], url, None, now,
                        learning.for_workers.get("bench"))
                with timers.add(TASK):
                    task = pickle.loads(pickle.dumps(task, pickle.HIGHEST_PROTOCOL))
                language._classify.cache_clear()
                with timers.add("total"):
                    result = worker.process_for_store(*task)
                with timers.add(RESULT):
                    article, _ = pickle.loads(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
                if isinstance(article, Article):
                    stored += 1
                    batch.append(article)
                if len(batch) >= batch_size:
                    with timers.add(RELEARN):
                        learning.after_batch(Path(tmp), batch)
                    batch = []
            if not start // BLOCK % 2:
                for i in block:
                    _extraction_only(timers, Candidate(url_of(i), "bench", str(i), published), pages[i], url_of(i), now)
    return timers, len(pages), stored


def _extraction_only(timers: Timers, candidate: Candidate, body: bytes, url: str, now: datetime) -> None:
    timers.on = False
    language._classify.cache_clear()
    try:
        with timers.add(EXTRACTION_ONLY):
            worker.process_page(candidate, body, url, None, now)
    finally:
        timers.on = True


def table(timers: Timers, pages: int) -> str:
    """The breakdown as a markdown table (ms of CPU per page, and the share of the stored path)."""
    total = timers.cpu["total"]
    lines = [f"| {'part of the worker stored path (CPU, one process)':<52} | {'ms/page':>7} | {'share':>5} |",
             f"|{'-' * 54}|{'-' * 9}|{'-' * 7}|"]

    def row(label: str, cpu: float, indent: int = 0) -> None:
        lines.append(f"| {'  ' * indent + label:<52} | {1000 * cpu / pages:>7.2f} | {100 * cpu / total:>4.0f}% |")

    depth = {None: 0}
    accounted = defaultdict(float)
    for _, attr, _, parent in PARTS:
        depth[attr] = depth[parent] + 1
        accounted[parent] += timers.cpu[attr]
    accounted[None] += timers.cpu["find"]
    # extract_article and the parts inside it first (PARTS lists them so), then the worker's own parts
    inside = [part for part in PARTS if part[3] is not None]
    for _, attr, label, _ in [PARTS[0], *inside]:
        row(label, timers.cpu[attr], depth[attr])
    row("rest of extract_article (title, Extracted ...)", timers.cpu["extract_article"] - accounted["extract_article"], 2)
    for _, attr, label, _ in [part for part in PARTS[1:] if part[3] is None]:
        row(label, timers.cpu[attr], depth[attr])
    row("mentions (Matcher.find)", timers.cpu["find"], 1)
    row("rest of process_for_store", total - accounted[None], 1)
    row("process_for_store, total", total)
    for name in AROUND:
        row(name, timers.cpu[name])
    row("stored path + pickling + relearning", total + sum(timers.cpu[name] for name in AROUND))
    row("extraction only (process_page, interleaved)", timers.cpu[EXTRACTION_ONLY])
    return "\n".join(lines)
