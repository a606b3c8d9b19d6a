"""Real-browser tests: Playwright driving Debian's chromium against `streamlit run` on a tiny store.

Charts, clicks, the drill-down's count, escaping and exports; the URL as the view's record (Back, Forward,
copied links) is in tests/dashboard/test_browser_urlstate.py, the shared fixtures and helpers in tests/browserkit.py.
A plain click() on a plotly point is swallowed by the drag layer, so points are clicked with page.mouse
at the centre of their bounding box. With NEWSMON_SCREENSHOT_STORE=<store> set, the README screenshot
docs/screenshot.png is regenerated from that store.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.browserkit import (
    POINTS_JS,
    Dashboard,
    open_first_article,
    require_chromium,
    traces,
    wait_chart,
    week_count,
)
from tests.paths import REPO

pytestmark = pytest.mark.browser


require_chromium()


def test_click_point_lists_exactly_its_articles_then_open_and_download(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=alice-example&bucket=week")
    wait_chart(page)
    points = page.evaluate(POINTS_JS, 0)
    best = max((p for p in points if p["value"]), key=lambda p: p["value"])
    kind, entity, bucket = best["custom"][:3]
    assert (kind, entity) == ("person", "alice-example")
    expected = week_count(tiny_store_session, kind, entity, bucket)
    assert best["value"] == expected
    page.mouse.click(best["x"], best["y"])
    page.get_by_text(f"{expected} articles behind Alice Example", exact=False).first.wait_for()
    assert f"the point's articles count is {expected}" in page.inner_text("body")

    # Open the first article in the list; its text shows the mention highlighted, saying who and which rule.
    open_first_article(page)
    mark = page.locator("mark.nm-person[data-entity='alice-example']").first
    mark.wait_for()
    assert "Person: Alice Example" in mark.get_attribute("title")
    assert "rule:" in mark.get_attribute("title")
    assert page.get_by_role("link", name="Open the original ↗").get_attribute("href").startswith("https://news.example/")

    # The timeline's CSV: a zip of the series and its manifest.
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV").first.click()
    data = Path(dl.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rows = z.read("newsmon-timeline.csv").decode().splitlines()
        manifest = json.loads(z.read("manifest.json"))
    assert rows[0].startswith("bucket,bucket_size,kind,entity_id")
    assert any(f"{bucket},week,person,alice-example" in r and f",{expected}," in r for r in rows)
    assert manifest["filters"]["people"] == ["alice-example"]
    assert manifest["rows"] == len(rows) - 1

    # The list's own CSV holds every article behind the point (built on click, from the store).
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV", exact=True).nth(1).click()
    with zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())) as z:
        listed = z.read("newsmon-articles.csv").decode().splitlines()
        assert json.loads(z.read("manifest.json"))["rows"] == expected
    assert len(listed) == expected + 1 and listed[0].startswith("id,published_at")


def test_box_selection_lists_the_union_of_its_points(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=carol-test&bucket=month")
    wait_chart(page)
    points = [p for p in page.evaluate(POINTS_JS, 0) if p["value"]]
    assert len(points) == 3  # January, February, March
    first, second = points[0], points[1]
    _box_select(page, first, second)
    expected = _carol_before_march(tiny_store_session)
    assert expected == first["value"] + second["value"]
    page.get_by_text(f"{expected} articles behind 2 selected points", exact=False).first.wait_for()


def _carol_before_march(tiny) -> int:
    """Articles mentioning Carol Test in January and February 2024: the tiny store's two boxed monthly points."""
    return sum(1 for a in tiny.charted
               if a.published_at.date() < date(2024, 3, 1) and any(m.entity_id == "carol-test" for m in a.mentions))


def _box_select(page, first: dict, second: dict) -> None:
    page.locator(".js-plotly-plot").first.hover()
    page.locator('.modebar-btn[data-title="Box Select"]').first.click()  # the toolbar's box tool, as a user would
    y = max(first["y"], second["y"]) + 5
    page.mouse.move(first["x"] - 15, y)
    page.mouse.down()
    page.mouse.move((first["x"] + second["x"]) / 2, y, steps=5)
    page.mouse.move(second["x"] + 15, y, steps=5)
    page.mouse.up()


