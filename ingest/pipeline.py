"""The ingest run: sources → candidates → fetch (threads) → extract + mentions (processes) → store.

`run_ingest()` is the whole job; the CLI only parses options and prints its `RunSummary`.
"""

from __future__ import annotations

import logging
import secrets
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from queue import SimpleQueue

import numpy as np
from tqdm import tqdm

from ingest import memory, worker
from ingest.extract.boilerplate import SiteBoilerplate, learn_source_boilerplate
from ingest.extract.language import declared_language
from ingest.extract.reclean import LEARN_PAGES, learn_store_boilerplate
from ingest.fetch.http import make_client
from ingest.fetch.politeness import PoliteFetcher
from ingest.mentions.watchlist import load_watchlist
from ingest.records import Article, Candidate, Failure, FetchResult
from ingest.settings import Settings
from ingest.sources.discover import Discovery, Source, discover
from ingest.sources.feedstate import FeedState, load_feed_state, save_feed_state
from ingest.sources.urls import canonical_url
from ingest.sources.warc import is_warc_ref
from ingest.sources.warc import read_page as read_warc_page
from ingest.store.known import KnownKeys
from ingest.store.pages import BatchPages
from ingest.store.parquet import Store, StoreWriter, article_id, new_batch_file
from ingest.store.stories import NO_SIGNATURE, StoryIndex

log = logging.getLogger(__name__)

# Store batches between two releases of the allocators' free memory (ingest/memory.py) during a run; a release
# (malloc_trim) costs ~10-50 ms, once every 2,000 articles at the default batch size.
RELEASE_EVERY = 10


@dataclass
class SourceStats:
    name: str
    found: int = 0  # candidates the source listed
    skipped: int = 0  # already in the store (not fetched again)
    fetched: int = 0  # pages fetched (or read from disk)
    stored: int = 0  # new articles written
    duplicate: int = 0  # same URL listed twice, or same content as a stored article
    failures: Counter = field(default_factory=Counter)  # reason -> count
    language_disagrees: int = 0  # stored articles surely in another language than the source declares

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    watchlist_version: str = ""
    sources: dict[str, SourceStats] = field(default_factory=dict)

    def stats(self, name: str) -> SourceStats:
        return self.sources.setdefault(name, SourceStats(name))

    def total(self) -> SourceStats:
        t = SourceStats("total")
        for s in self.sources.values():
            t.found += s.found
            t.skipped += s.skipped
            t.fetched += s.fetched
            t.stored += s.stored
            t.duplicate += s.duplicate
            t.language_disagrees += s.language_disagrees
            t.failures.update(s.failures)
        return t


def run_ingest(sources: Iterable[Source], settings: Settings) -> RunSummary:
    """Collect every source's articles into the store; a bad page or feed is counted, never fatal."""
    memory.tune()  # glibc: 2 arenas, page bodies mapped apart (ingest/memory.py); before the run's threads start
    try:
        return _run(sources, settings)
    finally:
        # The run's memory (its sets, story index, pages) is freed now; the allocators would keep it, and an
        # `--every` loop would sit at its largest run's size.
        memory.release(collect=True)


