"""Every SQL query of the dashboard: DuckDB over the store's Parquet files (or its local index). No streamlit here.

Each query takes a connection and a frozen `Filters` and returns a DataFrame. Values are bound parameters;
what the user picks as a bucket or a sort column goes through a whitelist, never into the SQL as typed.
Times are bucketed in UTC. An article counts in the bucket of its `published_at`; articles without one
are left out of timelines and drill-downs alike, so a point and its list always agree.

Under a full-text search a query takes `hits`, the matching articles' keys from the text index, or, without
them, scans the text (exact, ~20 s at a million articles). Which one, or whether the text index answers by
itself, is decided in `dashboard/data/dispatch.py`: the dashboard calls its functions (also reachable here, as
`queries.timeline_counts` and so on).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.data import index, scan, search
from dashboard.data.buckets import bucket_end, bucket_range, bucket_start  # noqa: F401 - also imported from here
from dashboard.data.filters import BUCKETS, SORTS, Filters
from dashboard.data.querylog import query
from dashboard.data.selection import PairKey, PointKey


def connect(
    root: Path | str, threads: int | None = None, index_path: Path | None = None, memory_limit: str | None = None,
    wait: bool = True,
) -> duckdb.DuckDBPyConnection:
    """See `dashboard.data.index.connect`: views over the files, or the local index when `index_path` is given."""
    from dashboard.data.index import connect as _connect

    return _connect(root, threads=threads, index_path=index_path, memory_limit=memory_limit, wait=wait)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _base(
    f: Filters, alias: str, params: dict, con: duckdb.DuckDBPyConnection | None = None, hits: np.ndarray | None = None
) -> list[str]:
    """Conditions shared by every mentions query: dates, sources, languages, stories, fetch-dated, full-text search.

    `hits`: the search's article keys from the text index (needs `con`); without them a search scans the text."""
    conds = [f"{alias}.published_at IS NOT NULL"]
    if f.start is not None:
        params["d_start"] = _day_start(f.start)
        conds.append(f"{alias}.published_at >= $d_start")
    if f.end is not None:
        params["d_end"] = _day_start(f.end + timedelta(days=1))
        conds.append(f"{alias}.published_at < $d_end")
    if f.sources:
        params["sources"] = list(f.sources)
        conds.append(f"list_contains($sources::VARCHAR[], {alias}.source)")
    if f.languages:
        params["languages"] = list(f.languages)
        lang = "coalesce(a.language, '')" if alias == "a" else f"{alias}.language"
        conds.append(f"list_contains($languages::VARCHAR[], {lang})")
    if f.unique:
        # A story's id is the id of its first article: keeping those keys keeps each story once.
        conds.append("(a.story_id IS NULL OR a.story_id = a.id)" if alias == "a" else f"{alias}.first")
    if not f.fetched:  # articles dated by their fetch time (no date found in the page) are left out
        conds.append("a.published_source IS DISTINCT FROM 'fetched'" if alias == "a" else f"NOT {alias}.fetched")
    if hits is not None:  # the text index applied the search (and maybe narrowed it to a selection)
        if con is None:
            raise ValueError("search hits need the connection")
        con.register("search_hits", pa.table({"key": hits}))  # per connection; the next search replaces it
        conds.append(f"{alias}.key IN (SELECT key FROM search_hits)")
    elif terms := search.parse(f.search):  # the exact scan of the text
        idcol = f"{alias}.{'id' if alias == 'a' else 'article_id'}"
        conds.append(f"{idcol} IN (SELECT t.id FROM articles_raw t WHERE {scan.condition(terms, params)})")
    return conds


def _entities(f: Filters, params: dict) -> str:
    params["people"] = list(f.people)
    params["topics"] = list(f.topics)
    return (
        "((m.kind = 'person' AND list_contains($people::VARCHAR[], m.entity_id))"
        " OR (m.kind = 'topic' AND list_contains($topics::VARCHAR[], m.entity_id)))"
    )


