"""Times are UTC whatever the machine's zone: the queries and a real server run in Asia/Tokyo give what they give in UTC.

Every DuckDB connection and cursor of the dashboard is made by `dashboard/data/duck.py`, which sets the zone
(a cursor does not inherit its connection's `SET TimeZone` in DuckDB 2.0). The queries run through the same
cursors the pages use (`cache.cursor`), in a child process per zone; the server test compares what a browser
(itself in Los Angeles time) reads from two servers, one in UTC and one in Tokyo: the article line, the lists,
the Sources, Failures, Runs and People tables, and the per-source weekly buckets. With NEWSMON_WRITE_SCREENSHOTS=1
it writes docs/screenshot-utc-tokyo-article.png and docs/screenshot-utc-tokyo-sources.png (the server in Tokyo).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

DUMP = r"""
import json, sys
from datetime import date
from pathlib import Path
from dashboard import cache
from dashboard.data import dispatch, health, queries
from dashboard.data.filters import Filters
from dashboard.data.selection import PointKey

root, hostile = Path(sys.argv[1]), sys.argv[2]
out = {}
def rows(df):
    return json.loads(df.astype(str).to_json(orient="values"))
with cache.cursor(root) as c:
    s = queries.store_summary(c)
    out["summary"] = [str(s["first"]), str(s["last"])]
    f = Filters(people=("alice-example", "bob-sample"), bucket="day", fetched=True)
    out["timeline"] = rows(dispatch.timeline_counts(c, f))
    out["coverage"] = rows(queries.coverage(c, f))
    day = PointKey("person", "alice-example", date(2024, 3, 20))
    lst = dispatch.drilldown(c, f, [day], limit=50)
    out["day list"] = rows(lst[["id", "published_at"]])
    out["day list shown"] = list(lst["published_at"].dt.strftime("%Y-%m-%d %H:%M"))
    week = dispatch.drilldown(c, Filters(people=("alice-example",)), [PointKey("person", "alice-example", date(2024, 3, 18))])
    out["week list"] = rows(week[["id", "published_at"]])
    art = queries.article(c, hostile)
    out["article"] = f"{art['published_at']:%Y-%m-%d %H:%M}"
    out["sources"] = rows(health.source_health(c))
    out["runs"] = rows(health.runs(c))
    out["per source"] = rows(health.articles_per_source(c, Filters(bucket="week")))
    out["per source, days"] = rows(health.articles_per_source(c, Filters(bucket="day")))
    out["entity totals"] = rows(dispatch.entity_totals(c, Filters()))
print(json.dumps(out))
"""


def dump(store, zone: str, cache: Path) -> dict:
    env = dict(os.environ, TZ=zone, NEWSMON_DASHBOARD_CACHE=str(cache), PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-c", DUMP, str(store.root), store.hostile_id], env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_queries_answer_in_utc_whatever_the_machine_zone(tiny_store, tmp_path):
    utc = dump(tiny_store, "UTC", tmp_path / "cache-utc")
    tokyo = dump(tiny_store, "Asia/Tokyo", tmp_path / "cache-tokyo")
    for key in utc:
        assert tokyo[key] == utc[key], key
    # and the UTC answers are the store's own UTC times
    hostile = next(a for a in tiny_store.articles if a.id == tiny_store.hostile_id)
    assert utc["article"] == f"{hostile.published_at:%Y-%m-%d %H:%M}" == "2024-03-20 12:00"
    want = sorted(f"{a.published_at:%Y-%m-%d %H:%M}" for a in tiny_store.articles  # (fetched=True: all of them)
                  if a.published_at.date().isoformat() == "2024-03-20"
                  and any(m.entity_id == "alice-example" for m in a.mentions))
    assert want and sorted(utc["day list shown"]) == want


def test_nothing_but_duck_opens_a_connection_or_a_cursor():
    """One place makes every connection and cursor (and sets the zone there): nothing else may."""
    offenders = []
    for path in sorted((REPO / "dashboard").rglob("*.py")):
        if path.name == "duck.py" and path.parent.name == "data":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"duckdb\.connect\(|\.cursor\(\)", line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


# --- the same through a real server, read by a browser in another zone -----------------------------------------

def _cells(page) -> list[list[list[str]]]:
    """The text of every visible cell of every table on the page (the data grid's accessible table)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid=stDataFrame] table')).map(t =>
        Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent)))""")


def _tables(page, n: int) -> list[list[list[str]]]:
    """The cells of the page's tables once `n` of them show rows."""
    page.wait_for_function(f"""() => Array.from(document.querySelectorAll('[data-testid=stDataFrame] table'))
        .filter(t => t.querySelector('tbody tr')).length >= {n}""")
    return _cells(page)


