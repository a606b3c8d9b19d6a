"""Crash safety: SIGKILL the ingest at 20 random moments; the store always opens, nothing is lost or doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from ingest.store.pages import _read_index, page_files, pages_dir
from ingest.store.parquet import Store
from tests.localserver import LocalServer, reply
from tests.pages import rss, site
from tests.paths import REPO

pytestmark = pytest.mark.slow

N_PAGES = 2000
KILLS = 20

CHILD = """
import sys
from pathlib import Path
from ingest.pipeline import run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source
settings = Settings(store=Path(sys.argv[1]), allow_private=True, host_delay=0.0, per_host=16, fetch_threads=16,
                    processes=2, batch_size=50, progress=False)
run_ingest([Source("feed", sys.argv[2])], settings)
"""


def check_consistent(store: Store) -> int:
    """The store opens, ids are unique, every mentions file pairs with a committed articles file.

    A kill before the store's layout was complete leaves a store that does not exist yet (readers see no
    store, as before the first run): zero articles, and no data file may have been written.
    """
    if not store.exists():
        assert not list(store.root.glob("*/part-*.parquet")), "data written before the store existed"
        return 0
    con = duckdb.connect()
    n, distinct = con.execute("select count(*), count(distinct id) from read_parquet(?)", [store.glob("articles")]).fetchone()
    assert n == distinct, "an article was stored twice"
    orphans = con.execute(
        "select count(*) from read_parquet(?) m anti join read_parquet(?) a on m.article_id = a.id",
        [store.glob("mentions"), store.glob("articles")],
    ).fetchone()[0]
    assert orphans == 0 or _uncommitted_mentions_only(store)
    # kept pages (STORE/pages/): a committed pages file holds pages of committed articles only, once each; a
    # batch's pages file is pending (renamed by the next writer) between its articles' commit and its rename
    ids = {r[0] for r in con.execute("select id from read_parquet(?)", [store.glob("articles")]).fetchall()}
    kept = [page.article_id for path in page_files(store.root) for page in _read_index(path)]
    assert len(kept) == len(set(kept)), "a page kept twice"
    assert set(kept) <= ids, "a kept page of an article never committed"
    return n


def _uncommitted_mentions_only(store: Store) -> bool:
    articles = {p.name for p in store.articles_dir.glob("part-*.parquet")}
    return any(p.name not in articles for p in store.mentions_dir.glob("part-*.parquet"))


def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    pages, items = site(N_PAGES, seed=3)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    rng = random.Random(20)
    store = Store(tmp_path / "store")
    reader_errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:  # a dashboard-like reader polling all through the kills
        con = duckdb.connect()
        while not stop.is_set():
            if store.exists():
                try:
                    con.execute(
                        "select count(distinct a.id), count(m.article_id) from read_parquet(?) a "
                        "left join read_parquet(?) m on m.article_id = a.id",
                        [store.glob("articles"), store.glob("mentions")],
                    ).fetchall()
                except Exception as exc:  # noqa: BLE001 - any reader error fails the test below
                    reader_errors.append(repr(exc))
            time.sleep(0.05)

    with LocalServer(routes) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-c", CHILD, str(store.root), srv.url + "/rss"]
        watcher = threading.Thread(target=reader, daemon=True)
        watcher.start()
        counts = []
        try:
            for _ in range(KILLS):
                child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
                time.sleep(rng.uniform(0.2, 5.0))
                os.killpg(child.pid, signal.SIGKILL)  # the ingest and its extraction processes
                child.wait()
                counts.append(check_consistent(store))
            final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        finally:
            stop.set()
            watcher.join()
    assert final.returncode == 0, final.stderr[-2000:]
    assert counts == sorted(counts), "a kill lost articles that were already committed"
    assert check_consistent(store) == N_PAGES
    assert not _uncommitted_mentions_only(store)
    assert not reader_errors, reader_errors[:3]
    # every stored article has its page kept exactly once, and nothing is left pending
    kept = [page.article_id for path in page_files(store.root) for page in _read_index(path)]
    assert sorted(kept) == sorted(set(kept)) and len(kept) == N_PAGES
    assert not list(pages_dir(store.root).glob(".*"))
