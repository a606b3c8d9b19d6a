"""Crash safety of the ingest: SIGKILL at every boundary of a batch's commit and at random moments of a run; the
store always opens, a plain reader never sees a row of an uncommitted batch, nothing is lost or doubled."""

from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from ingest.store.parquet import Store
from tests.killkit import (
    assert_tidy,
    copy_store,
    generated_articles,
    mutations,
    python_command,
    run_crashing,
    with_mentions,
)
from tests.localserver import LocalServer, reply
from tests.pages import rss, site
from tests.paths import REPO

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
    return n


def _uncommitted_mentions_only(store: Store) -> bool:
    articles = {p.name for p in store.articles_dir.glob("part-*.parquet")}
    return any(p.name not in articles for p in store.mentions_dir.glob("part-*.parquet"))


@pytest.mark.slow
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


BATCH = 10


def write_batches_child(root: Path, articles_file: Path) -> list[str]:
    """A child writing the pickled articles in batches of BATCH through the store writer."""
    return python_command("import pickle\nfrom pathlib import Path\nfrom ingest.store.parquet import Store\n"
                          f"articles = pickle.loads(Path({str(articles_file)!r}).read_bytes())\n"
                          f"with Store(Path({str(root)!r})).writer() as w:\n"
                          f"    for i in range(0, len(articles), {BATCH}):\n"
                          f"        w.write_batch(articles[i:i + {BATCH}], 'v1')\n")


def test_batch_killed_before_every_change_shows_no_uncommitted_row(tmp_path: Path) -> None:
    """Before the writer opens the store again, a plain reader of `mentions/*.parquet` (the README's query) sees
    only rows of committed batches; after it, every committed article has exactly its mentions."""
    articles = with_mentions(generated_articles(3 * BATCH + 5, seed=4))
    expected = {a.id: sorted((m.entity_id, m.field, m.start) for m in a.mentions) for a in articles}
    assert sum(map(len, expected.values())) > 60
    pristine = Store(tmp_path / "pristine")
    with pristine.writer() as w:
        w.write_batch(articles[:BATCH], "v1")
    pickled = tmp_path / "articles.pickle"
    pickled.write_bytes(pickle.dumps(articles[BATCH:]))
    changes = mutations(write_batches_child(copy_store(pristine.root, tmp_path / "probe"), pickled), tmp_path / "log")
    assert len(changes) >= 6
    con = duckdb.connect()
    for k in range(1, len(changes) + 1):
        store = Store(copy_store(pristine.root, tmp_path / "work"))
        assert run_crashing(write_batches_child(store.root, pickled), k).returncode == -9
        ids = {i for (i,) in con.execute("select id from read_parquet(?)", [store.glob("articles")]).fetchall()}
        rows = con.execute("select article_id, entity_id, field, start from read_parquet(?)",
                           [store.glob("mentions")]).fetchall()
        uncommitted = [r for r in rows if r[0] not in ids]
        assert not uncommitted, f"killed before change {k} ({changes[k - 1]}): {len(uncommitted)} rows of an uncommitted batch"
        with store.writer():
            pass  # the next writer opens the store
        rows = con.execute("select article_id, entity_id, field, start from read_parquet(?)",
                           [store.glob("mentions")]).fetchall()
        got: dict[str, list] = {i: [] for i in ids}
        for article, *mention in rows:
            got[article].append(tuple(mention))
        assert {i: sorted(m) for i, m in got.items()} == {i: expected[i] for i in ids}, f"change {k}"
        assert len(ids) % BATCH == 0 or len(ids) == len(articles)
        assert_tidy(store)
