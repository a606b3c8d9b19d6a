"""The SQL of the alert triggers that the dashboard's own queries do not cover (dashboard/alerts/evaluate.py).

Same conventions as `queries.py` (whose condition builders it reuses): a connection and a frozen `Filters` in,
a DataFrame out, values bound, the bucket whitelisted. Spikes and thresholds need no SQL of their own: they
read the dashboard's timeline and coverage queries.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from dashboard.data.filters import Filters
from dashboard.data.queries import _base, _bucket, _day_start


def store_span(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The first and last UTC day with a dated article."""
    first, last = con.execute("SELECT min(published_at), max(published_at) FROM articles").fetchone()
    return (first.date() if first is not None else None, last.date() if last is not None else None)


def first_days(con: duckdb.DuckDBPyConnection, entities: list[tuple[str, str]]) -> pd.DataFrame:
    """The first day each entity was mentioned, per source and language: kind, entity_id, source, language,
    first_day. One scan of the per-day rollup for every first-seen rule at once; each rule's sources and
    languages are applied to this small table (dashboard/alerts/evaluate.py)."""
    sql = (
        "SELECT r.kind, r.entity_id, coalesce(r.source, '') AS source, coalesce(r.language, '') AS language,"
        f" min(r.day) AS first_day FROM rollup r WHERE {_ids_only('r')} GROUP BY ALL"
    )
    return _of_kinds(con.execute(sql, {"ids": _ids(entities)}).df(), entities, ("kind", "entity_id"))


def _ids(entities: list[tuple[str, str]]) -> list[str]:
    return sorted({e for _, e in entities})


def _ids_only(alias: str) -> str:
    """The entity condition as one list of ids, which DuckDB pushes into the scan (the index's rollup and mentions
    are sorted by entity: whole row groups are skipped). The dashboard's (kind, list) condition (`_entities`) is
    evaluated row by row: 0.7 s against 0.18 s for the first days of 91 entities on the 1M store
    (benchmarks/alerts.py). The kind is checked after, on the small result (`_of_kinds`)."""
    return f"{alias}.entity_id = ANY($ids)"


def _of_kinds(df: pd.DataFrame, entities: list[tuple[str, str]], *cols: tuple[str, str]) -> pd.DataFrame:
    """The rows whose (kind, entity) in every pair of `cols` is one of `entities` (an id can name a person and a
    topic: `_ids_only` matched both)."""
    wanted = [f"{k}\x1f{e}" for k, e in entities]
    keep = np.ones(len(df), dtype=bool)
    for kind_col, id_col in cols:
        keep &= (df[kind_col].astype(str) + "\x1f" + df[id_col].astype(str)).isin(wanted).to_numpy()
    return df[keep].reset_index(drop=True)


def together_counts(con: duckdb.DuckDBPyConnection, f: Filters, since: datetime) -> pd.DataFrame:
    """Articles mentioning two selected entities at once, per bucket from the one holding `since` on.

    Columns bucket, kind_a, a, kind_b, b, articles, with (kind_a, a) < (kind_b, b)."""
    params: dict = {"since": since}
    entities = [("person", p) for p in f.people] + [("topic", t) for t in f.topics]
    conds = _base(f.with_(start=None, end=None), "m", params) + [_ids_only("m"), "m.published_at >= $since"]
    params["ids"] = _ids(entities)
    sql = (
        f"WITH e AS (SELECT DISTINCT m.article_id, m.kind, m.entity_id, {_bucket(f, params)} AS bucket"
        f" FROM mentions m WHERE {' AND '.join(conds)})"
        " SELECT x.bucket, x.kind AS kind_a, x.entity_id AS a, y.kind AS kind_b, y.entity_id AS b,"
        " count(*) AS articles FROM e x JOIN e y ON x.article_id = y.article_id"
        " AND (x.kind, x.entity_id) < (y.kind, y.entity_id) GROUP BY ALL ORDER BY 1"
    )
    return _of_kinds(con.execute(sql, params).df(), entities, ("kind_a", "a"), ("kind_b", "b"))


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
