"""The drill-down list's sort order and page in the URL: parse/format, and a link read by the real pages (AppTest).

Back, Forward and copied links in a real browser: tests/dashboard/test_browser_urlstate.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data.filters import SORTS
from dashboard.urlstate import PAGE, PAGE_PARAMS, SORT, ListView, format_list, parse_list
from tests.paths import APP


@pytest.mark.parametrize("view, params", [
    (ListView(), {SORT: None, PAGE: None}),  # the default view leaves the URL alone
    (ListView("title", False, 2), {SORT: "title", PAGE: "2"}),
    (ListView("title", True, 1), {SORT: "-title", PAGE: None}),
    (ListView("published_at", False, 3), {SORT: "date", PAGE: "3"}),
    (ListView("mentions", True, 12), {SORT: "-mentions", PAGE: "12"}),
])
def test_format_and_parse_round_trip(view, params):
    assert format_list(view) == params
    assert parse_list({k: v for k, v in params.items() if v is not None}) == view


def test_every_sort_column_round_trips_both_ways():
    for column in SORTS:
        for desc in (True, False):
            view = ListView(column, desc, 5)
            assert parse_list({k: v for k, v in format_list(view).items() if v}) == view


@pytest.mark.parametrize("params, want", [
    ({}, ListView()),
    ({SORT: "bogus", PAGE: "2"}, ListView(page=2)),  # an unknown column: the default order, not its direction
    ({SORT: "-bogus"}, ListView()),
    ({SORT: "published_at"}, ListView()),  # the URL says "date", not the column's name
    ({SORT: "--title"}, ListView()),
    ({SORT: "Title"}, ListView()),
    ({SORT: "-"}, ListView()),
    ({PAGE: "0"}, ListView()),
    ({PAGE: "-3"}, ListView()),
    ({PAGE: "2.5"}, ListView()),
    ({PAGE: "two"}, ListView()),
    ({PAGE: "٣"}, ListView()),  # a non-ASCII digit (str.isdigit says yes, int() would read it)
    ({PAGE: "9" * 40}, ListView()),  # absurdly large: not a page number
    ({PAGE: "007", SORT: "source"}, ListView("source", False, 7)),
])
def test_bad_values_give_the_default(params, want):
    assert parse_list(params) == want


def test_the_sidebar_keeps_the_list_parameters():
    assert {SORT, PAGE} <= set(PAGE_PARAMS)  # shell.sync_url keeps PAGE_PARAMS when it rewrites the filters


ALL_MONTHS = ",".join(f"person:{p}:2024-0{m}-01" for p in ("alice-example", "bob-sample", "carol-test")
                      for m in (1, 2, 3))


def _open(monkeypatch, tiny, page: str, params: dict[str, str]) -> AppTest:
    monkeypatch.setenv("NEWSMON_STORE", str(tiny.root))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tiny.root.parent / "dashboard-cache"))
    monkeypatch.setenv("NEWSMON_WATCHLIST", str(tiny.watchlist))
    monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _explore(monkeypatch, tiny, **params) -> AppTest:
    base = {"people": "alice-example,bob-sample,carol-test", "bucket": "month", "sel": ALL_MONTHS}
    return _open(monkeypatch, tiny, "screens/explore.py", {**base, **params})


def _titles_in_the_list(at: AppTest) -> list[str]:
    box = next(s for s in at.selectbox if s.label == "Open an article")
    return [o.split(" · ", 2)[2] for o in box.options]  # AppTest holds the formatted labels


def test_a_link_with_an_order_and_a_page_beyond_the_end_shows_the_last_page_and_says_so(monkeypatch, tiny_store):
    behind = [a for a in tiny_store.charted if any(m.kind == "person" for m in a.mentions)]
    assert 50 < len(behind) <= 100  # two pages of 50
    at = _explore(monkeypatch, tiny_store, sort="title", page="9")
    assert at.selectbox(key="explore-list-sort").value == "title"
    assert at.toggle(key="explore-list-desc").value is False
    assert at.number_input(key="explore-list-page").value == 2 and at.number_input(key="explore-list-page").label == "Page (of 2)"
    assert any("The link asks for page 9; this list has 2: showing the last one." in c.value for c in at.caption)
    titles = sorted(a.title for a in behind)
    assert _titles_in_the_list(at) == titles[50:]  # the second page, by title A to Z
    assert at.query_params[PAGE] in ("9", ["9"])  # the link is kept as given (no history entry is written)


def test_a_link_with_bad_list_values_shows_the_default_order_at_page_one(monkeypatch, tiny_store):
    at = _explore(monkeypatch, tiny_store, sort="-nonsense", page="x")
    assert at.selectbox(key="explore-list-sort").value == "published_at"
    assert at.toggle(key="explore-list-desc").value is True
    assert at.number_input(key="explore-list-page").value == 1
    assert not any("The link asks for page" in c.value for c in at.caption)
    assert len(_titles_in_the_list(at)) == 50


def test_changing_the_order_in_the_list_writes_it_to_the_url_and_goes_back_to_page_one(monkeypatch, tiny_store):
    at = _explore(monkeypatch, tiny_store, page="2")
    at.selectbox(key="explore-list-sort").select("mentions").run()
    assert not at.exception, at.exception
    assert at.query_params[SORT] in ("-mentions", ["-mentions"]) and PAGE not in at.query_params
    assert at.number_input(key="explore-list-page").value == 1
    at.number_input(key="explore-list-page").set_value(2).run()
    assert at.query_params[PAGE] in ("2", ["2"]) and at.query_params[SORT] in ("-mentions", ["-mentions"])
    at.toggle(key="explore-list-desc").set_value(False).run()
    assert at.query_params[SORT] in ("mentions", ["mentions"]) and PAGE not in at.query_params


def test_the_co_mention_list_reads_its_order_from_the_url_too(monkeypatch, tiny_store):
    params = {"people": "alice-example,bob-sample", "pair": "alice-example:bob-sample", "sort": "-title"}
    at = _open(monkeypatch, tiny_store, "screens/entities.py", params)
    both = [a.title for a in tiny_store.charted
            if {"alice-example", "bob-sample"} <= {m.entity_id for m in a.mentions if m.kind == "person"}]
    assert at.selectbox(key="co-list-sort").value == "title" and at.toggle(key="co-list-desc").value is True
    assert _titles_in_the_list(at) == sorted(both, reverse=True)[:50]
