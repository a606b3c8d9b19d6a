"""Fetch-and-extract on a Dask distributed cluster (`newsmon ingest --scheduler tcp://HOST:PORT`).

Each task fetches one page and extracts it on a worker; the driver keeps the single store writer, so the
store's atomicity and dedupe work exactly as on one machine. Each worker process keeps its own HTTP
client, politeness state and Matcher, built on first use: per-host limits then hold per worker process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np

from ingest.extract.boilerplate import SiteBoilerplate
from ingest.records import Article, Candidate, Failure
from ingest.settings import Settings
from ingest.store.stories import NO_SIGNATURE

_state: dict = {}


def _worker_state(settings: Settings):
    from ingest import worker
    from ingest.fetch.http import make_client
    from ingest.fetch.politeness import PoliteFetcher

    key = (settings.watchlist, settings.user_agent)
    if _state.get("key") != key:
        worker.init_worker(str(settings.watchlist) if settings.watchlist else None)
        _state.update(key=key, fetcher=PoliteFetcher(make_client(settings), settings))
    return _state["fetcher"]


def fetch_and_process(candidate: Candidate, settings: Settings, boilerplate: SiteBoilerplate | None = None,
                      ) -> tuple[Article | Failure, bool, np.ndarray]:
    """One candidate end to end on a worker: (article or failure, whether it was fetched, its story signature)."""
    from ingest import worker
    from ingest.fetching import keep_args, read_saved_page

    fetcher = _worker_state(settings)
    page = read_saved_page(candidate, settings) if candidate.html_path else fetcher.get(candidate.url)
    if isinstance(page, Failure):
        return page, False, NO_SIGNATURE
    try:
        result, sig = worker.process_for_store(candidate, page.body, page.final_url, page.encoding,
                                               page.fetched_at or datetime.now(UTC), boilerplate,
                                               keep_args(page, settings))
        return result, True, sig
    except Exception as exc:  # a page that crashes the extractor is that page's failure
        return Failure("extract-error", f"{type(exc).__name__}: {exc}"), True, NO_SIGNATURE


def run_on_cluster(todo: list[Candidate], settings: Settings, boilerplate: dict[str, SiteBoilerplate],
                   window: int = 256) -> Iterator[tuple[Candidate, Article | Failure, bool, np.ndarray]]:
    """Submit candidates to the scheduler with at most `window` in flight; yield results as they finish.

    The candidates go one host at a time in turn (`interleave`): each worker keeps its own per-host limits, so
    a window of one feed's pages would have every worker waiting on that one host."""
    from distributed import Client, as_completed

    from ingest.fetch.politeness import origin
    from ingest.fetch.schedule import interleave

    with Client(settings.scheduler, set_as_default=False, timeout=30) as client:
        pending = iter(interleave(todo, lambda c: "" if c.html_path else origin(c.url)))
        futures = {}
        for candidate in pending:
            futures[client.submit(fetch_and_process, candidate, settings, boilerplate.get(candidate.source), pure=False)] = candidate
            if len(futures) >= window:
                break
        queue = as_completed(list(futures), loop=client.loop)
        for fut in queue:
            candidate = futures.pop(fut)
            try:
                result, fetched, sig = fut.result()
            except Exception as exc:  # a lost worker or a task error is that page's failure
                result, fetched, sig = Failure("cluster-error", f"{type(exc).__name__}: {exc}"), False, NO_SIGNATURE
            yield candidate, result, fetched, sig
            nxt = next(pending, None)
            if nxt is not None:
                new = client.submit(fetch_and_process, nxt, settings, boilerplate.get(nxt.source), pure=False)
                futures[new] = nxt
                queue.add(new)
