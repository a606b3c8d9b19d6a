"""The SQL of the alert triggers that the dashboard's own queries do not cover (dashboard/alerts/evaluate.py).

Same conventions as `queries.py` (whose condition builders it reuses): a connection and a frozen `Filters` in,
a DataFrame out, values bound, the bucket whitelisted. Spikes and thresholds need no SQL of their own: they
read the dashboard's timeline and coverage queries.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from dashboard.data.filters import Filters
from dashboard.data.queries import _base, _bucket, _day_start, _entities


def store_span(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The first and last UTC day with a dated article."""
    first, last = con.execute("SELECT min(published_at), max(published_at) FROM articles").fetchone()
    return (first.date() if first is not None else None, last.date() if last is not None else None)


def first_days(con: duckdb.DuckDBPyConnection, entities: list[tuple[str, str]]) -> pd.DataFrame:
    """The first day each entity was mentioned, per source and language: kind, entity_id, source, language,
    first_day. One scan of the per-day rollup for every first-seen rule at once; each rule's sources and
    languages are applied to this small table (dashboard/alerts/evaluate.py)."""
    params: dict = {}
    f = Filters(people=tuple(e for k, e in entities if k == "person"),
                topics=tuple(e for k, e in entities if k == "topic"))
    sql = (
        "SELECT r.kind, r.entity_id, coalesce(r.source, '') AS source, coalesce(r.language, '') AS language,"
        " min(r.day) AS first_day FROM rollup r"
        f" WHERE {_entities(f, params).replace('m.', 'r.')} GROUP BY ALL"
    )
    return con.execute(sql, params).df()


def together_counts(con: duckdb.DuckDBPyConnection, f: Filters, since: datetime) -> pd.DataFrame:
    """Articles mentioning two selected entities at once, per bucket from the one holding `since` on.

    Columns bucket, kind_a, a, kind_b, b, articles, with (kind_a, a) < (kind_b, b)."""
    params: dict = {"since": since}
    conds = _base(f.with_(start=None, end=None), "m", params) + [_entities(f, params), "m.published_at >= $since"]
    sql = (
        f"WITH e AS (SELECT DISTINCT m.article_id, m.kind, m.entity_id, {_bucket(f, params)} AS bucket"
        f" FROM mentions m WHERE {' AND '.join(conds)})"
        " SELECT x.bucket, x.kind AS kind_a, x.entity_id AS a, y.kind AS kind_b, y.entity_id AS b,"
        " count(*) AS articles FROM e x JOIN e y ON x.article_id = y.article_id"
        " AND (x.kind, x.entity_id) < (y.kind, y.entity_id) GROUP BY ALL ORDER BY 1"
    )
    return con.execute(sql, params).df()


def together_articles(con: duckdb.DuckDBPyConnection, f: Filters, a: tuple[str, str], b: tuple[str, str],
                      start: date, end: date, limit: int) -> pd.DataFrame:
    """The newest articles in [start, end) that mention both `a` and `b` (kind, entity_id): id, published_at,
    source, title, url, and n_total, the count of all of them."""
    params: dict = {"ka": a[0], "ea": a[1], "kb": b[0], "eb": b[1], "s": _day_start(start), "t": _day_start(end),
                    "lim": limit}
    conds = _base(f.with_(start=None, end=None), "m", params) + [
        "m.published_at >= $s", "m.published_at < $t",
        "((m.kind = $ka AND m.entity_id = $ea) OR (m.kind = $kb AND m.entity_id = $eb))"]
    sql = (
        "WITH h AS (SELECT m.article_id FROM mentions m"
        f" WHERE {' AND '.join(conds)} GROUP BY 1"
        " HAVING bool_or(m.kind = $ka AND m.entity_id = $ea) AND bool_or(m.kind = $kb AND m.entity_id = $eb))"
        " SELECT a.id, a.published_at, a.source, a.title, a.url, count(*) OVER () AS n_total"
        " FROM h JOIN articles a ON a.id = h.article_id ORDER BY a.published_at DESC, a.id LIMIT $lim"
    )
    return con.execute(sql, params).df()
