"""Every script in benchmarks/ runs as `python benchmarks/NAME.py --help`, as its docstring and the Makefile run it.

Run so, a script's own folder is sys.path[0]: a benchmark named like a package (benchmarks/ingest.py was) hid
that package from every script beside it, and the scripts that did not put the repo root first failed on import.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_runs_as_a_script(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as from a shell: the script's folder first
    r = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]


def test_every_benchmark_the_makefile_runs_exists() -> None:
    named = set(re.findall(r"benchmarks/[\w/]+\.py", (REPO / "Makefile").read_text()))
    assert named and not [name for name in sorted(named) if not (REPO / name).is_file()]
    assert {"benchmarks/ingest_speed.py", "benchmarks/ingest_soak.py"} <= named


def test_the_ingest_benchmarks_servers_answer_their_routes() -> None:
    """benchmarks/feed_server.py's one handler, under the end-to-end run's server and the realistic rows' outlets."""
    import httpx

    from benchmarks.ingest_hosts import ROBOTS, Outlet
    from benchmarks.ingest_speed import SlowServer

    pages = [b"<html><p>one</p></html>", b"<html><p>two</p></html>"]
    slow, outlet = SlowServer(pages, 3, 0.0), Outlet(lambda i: pages[i % 2], 1, 0.0)
    try:
        feed = httpx.get(f"{slow.url}/rss")
        assert feed.headers["content-type"] == "application/rss+xml"
        assert feed.text.count("<item>") == 3 and f"<link>{slow.url}/a/2</link>" in feed.text
        assert "<pubDate>Wed, 01 Jan 2025 00:00:00 +0000</pubDate>" in feed.text
        assert httpx.get(f"{slow.url}/a/2").content == b"<html><p>one (ref 2)</p></html>"
        assert httpx.get(f"{slow.url}/robots.txt").status_code == 404
        assert httpx.get(f"{outlet.url}/robots.txt").content == ROBOTS
        assert httpx.get(f"{outlet.url}/rss?n=2").text.count("<item>") == 2
        assert httpx.get(f"{outlet.url}/a/0").content == pages[1]  # page `first + i` of the cycle
        assert slow.cpu > 0  # its handlers' CPU is counted, to tell the server's share of a run from the ingest's
    finally:
        slow.close()
        outlet.close()


@pytest.mark.slow
def test_the_soak_probe_hooks_the_ingest_where_it_looks_its_functions_up() -> None:
    """benchmarks/ingest_soak.py patches the ingest's own functions to sample its memory: after the fetch loop moved
    to ingest/fetching.py (and `_commit` took more arguments) `make bench-soak` failed before its first page."""
    from benchmarks.ingest_soak import run
    from ingest import fetching, pipeline
    from tests.pages import site

    originals = fetching._get_page, pipeline._commit, pipeline.KnownKeys
    pages = [html.encode() for _, html in site(5)[0].values()]
    result = run(pages, 30, 1, 60.0, False, 1)
    before, after, fetched, stored, seconds = result["runs"][0]
    assert fetched == 30 and stored == 30  # each copy is marked as its own article
    at_batch = [s for s in result["samples"] if s.at_batch]
    assert at_batch and at_batch[-1].pages == 30 and at_batch[-1].stored == 30  # the probe saw every page and batch
    assert (fetching._get_page, pipeline._commit, pipeline.KnownKeys) == originals  # and undid its patches


def _docs_corpus(folder: Path) -> None:
    """The corpus cache benchmarks/dashboard_store.generate reads before the dev set (STORE-corpus.json beside a
    store named "store"): paragraphs of the repo's own docs stand in."""
    import json

    docs = [p.read_text() for p in sorted((REPO / "docs").glob("*.md"))[:6]]
    (folder / "store-corpus.json").write_text(json.dumps([{"title": d.splitlines()[0], "text": d} for d in docs]))


def test_the_generated_dashboard_store_is_laid_out_as_ingest_and_compaction_leave_a_store(tmp_path: Path) -> None:
    """benchmarks/dashboard_store.generate writes every column the store has (it failed once a column was added)
    and lays the store out as a compacted one: batches in time order, files sorted in small row groups."""

    import pyarrow.parquet as pq

    from benchmarks.dashboard_store import generate
    from ingest.store import layout
    from ingest.store.parquet import ARTICLES_SCHEMA, SCHEMA_FILE, Store

    root = tmp_path / "store"
    _docs_corpus(tmp_path)
    generate(root, 900, batch=300)
    store = Store(root)
    assert store.count("articles") == 900 and store.count("mentions") > 900
    files = [p for p in store.articles_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE]
    assert len(files) == 1 and pq.read_schema(files[0]).names == ARTICLES_SCHEMA.names
    times = pq.read_table(files[0], columns=["published_at"]).column(0).to_pylist()
    assert times == sorted(times) and layout.is_laid_out("articles", files[0])


