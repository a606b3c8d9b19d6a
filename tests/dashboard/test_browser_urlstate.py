"""Real-browser tests of the URL as the view's record: filters, chart selections, co-mention cells, the open
article and the drill-down list's order and page survive Back, Forward and a copied link (dashboard/urlstate.py).

Fixtures and helpers: tests/browserkit.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.browserkit import (
    POINTS_JS,
    click_custom,
    open_first_article,
    require_chromium,
    settled,
    traces,
    wait_chart,
    week_count,
)

pytestmark = pytest.mark.browser

require_chromium()


def test_back_from_an_article_returns_to_the_same_list_and_selection(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/explore?people=alice-example&bucket=week")
    wait_chart(page)
    points = [p for p in page.evaluate(POINTS_JS, 0) if p["value"]]
    best = max(points, key=lambda p: p["value"])
    kind, entity, bucket = best["custom"][:3]
    expected = week_count(tiny_store_session, kind, entity, bucket)
    page.mouse.click(best["x"], best["y"])
    listed = f"{expected} articles behind Alice Example, week of {bucket}"
    page.get_by_text(listed, exact=False).first.wait_for()
    page.wait_for_url(f"**sel=person%3Aalice-example%3A{bucket}**")
    list_url = page.url
    assert "article=" not in list_url

    open_first_article(page)
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
    open_first_article(page)
    assert page.locator(".nm-title").inner_text() == title
    page.get_by_text(listed, exact=False).first.wait_for()

    # Another point, then Back: the first point's list again; a click on the other point still counts.
    other_day = next(p for p in points if p is not best)["custom"][2]
    other_listed = f"articles behind Alice Example, week of {other_day[:10]}"
    click_custom(page, [kind, entity, other_day])
    page.get_by_text(other_listed, exact=False).first.wait_for()
    page.go_back()
    page.get_by_text(listed, exact=False).first.wait_for()
    click_custom(page, [kind, entity, other_day])
    page.get_by_text(other_listed, exact=False).first.wait_for()


def test_back_after_a_filter_change_restores_the_filters(dashboard, page):
    page.goto(f"{dashboard.url}/explore?people=alice-example")
    wait_chart(page)
    weekly = traces(page)
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
    assert traces(page) == weekly  # drawn from the sidebar's filters, which followed the URL back


def test_a_copied_url_restores_the_same_view(dashboard, browser, page):
    page.goto(f"{dashboard.url}/explore?people=alice-example")
    wait_chart(page)
    page.get_by_text("Share of articles").click()
    page.wait_for_url("**scale=share**")
    page.get_by_role("combobox", name="Per").click()
    page.get_by_role("option", name="month").click()
    page.wait_for_url("**bucket=month**")
    wait_chart(page)
    # the URL changes before the chart is redrawn: wait for the monthly points (three months) before reading them
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullData[0].x.length === 3")
    url = page.url
    before = traces(page)
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(url)
    wait_chart(other)
    other.wait_for_timeout(500)
    assert traces(other) == before
    assert other.evaluate("() => document.querySelector('.js-plotly-plot').layout.yaxis.tickformat") == ".1%"
    assert other.get_by_role("radio", name="Share of articles").is_checked()
    other.context.close()


def _both(tiny, a: str, b: str) -> int:
    """Articles that mention both people: ground truth from the records."""
    return sum(1 for art in tiny.charted if {a, b} <= {m.entity_id for m in art.mentions if m.kind == "person"})


def test_co_mentions_cell_and_article_survive_back_and_a_copied_url(dashboard, browser, page, tiny_store_session):
    page.goto(f"{dashboard.url}/entities?people=alice-example,bob-sample,carol-test")
    wait_chart(page)
    expected = _both(tiny_store_session, "alice-example", "bob-sample")
    click_custom(page, ["alice-example", "bob-sample"])
    listed = f"{expected} articles behind Alice Example with Bob Sample"
    page.get_by_text(listed, exact=False).first.wait_for()
    page.wait_for_url("**pair=alice-example%3Abob-sample**")
    list_url = page.url
    assert "article=" not in list_url

    open_first_article(page)
    page.wait_for_url("**article=**")
    article_url, title = page.url, page.locator(".nm-title").inner_text()
    page.go_back()
    page.wait_for_url(list_url)
    page.locator(".nm-body").wait_for(state="detached")
    page.get_by_text(listed, exact=False).first.wait_for()  # the same cell's list
    open_first_article(page)  # nothing stays chosen: the list opens it again
    assert page.locator(".nm-title").inner_text() == title

    # Another cell, then Back: the first cell's list again.
    other = _both(tiny_store_session, "bob-sample", "carol-test")
    click_custom(page, ["bob-sample", "carol-test"])
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


def test_overview_selection_survives_back_an_open_article_and_a_copied_url(dashboard, browser, page,
                                                                          tiny_store_session):
    page.goto(f"{dashboard.url}/?people=carol-test&bucket=month")
    wait_chart(page)
    january = "1 selected point: Carol Test (month of 2024-01-01)"
    click_custom(page, ["person", "carol-test", "2024-01-01"])
    page.get_by_text(january, exact=False).first.wait_for()
    page.wait_for_url("**sel=person%3Acarol-test%3A2024-01-01**")
    jan_url = page.url
    click_custom(page, ["person", "carol-test", "2024-02-01"])
    page.get_by_text("1 selected point: Carol Test (month of 2024-02-01)", exact=False).first.wait_for()
    page.go_back()  # the January selection again, explained again
    page.wait_for_url(jan_url)
    page.get_by_text(january, exact=False).first.wait_for()
    assert "month of 2024-02-01" not in page.inner_text("body")

    # The point's list is on the Overview itself: open an article, Back: the same list and explanation.
    in_jan = sum(1 for a in tiny_store_session.charted if a.published_at.date() < date(2024, 2, 1)
                 and any(m.entity_id == "carol-test" for m in a.mentions))
    listed = f"{in_jan} articles behind Carol Test, month of 2024-01-01"
    page.get_by_text(listed, exact=False).first.wait_for()
    open_first_article(page)
    page.wait_for_url("**article=**")
    assert "/explore" not in page.url
    page.go_back()
    page.wait_for_url(jan_url)
    page.locator(".nm-body").wait_for(state="detached")
    page.get_by_text(listed, exact=False).first.wait_for()
    page.get_by_text(january, exact=False).first.wait_for()

    # A copied Overview link shows the same selection explained.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.set_default_timeout(30_000)
    other.goto(jan_url)
    other.get_by_text(january, exact=False).first.wait_for()
    other.get_by_text(listed, exact=False).first.wait_for()
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


ALL_MONTHS = ",".join(f"person%3A{p}%3A2024-0{m}-01" for p in ("alice-example", "bob-sample", "carol-test")
                      for m in (1, 2, 3))


def _list_view(page) -> tuple[str, bool, str, str]:
    """What the list's controls show (sort column, descending, page) and the title of its first row, once the
    app has finished its run."""
    settled(page)
    sort = page.get_by_role("combobox", name="Sort by").input_value()
    desc = page.get_by_role("switch", name="Descending").is_checked()
    number = page.locator("[data-testid=stNumberInput]").filter(has_text="Page (of").locator("input").input_value()
    combo = page.get_by_role("combobox", name="Open an article")
    combo.click()
    if not page.get_by_role("option").first.is_visible():
        combo.press("ArrowDown")
    first = page.get_by_role("option").first.inner_text().split(" · ", 2)[2]
    page.keyboard.press("Escape")
    return sort, desc, number, first


def test_the_lists_order_and_page_survive_an_article_back_forward_and_a_copied_url(dashboard, browser, page,
                                                                                 tiny_store_session):
    behind = sorted(a.title for a in tiny_store_session.charted if any(m.kind == "person" for m in a.mentions))
    assert 50 < len(behind) <= 100  # two pages of 50: page 2 starts at the 51st title, A to Z
    page.goto(f"{dashboard.url}/explore?people=alice-example,bob-sample,carol-test&bucket=month&sel={ALL_MONTHS}")
    listed = f"{len(behind)} articles behind 9 selected points"
    page.get_by_text(listed, exact=False).first.wait_for()
    start_url = page.url
    assert _list_view(page)[:3] == ("date", True, "1")

    page.get_by_role("combobox", name="Sort by").click()
    page.get_by_role("option", name="title").click()
    page.wait_for_url("**sort=-title**")
    page.get_by_text("Descending", exact=True).click()
    page.wait_for_url("**sort=title**")
    box = page.locator("[data-testid=stNumberInput]").filter(has_text="Page (of 2)").locator("input")
    box.fill("2")
    box.press("Enter")
    page.wait_for_url("**sort=title&page=2**")
    list_url = page.url
    assert _list_view(page) == ("title", False, "2", behind[50])

    open_first_article(page)
    page.wait_for_url("**article=**")
    assert page.locator(".nm-title").inner_text() == behind[50]
    article_url = page.url
    assert "sort=title" in article_url and "page=2" in article_url

    page.go_back()  # the same order, page and first row, with the article closed
    page.wait_for_url(list_url)
    page.locator(".nm-body").wait_for(state="detached")
    page.get_by_text(listed, exact=False).first.wait_for()
    assert _list_view(page) == ("title", False, "2", behind[50])
    page.go_back()  # the page change was a step of its own: page 1 in the same order
    page.wait_for_url(lambda u: "page=" not in u and "sort=title" in u)
    page.wait_for_function("() => document.querySelector('[data-testid=stNumberInput] input[aria-label^=Page]')"
                           "?.value === '1'")
    assert _list_view(page) == ("title", False, "1", behind[0])
    page.go_forward()
    page.wait_for_url(list_url)
    page.wait_for_function("() => document.querySelector('[data-testid=stNumberInput] input[aria-label^=Page]')"
                           "?.value === '2'")
    assert _list_view(page) == ("title", False, "2", behind[50])

    # Copied links: the list alone, and the list with its article, in a new browser context.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.set_default_timeout(30_000)
    other.goto(list_url)
    other.get_by_text(listed, exact=False).first.wait_for()
    assert _list_view(other) == ("title", False, "2", behind[50])
    assert other.locator(".nm-body").count() == 0
    other.goto(article_url)
    other.locator(".nm-title").wait_for()
    assert other.locator(".nm-title").inner_text() == behind[50]
    assert _list_view(other) == ("title", False, "2", behind[50])
    other.context.close()

    # A new selection starts again at page 1, in the same order.
    page.goto(start_url + "&sort=title&page=2")
    page.get_by_text(listed, exact=False).first.wait_for()
    # (March: in January Alice's point lies under Carol's, 12 articles each, and a click takes the top one)
    click_custom(page, ["person", "alice-example", "2024-03-01"])
    page.get_by_text("articles behind Alice Example, month of 2024-03-01", exact=False).first.wait_for()
    page.wait_for_url(lambda u: "page=" not in u and "sort=title" in u)
    assert _list_view(page)[:3] == ("title", False, "1")
