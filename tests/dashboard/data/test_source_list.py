"""The articles behind one bar of a per-source chart (dashboard/data/source_list.py), against the records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboard.data import dispatch, health, queries
from dashboard.data.filters import Filters
from dashboard.data.selection import SourceKey, decode_sources, encode_sources, selected_sources
from tests.conftest import SOURCES


@pytest.fixture(params=["files", "index"])
def con(request, tiny_store, tmp_path):
    index = tmp_path / "index.duckdb" if request.param == "index" else None
    c = queries.connect(tiny_store.root, index_path=index)
    yield c
    c.close()


def test_a_top_sources_bar_lists_exactly_its_articles(con, tiny_store):
    f = Filters(people=("alice-example", "bob-sample"))
    top = dispatch.top_sources(con, f)
    for source, n in zip(top["source"], top["articles"], strict=True):
        want = {a.id for a in tiny_store.charted if a.source == source
                and {m.entity_id for m in a.mentions} & {"alice-example", "bob-sample"}}
        got = dispatch.source_list(con, f, SourceKey(source, None, True))
        assert len(want) == n == len(got) == int(got["n_total"].iloc[0])
        assert set(got["id"]) == want
        for row in got.itertuples():
            a = next(x for x in tiny_store.articles if x.id == row.id)
            ms = [m for m in a.mentions if m.entity_id in ("alice-example", "bob-sample")]
            assert row.mentions == len(ms) and set(row.entities) == {m.entity_id for m in ms}


def test_a_bar_of_articles_stored_lists_every_article_of_its_source_and_week(con, tiny_store):
    f = Filters(people=("carol-test",))
    per = health.articles_per_source(con, f)
    assert len(per) > 10
    for r in per.itertuples():
        week = r.bucket.date() if hasattr(r.bucket, "date") else r.bucket
        want = {a.id for a in tiny_store.charted if a.source == r.source
                and week <= a.published_at.date() < week + timedelta(days=7)}
        got = dispatch.source_list(con, f, SourceKey(r.source, week, False), sort="title", limit=None)
        assert set(got["id"]) == want and len(got) == r.articles
    # paged, and ordered by the selected people's mentions (articles without any included, with 0)
    key = SourceKey(SOURCES[0], None, False)
    every = dispatch.source_list(con, f, key, sort="mentions", descending=True)
    page = dispatch.source_list(con, f, key, sort="mentions", descending=True, limit=5, offset=5)
    assert list(page["id"]) == list(every["id"][5:10]) and int(page["n_total"].iloc[0]) == len(every)
    assert list(every["mentions"]) == sorted(every["mentions"], reverse=True) and 0 in set(every["mentions"])


def test_period_and_search_filters_apply(con, tiny_store):
    f = Filters(people=("alice-example",), start=date(2024, 2, 1), end=date(2024, 2, 29), preset="custom",
                search="ceasefire")
    got = dispatch.source_list(con, f, SourceKey(SOURCES[1], None, True))
    want = {a.id for a in tiny_store.charted if a.source == SOURCES[1]
            and date(2024, 2, 1) <= a.published_at.date() <= date(2024, 2, 29)
            and any(m.entity_id == "alice-example" for m in a.mentions)
            and "ceasefire" in (a.title + " " + a.text).lower()}
    assert set(got["id"]) == want


def test_the_url_parameter_round_trips_and_bad_values_select_nothing():
    for key in (SourceKey("A: the, source", date(2024, 1, 8), False), SourceKey("Daily", None, True)):
        assert decode_sources(encode_sources([key])) == [key]
    assert decode_sources("2024-13-01:Daily") == [] and decode_sources("nonsense") == [] and decode_sources(None) == []
    event = {"selection": {"points": [{"customdata": ["Daily", "2024-01-08"]}, {"customdata": ["Daily"]},
                                      {"customdata": [None]}, {"x": 3}]}}
    assert selected_sources(event, selected=False) == [SourceKey("Daily", date(2024, 1, 8), False),
                                                       SourceKey("Daily", None, False)]
