"""Interaction latency, measured the way a user feels it: from an action in a real browser until its result is drawn.

    .venv/bin/python benchmarks/interaction.py --store data/demo-store --baseline cf7787c
    .venv/bin/python benchmarks/interaction.py --store /work/bench/store-1m --cache /work/bench/latency2/cache-this \\
        --baseline cf7787c --baseline-cache /work/bench/latency2/cache-base [--fresh] [--steps open pages]
    make bench-interaction                       # the demo store, against the baseline in BASELINE

This module holds the actions and the table; benchmarks/interaction_harness.py the servers, their caches and the
browser. One server per dashboard (this tree and, with `--baseline REV`, the tree of git revision REV, `git archive`d),
each started as `newsmon dashboard` starts it (dashboard/serve.py, with the preload), on the same store, with
its own index cache (`--cache`, `--baseline-cache`: give ones already built to measure a warm server; they are
reused between runs). Headless Debian chromium (Playwright) then takes the two dashboards in turn, action for
action, so both see the same machine load. Each action is timed from the input event (a click, a key) until
the browser holds its result, polled every animation frame:

| action | result waited for |
|---|---|
| open the app | a new browser context opens the Overview: the timeline's first point is in the page |
| open the app until its filters | the same first visit, until the sidebar's filters are drawn (a session's first run draws them after its chart) |
| open the app again | a new tab of that browser opens it again (its HTTP and code caches hold the scripts) |
| click a point (Explore, Overview) | the list caption of exactly that point ("N articles behind <who>, <bucket> of <day>") and its table; on the Overview also "Why the spike?" of that point |
| pick a row | another article's title and text (`.nm-title`, `.nm-body`), after a click on a row's selection box |
| add / remove a person (Explore, Overview) | the timeline redrawn with one line more / less |
| switch page | the page's own title and its first chart (not a stale one of the page before) |

Every action runs `--actions` times (20 by default) per dashboard; the table gives the median and the 95th
percentile (nearest rank). Errors: every line of the server's log that reports an error or a traceback, and
every exception or warning box the page showed, counted per dashboard during the run (the target is 0).

`--floor` (on by default; `--no-floor`) also opens the timeline's figure alone on a Streamlit page with the
dashboard's settings (benchmarks/floor_app.py: the figure taken from this tree's page once it is drawn), in the
same rounds as the dashboards: what Streamlit and plotly.js cost before any of newsmon's own page, the least an
opening can take on this machine.

`--fresh` also measures a store nobody has opened: a server on a new, empty cache directory, from its start until
the first chart, and the peak memory (RSS) of the text index's build child while it runs (sampled every
0.5 s until it exits, or `--fresh-wait` seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import interaction_harness as harness  # noqa: E402
from benchmarks.interaction_harness import Server  # noqa: E402

ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|\bERROR\b|Exception:|Error:|\bOutOfMemory")
TIMEOUT = 60_000  # ms for one action's result: a slower one is a failure, reported
PAGES = {"Overview": "/", "Explore": "/explore", "People & topics": "/entities", "Sources & health": "/health"}

# The timeline: the plot whose points carry (kind, entity, day) keys; its lines, without the spike markers.
TIMELINE_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid=stElementContainer]:not([data-stale=true]) .js-plotly-plot')).find(gd =>
    (gd.data || []).some(t => t.customdata && t.customdata.length && ['person', 'topic'].includes(t.customdata[0][0])))"""
LINES_JS = f"""(n) => {{ const gd = ({TIMELINE_JS})(); if (!gd || !gd._fullData) return false;
    return gd._fullData.filter(t => t.type === 'scatter' && t.customdata && t.customdata.length
        && ['person', 'topic'].includes(t.customdata[0][0]) && t.name !== 'Spike').length === n
        && gd.querySelectorAll('.scatterlayer .trace path.point').length > 0; }}"""
POINTS_JS = f"""() => {{ const gd = ({TIMELINE_JS})(); if (!gd) return [];
    const out = []; gd.querySelectorAll('.scatterlayer .trace').forEach((tr, ti) => {{
      const t = gd._fullData[ti]; if (!t || !t.customdata || t.name === 'Spike') return;
      tr.querySelectorAll('path.point').forEach(p => {{ const d = p.__data__; const r = p.getBoundingClientRect();
        if (d && d.y > 0) out.push({{x: r.x + r.width / 2, y: r.y + r.height / 2, custom: t.customdata[d.i],
                                     name: t.name}}); }}); }});
    return out; }}"""