def _bucket(f: Filters, params: dict, col: str = "m.published_at") -> str:
    params["bucket"] = BUCKETS[BUCKETS.index(f.bucket)]  # whitelisted
    return f"CAST(date_trunc($bucket, {col}) AS DATE)"


@query
def entity_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every entity in the store with the number of dated articles that mention it (filter options).

    From the per-day rollup (per-day counts of one entity add up exactly); without an index, the mention rows.
    While an index is first built, counting distinct articles per entity over every mention row took 7 s at a
    million articles on a busy machine, before the first chart could be drawn: then the entities are ranked by
    their mention rows and `articles` is null (unknown) until the index is in place."""
    state = index.status(con)
    if state == "index":
        sql = "SELECT kind, entity_id, CAST(sum(articles) AS BIGINT) AS articles FROM rollup GROUP BY ALL"
    elif state == "building":
        return con.execute("SELECT kind, entity_id, CAST(NULL AS BIGINT) AS articles FROM mentions_raw"
                           " WHERE published_at IS NOT NULL GROUP BY ALL ORDER BY count(*) DESC, entity_id").df()
    else:
        sql = ("SELECT kind, entity_id, count(*) AS articles FROM (SELECT DISTINCT kind, entity_id, article_id"
               " FROM mentions_raw WHERE published_at IS NOT NULL) GROUP BY ALL")
    return con.execute(sql + " ORDER BY articles DESC, entity_id").df()


@query
def store_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Article count, date span, sources and languages in the store (for filter widgets and headlines)."""
    n, first, last = con.execute(
        "SELECT count(*), min(published_at), max(published_at) FROM articles"
    ).fetchone()
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM articles ORDER BY 1").fetchall() if r[0]]
    languages = [
        r[0] for r in con.execute("SELECT DISTINCT coalesce(language, '') FROM articles ORDER BY 1").fetchall()
    ]
    undated = con.execute("SELECT count(*) FROM articles WHERE published_at IS NULL").fetchone()[0]
    stories = con.execute("SELECT 1 FROM articles WHERE story_id IS NOT NULL LIMIT 1").fetchall()
    return {
        "articles": int(n),
        "first": first.date() if first is not None else None,
        "last": last.date() if last is not None else None,
        "sources": sources,
        "languages": languages,
        "undated": int(undated),
        "has_stories": bool(stories),  # story clusters exist: offer "unique stories only"
    }


