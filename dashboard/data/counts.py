"""The counts of the dashboard's panels: articles mentioning the selection, top sources, co-mentions, the People &
topics table, and the articles dated by their fetch. SQL, no streamlit; split from `queries.py` (same rules:
bound values, whitelisted identifiers) to keep modules small.

Each reads the per-day rollups where they answer exactly (one entity, no search, an index in place:
`queries._rollup_ok`), else the mention rows, through a DISTINCT that DuckDB spills to disk when it outgrows
its memory. `dashboard/data/dispatch.py` decides when the text index answers instead.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from dashboard.data.filters import Filters
from dashboard.data.queries import _base, _day_conds, _entities, _rollup_ok
from dashboard.data.querylog import query


def top_sources_sql(con: duckdb.DuckDBPyConnection, f: Filters, n: int = 10,
                    hits: np.ndarray | None = None) -> pd.DataFrame:
    """Sources with the most articles mentioning any selected entity.

    One entity and no search: the per-day rollup (its per-source article counts add up exactly). Several: the
    distinct articles of their mention rows (an article naming two of them counts once), as a grouped DISTINCT,
    which DuckDB spills to disk when it outgrows its memory (a `count(DISTINCT ...)` did not, at 1M articles)."""
    params: dict = {"n": n}
    if _rollup_ok(con, f) and len(f.entities) == 1:
        conds = _day_conds(f, params) + [_entities(f, params).replace("m.", "r.")]
        return con.execute(
            "SELECT r.source, CAST(sum(r.articles) AS BIGINT) AS articles FROM rollup r"
            f" WHERE {' AND '.join(conds)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $n",
            params,
        ).df()
    conds = _base(f, "m", params, con, hits) + [_entities(f, params)]
    return con.execute(
        "SELECT source, count(*) AS articles FROM (SELECT DISTINCT m.source, m.article_id FROM mentions m"
        f" WHERE {' AND '.join(conds)}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $n",
        params,
    ).df()


def co_mentions_sql(con: duckdb.DuckDBPyConnection, f: Filters, n: int = 12,
                    hits: np.ndarray | None = None) -> pd.DataFrame:
    """Pairs of people mentioned in the same article, among the `n` most-mentioned people under the filters.

    Columns a, b (a < b), articles. If two or more people are selected, the matrix is over them.
    """
    params: dict = {"n": n}
    if _rollup_ok(con, f):
        conds = _day_conds(f, params) + ["r.kind = 'person'"]
        if len(f.people) >= 2:
            params["people"] = list(f.people)
            conds.append("list_contains($people::VARCHAR[], r.entity_id)")
        sql = (
            f"WITH top AS (SELECT r.entity_id FROM rollup r WHERE {' AND '.join(conds)}"
            " GROUP BY 1 ORDER BY sum(r.articles) DESC, 1 LIMIT $n)"
            " SELECT p.a, p.b, CAST(sum(p.articles) AS BIGINT) AS articles FROM pair_rollup p"
            f" WHERE {' AND '.join(_day_conds(f, params, 'p'))}"
            " AND p.a IN (SELECT entity_id FROM top) AND p.b IN (SELECT entity_id FROM top)"
            " GROUP BY ALL ORDER BY articles DESC, a, b"
        )
        return con.execute(sql, params).df()
    conds = _base(f, "m", params, con, hits) + ["m.kind = 'person'"]
    if len(f.people) >= 2:
        params["people"] = list(f.people)
        conds.append("list_contains($people::VARCHAR[], m.entity_id)")
    where = " AND ".join(conds)
    sql = (
        f"WITH e AS (SELECT DISTINCT m.article_id, m.entity_id FROM mentions m WHERE {where}),"
        " top AS (SELECT entity_id FROM e GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT $n),"
        " t AS (SELECT e.* FROM e SEMI JOIN top USING (entity_id))"
        " SELECT x.entity_id AS a, y.entity_id AS b, count(*) AS articles"
        " FROM t x JOIN t y ON x.article_id = y.article_id AND x.entity_id < y.entity_id"
        " GROUP BY ALL ORDER BY articles DESC, a, b"
    )
    return con.execute(sql, params).df()


def entity_totals_sql(con: duckdb.DuckDBPyConnection, f: Filters, hits: np.ndarray | None = None) -> pd.DataFrame:
    """Every entity's articles and mentions under the filters (entity selection ignored).

    Read from the per-day rollup unless there is a full-text search."""
    params: dict = {}
    if _rollup_ok(con, f):
        return con.execute(
            "SELECT r.kind, r.entity_id, CAST(sum(r.articles) AS BIGINT) AS articles,"
            " CAST(sum(r.mentions) AS BIGINT) AS mentions, CAST(sum(r.in_titles) AS BIGINT) AS in_titles,"
            f" max(r.last_seen) AS last_seen FROM rollup r WHERE {' AND '.join(_day_conds(f, params))}"
            " GROUP BY ALL ORDER BY articles DESC, entity_id",
            params,
        ).df()
    conds = _base(f, "m", params, con, hits)
    return con.execute(
        "SELECT m.kind, m.entity_id, count(DISTINCT m.article_id) AS articles, count(*) AS mentions,"
        " count(*) FILTER (WHERE m.field = 'title') AS in_titles, max(m.published_at) AS last_seen"
        f" FROM mentions m WHERE {' AND '.join(conds)} GROUP BY ALL ORDER BY articles DESC, entity_id",
        params,
    ).df()


def count_articles_sql(con: duckdb.DuckDBPyConnection, f: Filters, selected: bool,
                       hits: np.ndarray | None = None) -> int:
    """Articles under the filters, mentioning a selected entity or not.

    Without a search, all articles come from the coverage rollup, and those mentioning one entity from the
    mentions rollup (exact: per-day counts of one entity add up). Several entities: the distinct articles of
    their mention rows, as a DISTINCT that DuckDB can spill (see `top_sources_sql`)."""
    params: dict = {}
    if _rollup_ok(con, f) and (not selected or len(f.entities) == 1):
        conds = _day_conds(f, params)
        if selected:
            conds.append(_entities(f, params).replace("m.", "r."))
        table = "rollup" if selected else "coverage_rollup"
        sql = f"SELECT CAST(coalesce(sum(r.articles), 0) AS BIGINT) FROM {table} r WHERE {' AND '.join(conds)}"
    elif selected:
        conds = _base(f, "m", params, con, hits) + [_entities(f, params)]
        sql = f"SELECT count(*) FROM (SELECT DISTINCT m.article_id FROM mentions m WHERE {' AND '.join(conds)})"
    else:
        sql = f"SELECT count(*) FROM articles a WHERE {' AND '.join(_base(f, 'a', params, con, hits))}"
    return int(con.execute(sql, params).fetchone()[0])


@query
def fetch_dated_count(con: duckdb.DuckDBPyConnection, f: Filters) -> int:
    """Articles of the period (under the source, language and story filters, not the search) dated by their fetch
    time: no publication date was found in the page. The sidebar says how many `Filters.fetched` leaves out."""
    params: dict = {}
    conds = _day_conds(f.with_(fetched=True), params) + ["r.fetched"]
    return int(con.execute(f"SELECT CAST(coalesce(sum(r.articles), 0) AS BIGINT) FROM coverage_rollup r"
                           f" WHERE {' AND '.join(conds)}", params).fetchone()[0])