# A page's own chart: its h1 says the page, and a chart that is not stale has drawn points or bars.
PAGE_CHART_JS = """(title) => { const h = Array.from(document.querySelectorAll(
    '[data-testid=stElementContainer]:not([data-stale=true]) h1')).map(e => e.textContent.trim());
  if (!h.includes(title)) return false;
  return Array.from(document.querySelectorAll('[data-testid=stElementContainer]:not([data-stale=true]) .js-plotly-plot'))
    .some(gd => gd.querySelector('.scatterlayer .trace path.point, .barlayer .point path')); }"""
LIST_JS = """(want) => { const live = '[data-testid=stElementContainer]:not([data-stale=true])';
  return Array.from(document.querySelectorAll(live + ' [data-testid=stMarkdownContainer]'))
      .some(e => e.textContent.includes(want))
    && document.querySelector(live + ' [data-testid=stDataFrame]') !== null; }"""
ARTICLE_JS = """(before) => { const t = document.querySelector(
    '[data-testid=stElementContainer]:not([data-stale=true]) .nm-title');
  return t !== null && t.textContent !== before && document.querySelector('.nm-body') !== null; }"""
TITLE_JS = "() => { const t = document.querySelector('.nm-title'); return t ? t.textContent : null; }"
WHY_JS = """(want) => Array.from(document.querySelectorAll(
    '[data-testid=stElementContainer]:not([data-stale=true]) [data-testid=stMarkdownContainer]'))
    .some(e => e.textContent.includes('Why the spike?') && e.textContent.includes(want))"""
WHY_AND_LIST_JS = f"(a) => [({WHY_JS})(a[0]), ({LIST_JS})(a[1])]"
WHY_OR_LIST_NEW_JS = f"(a) => ({WHY_AND_LIST_JS})(a).some((v, i) => v && !a[2][i])"
# The timeline's figure as the page holds it (plotly JSON, as the server sent it: arrays as lists or in plotly's
# base64 form; any typed array made a list, plotly's own `_` keys left out), for the floor page (floor_app.py).
FIGURE_JS = f"""() => {{ const gd = ({TIMELINE_JS})();
    return JSON.stringify({{data: gd.data, layout: gd.layout}},
                          (k, v) => k.startsWith('_') ? undefined : ArrayBuffer.isView(v) ? Array.from(v) : v); }}"""
PROBLEMS_JS = """() => document.querySelectorAll('[data-testid=stException], [data-testid=stAlertContentWarning],'
    + ' [data-testid=stAlertContentError]').length"""


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)
    page_problems: int = 0

    def add(self, action: str, seconds: float) -> None:
        self.samples.setdefault(action, []).append(seconds)


def _timed(page, action: Callable[[], None], js: str, arg=None, timeout: float = 60_000) -> float:
    t = time.perf_counter()
    action()
    page.wait_for_function(js, arg=arg, polling="raf", timeout=timeout)
    return time.perf_counter() - t


def _settled(page) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached",
                           timeout=120_000)
    page.wait_for_timeout(150)


FILTERS = "[data-testid=stSidebar] [data-testid=stMultiSelect]"


def _loaded(page) -> None:
    """The page's timeline drawn, then its filters (a session's first run draws them after its chart, by a rerun
    of the app: dashboard/shell.py), and the app's run over: only then are its elements the ones to act on."""
    page.wait_for_function(LINES_JS.replace("=== n", ">= 1"), polling="raf", timeout=180_000)
    page.wait_for_selector(FILTERS, state="attached", timeout=120_000)
    _settled(page)


def _people(page) -> int:
    return page.evaluate(f"""() => {{ const gd = ({TIMELINE_JS})(); return gd ? gd._fullData.filter(t =>
        t.type === 'scatter' && t.customdata && t.customdata.length && t.name !== 'Spike').length : 0; }}""")


def open_app(page, server: Server, query: str, timeout: float = 180_000) -> float:
    return _timed(page, lambda: page.goto(f"{server.url}/?{query}"), LINES_JS.replace("=== n", ">= 1"), None,
                  timeout=timeout)


