"""Fetch-and-extract on a Dask distributed cluster (a local one on 127.0.0.1) gives the same store."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.pipeline import run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source
from ingest.store.parquet import Store
from tests.localserver import LocalServer, reply
from tests.pages import rss, site

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


def test_ingest_on_a_local_dask_cluster(tmp_path: Path) -> None:
    pages, items = site(15, seed=9)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv, distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        srv.routes["/rss"] = reply(rss(srv.url, items + [("gone", "/gone", items[0][2])]), ctype="application/rss+xml")
        common = dict(allow_private=True, host_delay=0.0, per_host=4, progress=False)
        on_cluster = run_ingest([Source("feed", srv.url + "/rss")],
                                Settings(store=tmp_path / "c", scheduler=cluster.scheduler_address, **common))
        local = run_ingest([Source("feed", srv.url + "/rss")], Settings(store=tmp_path / "l", processes=0, **common))
    t = on_cluster.total()
    assert (t.found, t.fetched, t.stored, dict(t.failures)) == (16, 15, 15, {"http-404": 1})

    def rows(root: Path) -> list:
        s = Store(root)
        return duckdb.execute(
            "select a.id, a.text, count(m.article_id) from read_parquet(?) a left join read_parquet(?) m "
            "on m.article_id = a.id group by all order by 1", [s.glob("articles"), s.glob("mentions")]).fetchall()

    assert rows(tmp_path / "c") == rows(tmp_path / "l")
    assert local.total().stored == 15