def _run(sources: Iterable[Source], settings: Settings) -> RunSummary:
    watchlist = load_watchlist(settings.watchlist)  # a bad watchlist stops the run before anything is fetched
    summary = RunSummary(f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", datetime.now(UTC),
                         watchlist_version=watchlist.version)
    store = Store(Path(settings.store))
    with store.writer() as writer, make_client(settings) as client:
        fetcher = PoliteFetcher(client, settings)  # discovery and pages share robots.txt and each host's schedule
        # The store's ids and content hashes as 8-byte keys (ingest/store/known.py): 16 bytes a stored article, not ~240.
        stored = store.exists()
        known_ids = KnownKeys(store.read_column("articles", "id") if stored else ())
        known_hashes = KnownKeys(store.read_column("articles", "content_hash") if stored else ())
        stories = StoryIndex.load(store)
        # Each source's furniture learnt from its stored pages (and relearnt as this run stores more), applied
        # to its new pages by the extraction workers.
        learning = _Learning(learn_store_boilerplate(store))
        feed_state = load_feed_state(store.root)
        feed_urls: dict[str, str] = {}  # outlet name -> feed URL, to forget a feed's validators after a page failure
        todo = _plan(sources, fetcher, settings, summary, known_ids, feed_state, feed_urls)
        batch: list[Article] = []
        batches = 0
        batch_name = new_batch_file()
        kept = BatchPages(store.root) if settings.keep_pages else None  # the responses, as WARC (store/pages.py)
        bar = tqdm(total=len(todo), unit="page", disable=not settings.progress, file=sys.stderr, desc="ingest")
        for candidate, result, fetched, sig in _fetch_and_process(todo, fetcher, settings, learning):
            stats = summary.stats(candidate.source)
            stats.fetched += fetched
            bar.update(1)
            if isinstance(result, Failure):
                stats.failures[result.reason] += 1
                log.warning("skipped %s: %s %s", candidate.url, result.reason, result.detail)
                continue
            if result.id in known_ids or result.content_hash in known_hashes:
                stats.duplicate += 1
                continue
            known_ids.add(result.id)
            known_hashes.add(result.content_hash)
            story = stories.assign(result.id, result.text, result.published_at, minhash=sig)
            if kept is not None:
                kept.add(result.kept_page, batch_name)
            batch.append(replace(result, story_id=story, kept_page=b""))
            stats.stored += 1
            if candidate.language and result.language != declared_language(candidate.language):
                stats.language_disagrees += 1  # choose_language keeps the declared one unless detection is sure
                log.info("language of %s: %s, source declares %s", result.url, result.language, candidate.language)
            if len(batch) >= settings.batch_size:
                _commit(writer, batch, stories, watchlist.version, batch_name, kept)
                learning.after_batch(store.root, batch)
                batch = []
                batch_name = new_batch_file()
                batches += 1
                if batches % RELEASE_EVERY == 0:
                    memory.release()
        bar.close()
        _commit(writer, batch, stories, watchlist.version, batch_name, kept)
        summary.finished_at = datetime.now(UTC)
        writer.write_run(_run_rows(summary))
        # Feed validators (ETag, Last-Modified) are saved only now that every listed item is stored: after a
        # crash, the next run asks for the whole feed again instead of getting a 304 for items never stored.
        # ... and a feed one of whose pages failed for a passing reason (a timeout, a 503) is asked for in
        # full next time, so that page is retried instead of hidden behind a 304.
        for name, url in feed_urls.items():
            if name in summary.sources:
                feed_state.forget_if_retryable(url, summary.sources[name].failures)
        save_feed_state(store.root, feed_state)
    return summary


def _commit(writer: StoreWriter, batch: list[Article], stories: StoryIndex, watchlist_version: str,
            name: str | None = None, kept: BatchPages | None = None) -> None:
    """Signatures first, then the batch: a crash in between leaves signatures that the re-run reuses. The batch's
    kept pages are made durable before its articles file commits and take their final name after it
    (`recover_pages` finishes or drops them after a crash)."""
    name = name or new_batch_file()
    if kept is not None:
        kept.flush()
    stories.save(writer, name)
    writer.write_batch(batch, watchlist_version, name=name)
    if kept is not None:
        kept.commit(name)


def keep_args(page: FetchResult, settings: Settings) -> tuple | None:
    """What the worker needs to keep the page (`worker.process_page(keep=...)`), or None when pages are not kept."""
    if not settings.keep_pages:
        return None
    return (page.status, page.content_type, page.etag, page.last_modified)