def test_the_text_index_build_benchmark_runs_the_child_inside_a_memory_limit(tmp_path: Path) -> None:
    """--memory-limit: the build child runs in a memory cgroup of that size. A generous limit lets it finish and
    reports its peak charge within the limit; a limit below what Python and its libraries need gets it killed,
    and the table says so (a limit that is not enforced, or a kill not reported, fails here)."""

    from benchmarks import memcg
    from benchmarks.dashboard_store import generate
    from benchmarks.text_index_build import build_once

    if why := memcg.available():
        pytest.skip(why)
    _docs_corpus(tmp_path)
    generate(tmp_path / "store", 300, batch=300)
    ok = build_once(tmp_path / "store", REPO, tmp_path / "ok", limit_mb=600)
    assert ok["cgroup"]["finished"] and '"ok": true' in ok["result"], ok
    assert 0 < ok["cgroup"]["peak"] <= 600 and ok["cgroup"]["oom_kills"] == 0
    killed = build_once(tmp_path / "store", REPO, tmp_path / "killed", limit_mb=24)
    assert not killed["cgroup"]["finished"] and killed["cgroup"]["oom_kills"] >= 1, killed
    assert killed["cgroup"]["reclaims"] > 0 and killed["cgroup"]["peak"] >= 23  # the limit was met, and counted
    assert "no result" in killed["result"]
    assert not Path(ok["cgroup"]["path"]).exists() and not Path(killed["cgroup"]["path"]).exists()  # removed


@pytest.mark.slow
def test_the_opening_s_floor_draws_the_timeline_s_figure_alone_as_the_benchmark_waits_for_it(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """--floor: the figure the benchmark takes from the dashboard's page (FIGURE_JS) is drawn alone by
    benchmarks/floor_app.py, and the page meets the same "first chart" test as the dashboard's: every point is
    drawn, and the same traces, values (in plotly's base64 form, as sent) and keys come back from its page."""
    import json
    from datetime import date, timedelta

    import numpy as np
    import plotly.graph_objects as go

    from benchmarks import interaction
    from benchmarks import interaction_harness as harness
    from tests.browserkit import CHROMIUM

    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    days = [(date(2026, 1, 5) + timedelta(weeks=i)).isoformat() for i in range(30)]
    fig = go.Figure()
    for kind, eid, name, y in (("person", "p1", "Ada <b>Lovelace</b>", np.arange(30) % 7 + 1),
                               ("topic", "t1", "Tides", np.arange(30, dtype=float) / 3)):
        fig.add_trace(go.Scatter(x=days, y=y, mode="lines+markers", name=name,
                                 customdata=[[kind, eid, d] for d in days]))
    server = harness.floor_server(tmp_path / "store", tmp_path, harness.Ports(None), json.loads(fig.to_json()))
    b = request.getfixturevalue("browser")  # the session's chromium: one Playwright per test process
    with harness.running([server]), harness.new_page(b) as page:
        assert interaction.open_app(page, server, "", timeout=120_000) > 0  # else it raised: never drawn
        got = json.loads(page.evaluate(interaction.FIGURE_JS))
        drawn = page.evaluate("() => document.querySelectorAll('.js-plotly-plot .scatterlayer path.point').length")
        # the return visit: timed in a new tab of the same context, with the first tab closed (nothing else drawing)
        t = interaction.Timings()
        with harness.new_page(b) as again:
            interaction.open_twice(again, server, "", t)
            assert again.context.pages == [again] and again.url.startswith(server.url)  # the first tab closed
        assert [len(v) for v in t.samples.values()] == [1, 1] and t.page_problems == 0
    sent = json.loads(fig.to_json())["data"]
    assert drawn == 60
    assert [t["name"] for t in got["data"]] == ["Ada <b>Lovelace</b>", "Tides"]
    assert [t["y"] for t in got["data"]] == [t["y"] for t in sent] and "bdata" in sent[0]["y"]
    assert got["data"][1]["customdata"][4] == ["topic", "t1", days[4]]
    assert server.errors() == 0
