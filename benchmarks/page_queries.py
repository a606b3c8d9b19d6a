"""Every query every page runs: the query log of a real visit of each page, then each logged query run again.

    .venv/bin/python benchmarks/page_queries.py --store /work/bench/store-1m --cache DIR [--search the]
    .venv/bin/python benchmarks/dashboard.py --pages ...        # the same, after the query benchmark

Starts the dashboard's server (dashboard/serve.py, as `newsmon dashboard` does) on the store with the query log
on ($NEWSMON_QUERY_LOG: dashboard/data/querylog.py), visits every page in headless chromium as a user would
(the Overview with one person and with several, a selected point and its "why the spike?", a search, the
articles dated by their fetch included; Explore with a point's list sorted two ways, its second page, an article,
the list's CSV; People & topics with a co-mention cell; Sources & health by week and by day), then stops the
server and runs each distinct logged call again on the same index, under the server's memory target, and prints
a table per query function. Any error, in the visit (a logged query error, an exception or a "could not be read"
on a page) or in the replay, is printed and makes the run fail (exit code 1): the benchmark runs exactly what the
pages run, so it cannot look healthy while a page fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.serve import streamlit_command  # noqa: E402

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
POINTS_JS = """() => {
  const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach(gd => (gd._fullData || []).forEach(t => {
    const y = t.y ? Array.from(t.y) : [];
    Array.from(t.customdata || []).forEach((c, i) => {
      if (c && (c[0] === 'person' || c[0] === 'topic') && y[i] != null) out.push([c[0], c[1], c[2], y[i]]);
    });
  }));
  return out;
}"""


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _people_and_article(store: Path) -> tuple[list[str], list[str], str]:
    """The most-mentioned people and topic of the store's first batch, and one article id (pyarrow, no index)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ingest.store.parquet import Store

    s = Store(store)
    for f in sorted(s.mentions_dir.glob("part-*.parquet")):
        t = pq.read_table(f, columns=["kind", "entity_id"])
        if t.num_rows:
            break
    counts = {}
    for kind in ("person", "topic"):
        vc = pc.value_counts(t.filter(pc.equal(t["kind"], kind))["entity_id"]).to_pylist()
        counts[kind] = [x["values"] for x in sorted(vc, key=lambda x: (-x["counts"], x["values"]))]
    art = next(pq.read_table(f, columns=["id"])["id"][0].as_py() for f in sorted(s.articles_dir.glob("part-*.parquet"))
               if pq.ParquetFile(f).metadata.num_rows)
    return counts["person"][:3], counts["topic"][:1], art


