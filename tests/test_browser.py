"""Real-browser tests: Playwright driving Debian's chromium against `streamlit run` on a tiny store.

A plain click() on a plotly point is swallowed by the drag layer, so points are clicked with page.mouse
at the centre of their bounding box. With NEWSMON_SCREENSHOT_STORE=<store> set, the README screenshot
docs/screenshot.png is regenerated from that store.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browserkit import CHROMIUM, Dashboard, launch_browser, wait_chart

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent

pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def dashboard(tiny_store_session, tmp_path_factory):
    d = Dashboard(tiny_store_session.root, tmp_path_factory.mktemp("cwd"),
                  {"NEWSMON_WATCHLIST": str(tiny_store_session.watchlist)})
    yield d
    d.stop()


browser = pytest.fixture(scope="module")(launch_browser)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


POINTS_JS = """(traceIndex) => {
  const gd = document.querySelector('.js-plotly-plot');
  const traces = gd.querySelectorAll('.scatterlayer .trace');
  return Array.from(traces[traceIndex].querySelectorAll('path.point')).map(p => {
    const r = p.getBoundingClientRect(); const d = p.__data__;
    return {x: r.x + r.width / 2, y: r.y + r.height / 2, value: d.y, custom: gd.data[traceIndex].customdata[d.i]};
  });
}"""


def _expected(tiny, kind: str, entity: str, bucket: str) -> int:
    """Ground truth from the records themselves, not from the dashboard's queries."""

    start = date.fromisoformat(bucket)
    return sum(
        1 for a in tiny.articles
        if start <= a.published_at.date() < start + timedelta(days=7)
        and any(m.kind == kind and m.entity_id == entity for m in a.mentions)
    )


