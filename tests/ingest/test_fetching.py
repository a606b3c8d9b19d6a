"""The run's page loop (ingest/fetching.py): how fetch threads and extraction processes are started."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import run_ingest
from ingest.sources.discover import Source
from tests.ingest.test_pipeline import settings
from tests.localserver import LocalServer, reply
from tests.pages import rss, site


def test_the_workers_are_forked_before_any_fetch_thread(tmp_path: Path, monkeypatch) -> None:
    """A worker forked while a fetch thread holds a lock (a logging stream's buffer) waits on it for ever: this hung
    a CI run. Every worker process must exist before the first page is handed to a fetch thread."""
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    from ingest import fetching

    seen: list[int] = []

    class Recording(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            if not seen:
                seen.append(len(multiprocessing.active_children()))
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(fetching, "ThreadPoolExecutor", Recording)
    before = len(multiprocessing.active_children())
    pages, items = site(4, seed=12)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path, processes=2))
    assert seen and seen[0] >= before + 2, (before, seen)
