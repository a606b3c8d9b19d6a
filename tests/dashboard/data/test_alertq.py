"""The alert queries' entity condition: one list of ids pushed into the scan, the kind checked after, so an id that
names both a person and a topic counts only as the kind asked for."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from dashboard.data import alertq


def test_first_days_keep_only_the_kind_asked_for() -> None:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE rollup (day DATE, kind VARCHAR, entity_id VARCHAR, source VARCHAR, language VARCHAR)")
    con.executemany("INSERT INTO rollup VALUES (?, ?, ?, ?, ?)", [
        (date(2024, 1, 5), "person", "jordan", "A", "en"), (date(2024, 1, 2), "person", "jordan", "A", "en"),
        (date(2024, 1, 1), "topic", "jordan", "B", "ar"),  # the country: same id, another kind
        (date(2024, 1, 3), "person", "lee", "B", None)])
    got = alertq.first_days(con, [("person", "jordan"), ("topic", "lee")])
    assert got.to_dict("records") == [{"kind": "person", "entity_id": "jordan", "source": "A", "language": "en",
                                       "first_day": pd.Timestamp("2024-01-02")}]
    assert alertq.first_days(con, []).empty


def test_pairs_keep_only_pairs_of_the_kinds_asked_for() -> None:
    df = pd.DataFrame({"kind_a": ["person", "person", "topic"], "a": ["jordan", "jordan", "jordan"],
                       "kind_b": ["person", "topic", "topic"], "b": ["lee", "lee", "war"], "articles": [3, 2, 1]})
    got = alertq._of_kinds(df, [("person", "jordan"), ("person", "lee"), ("topic", "war")], ("kind_a", "a"),
                           ("kind_b", "b"))
    assert got["articles"].tolist() == [3]