@query
def coverage(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Articles stored per bucket under the date/source/language/unique filters (not search): the denominator."""
    params: dict = {}
    conds = _day_conds(f, params)
    sql = (
        f"SELECT {_bucket(f, params, 'r.day')} AS bucket, CAST(sum(r.articles) AS BIGINT) AS total"
        f" FROM coverage_rollup r WHERE {' AND '.join(conds)} GROUP BY 1 ORDER BY 1"
    )
    return con.execute(sql, params).df()


def _day_conds(f: Filters, params: dict, alias: str = "r") -> list[str]:
    """Date, source, language, unique-story and fetch-dated conditions on a rollup."""
    conds = ["true"]
    if f.languages:
        params["languages"] = list(f.languages)
        conds.append(f"list_contains($languages::VARCHAR[], {alias}.language)")
    if f.unique:
        conds.append(f"{alias}.first")
    if not f.fetched:
        conds.append(f"NOT {alias}.fetched")
    if f.start is not None:
        params["day_start"] = f.start
        conds.append(f"{alias}.day >= $day_start")
    if f.end is not None:
        params["day_end"] = f.end
        conds.append(f"{alias}.day <= $day_end")
    if f.sources:
        params["sources"] = list(f.sources)
        conds.append(f"list_contains($sources::VARCHAR[], {alias}.source)")
    return conds


def day_scope(f: Filters) -> Filters:
    """Only what `_day_conds` reads of `f` (the resolved period, languages, unique stories, fetch-dated, sources),
    the rest at its defaults: the cache key of a rollup count that a change of people, bucket or measure must not
    move (the sidebar's fetch-dated count)."""
    return Filters(start=f.start, end=f.end, preset="custom", sources=f.sources, languages=f.languages,
                   unique=f.unique, fetched=f.fetched)


def _rollup_ok(con: duckdb.DuckDBPyConnection, f: Filters) -> bool:
    """The per-day rollups answer every filter but a full-text search, once they are tables: as views over the
    files (no index, or while it is built) they would aggregate every mention row first, so the queries
    count from the mention rows instead."""
    return not search.parse(f.search) and index.has_rollups(con)


def timeline_sql(con: duckdb.DuckDBPyConnection, f: Filters, hits: np.ndarray | None = None) -> pd.DataFrame:
    """Per bucket and selected entity: articles that mention it, and mention rows. Only non-zero rows.

    Read from the per-day rollup unless there is a full-text search, which needs the articles' text. Ordered by
    bucket, kind and entity: the same rows in the same order on every call (a replayed query log compares them,
    and the timeline gives each entity its colour in the order it first appears).
    """
    params: dict = {}
    if _rollup_ok(con, f):
        conds = _day_conds(f, params) + [_entities(f, params).replace("m.", "r.")]
        sql = (
            f"SELECT {_bucket(f, params, 'r.day')} AS bucket, r.kind, r.entity_id,"
            " CAST(sum(r.articles) AS BIGINT) AS articles, CAST(sum(r.mentions) AS BIGINT) AS mentions"
            f" FROM rollup r WHERE {' AND '.join(conds)} GROUP BY ALL ORDER BY 1, 2, 3"
        )
        return con.execute(sql, params).df()
    conds = _base(f, "m", params, con, hits) + [_entities(f, params)]
    sql = (
        f"SELECT {_bucket(f, params)} AS bucket, m.kind, m.entity_id,"
        " count(DISTINCT m.article_id) AS articles, count(*) AS mentions"
        f" FROM mentions m WHERE {' AND '.join(conds)} GROUP BY ALL ORDER BY 1, 2, 3"
    )
    return con.execute(sql, params).df()


def _point_conds(keys: list[PointKey], bucket: str, params: dict) -> str:
    ors = []
    for i, k in enumerate(keys):
        params[f"k{i}"], params[f"e{i}"] = k.kind, k.entity_id
        params[f"b{i}"] = _day_start(k.bucket)
        params[f"n{i}"] = _day_start(bucket_end(k.bucket, bucket))
        ors.append(
            f"(m.kind = $k{i} AND m.entity_id = $e{i} AND m.published_at >= $b{i} AND m.published_at < $n{i})"
        )
    return "(" + " OR ".join(ors) + ")"


def _pair_having(pairs: list[PairKey], params: dict) -> str:
    """Articles (groups of their mention rows) that mention both people of at least one pair."""
    ors = []
    for i, p in enumerate(pairs):
        params[f"pa{i}"], params[f"pb{i}"] = p.a, p.b
        ors.append(f"(bool_or(m.entity_id = $pa{i}) AND bool_or(m.entity_id = $pb{i}))")
    return " HAVING " + " OR ".join(ors)


def check_selection(points: list[PointKey] | None, pairs: list[PairKey] | None, sort: str) -> None:
    """A drill-down needs points or pairs, and a whitelisted sort column."""
    if not points and not pairs:
        raise ValueError("drilldown needs points or pairs")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")


def drilldown_sql(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    points: list[PointKey] | None = None,
    pairs: list[PairKey] | None = None,
    sort: str = "published_at",
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
    hits: np.ndarray | None = None,
    total: int | None = None,
    span: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Exactly the articles behind the selected points (or co-mention cells): every one, no sample.

    For one point the row count equals the point's value under measure "articles"; the `mentions`
    column sums to its value under measure "mentions". Column `n_total` is the full count before paging.
    `hits`: the search's keys, maybe narrowed to the selection's (or the page's) candidates by the text index;
    then `total` is the selection's full count and `offset` the page's offset among the candidates, which lie
    in `span` (µs since the epoch, first and last; DuckDB reads only those blocks of both tables).
    """
    check_selection(points, pairs, sort)
    params: dict = {}
    conds = _base(f, "m", params, con, hits)
    window = having = ""
    if span is not None:
        params["c_min"], params["c_max"] = (_EPOCH + timedelta(microseconds=x) for x in span)
        conds.append("m.published_at BETWEEN $c_min AND $c_max")
        window = " AND a.published_at BETWEEN $c_min AND $c_max"
    if points:
        conds.append(_point_conds(points, f.bucket, params))
        # Every article behind a point lies in its bucket: bounding the join by time lets DuckDB skip the
        # blocks of other weeks in the index's articles table (sorted by published_at).
        params["w_min"] = _day_start(min(p.bucket for p in points))
        params["w_max"] = _day_start(max(bucket_end(p.bucket, f.bucket) for p in points))
        window += " AND a.published_at >= $w_min AND a.published_at < $w_max"
    else:
        having = _pair_having(pairs or [], params)
        conds.append("m.kind = 'person'")
        params["pair_ids"] = sorted({x for p in pairs or [] for x in (p.a, p.b)})
        conds.append("list_contains($pair_ids::VARCHAR[], m.entity_id)")
    params["cands"] = sorted({p.entity_id for p in points} if points else params["pair_ids"])
    if len(params["cands"]) > 62:
        raise ValueError("select at most 62 people or topics at once")
    direction = "DESC" if descending else "ASC"
    page = ""
    if limit is not None:
        params["lim"], params["off"] = int(limit), int(offset)
        page = " LIMIT $lim OFFSET $off"
    h = (
        "WITH h AS (SELECT m.article_id, count(*) AS mentions,"
        # which of the candidate entities the article mentions, as bits: far cheaper than list(DISTINCT ...)
        " bit_or(CAST(1 AS BIGINT) << CAST(list_position($cands::VARCHAR[], m.entity_id) - 1 AS BIGINT))"
        " AS entity_bits,"
        " max(m.published_at) AS published_at, any_value(m.source) AS source"
        f" FROM mentions m WHERE {' AND '.join(conds)} GROUP BY m.article_id{having})"
    )
    cols = "a.id, a.published_at, a.published_source, a.source, a.title, a.url, a.language"
    if sort == "title":  # the only sort key that mentions do not carry: join first
        sql = (
            f"{h} SELECT {cols}, h.mentions, h.entity_bits, count(*) OVER () AS n_total"
            f" FROM h JOIN articles a ON a.id = h.article_id{window}"
            f" ORDER BY a.title {direction} NULLS LAST, a.id{page}"
        )
    else:
        # Sort and page the hits on what the mention rows carry, then fetch just that page of articles.
        order = f"{sort} {direction} NULLS LAST, article_id"
        sql = (
            f"{h}, pg AS (SELECT *, count(*) OVER () AS n_total FROM h ORDER BY {order}{page})"
            f" SELECT {cols}, pg.mentions, pg.entity_bits, pg.n_total"
            f" FROM pg JOIN articles a ON a.id = pg.article_id{window} ORDER BY pg.{order}"
        )
    df = con.execute(sql, params).df()
    if total is not None:
        df["n_total"] = total  # the page came from the text index's candidates; the count from the index
    cands = params["cands"]
    df["entities"] = [[c for i, c in enumerate(cands) if int(b) >> i & 1] for b in df.pop("entity_bits")]
    return df[[c for c in df.columns if c != "n_total"] + ["n_total"]]


@query
def article(con: duckdb.DuckDBPyConnection, article_id: str) -> dict | None:
    """One article row as a dict, or None."""
    params: dict = {"id": article_id}
    df = con.execute(f"SELECT * FROM articles_raw WHERE {_in_window(con, [article_id], params)} id = $id LIMIT 1",
                     params).df()
    return None if df.empty else df.iloc[0].to_dict()


@query
def article_mentions(con: duckdb.DuckDBPyConnection, article_id: str) -> pd.DataFrame:
    """The mentions of one article, title and body, in text order."""
    return con.execute(
        'SELECT entity_id, kind, field, start, "end", matched, rule FROM mentions'
        " WHERE article_id = $id ORDER BY field, start",
        {"id": article_id},
    ).df()


@query
def texts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pd.DataFrame:
    """Titles and cleaned texts of the given articles (for term statistics)."""
    params: dict = {"ids": ids}
    return con.execute(
        f"SELECT id, title, text FROM articles_raw WHERE {_in_window(con, ids, params)}"
        " list_contains($ids::VARCHAR[], id)", params
    ).df()


def _in_window(con: duckdb.DuckDBPyConnection, ids: list[str], params: dict) -> str:
    """A condition (with its trailing AND) that keeps a read of these articles' text columns to the publication
    times they span, or "" when one of them has no time or is not in `articles`. The span comes from the small
    `articles` table; given as constants, DuckDB skips every Parquet row group whose published_at statistics
    fall outside it, and files laid out by ingest/store/layout.py keep a period's rows together, so reading a
    point's 2,000 texts decodes a few row groups instead of every file's whole text column."""
    if not ids:
        return ""
    lo, hi, undated, found = con.execute(
        "SELECT min(published_at), max(published_at), count(*) FILTER (WHERE published_at IS NULL),"
        " count(DISTINCT id) FROM articles WHERE id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": ids}).fetchone()
    if lo is None or undated or found < len(set(ids)):  # an id the table does not know: its time is unknown too
        return ""
    params.update(w_lo=lo, w_hi=hi)
    return "published_at BETWEEN $w_lo AND $w_hi AND"


def entity_article_ids_sql(
    con: duckdb.DuckDBPyConnection, f: Filters, kind: str, entity_id: str, start: date, end: date, limit: int,
    hits: np.ndarray | None = None,
) -> list[str]:
    """Ids of articles mentioning the entity in [start, end), newest first, at most `limit`."""
    params: dict = {"k": kind, "e": entity_id, "s": _day_start(start), "t": _day_start(end), "lim": limit}
    conds = _base(f, "m", params, con, hits) + [
        "m.kind = $k",
        "m.entity_id = $e",
        "m.published_at >= $s",
        "m.published_at < $t",
    ]
    rows = con.execute(
        f"SELECT m.article_id, max(m.published_at) p FROM mentions m WHERE {' AND '.join(conds)}"
        " GROUP BY 1 ORDER BY p DESC, 1 LIMIT $lim",
        params,
    ).fetchall()
    return [r[0] for r in rows]


def period_article_ids_sql(con: duckdb.DuckDBPyConnection, f: Filters, limit: int, selected: bool,
                           hits: np.ndarray | None = None) -> list[str]:
    """Newest articles under the filters: those mentioning a selected entity, or all stored ones."""
    params: dict = {"lim": limit}
    if selected:
        conds = _base(f, "m", params, con, hits) + [_entities(f, params)]
        sql = (f"SELECT m.article_id, max(m.published_at) p FROM mentions m WHERE {' AND '.join(conds)}"
               " GROUP BY 1 ORDER BY p DESC, 1 LIMIT $lim")
    else:
        conds = _base(f, "a", params, con, hits)
        sql = f"SELECT a.id FROM articles a WHERE {' AND '.join(conds)} ORDER BY a.published_at DESC, 1 LIMIT $lim"
    return [r[0] for r in con.execute(sql, params).fetchall()]


# The dashboard's queries that pick who answers (the SQL above, or the text index) live in dashboard/data/dispatch.py;
# callers may still reach them here (queries.timeline_counts, queries.drilldown, ...).
_DISPATCHED = ("timeline_counts", "drilldown", "top_sources", "co_mentions", "count_articles", "entity_totals",
               "period_article_ids", "entity_article_ids")


def __getattr__(name: str):
    if name in _DISPATCHED:
        from dashboard.data import dispatch

        return getattr(dispatch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