@dataclass
class _Learning:
    """Per-source boilerplate learning during a run; `for_workers` is what the extraction workers get.

    With a process pool (`pool`, set while the extraction processes run), relearning runs there as one more
    task: it costs ~0.4 ms a text (paragraph keys, measured on the extraction dev set's texts), up to 1,000
    texts a time, and the ingest's main process is the one part of the run that does not scale out. Its result
    applies to the source's pages sent after it arrives; one relearning per source is in flight at a time."""

    boilerplate: dict[str, SiteBoilerplate]
    for_workers: dict[str, SiteBoilerplate] = field(default_factory=dict)
    recent: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(lambda: deque(maxlen=LEARN_PAGES)))
    stored: Counter = field(default_factory=Counter)  # pages stored in this run, per source
    learnt_at: dict[str, int] = field(default_factory=dict)  # `stored` when last learnt
    pool: Executor | None = None
    in_flight: set[str] = field(default_factory=set)  # sources being relearnt in the pool

    def __post_init__(self) -> None:
        for source, learnt in self.boilerplate.items():
            self._learnt(source, learnt)

    def _learnt(self, source: str, learnt: SiteBoilerplate) -> None:
        self.boilerplate[source] = learnt
        # A worker needs only the keys: the example lines (up to 50, for people reading the sidecar) would
        # otherwise be pickled with every page of the source.
        self.for_workers[source] = replace(learnt, examples=())

    def after_batch(self, root: Path, batch: list[Article]) -> None:
        """Relearn the batch's sources each time their pages stored in this run have doubled (5, 10, 20, ...),
        then every LEARN_PAGES pages: early pages teach the most."""
        for article in batch:
            self.recent[article.source].append(article.text)
            self.stored[article.source] += 1
        for source in {a.source for a in batch}:
            n, last = self.stored[source], self.learnt_at.get(source, 0)
            if n < 5 or (last and n < min(2 * last, last + LEARN_PAGES)) or source in self.in_flight:
                continue
            self.learnt_at[source] = n
            if self.pool is None:
                self._learnt(source, learn_source_boilerplate(root, source, self.recent[source]))
                continue
            self.in_flight.add(source)
            task = self.pool.submit(learn_source_boilerplate, root, source, list(self.recent[source]))
            task.add_done_callback(lambda fut, source=source: self._arrived(source, fut))

    def _arrived(self, source: str, fut: Future) -> None:
        """A relearning done in the pool (called on the pool's thread: two dict stores, atomic for the readers)."""
        self.in_flight.discard(source)
        if fut.cancelled():
            return
        if fut.exception() is not None:  # the sidecar could not be written: keep what the workers have
            log.warning("relearning the boilerplate of %s failed: %r", source, fut.exception())
            return
        self._learnt(source, fut.result())


def _plan(sources: Iterable[Source], fetcher: PoliteFetcher, settings: Settings, summary: RunSummary,
          known_ids: KnownKeys, feed_state: FeedState | None = None,
          feed_urls: dict[str, str] | None = None) -> list[Candidate]:
    """Discover every source's candidates; drop URLs listed twice and, unless refetching, URLs already stored."""
    todo, seen = [], set()
    for source, found in _discover_all(list(sources), fetcher, settings, feed_state):
        if found.note:
            log.info("source %s: %s", source.location, found.note)
        if source.kind == "feed" and feed_urls is not None:
            feed_urls.update(dict.fromkeys({found.name} | {c.source for c in found.candidates}, source.location))
        for failure in found.failures:
            summary.stats(found.name).failures[failure.reason] += 1
            log.warning("source %s: %s %s", source.location, failure.reason, failure.detail)
        if not found.candidates and not found.failures:
            summary.stats(found.name)
        for candidate in found.candidates:
            stats = summary.stats(candidate.source)
            stats.found += 1
            cid = article_id(canonical_url(candidate.url))
            if cid in seen:
                stats.duplicate += 1
            elif cid in known_ids and not settings.refetch:
                stats.skipped += 1
            else:
                seen.add(cid)
                todo.append(candidate)
    return todo


