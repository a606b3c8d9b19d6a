"""AppTest smoke tests: every page renders on the tiny store, an empty store gets a sentence, a password hides data.

AppTest cannot click chart points (see test_browser.py for that); selection handling is tested in test_selection.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.escape import markdown_text
from tests.paths import APP

PAGES = ["screens/overview.py", "screens/explore.py", "screens/entities.py", "screens/health.py"]


FILTERS_LATER = "The filters come once the chart is drawn."


def filters_pending(at: AppTest) -> bool:
    """The session's first run drew a chart and holds the filters back until the browser says it is drawn."""
    return any(c.value == FILTERS_LATER for c in at.sidebar.caption)


def run(monkeypatch, store: Path, page: str | None = None, params: dict | None = None, watchlist=None,
        first_only: bool = False) -> AppTest:
    """The app opened on `params` (and switched to `page`); unless `first_only`, also the rerun that the browser
    asks for once the first chart is drawn (dashboard/shell.py, `filters_after_page`), which draws the filters."""
    monkeypatch.setenv("NEWSMON_STORE", str(store))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(store.parent / "dashboard-cache"))
    if watchlist:
        monkeypatch.setenv("NEWSMON_WATCHLIST", str(watchlist))
    monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if not first_only and filters_pending(at):
        at.run()
    if page:
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_without_error(monkeypatch, tiny_store, page):
    at = run(monkeypatch, tiny_store.root, page, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    assert at.title and at.title[0].value
    assert not at.warning


@pytest.mark.parametrize("page", PAGES)
def test_empty_store_says_so(monkeypatch, empty_store, page):
    at = run(monkeypatch, empty_store.root, page)
    assert not at.exception
    assert any("no articles yet" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_missing_store_says_so(monkeypatch, tmp_path):
    at = run(monkeypatch, tmp_path / "nowhere")
    assert not at.exception
    assert any("No newsmon store" in i.value for i in at.info)


def test_query_params_restore_the_view(monkeypatch, tiny_store):
    params = {"people": "carol-test", "topics": "ceasefire", "bucket": "month", "scale": "share",
              "sources": "Example Post", "search": "talks"}
    at = run(monkeypatch, tiny_store.root, params=params, watchlist=tiny_store.watchlist)
    assert at.multiselect(key="f_people").value == ["carol-test"]
    assert at.multiselect(key="f_topics").value == ["ceasefire"]
    assert at.selectbox(key="f_bucket").value == "month"
    assert at.radio(key="f_scale").value == "share"
    assert at.multiselect(key="f_sources").value == ["Example Post"]
    assert at.text_input(key="f_search").value == "talks"
    # the URL still says exactly this view after the run (AppTest keeps each value as a one-item list)
    assert {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()} == params


def test_changing_a_filter_updates_the_url(monkeypatch, tiny_store):
    at = run(monkeypatch, tiny_store.root, watchlist=tiny_store.watchlist)
    at.selectbox(key="f_bucket").set_value("day").run()
    got = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert got["bucket"] == "day"


def test_article_link_shows_escaped_text(monkeypatch, tiny_store):
    at = run(monkeypatch, tiny_store.root, "screens/explore.py", params={"article": tiny_store.hostile_id},
             watchlist=tiny_store.watchlist)
    assert not at.exception
    html = [e.proto.body for e in at.get("html")]
    assert len(html) == 1
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html[0] and "<script>" not in html[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html[0] and "<img" not in html[0]
    assert any(markdown_text("no date found in the page") in m.value for m in at.markdown)  # "fetched" is flagged


def test_password_gate_shows_no_data(monkeypatch, tiny_store):
    monkeypatch.setenv("NEWSMON_STORE", str(tiny_store.root))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tiny_store.root.parent / "dashboard-cache"))
    monkeypatch.setenv("NEWSMON_PASSWORD", "s3cret")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert not at.get("plotly_chart") and not at.get("arrow_data_frame") and not at.multiselect
    shown = " ".join(str(e.value) for e in list(at.markdown) + list(at.caption) + list(at.title))
    assert "Alice" not in shown and "alice-example" not in shown and "Daily Fiction" not in shown
    at.text_input[0].input("wrong")
    at.button[0].click().run()
    assert at.error and not at.get("plotly_chart")
    at.text_input[0].input("s3cret")
    at.button[0].click().run()
    at.switch_page("screens/explore.py").run()
    assert at.get("plotly_chart")


def test_a_selection_in_the_url_lists_its_articles(monkeypatch, tiny_store):
    from datetime import date, timedelta

    week = date(2024, 1, 8)
    want = sum(1 for a in tiny_store.charted if week <= a.published_at.date() < week + timedelta(days=7)
               and any(m.entity_id == "alice-example" for m in a.mentions))
    params = {"people": "alice-example", "sel": f"person:alice-example:{week},bogus,person:nobody:x"}
    at = run(monkeypatch, tiny_store.root, "screens/explore.py", params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    shown = markdown_text(f"Alice Example, week of {week}")  # names are escaped: a page may have chosen them
    assert any(m.value.startswith(f"**{want:,} articles** behind {shown}") for m in at.markdown)
    assert at.query_params["sel"] in (params["sel"], [params["sel"]])  # kept as given: the URL is the selection's record


def test_a_co_mention_cell_and_an_article_in_the_url_are_restored(monkeypatch, tiny_store):
    both = [a for a in tiny_store.charted
            if {"alice-example", "bob-sample"} <= {m.entity_id for m in a.mentions if m.kind == "person"}]
    assert both
    params = {"people": "alice-example,bob-sample", "pair": "bob-sample:alice-example,bogus", "article": both[0].id}
    at = run(monkeypatch, tiny_store.root, "screens/entities.py", params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    assert any(m.value.startswith(f"**{len(both):,} articles** behind Alice Example with Bob Sample")
               for m in at.markdown)
    opened = f"**{markdown_text(both[0].source)}** · {markdown_text(f'{both[0].published_at:%Y-%m-%d %H:%M} UTC')}"
    assert any(m.value.startswith(opened) for m in at.markdown)  # the open article is shown
    assert len(at.get("html")) == 1


def test_an_overview_selection_in_the_url_explains_it_again(monkeypatch, tiny_store):
    from datetime import date

    params = {"people": "carol-test", "bucket": "month", "sel": "person:carol-test:2024-01-01,person:nobody:2024-01-01"}
    at = run(monkeypatch, tiny_store.root, "screens/overview.py", params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    assert any(f"**Why the spike?** 1 selected point: {markdown_text('Carol Test (month of 2024-01-01)')}" in m.value
               for m in at.markdown)
    # ... and lists the point's articles right there, no click through to Explore
    want = sum(1 for a in tiny_store.charted if a.published_at.date() < date(2024, 2, 1)
               and any(m.entity_id == "carol-test" for m in a.mentions))
    assert any(m.value.startswith(f"**{want:,} articles** behind {markdown_text('Carol Test, month of 2024-01-01')}")
               for m in at.markdown)
    assert not any("in Explore" in b.label for b in at.button)


def _figures(at: AppTest) -> list[dict]:
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.spec]


def test_the_timeline_title_says_what_is_counted(monkeypatch, tiny_store):
    at = run(monkeypatch, tiny_store.root, params={"people": "alice-example", "measure": "mentions"},
             watchlist=tiny_store.watchlist)
    titles = [f["layout"].get("title", {}).get("text") for f in _figures(at)]
    assert "Mentions of each person (every match in a title or text), per week" in titles
    assert "Mentions over time" not in titles


def test_partial_buckets_of_a_custom_period_are_marked(monkeypatch, tiny_store):
    params = {"people": "alice-example", "start": "2024-01-04", "end": "2024-03-20"}  # Thursday to Wednesday
    at = run(monkeypatch, tiny_store.root, "screens/explore.py", params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    note = " ".join(c.value for c in at.caption)
    assert "Partial: the week of 2024-01-01 (4 days) and the week of 2024-03-18 (3 days)" in note
    fig = next(f for f in _figures(at) if f["data"][0].get("name") == "Alice Example")
    assert [a["text"] for a in fig["layout"]["annotations"] if a["text"] == "partial"] == ["partial", "partial"]
    hollow = next(t for t in fig["data"] if t.get("name") == "Partial")  # the first and the last week's points
    assert [str(x)[:10] for x in hollow["x"]] == [fig["data"][0]["x"][0][:10], fig["data"][0]["x"][-1][:10]]


def test_a_top_sources_bar_in_the_url_lists_its_articles_on_the_overview(monkeypatch, tiny_store):
    source = "The Sample Times"
    want = sum(1 for a in tiny_store.charted if a.source == source
               and any(m.entity_id == "bob-sample" for m in a.mentions))
    params = {"people": "bob-sample", "src": f"all:{source}"}
    at = run(monkeypatch, tiny_store.root, params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    label = markdown_text(f"{source}, in the period mentioning the selection")
    assert any(m.value.startswith(f"**{want:,} articles** behind {label}") for m in at.markdown)


def test_a_per_source_bar_in_the_url_lists_its_articles_on_sources_and_health(monkeypatch, tiny_store):
    from datetime import date, timedelta

    source, week = "Daily Fiction", date(2024, 1, 8)
    want = sum(1 for a in tiny_store.charted if a.source == source
               and week <= a.published_at.date() < week + timedelta(days=7))
    assert want
    params = {"people": "bob-sample", "src": f"*{week}:{source}", "search": "nothing-matches-this"}
    at = run(monkeypatch, tiny_store.root, "screens/health.py", params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    # the chart counts every article stored, whatever the search: so does its list
    label = markdown_text(f"{source}, week of {week}")
    assert any(m.value.startswith(f"**{want:,} articles** behind {label}") for m in at.markdown)


@pytest.mark.parametrize("param, word", [(None, "left out."), ("True", "included.")])
def test_articles_dated_by_their_fetch_are_counted_in_the_sidebar_and_the_choice_is_in_the_url(
        monkeypatch, tiny_store, param, word):
    n = sum(1 for a in tiny_store.articles if a.published_source == "fetched")
    params = {"people": "alice-example"} | ({"fetched": param} if param else {})
    at = run(monkeypatch, tiny_store.root, params=params, watchlist=tiny_store.watchlist)
    assert not at.exception, at.exception
    assert at.toggle(key="f_fetched").value is bool(param)
    assert any(c.value.startswith(f"{n:,} articles in this period have no publication date") and c.value.endswith(word)
               for c in at.sidebar.caption)
    assert at.query_params.get("fetched") == ([param] if param else None) or at.query_params.get("fetched") == param
    shown = at.metric[1].value  # "Mentioning the selection"
    want = sum(1 for a in (tiny_store.articles if param else tiny_store.charted)
               if any(m.entity_id == "alice-example" for m in a.mentions))
    assert shown == f"{want:,}"


def test_the_overview_sends_its_top_sources_and_terms_after_the_timeline_on_opening(monkeypatch, tiny_store):
    """dashboard/afterchart.py: the first run shows a caption where they go (the browser sends a trigger once the
    timeline is drawn, tested in tests/dashboard/test_browser_afterchart.py); every later run draws them."""
    params = {"people": "alice-example,bob-sample"}
    at = run(monkeypatch, tiny_store.root, params=params, watchlist=tiny_store.watchlist, first_only=True)
    assert not at.exception, at.exception
    assert len(_figures(at)) == 1  # the timeline alone
    assert not [h for h in at.subheader if h.value == "Top co-occurring terms"]
    assert any("come once the timeline is drawn" in c.value for c in at.caption)
    assert filters_pending(at) and not at.sidebar.multiselect  # the filters too (dashboard/shell.py)
    at.run()  # any later run: the browser's, once the chart is drawn; a filter changed, a click
    assert [m.key for m in at.sidebar.multiselect][:2] == ["f_people", "f_topics"] and not filters_pending(at)
    assert not at.exception, at.exception
    assert [h.value for h in at.subheader if h.value in ("Top sources", "Top co-occurring terms")] == [
        "Top sources", "Top co-occurring terms"]
    assert len(_figures(at)) == 2 and any(c.value.startswith("In the newest") for c in at.caption)  # the terms'
    assert not any("come once the timeline is drawn" in c.value for c in at.caption)


def test_the_first_run_draws_its_chart_for_the_filters_the_widgets_then_show(monkeypatch, tiny_store):
    """The first run holds the widgets back: its filters come from the URL, and the widgets drawn by the next run
    show exactly them; the URL is the same after both runs."""
    params = {"people": "carol-test", "bucket": "day", "scale": "share", "rolling": "3"}
    at = run(monkeypatch, tiny_store.root, params=params, watchlist=tiny_store.watchlist, first_only=True)
    assert not at.exception and filters_pending(at)
    first, url = at.session_state["_newsmon_ctx"].filters, dict(at.query_params)
    at.run()
    assert not at.exception and not filters_pending(at)
    assert at.session_state["_newsmon_ctx"].filters == first and dict(at.query_params) == url
    sb = at.sidebar
    assert sb.multiselect(key="f_people").value == ["carol-test"] and sb.selectbox(key="f_bucket").value == "day"
    assert sb.radio(key="f_scale").value == "share" and sb.number_input(key="f_rolling").value == 3


def test_an_overview_with_no_timeline_draws_the_rest_at_once(monkeypatch, tiny_store):
    """No article in the period mentions the selection: no chart will ever draw, so nothing waits for one."""
    params = {"people": "alice-example", "start": "2019-01-01", "end": "2019-01-31"}
    at = run(monkeypatch, tiny_store.root, params=params, watchlist=tiny_store.watchlist, first_only=True)
    assert not at.exception, at.exception
    assert any("No article in this period mentions" in i.value for i in at.info)
    assert not filters_pending(at) and at.sidebar.multiselect(key="f_people").value == ["alice-example"]
    assert at.sidebar.date_input(key="f_dates").value == (date(2019, 1, 1), date(2019, 1, 31))
    assert not _figures(at)
    assert "Top co-occurring terms" in [h.value for h in at.subheader]
    assert not any("come once the timeline is drawn" in c.value for c in at.caption)
