"""The sidebar's chosen people stay chosen when their labels change (in a real browser: the browser sends back
the labels it showed).

A server opened on a store for the first time shows names only while it builds the store's index, then names
with their article counts. The next action sent the old label back, Streamlit found no option with it, and the
chosen person became the string "Alice Example": the URL said `people=Alice+Example` and the charts were empty.
"""

from __future__ import annotations

import pytest

from tests.browserkit import Dashboard, require_chromium, settled, wait_chart
from tests.conftest import build_tiny_store

pytestmark = pytest.mark.browser
require_chromium()


def test_chosen_people_stay_ids_when_the_index_is_built_and_their_labels_change(browser, tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    d = Dashboard(tiny.root, tmp_path, {"NEWSMON_WATCHLIST": str(tiny.watchlist)})  # a fresh cache: no index yet
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{d.url}/explore?people=alice-example")
        wait_chart(page)
        chip = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first  # People
        for bucket in ("month", "week", "month", "week"):  # reruns until the counts are in the label, and one more
            settled(page)
            page.get_by_role("combobox", name="Per").click()
            page.get_by_role("option", name=bucket, exact=True).click()
            page.wait_for_url(f"**bucket={bucket}**" if bucket != "week" else "**/explore?**")
            settled(page)
            if "(" in chip.inner_text() and bucket == "week":
                break
        assert "(" in chip.inner_text(), chip.inner_text()  # the label now has the count
        page.get_by_role("combobox", name="Per").click()
        page.get_by_role("option", name="day", exact=True).click()
        page.wait_for_url("**bucket=day**")
        settled(page)
        wait_chart(page)
        assert "people=alice-example" in page.url, page.url
        assert "No article in this period" not in page.inner_text("body")
    finally:
        ctx.close()
        d.stop()
