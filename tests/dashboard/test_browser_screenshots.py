"""The docs' screenshots of the dashboard's views (docs/screenshots/*.png), made in a real browser from a store.

Runs only with NEWSMON_SCREENSHOT_STORE=<store> (`make screenshot` sets it to the demo store): each view is
opened at 1440 px the way a user gets there (a click on a chart, not a crafted URL where a click is the point),
and written to docs/screenshots/. The README's docs/screenshot.png is made by tests/dashboard/test_browser.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browserkit import POINTS_JS, Dashboard, require_chromium, settled, wait_chart
from tests.paths import REPO

pytestmark = pytest.mark.browser

require_chromium()

OUT = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = os.environ.get("NEWSMON_SCREENSHOT_STORE")
    if not store:
        pytest.skip("set NEWSMON_SCREENSHOT_STORE=<demo store> to regenerate docs/screenshots/")
    d = Dashboard(Path(store).resolve(), tmp_path_factory.mktemp("shots"))
    yield d
    d.stop()


HEIGHTS = {"overview_click": 2600, "co_mentions": 1700, "sources_and_health": 2000}  # the view in one image


@pytest.fixture
def shot(browser, request):
    height = next((h for k, h in HEIGHTS.items() if k in request.node.name), 1000)
    # Streamlit scrolls its main area, not the page: a full-page shot is the viewport, so make it tall enough
    ctx = browser.new_context(viewport={"width": 1440, "height": height}, device_scale_factor=1)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    OUT.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> None:
        settled(page)
        page.wait_for_timeout(1200)
        page.screenshot(path=str(OUT / f"{name}.png"))
        assert (OUT / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    yield page, save
    ctx.close()


def _click_highest(page) -> None:
    p = min((p for p in page.evaluate(POINTS_JS, 0) if p["value"]), key=lambda p: p["y"])
    page.mouse.click(p["x"], p["y"])


def test_screenshot_overview_click(demo, shot):
    """The Overview after a click on its highest point: the title saying what is counted, why the spike without
    the person's own forms, and the point's articles listed right there; a custom period's partial weeks."""
    page, save = shot
    page.goto(f"{demo.url}/?people=trump,macron&start=2025-06-05&end=2026-06-10")
    wait_chart(page)
    _click_highest(page)
    page.get_by_text("articles behind", exact=False).first.wait_for()
    save("overview-click")


def test_screenshot_explore_list(demo, shot):
    page, save = shot
    page.goto(f"{demo.url}/explore?people=trump,macron,starmer")
    wait_chart(page)
    _click_highest(page)
    page.get_by_text("articles behind", exact=False).first.wait_for()
    page.get_by_role("heading", name="Articles").scroll_into_view_if_needed()
    save("explore-list")


def test_screenshot_co_mentions(demo, shot):
    page, save = shot
    page.goto(f"{demo.url}/entities?people=trump,macron,starmer,merz,putin,netanyahu,zelensky")
    page.get_by_text("Mentioned together").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    save("co-mentions")


def test_screenshot_sources_and_health(demo, shot):
    page, save = shot
    page.goto(f"{demo.url}/health")
    page.locator(".js-plotly-plot .barlayer").first.wait_for()
    bar = page.evaluate("""() => { const p = Array.from(document.querySelectorAll('.barlayer .point path'))
        .sort((a, b) => b.getBoundingClientRect().height - a.getBoundingClientRect().height)[0];
        p.scrollIntoView({block: 'center'}); const r = p.getBoundingClientRect();
        return {x: r.x + r.width / 2, y: r.y + r.height / 2}; }""")
    settled(page)
    page.mouse.click(bar["x"], bar["y"])
    page.get_by_text("articles behind", exact=False).first.wait_for()
    save("sources-health")