def _discover_all(sources: list[Source], fetcher: PoliteFetcher, settings: Settings,
                  feed_state: FeedState | None) -> list[tuple[Source, Discovery]]:
    """Every source's `discover()`, several at once, in the sources' order.

    Discovery is mostly waiting (robots.txt, a feed, a sitemap index and its children, each behind its host's
    delay), so up to `fetch_threads` sources are discovered at once; the shared fetcher still keeps each
    host's slots and delay. Sources with the same location are discovered one after another, in order, by
    one thread: the second of two identical feeds gets its conditional GET's 304 as it would alone."""
    if len(sources) <= 1 or settings.fetch_threads <= 1:
        return [(s, discover(s, fetcher, settings, feed_state)) for s in sources]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, source in enumerate(sources):
        groups[source.location].append(i)

    def run(indices: list[int]) -> list[Discovery]:
        return [discover(sources[i], fetcher, settings, feed_state) for i in indices]

    found: dict[int, Discovery] = {}
    with ThreadPoolExecutor(min(settings.fetch_threads, len(groups)), thread_name_prefix="discover") as pool:
        for indices, results in zip(groups.values(), pool.map(run, groups.values()), strict=True):
            found.update(zip(indices, results, strict=True))
    return [(s, found[i]) for i, s in enumerate(sources)]


def _fetch_and_process(todo: list[Candidate], fetcher: PoliteFetcher, settings: Settings,
                       learning: _Learning | None = None,
                       ) -> Iterator[tuple[Candidate, Article | Failure, bool, np.ndarray]]:
    """Fetch in threads (I/O) and extract in processes (CPU), with a bounded number of pages in flight.

    Yields (candidate, article or failure, whether the page was fetched, the article's story signature).
    `learning.for_workers` is read as each page is sent, so a source's relearnt boilerplate applies to its
    next pages; `learning.pool` is the process pool while it runs."""
    if not todo:
        return
    boilerplate = learning.for_workers if learning is not None else {}
    if settings.scheduler:
        from ingest.cluster import run_on_cluster

        yield from run_on_cluster(todo, settings, boilerplate)
        return
    window = max(4, settings.fetch_threads * 4)
    watchlist = str(settings.watchlist) if settings.watchlist else None
    procs = None
    if settings.processes > 0:
        procs = ProcessPoolExecutor(settings.processes, initializer=worker.init_worker,
                                    initargs=(watchlist, True))
        if learning is not None:
            learning.pool = procs
    else:
        worker.init_worker(watchlist)
    threads = ThreadPoolExecutor(settings.fetch_threads, thread_name_prefix="fetch")
    # Finished futures arrive on one queue (each future's done-callback puts it there): waiting costs the same
    # with 200 pages in flight as with 2. concurrent.futures.wait() over every pending future, as this loop
    # did before, locked and unlocked each of them for every page and was the main process's largest cost.
    finished: SimpleQueue[tuple[bool, Candidate, Future]] = SimpleQueue()
    fetching = processing = 0
    pending = iter(todo)

    def track(fut: Future, extracting: bool, candidate: Candidate) -> None:
        fut.add_done_callback(lambda f: finished.put((extracting, candidate, f)))

    try:
        while True:
            while fetching < window and processing < window:
                candidate = next(pending, None)
                if candidate is None:
                    break
                track(threads.submit(_get_page, fetcher, candidate, settings), False, candidate)
                fetching += 1
            if not fetching and not processing:
                return
            extracting, candidate, fut = finished.get()
            if not extracting:
                fetching -= 1
                page = fut.result()
                if isinstance(page, Failure):
                    yield candidate, page, False, NO_SIGNATURE
                    continue
                args = (candidate, page.body, page.final_url, page.encoding, page.fetched_at,
                        boilerplate.get(candidate.source), keep_args(page, settings))
                if procs:
                    track(procs.submit(worker.process_for_store, *args), True, candidate)
                    processing += 1
                else:
                    result, sig = _safe(worker.process_for_store, *args)
                    yield candidate, result, True, sig
                continue
            processing -= 1
            try:
                result, sig = fut.result()
            except Exception as exc:  # a page that crashes the extractor is that page's failure
                log.error("extraction crashed on %s: %r", candidate.url, exc)
                result, sig = Failure("extract-error", f"{type(exc).__name__}: {exc}"), NO_SIGNATURE
            yield candidate, result, True, sig
    finally:
        threads.shutdown(wait=False, cancel_futures=True)
        if procs:
            if learning is not None:
                learning.pool = None
            procs.shutdown(wait=True, cancel_futures=True)