def visit(store: Path, cache: Path, log: Path, search: str = "the", memory: str | None = None,
          timeout_s: float = 600, rss: list | None = None) -> list[str]:
    """Serve the store with the query log on and visit every page; returns the problems seen on the pages.

    `rss`: filled with the server's resident memory (MB, itself and its children) after each page."""
    from playwright.sync_api import sync_playwright

    from benchmarks.server_memory import _rss_mb

    people, topics, article = _people_and_article(store)
    p0 = people[0]
    port = _port()
    env = dict(os.environ, NEWSMON_STORE=str(store), NEWSMON_DASHBOARD_CACHE=str(cache), NEWSMON_QUERY_LOG=str(log))
    if memory:
        env["NEWSMON_DASHBOARD_MEMORY"] = memory
    server_log = log.with_suffix(".server.log")
    with open(server_log, "w") as out:
        proc = subprocess.Popen(streamlit_command("127.0.0.1", port, preload=True), env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            ctx = b.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            pg = ctx.new_page()
            pg.set_default_timeout(timeout_s * 1000)

            def go(path: str, chart: bool = True) -> None:
                pg.goto(url + path)
                if chart:
                    pg.wait_for_selector(".js-plotly-plot", state="attached")
                pg.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached")
                pg.wait_for_timeout(1000)
                pg.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached")
                for e in pg.locator("[data-testid=stException]").all_inner_texts():
                    problems.append(f"{path}: exception: {e[:300]}")
                for w in pg.locator("[data-testid=stAlert]").all_inner_texts():
                    if "could not be read" in w:
                        problems.append(f"{path}: {w[:300]}")
                if rss is not None:
                    rss.append((_rss_mb(proc.pid), _rss_mb(proc.pid, "RssAnon")))

            ps = ",".join(people)
            go("/")
            go(f"/?people={p0}")
            points = pg.evaluate(POINTS_JS)
            if not points:
                problems.append(f"/?people={p0}: no point on the timeline to select")
                return problems
            best = max(points, key=lambda x: x[3])
            sel = quote(f"{best[0]}:{best[1]}:{best[2]}")
            go(f"/?people={ps}&topics={','.join(topics)}")
            go(f"/?people={p0}&sel={sel}")
            go(f"/?people={p0}&search={quote(search)}")
            go(f"/?people={p0}&fetched=True")
            go(f"/explore?people={ps}")
            go(f"/explore?people={p0}&sel={sel}")
            csv = pg.get_by_role("button", name="CSV", exact=True)
            if csv.count() > 1:  # the list's own CSV: every article behind the point, read on click
                with pg.expect_download():
                    csv.nth(1).click()
            go(f"/explore?people={p0}&sel={sel}&sort=title")
            go(f"/explore?people={p0}&sel={sel}&page=2")
            go(f"/explore?people={p0}&sel={sel}&article={article}")
            go("/entities", chart=False)
            go(f"/entities?people={ps}&pair={quote(people[0] + ':' + people[1])}", chart=False)
            go("/health")
            go("/health?bucket=day")
            b.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return problems


def replay(store: Path, cache: Path, log: Path, memory: str = "320MB") -> tuple[list[tuple], list[str], int]:
    """Run each distinct logged call again on the server's index; (table rows, errors, memory-limit raises)."""
    from dashboard.data import duck, queries, querylog
    from dashboard.data.index import default_index_path

    with_env = os.environ.get("NEWSMON_DASHBOARD_CACHE")
    os.environ["NEWSMON_DASHBOARD_CACHE"] = str(cache)
    try:
        con = queries.connect(store, index_path=default_index_path(store), memory_limit=memory)
    finally:
        if with_env is None:
            os.environ.pop("NEWSMON_DASHBOARD_CACHE", None)
        else:
            os.environ["NEWSMON_DASHBOARD_CACHE"] = with_env
    records = querylog.read(log)
    seen, visit_ms, replay_ms, calls = set(), defaultdict(list), defaultdict(list), defaultdict(int)
    errors = [f"visit: {r['fn']}: {r['error']}" for r in records if r["error"]]
    raised = duck.raised_count
    for r in records:
        calls[r["fn"]] += 1
        visit_ms[r["fn"]].append(r["ms"])
        key = json.dumps([r["fn"], r["args"], r["kwargs"]], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        t = time.perf_counter()
        try:
            querylog.replay(duck.cursor(con), r)
        except Exception as exc:  # noqa: BLE001 - every error is reported, and fails the run
            errors.append(f"replay: {r['fn']}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        replay_ms[r["fn"]].append((time.perf_counter() - t) * 1000)
    rows = []
    for fn in sorted(calls):
        v, x = visit_ms[fn], replay_ms[fn]
        rows.append((fn, calls[fn], len(x), statistics.median(v), max(v), statistics.median(x),
                     _p95(x), max(x)))
    return rows, errors, duck.raised_count - raised


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def run(store: Path, cache: Path, search: str = "the", memory: str = "320MB") -> bool:
    """Visit, replay, print; True when nothing failed."""
    log = Path(tempfile.mkdtemp(prefix="newsmon-page-queries-")) / "queries.jsonl"
    load = [os.getloadavg()[0]]
    t = time.perf_counter()
    rss: list = []
    problems = visit(store, cache, log, search, memory, rss=rss)
    visit_s = time.perf_counter() - t
    load.append(os.getloadavg()[0])
    rows, errors, raised = replay(store, cache, log, memory)
    load.append(os.getloadavg()[0])
    print(f"\nEvery query of every page: a visit of each page ({visit_s:.0f} s; log {log}), then each distinct logged "
          f"call run again on the same index under the server's memory target ({memory}); 1-min load average "
          f"{min(load):.1f}-{max(load):.1f}")
    print("\n| query (as the pages call it) | calls in the visit | distinct, replayed | visit p50 ms | visit max ms "
          "| replay p50 ms | replay p95 ms | replay max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for fn, n, d, v50, vmax, r50, r95, rmax in rows:
        print(f"| {fn} | {n} | {d} | {v50:,.1f} | {vmax:,.1f} | {r50:,.1f} | {r95:,.1f} | {rmax:,.1f} |")
    if rss:
        print(f"\nServer memory (itself and its children, such as the text index's build): after each page RSS "
              f"{min(r[0] for r in rss):,.0f}-{max(r[0] for r in rss):,.0f} MB, at the end {rss[-1][0]:,.0f} MB "
              f"({rss[-1][1]:,.0f} MB anonymous); DuckDB's target {memory}: a target to report, not a cap")
    print(f"\nErrors: {len(problems) + len(errors)} (pages {len(problems)}, queries {len(errors)}); the memory target "
          f"was raised {raised} time(s) in the replay to answer a query (dashboard/data/duck.py)")
    for e in problems + errors:
        print(f"  ERROR {e}")
    return not (problems or errors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True, help="the dashboard's cache dir (an index built there is reused)")
    ap.add_argument("--search", default="the", help="the search of the Overview's visit")
    ap.add_argument("--memory", default="320MB", help="the server's DuckDB memory target (NEWSMON_DASHBOARD_MEMORY)")
    args = ap.parse_args()
    sys.exit(0 if run(args.store, args.cache, args.search, args.memory) else 1)


if __name__ == "__main__":
    main()
