"""dashboard/data/querylog.py: every page query registered, logged with arguments that read back exactly, replayable."""

from __future__ import annotations

import json
from datetime import date

import pytest

from dashboard.data import dispatch, health, queries, querylog
from dashboard.data.filters import Filters
from dashboard.data.selection import PairKey, PointKey, SourceKey


def test_arguments_read_back_exactly():
    f = Filters(people=("a", "b"), topics=("t",), preset="custom", start=date(2024, 1, 2), end=date(2024, 3, 4),
                bucket="day", sources=("S <b>x</b>",), languages=("",), search='"x y" z*', unique=True, rolling=3)
    args = [f, [PointKey("person", "a", date(2024, 1, 1))], [PairKey("a", "b")], "published_at", True, 50, 0,
            ["id1", "id2"], date(2024, 5, 6), SourceKey("S <b>x</b>, y", date(2024, 1, 8), False),
            SourceKey("z", None, True)]
    assert querylog.decode(json.loads(json.dumps(querylog.encode(args)))) == args


def test_the_pages_queries_are_registered():
    assert {"dispatch.timeline_counts", "dispatch.drilldown", "dispatch.source_list", "dispatch.count_articles",
            "dispatch.top_sources", "dispatch.co_mentions", "dispatch.entity_totals", "dispatch.period_article_ids",
            "dispatch.entity_article_ids", "queries.store_summary", "queries.entity_counts", "queries.coverage",
            "queries.article", "queries.article_mentions", "queries.texts", "health.source_health",
            "health.failures", "health.runs", "health.articles_per_source", "health.annotations"} <= set(querylog.QUERIES)


def test_each_outermost_call_is_logged_and_replays_to_the_same_answer(tiny_store, tmp_path, monkeypatch):
    log = tmp_path / "q.jsonl"
    monkeypatch.setenv(querylog.ENV, str(log))
    con = queries.connect(tiny_store.root, index_path=tmp_path / "i.duckdb")
    f = Filters(people=("alice-example", "bob-sample"))
    answers = [dispatch.timeline_counts(con, f), dispatch.count_articles(con, f, selected=True),
               dispatch.drilldown(con, f, [PointKey("person", "alice-example", date(2024, 3, 18))], limit=5),
               health.runs(con, limit=2)]
    records = querylog.read(log)
    assert [r["fn"] for r in records] == ["dispatch.timeline_counts", "dispatch.count_articles", "dispatch.drilldown",
                                         "health.runs"]  # the SQL each calls inside is not a line of its own
    assert all(r["error"] is None and r["ms"] >= 0 for r in records)
    monkeypatch.delenv(querylog.ENV)
    for r, want in zip(records, answers, strict=True):
        got = querylog.replay(con, r)
        assert got.equals(want) if hasattr(want, "equals") else got == want


def test_a_failing_query_is_logged_with_its_error(tiny_store, tmp_path, monkeypatch):
    log = tmp_path / "q.jsonl"
    monkeypatch.setenv(querylog.ENV, str(log))
    con = queries.connect(tiny_store.root)
    with pytest.raises(ValueError):
        dispatch.drilldown(con, Filters(people=("alice-example",)))  # no points nor pairs
    (r,) = querylog.read(log)
    assert r["fn"] == "dispatch.drilldown" and r["error"].startswith("ValueError")


def test_the_benchmark_replays_a_visits_log_and_reports_every_error(tiny_store, tmp_path, monkeypatch):
    """benchmarks/page_queries.py: each distinct logged call runs again; an error in the visit or the replay counts."""
    from benchmarks.page_queries import replay

    log = tmp_path / "q.jsonl"
    monkeypatch.setenv(querylog.ENV, str(log))
    con = queries.connect(tiny_store.root)
    f = Filters(people=("alice-example",))
    dispatch.timeline_counts(con, f)
    dispatch.timeline_counts(con, f)  # the same call twice: replayed once
    with pytest.raises(ValueError):
        dispatch.drilldown(con, f)  # fails in the visit, and again in the replay
    monkeypatch.delenv(querylog.ENV)
    rows, errors, _ = replay(tiny_store.root, tmp_path / "cache", log)
    assert {r[0]: (r[1], r[2]) for r in rows} == {"dispatch.timeline_counts": (2, 1), "dispatch.drilldown": (1, 1)}
    assert [e.split(":")[0] for e in errors] == ["visit", "replay"]