def _safe(fn, *args) -> tuple[Article | Failure, np.ndarray]:
    try:
        return fn(*args)
    except Exception as exc:
        log.error("extraction crashed on %s: %r", args[0].url, exc)
        return Failure("extract-error", f"{type(exc).__name__}: {exc}"), NO_SIGNATURE


def _get_page(fetcher: PoliteFetcher, candidate: Candidate, settings: Settings) -> FetchResult | Failure:
    if candidate.html_path:
        return read_saved_page(candidate, settings)
    return fetcher.get(candidate.url)


def read_saved_page(candidate: Candidate, settings: Settings) -> FetchResult | Failure:
    """A saved page (a file, or a record in a WARC file), read as if fetched, size cap included."""
    if is_warc_ref(candidate.html_path):
        return read_warc_page(candidate.html_path, candidate.url, settings.max_bytes)
    return _read_file_page(candidate, settings)


def _read_file_page(candidate: Candidate, settings: Settings) -> FetchResult | Failure:
    path = Path(candidate.html_path)
    try:
        if path.stat().st_size > settings.max_bytes:
            return Failure("too-large", f"{path}: over {settings.max_bytes} bytes")
        body = path.read_bytes()
    except OSError as exc:
        return Failure("unreadable", f"{path}: {exc.strerror}")
    return FetchResult(candidate.url, candidate.url, 200, "text/html", body, None, datetime.now(UTC))


def _run_rows(summary: RunSummary) -> list[dict]:
    return [
        {
            "run_id": summary.run_id,
            "source": s.name,
            "started_at": summary.started_at,
            "finished_at": summary.finished_at,
            "found": s.found,
            "fetched": s.fetched,
            "stored": s.stored,
            "duplicate": s.duplicate,
            "failed": s.failed,
            "failures": list(s.failures.items()),
            "watchlist_version": summary.watchlist_version,
            "language_disagrees": s.language_disagrees,
        }
        for s in summary.sources.values()
    ]


def format_summary(summary: RunSummary) -> str:
    """The run summary as a plain-text table: one line per source, a total, failures by reason."""
    head = f"{'source':<36} {'found':>6} {'skipped':>7} {'fetched':>7} {'stored':>6} {'dup':>5} {'failed':>6}"
    lines = [head, "-" * len(head)]
    rows = sorted(summary.sources.values(), key=lambda s: s.name.lower()) + [summary.total()]
    for s in rows:
        if s.name == "total":
            lines.append("-" * len(head))
        lines.append(f"{s.name[:36]:<36} {s.found:>6} {s.skipped:>7} {s.fetched:>7} {s.stored:>6} {s.duplicate:>5} {s.failed:>6}")
    failures = summary.total().failures
    if failures:
        lines.append("failures by reason: " + ", ".join(f"{r} {n}" for r, n in failures.most_common()))
    disagree = [s for s in rows[:-1] if s.language_disagrees]
    if disagree:
        lines.append("language other than declared: " + ", ".join(f"{s.name} {s.language_disagrees}" for s in disagree))
    took = (summary.finished_at or datetime.now(UTC)) - summary.started_at
    lines.append(f"run {summary.run_id} took {took.total_seconds():.1f}s; watchlist {summary.watchlist_version}")
    return "\n".join(lines)
