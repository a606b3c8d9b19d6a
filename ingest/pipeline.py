"""The ingest run: sources → candidates → fetch (threads) → extract + mentions (processes) → store.

`run_ingest()` is the whole job; the CLI only parses options and prints its `RunSummary` (summary.py). The
pages' loop, fetch threads and extraction processes, is fetching.py's.
"""

from __future__ import annotations

import logging
import secrets
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from ingest import memory
from ingest.extract.boilerplate import SiteBoilerplate, learn_source_boilerplate
from ingest.extract.language import declared_language
from ingest.extract.reclean import LEARN_PAGES, learn_store_boilerplate
from ingest.fetch.http import make_client
from ingest.fetch.politeness import PoliteFetcher, origin
from ingest.fetching import fetch_and_process, read_saved_page  # noqa: F401 - read_saved_page: cluster.py's
from ingest.mentions.watchlist import load_watchlist
from ingest.records import Article, Candidate, Failure
from ingest.settings import Settings
from ingest.sources.discover import Discovery, Source, discover
from ingest.sources.feedstate import FeedState, load_feed_state, save_feed_state
from ingest.sources.urls import canonical_url
from ingest.store.known import KnownKeys
from ingest.store.pages import BatchPages
from ingest.store.parquet import Store, StoreWriter, article_id, new_batch_file
from ingest.store.stories import StoryIndex
from ingest.summary import RunSummary, SourceStats, format_summary, outcome, run_rows  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

# Store batches between two releases of the allocators' free memory (ingest/memory.py) during a run; a release
# (malloc_trim) costs ~10-50 ms, once every 2,000 articles at the default batch size.
RELEASE_EVERY = 10


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
        for candidate, result, fetched, sig in fetch_and_process(todo, fetcher, settings, learning):
            stats = summary.stats(candidate.source)
            stats.fetched += fetched
            bar.update(1)
            if isinstance(result, Failure):
                stats.fail(result.reason, candidate.url)
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
        writer.write_run(run_rows(summary))
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
    kept pages are one more file of the batch (store/batch.py): pending until its articles file commits."""
    name = name or new_batch_file()
    stories.save(writer, name)
    writer.write_batch(batch, watchlist_version, name=name, extra=kept.into if kept is not None else None)


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
    sources = list(sources)
    for source in sources:  # a source's own limits hold from its first request (robots.txt, the feed) on
        fetcher.set_policy(origin(source.location), source.per_host, source.host_delay)
    for source, found in _discover_all(sources, fetcher, settings, feed_state):
        if found.note:
            log.info("source %s: %s", source.location, found.note)
        if found.left or found.cut:  # a list cut short is worth the user's eye, not only the log's
            summary.notes.append(f"{found.name}: {found.note}")
        for host in {origin(c.url) for c in found.candidates}:
            fetcher.set_policy(host, source.per_host, source.host_delay)
        if source.kind == "feed" and feed_urls is not None:
            feed_urls.update(dict.fromkeys({found.name} | {c.source for c in found.candidates}, source.location))
        for failure in found.failures:
            summary.stats(found.name).fail(failure.reason, failure.detail)
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


