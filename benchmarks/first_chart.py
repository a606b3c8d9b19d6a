"""Time from opening the dashboard to its first chart, measured in a real browser, on a freshly started server.

    .venv/bin/python benchmarks/first_chart.py --store data/demo-store [--runs 5] [--baseline 8141826] [--plain]
    .venv/bin/python benchmarks/dashboard.py --server-only --store data/demo-store   # the same, then the server's RSS

Each run copies the store to a new directory and gives the server a new cache directory, so the DuckDB index
and the text index are built from scratch as on a first start; starts `streamlit run` (dashboard/serve.py's
command as `newsmon dashboard` runs it: `streamlit_command(preload=True)`, the first page's libraries
imported before the server starts) and waits for `/_stcore/health`; opens the Overview in a new headless chromium context (no HTTP cache:
the page's scripts are fetched as on a first visit) and times from `goto` to the first chart's first point
attached to the page. The server's own start (to healthy) is reported beside it, not included.

With `--baseline REV` the same is done, run for run and in alternating order, with the dashboard of git
revision REV (`git archive` into a temporary directory): the before/after pair of one run on one machine.
`--plain` adds this tree served by a plain `streamlit run` (no preload: the first page imports pandas, DuckDB,
pyarrow and plotly itself; its start to healthy is shorter by as much).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.serve import streamlit_command  # noqa: E402

CHART = ".js-plotly-plot .scatterlayer .trace path.point"  # the timeline's first point: the chart is drawn
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def extract(rev: str, into: Path) -> Path:
    """The repository's tree at `rev`, written to `into` (git archive)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_chart_once(browser, store: Path, tree: Path, work: Path, preload: bool = False,
                     in_place: bool = False) -> tuple[float, float]:
    """(server start to healthy, page open to first chart) in seconds, for the dashboard in `tree`.

    `in_place`: serve `store` itself (it is only read; the new cache still builds every index anew) instead of a
    copy: a million-article store is 2 GB."""
    copy, cache = (store if in_place else work / "store"), work / "cache"
    if not in_place:
        shutil.copytree(store, copy)
    port = _port()
    argv = streamlit_command("127.0.0.1", port, preload=preload)
    argv[argv.index(str(ROOT / "dashboard" / "app.py"))] = str(tree / "dashboard" / "app.py")
    env = dict(os.environ, NEWSMON_STORE=str(copy), NEWSMON_DASHBOARD_CACHE=str(cache), PYTHONPATH=str(tree))
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - t > 60:
                    raise RuntimeError(f"the server in {tree} did not start") from None
                time.sleep(0.05)
        healthy = time.perf_counter() - t
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.new_page()
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector(CHART, state="attached", timeout=900_000)
            return healthy, time.perf_counter() - t
        finally:
            ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def first_chart_table(store: Path, runs: int = 3, baseline: str | None = None,
                      plain: bool = False, in_place: bool = False, work_dir: Path | None = None) -> dict[str, list[float]]:
    """Run and print the table: min / median / max and every run, per variant."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="newsmon-first-chart-", dir=work_dir))
    variants = [("this tree (newsmon dashboard: preload)", ROOT, True)]
    if plain:
        variants.append(("this tree, plain streamlit run", ROOT, False))
    if baseline:
        variants.append((f"baseline {baseline}", extract(baseline, work / "baseline"), False))
    got: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
    load = [os.getloadavg()[0]]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            for i in range(runs):
                for name, tree, pre in variants if i % 2 == 0 else variants[::-1]:  # alternate which goes first
                    run_dir = work / f"run-{i}-{len(got[name])}"
                    run_dir.mkdir()
                    got[name].append(first_chart_once(browser, store, tree, run_dir, pre, in_place))
                    shutil.rmtree(run_dir, ignore_errors=True)
                    load.append(os.getloadavg()[0])
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    fresh = "a fresh cache (the store read in place)" if in_place else "a fresh store copy and cache"
    print(f"\nFirst chart on {store} ({runs} runs each, {fresh}, a new server and browser "
          f"context per run; 1-min load average {min(load):.1f}-{max(load):.1f} during the runs)")
    print("\n| dashboard | first chart min s | median s | max s | every run s | server start to healthy, median s |")
    print("|---|---:|---:|---:|---|---:|")
    for name, xs in got.items():
        fc = [x[1] for x in xs]
        print(f"| {name} | {min(fc):.2f} | {statistics.median(fc):.2f} | {max(fc):.2f} | "
              f"{', '.join(f'{x:.2f}' for x in fc)} | {statistics.median(x[0] for x in xs):.2f} |")
    return {name: [x[1] for x in xs] for name, xs in got.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "demo-store")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", default=None, help="also time the dashboard of this git revision, run for run")
    ap.add_argument("--plain", action="store_true",
                    help="also time this tree served by a plain `streamlit run` (no libraries imported at start)")
    ap.add_argument("--in-place", action="store_true",
                    help="serve the store itself, not a copy (it is only read): for a large store")
    ap.add_argument("--work", type=Path, default=None, help="where the runs' caches go (default: the system's temp)")
    args = ap.parse_args()
    first_chart_table(args.store, args.runs, args.baseline, args.plain, args.in_place, args.work)


if __name__ == "__main__":
    main()