def open_twice(page, server: Server, query: str, t: Timings) -> None:
    """Open the app in a new tab of `page`'s browser context (a first visit: nothing cached), close that tab, then
    open it again in `page` (a return visit: Streamlit's and plotly's scripts in the context's HTTP and code caches).

    The first tab is closed before the return visit. Left open, it drew what a page draws after its first chart
    (the Overview's lower sections, dashboard/afterchart.py) in the same renderer while the second tab loaded, and
    the return visit was timed with that work in it: 3.44 s against 2.11 s for the floor, whose page draws
    nothing more; with the first tab closed, 2.98 s against 2.38 s (docs/benchmarks.md, "Issue 15, stop 25")."""
    first = page.context.new_page()
    t0 = time.perf_counter()
    t.add("open the app until the first chart", open_app(first, server, query))
    if server.argv is None:  # a dashboard: until its filters too (the floor's page has none)
        first.wait_for_selector(FILTERS, state="attached", timeout=120_000)
        t.add("open the app until its filters", time.perf_counter() - t0)
    t.page_problems += first.evaluate(PROBLEMS_JS)
    first.close()  # the context, and with it the browser's caches, stays
    t.add("open the app again, scripts cached by the browser", open_app(page, server, query))


def click_points(page, server: Server, path: str, query: str, n: int, t: Timings, label: str) -> None:
    """Click `n` different points of the timeline (widest-spread first) and time each until its list."""
    page.goto(f"{server.url}{path}?{query}")
    _loaded(page)
    every = page.evaluate(POINTS_JS)
    # Points that another line's point does not cover (a click takes the one drawn on top).
    points = [p for p in every if not any(q is not p and abs(q["x"] - p["x"]) < 10 and abs(q["y"] - p["y"]) < 10
                                          for q in every)]
    step = max(1, len(points) // max(n, 1))
    picked = (points[::step] + points)[:n]
    lists = True
    for p in picked:
        page.evaluate("() => window.scrollTo(0, 0)")
        p = next((q for q in page.evaluate(POINTS_JS) if q["custom"][:3] == p["custom"][:3]), None)
        if p is None:
            continue
        bucket, day = query_bucket(query), p["custom"][2][:10]
        want = f"articles behind {p['name']}, {bucket} of {day}"
        t0 = time.perf_counter()
        page.mouse.click(p["x"], p["y"])
        if path == "/":  # the Overview explains the point ("why the spike?"); this tree lists it there too
            lists = _why_and_list(page, t0, f"{p['name']} ({bucket} of {day})", want, lists, t, label)
        else:
            page.wait_for_function(LIST_JS, arg=want, polling="raf", timeout=TIMEOUT)
            t.add(f"{label} until its list", time.perf_counter() - t0)
        _settled(page)


def _why_and_list(page, t0: float, why: str, want: str, lists: bool, t: Timings, label: str) -> bool:
    """Time an Overview click until its "why the spike?" and until its list, each when it is drawn (whichever
    comes first: the list does not wait for the texts' statistics). Returns whether the tree lists points here
    at all (the baseline lists them only in Explore: its list is waited for once, 30 s, then no more)."""
    seen = [False, not lists]
    names = ("until why the spike", "until its list")
    while not all(seen):
        try:
            page.wait_for_function(WHY_OR_LIST_NEW_JS, arg=[why, want, seen], polling="raf",
                                   timeout=120_000 if not seen[0] else 30_000)
        except Exception:  # noqa: BLE001 - only the list can be missing, and only in a tree without it
            if not seen[0]:
                raise
            return False
        now = time.perf_counter() - t0
        for i, done in enumerate(page.evaluate(WHY_AND_LIST_JS, [why, want])):
            if done and not seen[i]:
                t.add(f"{label} {names[i]}", now)
                seen[i] = True
    return lists


def query_bucket(query: str) -> str:
    m = re.search(r"bucket=(day|week|month)", query)
    return m.group(1) if m else "week"


def pick_rows(page, server: Server, query: str, n: int, t: Timings) -> None:
    """Open `n` articles one after the other through the list's row selection (the first ten rows in turn)."""
    page.goto(f"{server.url}/explore?{query}")
    _loaded(page)
    p = max(page.evaluate(POINTS_JS), key=lambda q: q["y"] * -1)  # the highest point: a long list
    page.mouse.click(p["x"], p["y"])
    page.wait_for_function(LIST_JS, arg="articles behind", polling="raf", timeout=120_000)
    _settled(page)
    grid = page.locator("[data-testid=stDataFrame]").filter(has=page.locator("th", has_text="who / what")).first
    for i in range(n):
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        # The row's selection box: the grid's first column, 35 px rows under a 35 px header (Streamlit's sizes).
        k = i % 8
        before = page.evaluate(TITLE_JS)
        t.add("pick a row until the article text",
              _timed(page, lambda b=box, k=k: page.mouse.click(b["x"] + 17, b["y"] + 35 * (k + 1) + 17), ARTICLE_JS,
                     before))
        _settled(page)


def change_people(page, server: Server, path: str, query: str, n: int, t: Timings, label: str) -> None:
    """Add a person, then remove one, `n` times in all; each until the timeline has one line more / less."""
    page.goto(f"{server.url}{path}?{query}")
    _loaded(page)
    people = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(
        has=page.get_by_text("People", exact=True)).first
    for i in range(n):
        lines = _people(page)
        if i % 2 == 0:
            people.get_by_role("combobox").click()
            # the first person not drawn yet (Streamlit's multiselect offers "Select all" first)
            opt = page.get_by_role("option").filter(has_not_text="Select all").first
            opt.wait_for()
            t.add(f"{label}: add a person", _timed(page, opt.click, LINES_JS, lines + 1))
            page.keyboard.press("Escape")
        else:
            remove = people.locator("button[aria-label^='Remove ']").last
            t.add(f"{label}: remove a person", _timed(page, remove.click, LINES_JS, lines - 1))
        _settled(page)


def switch_pages(page, server: Server, query: str, n: int, t: Timings) -> None:
    """Go round the four pages through the sidebar's links, `n` times each; each until the page's chart."""
    page.goto(f"{server.url}/?{query}")
    _loaded(page)
    order = ["Explore", "People & topics", "Sources & health", "Overview"]
    for _ in range(n):
        for name in order:
            link = page.locator("[data-testid=stSidebar]").get_by_role("link", name=name)
            t.add(f"switch to {name} until its chart", _timed(page, link.click, PAGE_CHART_JS, name, timeout=180_000))
            _settled(page)


# (name, step(page, server, timings, query, n)): each step in a new browser context; "open" runs n rounds of one.
STEPS: list[tuple[str, Callable]] = [
    ("open", lambda pg, s, t, q, n: open_twice(pg, s, q, t)),
    ("explore clicks", lambda pg, s, t, q, n: click_points(pg, s, "/explore", q, n, t, "Explore: click a point")),
    ("rows", lambda pg, s, t, q, n: pick_rows(pg, s, q, n, t)),
    ("people explore", lambda pg, s, t, q, n: change_people(pg, s, "/explore", q, 2 * n, t, "Explore")),
    ("people overview", lambda pg, s, t, q, n: change_people(pg, s, "/", q, 2 * n, t, "Overview")),
    ("pages", lambda pg, s, t, q, n: switch_pages(pg, s, q, n, t)),
    ("overview clicks", lambda pg, s, t, q, n: click_points(pg, s, "/", q, n, t, "Overview: click a point")),
]


def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="newsmon-interaction-"))
    ports = harness.Ports(args.port)
    servers = harness.make_servers(args.store, work, ports, args.cache, args.baseline, args.baseline_cache, args.memory)
    timings = {s.name: Timings() for s in servers}
    load = [os.getloadavg()[0]]
    query = args.query
    n = args.actions
    fresh: dict = {}
    floor: list[Server] = []
    try:
        with harness.running(servers), harness.browser() as b, contextlib.ExitStack() as stack:
            for s in servers:  # warm: the index opened, the first imports done (as on a server already up)
                with harness.new_page(b) as pg:
                    try:
                        print(f"  {s.name}: first chart {open_app(pg, s, query):.1f} s (warming up)", flush=True)
                        if args.floor and not floor:
                            floor.append(harness.floor_server(args.store, work, ports, json.loads(pg.evaluate(FIGURE_JS))))
                    except Exception:
                        pg.screenshot(path=str(work / f"failed-{s.port}.png"))
                        raise
            if floor:
                stack.enter_context(harness.running(floor))
                timings[floor[0].name] = Timings()
                with harness.new_page(b) as pg:
                    print(f"  {floor[0].name}: first chart {open_app(pg, floor[0], query):.1f} s (warming up)", flush=True)
            for name, step in STEPS:
                if args.steps and name not in args.steps:
                    continue
                rounds = n if name == "open" else 1
                for r in range(rounds):
                    for s in harness.in_turn(servers + (floor if name == "open" else []), r):
                        with harness.new_page(b) as pg:
                            try:
                                step(pg, s, timings[s.name], query, n)
                                timings[s.name].page_problems += pg.evaluate(PROBLEMS_JS)
                            except Exception as exc:  # noqa: BLE001 - a failed step is reported, the run goes on
                                print(f"  {s.name}: {name} failed: {str(exc).splitlines()[0][:200]}", flush=True)
                                timings[s.name].page_problems += 1
                        load.append(os.getloadavg()[0])
                print(f"  {name} done (load {os.getloadavg()[0]:.1f})", flush=True)
                for a, xs in timings[servers[0].name].samples.items():  # as it goes: a long run can be cut short
                    others = "; ".join(f"{x.name} {_summary(timings[x.name].samples.get(a, []))}" for x in servers[1:] + floor
                                       if a in timings[x.name].samples)
                    print(f"    {a}: {_summary(xs)}" + (f"; {others}" if others else ""), flush=True)
            if args.fresh:
                for s in servers:
                    s.stop()
                for s in servers:
                    f = harness.Server(s.name, s.tree, s.store, work / f"fresh-{len(fresh)}", ports.next(),
                                       work / f"fresh-{len(fresh)}.log", args.memory)
                    try:
                        fresh[s.name] = harness.fresh_store(f, b, lambda pg, srv: open_app(pg, srv, query, 600_000),
                                                            args.fresh_wait)
                    finally:
                        f.stop()
    except KeyboardInterrupt:
        print("  interrupted: the table holds what was measured", flush=True)
    report(args, servers, timings, load, fresh, floor)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"\nlogs in {work}")