def test_why_the_spike_explains_every_boxed_point_and_lists_them_there(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/?people=carol-test&bucket=month")
    wait_chart(page)
    points = [p for p in page.evaluate(POINTS_JS, 0) if p["value"]]
    assert [p["custom"][2][:10] for p in points] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    _box_select(page, points[0], points[1])
    expected = _carol_before_march(tiny_store_session)
    covers = "2 selected points: Carol Test (months of 2024-01-01, 2024-02-01)"
    page.get_by_text(covers, exact=False).first.wait_for()
    assert f"{covers}. {expected} articles compared with" in page.inner_text("body")
    # the articles are listed on the Overview itself: no second click, no other page
    page.get_by_text(f"{expected} articles behind 2 selected points", exact=False).first.wait_for()
    page.wait_for_url("**/?**sel=person%3Acarol-test%3A2024-01-01%2Cperson%3Acarol-test%3A2024-02-01**")
    assert "/explore" not in page.url


def test_hostile_article_text_is_shown_not_run(dashboard, page, tiny_store_session):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{dashboard.url}/explore?people=alice-example&article={tiny_store_session.hostile_id}")
    body = page.locator(".nm-body")
    body.wait_for()
    text = body.inner_text()
    assert "<script>alert('xss')</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert page.locator(".nm-title").inner_text().startswith("Alice Example <b>bold</b>")
    assert page.locator(".nm-text img, .nm-text script, .nm-title b").count() == 0
    assert "no date found in the page" in page.inner_text("body")  # published_source "fetched" is flagged
    page.wait_for_timeout(500)
    assert dialogs == []


def test_filter_by_person_in_the_sidebar_and_by_date_in_the_url(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=bob-sample&bucket=day&start=2024-02-01&end=2024-02-29")
    wait_chart(page)
    (trace,) = traces(page)
    assert trace["name"] == "Bob Sample"
    days = [c[2] for c in trace["custom"]]
    assert days[0] == "2024-02-01" and days[-1] == "2024-02-29"
    for c, y in zip(trace["custom"], trace["y"], strict=True):
        want = sum(1 for a in tiny_store_session.charted if a.published_at.date().isoformat() == c[2]
                   and any(m.entity_id == "bob-sample" for m in a.mentions))
        stored = sum(1 for a in tiny_store_session.charted if a.published_at.date().isoformat() == c[2])
        assert (y is None or y != y) if stored == 0 else (y == want), c  # a gap: no value, not 0
    # Add a person through the sidebar's multiselect: a second line appears and the URL says so.
    page.get_by_role("combobox", name="People").click()
    page.get_by_role("option", name="Carol Test (36)").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullData"
                           ".filter(t => t.type === 'scatter').length === 2")
    assert [t["name"] for t in traces(page)] == ["Bob Sample", "Carol Test"]
    page.wait_for_url("**people=bob-sample%2Ccarol-test**")


def test_every_export_downloads_a_valid_file(dashboard, page):
    import xml.etree.ElementTree as ET

    import pyarrow.parquet as pq

    from dashboard.export import png_text

    page.goto(f"{dashboard.url}/explore?people=alice-example,bob-sample")
    wait_chart(page)
    got = {}
    for label in ("PNG", "SVG", "PDF", "HTML", "CSV", "Parquet"):
        with page.expect_download(timeout=60_000) as dl:
            page.get_by_role("button", name=label, exact=True).first.click()
        got[label] = (dl.value.suggested_filename, Path(dl.value.path()).read_bytes())
    assert got["PNG"][1][:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(png_text(got["PNG"][1]))["filters"]["people"] == ["alice-example", "bob-sample"]
    svg = ET.fromstring(got["SVG"][1])
    assert json.loads(svg.find("{http://www.w3.org/2000/svg}metadata").text)["what"] == "timeline"
    assert got["PDF"][1][:5] == b"%PDF-" and b"/NewsmonManifest" in got["PDF"][1]
    html = got["HTML"][1].decode()
    assert html.lstrip().lower().startswith("<html") or html.lstrip().lower().startswith("<!doctype html")
    assert 'id="newsmon-manifest"' in html and "<script src=" not in html
    with zipfile.ZipFile(io.BytesIO(got["CSV"][1])) as z:
        assert {"newsmon-timeline.csv", "manifest.json"} <= set(z.namelist())
    table = pq.read_table(io.BytesIO(got["Parquet"][1]))
    assert b"newsmon-manifest" in table.schema.metadata and table.num_rows > 0
    assert {n for n, _ in got.values()} == {"newsmon-timeline.png", "newsmon-timeline.svg", "newsmon-timeline.pdf",
                                           "newsmon-timeline.html", "newsmon-timeline.csv.zip",
                                           "newsmon-timeline.parquet"}


def test_readme_screenshot(browser, tmp_path):
    """Regenerates docs/screenshot.png from the demo store when NEWSMON_SCREENSHOT_STORE is set."""
    store = os.environ.get("NEWSMON_SCREENSHOT_STORE")
    if not store:
        pytest.skip("set NEWSMON_SCREENSHOT_STORE=<demo store> to regenerate docs/screenshot.png")
    d = Dashboard(Path(store), tmp_path)
    try:
        ctx = browser.new_context(viewport={"width": 1440, "height": 960}, device_scale_factor=1)
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{d.url}/")  # the Overview: headline figures and the timeline with its spikes
        wait_chart(pg)
        pg.wait_for_timeout(1500)
        (REPO / "docs").mkdir(exist_ok=True)
        pg.screenshot(path=str(REPO / "docs" / "screenshot.png"))
        ctx.close()
    finally:
        d.stop()
    assert (REPO / "docs" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