def _read(page, base: str, hostile: str, shots: str | None = None) -> dict:
    """What the pages show; with `shots`, screenshots of the article line and the Sources table into docs/."""
    from tests.browserkit import settled, wait_chart

    got = {}
    page.goto(f"{base}/explore?people=alice-example&bucket=day&fetched=True&sel=person%3Aalice-example%3A2024-03-20"
              f"&article={hostile}")
    page.locator(".nm-body").wait_for()
    settled(page)
    got["article line"] = page.locator("[data-testid=stMarkdownContainer]").filter(
        has_text=re.compile(r"\d\d:\d\d UTC")).first.inner_text()
    got["day list"] = _tables(page, 1)
    if shots:
        page.locator(".nm-title").scroll_into_view_if_needed()
        page.screenshot(path=str(REPO / "docs" / f"screenshot-utc-{shots}-article.png"))
    page.goto(f"{base}/explore?people=alice-example&sel=person%3Aalice-example%3A2024-03-18")
    page.get_by_text("articles behind Alice Example").first.wait_for()
    settled(page)
    got["week list"] = _tables(page, 1)
    page.goto(f"{base}/health?bucket=week")
    page.locator(".js-plotly-plot").first.wait_for()
    settled(page)
    got["health tables"] = _tables(page, 3)
    if shots:
        page.screenshot(path=str(REPO / "docs" / f"screenshot-utc-{shots}-sources.png"))
    got["per source"] = page.evaluate("""() => document.querySelector('.js-plotly-plot')._fullData
        .map(t => [t.name, Array.from(t.x).map(String), Array.from(t.y)])""")
    page.goto(f"{base}/entities?people=alice-example")
    wait_chart(page)
    settled(page)
    got["people"] = _tables(page, 1)
    return got


@pytest.mark.browser
def test_a_server_in_tokyo_shows_what_a_server_in_utc_shows(browser, tiny_store_session, tmp_path):
    from tests.browserkit import Dashboard, require_chromium

    require_chromium()
    env = {"NEWSMON_WATCHLIST": str(tiny_store_session.watchlist)}
    servers = {}
    try:
        for zone in ("UTC", "Asia/Tokyo"):
            work = tmp_path / zone.replace("/", "-")
            work.mkdir()
            servers[zone] = Dashboard(tiny_store_session.root, work, {**env, "TZ": zone})
        seen = {}
        for zone, server in servers.items():
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id="America/Los_Angeles")
            try:
                pg = ctx.new_page()
                pg.set_default_timeout(60_000)
                shots = "tokyo" if zone != "UTC" and os.environ.get("NEWSMON_WRITE_SCREENSHOTS") == "1" else None
                seen[zone] = _read(pg, server.url, tiny_store_session.hostile_id, shots)
            finally:
                ctx.close()
    finally:
        for s in servers.values():
            s.stop()
    utc, tokyo = seen["UTC"], seen["Asia/Tokyo"]
    assert "2024-03-20 12:00 UTC" in utc["article line"]
    assert utc["day list"] and utc["health tables"] and utc["per source"] and utc["people"]
    assert "2024-03-20 12:00" in {c for t in utc["day list"] for r in t for c in r}  # the list's UTC time
    assert "+09:00" not in json.dumps(tokyo)
    for key in utc:
        assert tokyo[key] == utc[key], key