def _summary(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} s, p95 {_p95(xs):.2f} s, n {len(xs)}" if xs else "no sample"


def _p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[max(0, -(-95 * len(s) // 100) - 1)]


def report(args, servers: list[Server], timings: dict[str, Timings], load: list[float], fresh: dict,
           floor: list[Server] = ()) -> None:
    names = [s.name for s in servers]
    actions = list(dict.fromkeys(a for t in timings.values() for a in t.samples))
    print(f"\nInteraction latency on {args.store} ({args.actions} actions each; 1-min load average "
          f"{min(load):.1f}-{max(load):.1f} during the run; chromium 1440x1000; {args.query})")
    head = " | ".join(f"{n} median s | {n} p95 s | n" for n in names)
    print(f"\n| action | {head} |")
    print("|---|" + "---:|---:|---:|" * len(names))
    for a in actions:
        cells = []
        for n in names:
            xs = timings[n].samples.get(a, [])
            cells.append(f"{statistics.median(xs):.2f} | {_p95(xs):.2f} | {len(xs)}" if xs else "– | – | 0")
        print(f"| {a} | {' | '.join(cells)} |")
    print("| errors in the server log / on the page | "
          + " | ".join(f"{s.errors()} / {timings[s.name].page_problems} | | " for s in servers) + "|")
    for s in floor:
        print(f"\nThe opening's floor, in the same rounds: the timeline's figure alone on a Streamlit page with the "
              f"dashboard's settings (benchmarks/floor_app.py); errors in its log: {s.errors()}.")
        print("\n| action | floor median s | p95 s | n |\n|---|---:|---:|---:|")
        for a, xs in timings[s.name].samples.items():
            print(f"| {a} | {statistics.median(xs):.2f} | {_p95(xs):.2f} | {len(xs)} |")
    if fresh:
        print("\n| new store (empty cache) | server start to healthy s | healthy to first chart s | "
              "text index build child peak RSS MB | server + children peak RSS MB |")
        print("|---|---:|---:|---:|---:|")
        for n, (h, f, c, tr) in fresh.items():
            print(f"| {n} | {h:.2f} | {f:.2f} | {c:,.0f} | {tr:,.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "demo-store")
    ap.add_argument("--cache", type=Path, default=None, help="this tree's index cache (built once, reused)")
    ap.add_argument("--baseline", default=None, help="also measure the dashboard of this git revision")
    ap.add_argument("--baseline-cache", type=Path, default=None, help="the baseline's index cache")
    ap.add_argument("--actions", type=int, default=20, help="actions of each kind per dashboard")
    ap.add_argument("--query", default="", help="the view's filters, e.g. people=person-000 (default: the top 3)")
    ap.add_argument("--port", type=int, default=None, help="first port to use (default: free ports)")
    ap.add_argument("--memory", default=None, help="NEWSMON_DASHBOARD_MEMORY for both servers")
    ap.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                    help="also open the timeline's figure alone on a Streamlit page (the opening's floor)")
    ap.add_argument("--fresh", action="store_true", help="also time a new store's first chart and its build child")
    ap.add_argument("--fresh-wait", type=float, default=1800, help="seconds to follow the build child")
    ap.add_argument("--keep", action="store_true", help="keep the servers' logs")
    ap.add_argument("--steps", nargs="*", default=None,
                    help="only these steps: open, explore clicks, overview clicks, rows, people explore, "
                         "people overview, pages")
    args = ap.parse_args()
    for name in ("store", "cache", "baseline_cache"):  # the servers run in their own trees: absolute paths
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    run(args)


if __name__ == "__main__":
    main()
