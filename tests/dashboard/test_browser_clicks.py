"""A click on any chart lists its articles right there, on the page where it was made; the list fits 1440 px.

Real browser (Playwright, Debian's chromium) against `streamlit run` on the tiny store: AppTest cannot click a
chart. Before, a click on the Overview's timeline only explained it (the articles took a second click, through
to Explore), and the bars of "Top sources" and "Articles stored per source" did nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browserkit import POINTS_JS, open_first_article, require_chromium, settled, wait_chart

pytestmark = pytest.mark.browser

require_chromium()

BARS_JS = """(chartIndex) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[chartIndex];
  return Array.from(gd.querySelectorAll('.barlayer .trace')).flatMap((t, ti) =>
    Array.from(t.querySelectorAll('.point path')).map(p => {
      const r = p.getBoundingClientRect(); const d = p.parentNode.__data__;
      return {x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height, custom: gd.data[ti].customdata[d.i]};
    }));
}"""


def _chart_index(page, title: str) -> int:
    page.wait_for_function("(t) => Array.from(document.querySelectorAll('.js-plotly-plot .gtitle'))"
                           ".some(g => g.textContent === t)", arg=title)
    return page.evaluate("(t) => Array.from(document.querySelectorAll('.js-plotly-plot')).findIndex("
                         "gd => (gd.querySelector('.gtitle') || {}).textContent === t)", title)


def test_a_click_on_the_overview_timeline_lists_its_articles_there(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/?people=bob-sample&bucket=month")
    wait_chart(page)
    p = max((p for p in page.evaluate(POINTS_JS, 0) if p["value"]), key=lambda p: p["value"])
    page.mouse.click(p["x"], p["y"])
    month = date.fromisoformat(p["custom"][2])
    want = sum(1 for a in tiny_store_session.charted if bucket_month(a.published_at.date()) == month
               and any(m.entity_id == "bob-sample" for m in a.mentions))
    page.get_by_text(f"{want} articles behind Bob Sample, month of {month}", exact=False).first.wait_for()
    page.get_by_text("Why the spike?", exact=False).first.wait_for()  # drawn after the list, above it
    assert "/explore" not in page.url
    open_first_article(page)  # and an article opens on the Overview too
    assert "/explore" not in page.url and "article=" in page.url


def bucket_month(d: date) -> date:
    return d.replace(day=1)


def test_a_click_on_a_top_sources_bar_lists_its_articles_there(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/?people=alice-example")
    wait_chart(page)
    i = _chart_index(page, "Articles mentioning the selection, by source")
    page.locator(".js-plotly-plot").nth(i).scroll_into_view_if_needed()
    settled(page)
    bar = page.evaluate(BARS_JS, i)[0]
    page.mouse.click(bar["x"], bar["y"])
    source = bar["custom"][0]
    want = sum(1 for a in tiny_store_session.charted if a.source == source
               and any(m.entity_id == "alice-example" for m in a.mentions))
    page.get_by_text(f"{want} articles behind {source}, in the period mentioning the selection",
                     exact=False).first.wait_for()
    page.wait_for_url("**src=all%3A**")
    assert "/explore" not in page.url


def test_a_click_on_a_per_source_bar_lists_that_weeks_articles_there(dashboard, page, tiny_store_session):
    page.goto(f"{dashboard.url}/health?people=alice-example")
    i = _chart_index(page, "Articles stored per week and source")
    page.locator(".js-plotly-plot").nth(i).scroll_into_view_if_needed()
    settled(page)
    bar = max(page.evaluate(BARS_JS, i), key=lambda b: b["h"])
    page.mouse.click(bar["x"], bar["y"])
    source, week = bar["custom"][0], date.fromisoformat(bar["custom"][1])
    want = sum(1 for a in tiny_store_session.charted if a.source == source
               and week <= a.published_at.date() < week + timedelta(days=7))
    page.get_by_text(f"{want} articles behind {source}, week of {week}", exact=False).first.wait_for()
    assert page.url.split("?")[0].endswith("/health")


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    """A dashboard on a store with real-length titles and source names (the tiny store's are short enough to
    fit any column), each article naming the three people of the tiny watchlist."""
    from datetime import UTC, datetime

    from ingest.records import Article, Mention
    from ingest.store.parquet import Store, article_id, content_hash
    from tests.browserkit import Dashboard
    from tests.conftest import PEOPLE, write_tiny_watchlist

    root = tmp_path_factory.mktemp("long") / "store"
    names = list(PEOPLE.values())
    articles = []
    for n in range(30):
        title = (f"{names[n % 3]} and {names[(n + 1) % 3]} meet {names[(n + 2) % 3]} as negotiators press on with "
                 f"the next phase of the regional ceasefire talks, part {n}")
        text = f"{title}.\n\n" + " ".join(f"{p} spoke." for p in names)
        url = f"https://a-rather-long-newspaper-domain.example/politics/2024/01/{n:02d}/{'-'.join(title.split()[:8])}"
        ms = []
        for field, body in (("title", title), ("body", text)):
            for eid, name in PEOPLE.items():
                i = body.find(name)
                if i >= 0:
                    ms.append(Mention(eid, "person", field, i, i + len(name), name, "alias"))
        articles.append(Article(
            id=article_id(url), url=url, source=f"The Northern Provincial Evening Chronicle and Gazette {n % 2}",
            title=title, text=text, content_hash=content_hash(text), fetched_at=datetime(2024, 2, 1, tzinfo=UTC),
            published_at=datetime(2024, 1, 8 + n % 7, n % 24, 0, tzinfo=UTC), published_source="meta",
            authors=("Staff",), language="en", mentions=tuple(ms)))
    with Store(root).writer() as w:
        w.write_batch(articles, watchlist_version="test-1")
    watchlist = write_tiny_watchlist(root.parent / "watchlist.toml")
    d = Dashboard(root, root.parent, {"NEWSMON_WATCHLIST": str(watchlist)})
    yield d
    d.stop()


@pytest.mark.parametrize("path", ["/explore?people=alice-example,bob-sample,carol-test&sel=person:alice-example:2024-01-08",
                                  "/health?src=*2024-01-08:The%20Northern%20Provincial%20Evening%20Chronicle%20and%20Gazette%200"])
def test_every_column_of_an_article_list_is_in_view_at_1440_px(long_names, browser, path):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        page = ctx.new_page()
        page.goto(long_names.url + path)
        page.get_by_text("articles behind", exact=False).first.wait_for(timeout=30_000)
        settled(page)
        grid = page.locator("[data-testid=stDataFrame]").filter(has=page.locator("th", has_text="who / what")).first
        grid.wait_for()
        heads = grid.locator("th").all_inner_texts()
        assert {"mentions", "who / what", "link"} <= {h.strip() for h in heads}
        width = grid.evaluate("d => { const s = d.querySelector('.dvn-scroller');"
                              " return {scroll: s.scrollWidth, client: s.clientWidth}; }")
        assert width["scroll"] <= width["client"] + 1, width  # no column lies beyond the right edge
    finally:
        ctx.close()
