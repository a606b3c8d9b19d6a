"""The articles behind one bar of a per-source chart ("Top sources", "Articles stored per source"). No streamlit.

A query of its own beside `queries.drilldown_sql` (the articles behind timeline points and co-mention cells),
with the same columns, so the same list shows either.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from dashboard.data.buckets import bucket_end
from dashboard.data.filters import SORTS, Filters
from dashboard.data.queries import _base, _day_start, _entities
from dashboard.data.selection import SourceKey


def source_list_sql(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    key: SourceKey,
    sort: str = "published_at",
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
    hits: np.ndarray | None = None,
) -> pd.DataFrame:
    """Exactly the articles behind one bar of a per-source chart: the source's articles in the bar's bucket
    (or the whole period), under the filters; with `key.selected` only those that mention a selected person
    or topic (the bar's value in "Top sources"), else every one stored (the bar of "Articles stored per
    source"). Columns as `drilldown_sql`'s: `mentions` and `entities` count the selected people and topics."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    params: dict = {"src": key.source}
    conds = ["a.source = $src"]
    if key.bucket is not None:
        params["s_min"] = _day_start(key.bucket)
        params["s_max"] = _day_start(bucket_end(key.bucket, f.bucket))
        conds.append("a.published_at >= $s_min AND a.published_at < $s_max")
    ents = _entities(f, params)
    params["cands"] = [e for _, e in f.entities][:62]
    mconds = " AND ".join([ents, "m.source = $src", *_base(f, "m", params, con, hits)]
                          + [c.replace("a.", "m.") for c in conds[1:]])
    h = (
        "WITH h AS (SELECT m.article_id, count(*) AS mentions,"
        " bit_or(CAST(1 AS BIGINT) << CAST(list_position($cands::VARCHAR[], m.entity_id) - 1 AS BIGINT))"
        f" AS entity_bits FROM mentions m WHERE {mconds} GROUP BY m.article_id)"
    )
    join = "JOIN" if key.selected else "LEFT JOIN"
    conds = _base(f, "a", params, con, hits) + conds
    direction = "DESC" if descending else "ASC"
    order = {"published_at": "a.published_at", "source": "a.source", "title": "a.title",
             "mentions": "coalesce(h.mentions, 0)"}[sort]
    page = ""
    if limit is not None:
        params["lim"], params["off"] = int(limit), int(offset)
        page = " LIMIT $lim OFFSET $off"
    sql = (
        f"{h} SELECT a.id, a.published_at, a.published_source, a.source, a.title, a.url, a.language,"
        " coalesce(h.mentions, 0) AS mentions, coalesce(h.entity_bits, 0) AS entity_bits, count(*) OVER () AS n_total"
        f" FROM articles a {join} h ON h.article_id = a.id WHERE {' AND '.join(conds)}"
        f" ORDER BY {order} {direction} NULLS LAST, a.id{page}"
    )
    df = con.execute(sql, params).df()
    cands = params["cands"]
    df["entities"] = [[c for i, c in enumerate(cands) if int(b) >> i & 1] for b in df.pop("entity_bits")]
    return df[[c for c in df.columns if c != "n_total"] + ["n_total"]]
