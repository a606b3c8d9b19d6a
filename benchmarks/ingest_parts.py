"""Where an extraction worker's CPU goes, piece by piece, on the ingest benchmark's pages (benchmarks/ingest.py).

The stored path is the ingest's own code (`worker.process_for_store`, run as `pipeline._fetch_and_process` runs it
without a pool): each named function is wrapped, where the ingest's modules look it up, by a timer that adds the
CPU time of its calls (`time.process_time`, this process only) to its row. Nothing is re-implemented here, so the
rows are the ingest's code as it stands. Pages are sent in order, `batch_size` at a time, with the boilerplate
relearnt after each batch as the run does (`pipeline._Learning.after_batch`, here without a pool, so its cost is
timed in the same process), and each page gets the boilerplate learnt so far, as in the run.

Also timed: pickling the page's task to a worker and its result back (both sides: the main process pickles the
task and unpickles the result, the worker the reverse), and the extraction-only path of the benchmark
(`worker.process_page` without boilerplate or feed date), so the two can be compared in one process.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ingest import combine, extract, pipeline, worker
from ingest.records import Article, Candidate

# (module, attribute, row label, nested under): the rows of the table, in the order of the stored path.
PARTS = [
    (worker, "extract_article", "extract_article (all of it)", None),
    (extract, "decode_html", "decoding", "extract_article"),
    (extract, "parse_html", "lxml parse", "extract_article"),
    (extract, "run_newspaper", "newspaper3k (on a copy of the tree)", "extract_article"),
    (extract, "trafilatura_paragraphs", "trafilatura", "extract_article"),
    (extract, "newspaper_paragraphs", "newspaper3k paragraphs", "extract_article"),
    (extract, "merge_candidates", "merge (with furniture rules)", "extract_article"),
    (combine, "furniture_kind", "furniture rules in the merge", "merge_candidates"),
    (extract, "remove_boilerplate", "applying learnt boilerplate", "extract_article"),
    (extract, "_refuse", "refusal checks (not-found, login, links)", "extract_article"),
    (extract, "pick_published", "dates", "extract_article"),
    (extract, "detect_language", "language detection (py3langid)", "extract_article"),
    (worker, "canonical_url", "canonical URL", None),
    (worker, "choose_language", "language choice (source declared)", None),
    (worker, "content_hash", "content hash", None),
    (worker, "article_id", "article id", None),
    (worker, "signature", "MinHash signature", None),
]


TASK, RESULT, RELEARN = ("task pickle (main) + unpickle (worker)", "result pickle (worker) + unpickle (main)",
                         "relearning boilerplate (after each batch)")
AROUND = (TASK, RESULT, RELEARN)  # what the run does around process_for_store for each page


class Timers:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
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
    """Run the worker's stored path over the pages, as the ingest does, with every part timed.

    Returns the timers, the pages processed and the articles produced."""
    worker.init_worker(None)
    timers = Timers()
    now = datetime.now(UTC)
    stored = 0
    with tempfile.TemporaryDirectory() as tmp, patched(timers):
        learning = pipeline._Learning({})
        batch: list[Article] = []
        for i, body in enumerate(pages):
            url = url_of(i)
            candidate = Candidate(url, "bench", str(i), published)
            task = (candidate, body, url, None, now, learning.for_workers.get("bench"))
            with timers.add(TASK):
                task = pickle.loads(pickle.dumps(task, pickle.HIGHEST_PROTOCOL))
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
    return timers, len(pages), stored


def extraction_only_path(pages: list[bytes], url_of: Callable[[int], str], published: datetime | None = None) -> float:
    """CPU seconds of the benchmark's extraction-only loop (`benchmarks/ingest.py _extract_all`) over the pages."""
    worker.init_worker(None)
    now = datetime.now(UTC)
    t = time.process_time()
    for i, body in enumerate(pages):
        url = url_of(i)
        worker.process_page(Candidate(url, "bench", str(i), published), body, url, None, now)
    return time.process_time() - t


def table(timers: Timers, pages: int, extraction_only_cpu: float) -> str:
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
    row("extraction-only loop (process_page, same pages)", extraction_only_cpu)
    return "\n".join(lines)
