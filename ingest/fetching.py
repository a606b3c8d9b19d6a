"""The run's pages: fetched in threads (I/O), extracted in processes (CPU), with a bounded number in flight.

`fetch_and_process` is the loop between `pipeline._plan` (the candidates) and the store: pages are handed to
the fetch threads by host (`ingest/fetch/schedule.py`: the earliest ready host next, so every polite host is
busy at once), fetched pages to the extraction processes, and the results yielded as they come.
`read_saved_page` reads a page of an html-dir or WARC source as if fetched.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

import numpy as np

from ingest import worker
from ingest.fetch.politeness import PoliteFetcher, Turn, origin
from ingest.fetch.schedule import HostQueue
from ingest.records import Article, Candidate, Failure, FetchResult
from ingest.settings import Settings
from ingest.sources.warc import is_warc_ref
from ingest.sources.warc import read_page as read_warc_page
from ingest.store.stories import NO_SIGNATURE

log = logging.getLogger(__name__)


def fetch_and_process(todo: list[Candidate], fetcher: PoliteFetcher, settings: Settings,
                       learning: Any = None,
                       ) -> Iterator[tuple[Candidate, Article | Failure, bool, np.ndarray]]:
    """Fetch in threads (I/O) and extract in processes (CPU), with a bounded number of pages in flight.

    Yields (candidate, article or failure, whether the page was fetched, the article's story signature).
    `learning` (the run's `pipeline._Learning`): its `for_workers` is read as each page is sent, so a source's
    relearnt boilerplate applies to its next pages; its `pool` is set to the process pool while it runs."""
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
        # Fork every worker now, before any fetch thread exists: a child forked while another thread holds a
        # lock (a logging stream's buffer, mid-write) waits on that lock for ever. A fork-context pool starts all
        # its processes at the first submit (CPython 3.11+), so one no-op task does it.
        procs.submit(int).result()
    else:
        worker.init_worker(watchlist)
    threads = ThreadPoolExecutor(settings.fetch_threads, thread_name_prefix="fetch")
    # Finished futures arrive on one queue (each future's done-callback puts it there): waiting costs the same
    # with 200 pages in flight as with 2. concurrent.futures.wait() over every pending future, as this loop
    # did before, locked and unlocked each of them for every page and was the main process's largest cost.
    finished: SimpleQueue[tuple[bool, Candidate, Future]] = SimpleQueue()
    fetching = processing = 0
    # By host (ingest/fetch/schedule.py): a page is handed to a thread only when its host may take a request,
    # so no more pages are sent than there are threads. Listed: in the sources' order, each thread waiting for
    # its host's slot and delay (the ingest before issue 16, for comparison).
    by_host = settings.fetch_order != "listed"
    pending: HostQueue[Candidate] | _Listed = HostQueue(fetcher, todo, _host_of) if by_host else _Listed(todo)
    fetch_limit = settings.fetch_threads if by_host else window

    def track(fut: Future, extracting: bool, candidate: Candidate) -> None:
        fut.add_done_callback(lambda f: finished.put((extracting, candidate, f)))

    try:
        while True:
            wait = math.inf
            while fetching < fetch_limit and processing < window:
                taken = pending.take()
                if not isinstance(taken, tuple):
                    wait = taken
                    break
                candidate, turn = taken
                track(threads.submit(_get_page, fetcher, candidate, settings, turn), False, candidate)
                fetching += 1
            if not fetching and not processing:
                if not len(pending):
                    return
                time.sleep(min(wait, 1.0))  # nothing in flight: the next host is ready in `wait` seconds
                continue
            try:  # a page done, or a host ready: whichever comes first
                extracting, candidate, fut = finished.get(timeout=None if wait == math.inf else wait)
            except Empty:
                continue
            if not extracting:
                fetching -= 1
                pending.done(candidate)
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


def _host_of(candidate: Candidate) -> str:
    return "" if candidate.html_path else origin(candidate.url)


class _Listed:
    """The candidates in the sources' order, each fetch waiting for its host's slot and delay in its thread."""

    def __init__(self, todo: list[Candidate]) -> None:
        self._todo = deque(todo)

    def __len__(self) -> int:
        return len(self._todo)

    def take(self) -> tuple[Candidate, None] | float:
        return (self._todo.popleft(), None) if self._todo else math.inf

    def done(self, candidate: Candidate) -> None:
        pass


def _safe(fn, *args) -> tuple[Article | Failure, np.ndarray]:
    try:
        return fn(*args)
    except Exception as exc:
        log.error("extraction crashed on %s: %r", args[0].url, exc)
        return Failure("extract-error", f"{type(exc).__name__}: {exc}"), NO_SIGNATURE


def _get_page(fetcher: PoliteFetcher, candidate: Candidate, settings: Settings,
              turn: Turn | None = None) -> FetchResult | Failure:
    if candidate.html_path:
        return read_saved_page(candidate, settings)
    return fetcher.get(candidate.url, turn=turn)


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


def keep_args(page: FetchResult, settings: Settings) -> tuple | None:
    """What the worker needs to keep the page (`worker.process_page(keep=...)`), or None when pages are not kept."""
    if not settings.keep_pages:
        return None
    return (page.status, page.content_type, page.etag, page.last_modified)