def test_click_point_lists_exactly_its_articles_then_open_and_download(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=alice-example&bucket=week")
    wait_chart(page)
    points = page.evaluate(POINTS_JS, 0)
    best = max((p for p in points if p["value"]), key=lambda p: p["value"])
    kind, entity, bucket = best["custom"][:3]
    assert (kind, entity) == ("person", "alice-example")
    expected = _expected(tiny_store_session, kind, entity, bucket)
    assert best["value"] == expected
    page.mouse.click(best["x"], best["y"])
    page.get_by_text(f"{expected} articles behind Alice Example", exact=False).first.wait_for()
    assert f"the point's articles count is {expected}" in page.inner_text("body")

    # Open the first article in the list; its text shows the mention highlighted, saying who and which rule.
    combo = page.get_by_role("combobox", name="Open an article")
    combo.click()
    if not page.get_by_role("option").first.is_visible():
        combo.press("ArrowDown")
    page.get_by_role("option").first.click()
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


def _open_first_article(page) -> None:
    combo = page.get_by_role("combobox", name="Open an article")
    combo.click()
    if not page.get_by_role("option").first.is_visible():
        combo.press("ArrowDown")
    page.get_by_role("option").first.click()
    page.locator(".nm-body").wait_for()


def test_back_from_an_article_returns_to_the_same_list_and_selection(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=alice-example&bucket=week")
    wait_chart(page)
    points = [p for p in page.evaluate(POINTS_JS, 0) if p["value"]]
    best = max(points, key=lambda p: p["value"])
    kind, entity, bucket = best["custom"][:3]
    expected = _expected(tiny_store_session, kind, entity, bucket)
    page.mouse.click(best["x"], best["y"])
    listed = f"{expected} articles behind Alice Example, week of {bucket}"
    page.get_by_text(listed, exact=False).first.wait_for()
    page.wait_for_url(f"**sel=person%3Aalice-example%3A{bucket}**")
    list_url = page.url
    assert "article=" not in list_url

    _open_first_article(page)
    page.wait_for_url("**article=**")
    title = page.locator(".nm-title").inner_text()

    # The link, copied into a new browser context, opens the same list and article.
    copy = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    copy.set_default_timeout(30_000)
    copy.goto(page.url)
    copy.get_by_text(listed, exact=False).first.wait_for()
    copy.locator(".nm-title").wait_for()
    assert copy.locator(".nm-title").inner_text() == title
    copy.context.close()

    page.go_back()
    page.wait_for_url(list_url)
    page.locator(".nm-body").wait_for(state="detached")  # the article view is gone...
    page.get_by_text(listed, exact=False).first.wait_for()  # ...and the same list of the same point is shown
    body = page.inner_text("body")
    assert f"the point's articles count is {expected}" in body
    assert page.url == list_url

    # Forward reopens the article; the list can open it again after Back (nothing stays chosen).
    page.go_forward()
    page.locator(".nm-title").wait_for()
    assert page.locator(".nm-title").inner_text() == title
    page.go_back()
    page.locator(".nm-body").wait_for(state="detached")
    _open_first_article(page)
    assert page.locator(".nm-title").inner_text() == title
    page.get_by_text(listed, exact=False).first.wait_for()

    # Another point, then Back: the first point's list again; a click on the other point still counts.
    def click_point(day: str) -> None:
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        wait_chart(page)
        p = next(p for p in page.evaluate(POINTS_JS, 0) if p["custom"][2] == day)
        page.mouse.click(p["x"], p["y"])

    other_day = next(p for p in points if p is not best)["custom"][2]
    other_listed = f"articles behind Alice Example, week of {other_day[:10]}"
    click_point(other_day)
    page.get_by_text(other_listed, exact=False).first.wait_for()
    page.go_back()
    page.get_by_text(listed, exact=False).first.wait_for()
    click_point(other_day)
    page.get_by_text(other_listed, exact=False).first.wait_for()


def test_back_after_a_filter_change_restores_the_filters(dashboard, page):
    page.goto(f"{dashboard.url}/explore?people=alice-example")
    wait_chart(page)
    weekly = _traces(page)
    page.get_by_role("combobox", name="Per").click()
    page.get_by_role("option", name="month").click()
    page.wait_for_url("**bucket=month**")
    page.wait_for_function("n => document.querySelector('.js-plotly-plot')._fullData[0].x.length < n",
                           arg=len(weekly[0]["x"]))
    page.go_back()
    page.wait_for_url(lambda url: "bucket=" not in url)
    page.wait_for_function("n => document.querySelector('.js-plotly-plot')._fullData[0].x.length === n",
                           arg=len(weekly[0]["x"]))
    page.wait_for_timeout(500)
    assert "bucket=" not in page.url  # the session did not write its newer filters back over the URL
    assert _traces(page) == weekly  # drawn from the sidebar's filters, which followed the URL back


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
    return sum(1 for a in tiny.articles
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


def test_why_the_spike_explains_every_boxed_point_then_lists_them_in_explore(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/?people=carol-test&bucket=month")
    wait_chart(page)
    points = [p for p in page.evaluate(POINTS_JS, 0) if p["value"]]
    assert [p["custom"][2][:10] for p in points] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    _box_select(page, points[0], points[1])
    expected = _carol_before_march(tiny_store_session)
    covers = "2 selected points: Carol Test (months of 2024-01-01, 2024-02-01)"
    page.get_by_text(covers, exact=False).first.wait_for()
    assert f"{covers}. {expected} articles compared with" in page.inner_text("body")
    page.get_by_role("button", name="List the articles behind 2 selected point(s) in Explore").click()
    page.get_by_text(f"{expected} articles behind 2 selected points", exact=False).first.wait_for()
    page.wait_for_url("**/explore?**sel=person%3Acarol-test%3A2024-01-01%2Cperson%3Acarol-test%3A2024-02-01**")


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
    assert "guessed" in page.inner_text("body")  # published_source "fetched" is flagged
    page.wait_for_timeout(500)
    assert dialogs == []


def _traces(page) -> list[dict]:
    return page.evaluate("""() => document.querySelector('.js-plotly-plot')._fullData
        .filter(t => t.type === 'scatter' && t.name !== 'Spike')
        .map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y), custom: t.customdata}))""")


def test_filter_by_person_in_the_sidebar_and_by_date_in_the_url(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=bob-sample&bucket=day&start=2024-02-01&end=2024-02-29")
    wait_chart(page)
    (trace,) = _traces(page)
    assert trace["name"] == "Bob Sample"
    days = [c[2] for c in trace["custom"]]
    assert days[0] == "2024-02-01" and days[-1] == "2024-02-29"
    for c, y in zip(trace["custom"], trace["y"], strict=True):
        want = sum(1 for a in tiny_store_session.articles if a.published_at.date().isoformat() == c[2]
                   and any(m.entity_id == "bob-sample" for m in a.mentions))
        stored = sum(1 for a in tiny_store_session.articles if a.published_at.date().isoformat() == c[2])
        assert (y is None or y != y) if stored == 0 else (y == want), c  # a gap: no value, not 0
    # Add a person through the sidebar's multiselect: a second line appears and the URL says so.
    page.get_by_role("combobox", name="People").click()
    page.get_by_role("option", name="Carol Test (36)").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullData"
                           ".filter(t => t.type === 'scatter').length === 2")
    assert [t["name"] for t in _traces(page)] == ["Bob Sample", "Carol Test"]
    page.wait_for_url("**people=bob-sample%2Ccarol-test**")


def test_a_copied_url_restores_the_same_view(dashboard, browser, page):
    page.goto(f"{dashboard.url}/explore?people=alice-example")
    wait_chart(page)
    page.get_by_text("Share of articles").click()
    page.wait_for_url("**scale=share**")
    page.get_by_role("combobox", name="Per").click()
    page.get_by_role("option", name="month").click()
    page.wait_for_url("**bucket=month**")
    wait_chart(page)
    url = page.url
    before = _traces(page)
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(url)
    wait_chart(other)
    other.wait_for_timeout(500)
    assert _traces(other) == before
    assert other.evaluate("() => document.querySelector('.js-plotly-plot').layout.yaxis.tickformat") == ".1%"
    assert other.get_by_role("radio", name="Share of articles").is_checked()
    other.context.close()


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


def _both(tiny, a: str, b: str) -> int:
    """Articles that mention both people: ground truth from the records."""
    return sum(1 for art in tiny.articles if {a, b} <= {m.entity_id for m in art.mentions if m.kind == "person"})


def _click_custom(page, want) -> None:
    """Click the point of the page's first chart whose custom data starts with `want`."""
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    wait_chart(page)
    p = next(p for p in page.evaluate(POINTS_JS, 0) if p["custom"][:len(want)] == list(want))
    page.mouse.click(p["x"], p["y"])


def test_co_mentions_cell_and_article_survive_back_and_a_copied_url(dashboard, browser, page, tiny_store_session):
    page.goto(f"{dashboard.url}/entities?people=alice-example,bob-sample,carol-test")
    wait_chart(page)
    expected = _both(tiny_store_session, "alice-example", "bob-sample")
    _click_custom(page, ["alice-example", "bob-sample"])
    listed = f"{expected} articles behind Alice Example with Bob Sample"
    page.get_by_text(listed, exact=False).first.wait_for()
    page.wait_for_url("**pair=alice-example%3Abob-sample**")
    list_url = page.url
    assert "article=" not in list_url

    _open_first_article(page)
    page.wait_for_url("**article=**")
    article_url, title = page.url, page.locator(".nm-title").inner_text()
    page.go_back()
    page.wait_for_url(list_url)
    page.locator(".nm-body").wait_for(state="detached")
    page.get_by_text(listed, exact=False).first.wait_for()  # the same cell's list
    _open_first_article(page)  # nothing stays chosen: the list opens it again
    assert page.locator(".nm-title").inner_text() == title

    # Another cell, then Back: the first cell's list again.
    other = _both(tiny_store_session, "bob-sample", "carol-test")
    _click_custom(page, ["bob-sample", "carol-test"])
    page.get_by_text(f"{other} articles behind Bob Sample with Carol Test", exact=False).first.wait_for()
    assert "article=" not in page.url
    page.go_back()
    page.wait_for_url("**article=**")  # the history entry before the click had the article open
    page.get_by_text(listed, exact=False).first.wait_for()
    page.locator(".nm-title").wait_for()

    # Copied links restore the list, and the list with its article, in a new browser context.
    other_page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other_page.set_default_timeout(30_000)
    other_page.goto(list_url)
    other_page.get_by_text(listed, exact=False).first.wait_for()
    assert other_page.locator(".nm-body").count() == 0
    other_page.goto(article_url)
    other_page.get_by_text(listed, exact=False).first.wait_for()
    other_page.locator(".nm-title").wait_for()
    assert other_page.locator(".nm-title").inner_text() == title
    other_page.context.close()


def test_overview_selection_survives_back_a_trip_to_explore_and_a_copied_url(dashboard, browser, page,
                                                                            tiny_store_session):
    page.goto(f"{dashboard.url}/?people=carol-test&bucket=month")
    wait_chart(page)
    january = "1 selected point: Carol Test (month of 2024-01-01)"
    _click_custom(page, ["person", "carol-test", "2024-01-01"])
    page.get_by_text(january, exact=False).first.wait_for()
    page.wait_for_url("**sel=person%3Acarol-test%3A2024-01-01**")
    jan_url = page.url
    _click_custom(page, ["person", "carol-test", "2024-02-01"])
    page.get_by_text("1 selected point: Carol Test (month of 2024-02-01)", exact=False).first.wait_for()
    page.go_back()  # the January selection again, explained again
    page.wait_for_url(jan_url)
    page.get_by_text(january, exact=False).first.wait_for()
    assert "month of 2024-02-01" not in page.inner_text("body")

    # On to Explore's list of the same point, open an article, Back: the same list.
    in_jan = sum(1 for a in tiny_store_session.articles if a.published_at.date() < date(2024, 2, 1)
                 and any(m.entity_id == "carol-test" for m in a.mentions))
    page.get_by_role("button", name="List the articles behind 1 selected point(s) in Explore").click()
    listed = f"{in_jan} articles behind Carol Test, month of 2024-01-01"
    page.get_by_text(listed, exact=False).first.wait_for()
    page.wait_for_url("**/explore?**sel=person%3Acarol-test%3A2024-01-01**")
    explore_url = page.url
    _open_first_article(page)
    page.wait_for_url("**article=**")
    page.go_back()
    page.wait_for_url(explore_url)
    page.locator(".nm-body").wait_for(state="detached")
    page.get_by_text(listed, exact=False).first.wait_for()
    page.go_back()  # and Back again: the Overview with its selection explained
    page.wait_for_url(jan_url)
    page.get_by_text(january, exact=False).first.wait_for()

    # A copied Overview link shows the same selection explained.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.set_default_timeout(30_000)
    other.goto(jan_url)
    other.get_by_text(january, exact=False).first.wait_for()
    other.get_by_role("button", name="List the articles behind 1 selected point(s) in Explore").wait_for()
    other.context.close()


def test_the_page_menu_keeps_the_filters_and_back_returns_to_the_selection(dashboard, page, tiny_store_session):
    start = (f"{dashboard.url}/explore?people=bob-sample&bucket=month"
             f"&sel=person%3Abob-sample%3A2024-01-01&article={tiny_store_session.hostile_id}")
    page.goto(start)
    page.locator(".nm-body").wait_for()
    listed = "articles behind Bob Sample, month of 2024-01-01"
    page.get_by_text(listed, exact=False).first.wait_for()
    page.locator("[data-testid=stSidebar]").get_by_role("link", name="People & topics").click()
    page.wait_for_url("**/entities?**")
    page.get_by_role("heading", name="People & topics").wait_for()
    assert "people=bob-sample" in page.url and "bucket=month" in page.url  # the filters came along...
    assert "sel=" not in page.url and "article=" not in page.url  # ...not Explore's own selection
    page.wait_for_timeout(500)
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert "Bob Sample" in sidebar
    page.go_back()
    page.wait_for_url(start)
    page.locator(".nm-body").wait_for()
    page.get_by_text(listed, exact=False).first.wait_for()
