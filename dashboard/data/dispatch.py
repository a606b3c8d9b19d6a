"""Who answers each dashboard query: SQL over the rollups and mention rows, or the text index. No streamlit here.

`dashboard/data/queries.py` holds the SQL, `dashboard/data/facets.py` the text index's aggregations. The functions here are
the dashboard's queries (the cache, views and exports call them, also as `queries.<name>`), and each picks:

- no full-text search: the SQL (the per-day rollups wherever they answer);
- a search with the text index ready: its aggregations (timeline, counts, top sources, co-mentions, per-entity
  totals), or, for lists, the index narrows the search to the selection and hands DuckDB only those keys;
- a search while the text index catches up after a recount (new mentions files re-index their batches: ~20 min
  at a million articles): the index this process used before still holds every article's text, day, source,
  language and story flag; only its entities and mention counts are stale. If it holds exactly the store's
  current articles files, it gives the search's keys and DuckDB counts the current mention rows;
- else (no index, its first build, a compaction or new batch pending): the exact scan of the text (~20 s at 1M).
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dashboard.data import buckets, counts, facets, queries, search
from dashboard.data import source_list as bars
from dashboard.data.filters import Filters
from dashboard.data.querylog import query
from dashboard.data.search import TextIndex
from dashboard.data.selection import PairKey, PointKey, SourceKey

_PREVIOUS: dict[Path, TextIndex] = {}  # text index directory -> the ready index used before the current one
_LOCK = threading.Lock()


def keep_previous(current: TextIndex, previous: TextIndex | None) -> None:
    """Called when `current` starts catching up: keep the last ready index of that directory meanwhile."""
    with _LOCK:
        if previous is not None and previous is not current and previous.ready.is_set() and not previous.error:
            _PREVIOUS[current.directory] = previous
        # else an older ready one (two recounts in a row) stays; it is checked against the files at each use


def _text_index(con: duckdb.DuckDBPyConnection) -> tuple[TextIndex | None, bool]:
    """(the text index to use, whether its mention fields are current), or (None, False): scan."""
    ti = search.for_connection(con)
    if ti is None:
        return None, False
    if ti.ready.is_set() and not ti.error:
        with _LOCK:
            _PREVIOUS.pop(ti.directory, None)  # (frees the old segments' files, deleted by the sync)
        return ti, True
    with _LOCK:
        old = _PREVIOUS.get(ti.directory)
    if old is not None and facets.holds_articles(old, _article_files(con)):
        return old, False
    return None, False


def status_line(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The line under the search box: search.status_line, told apart for the interim after a recount."""
    line = search.status_line(con, text)
    if line is not None and search.status(con) == "building" and _text_index(con)[0] is not None:
        return ("The search index is being brought up to date after a recount: results come from the previous "
                "index and the current mention rows meanwhile (slower).")
    return line


def _article_files(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """The store's articles files the DuckDB index loaded at connect (its `loaded` table)."""
    return [Path(r[0]) for r in con.execute("SELECT path FROM loaded WHERE tbl = 'articles'").fetchall()]


def _search(con: duckdb.DuckDBPyConnection, f: Filters):
    """(terms, text index, fresh) for a query under a search; (terms, None, False) without one or to scan."""
    terms = search.parse(f.search)
    return (terms, *_text_index(con)) if terms else (terms, None, False)


def _keys(ti: TextIndex | None, f: Filters, terms) -> np.ndarray | None:
    """The search's keys from an index (None: let the SQL scan)."""
    return None if ti is None else facets.search_keys(ti, f, terms)


@query
def timeline_counts(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per bucket and selected entity: articles that mention it, and mention rows. Only non-zero rows."""
    terms, ti, fresh = _search(con, f)
    if fresh:
        return facets.timeline_counts(ti, f, terms)
    return queries.timeline_sql(con, f, _keys(ti, f, terms))


@query
def drilldown(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    points: list[PointKey] | None = None,
    pairs: list[PairKey] | None = None,
    sort: str = "published_at",
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Exactly the articles behind the selected points (or co-mention cells): see `queries.drilldown_sql`."""
    queries.check_selection(points, pairs, sort)
    terms = search.parse(f.search)
    ti, fresh = _text_index(con) if terms or pairs else (None, False)
    hits = total = span = None
    if fresh:
        # The text index narrows the search to the selection (and, in time order, to the page): only those
        # articles cross into DuckDB. Also without a search for co-mention cells (both people: one AND there).
        q = facets.drill_query(ti, f, terms, points, pairs, buckets.bucket_end)
        if sort == "published_at" and limit is not None:
            total, hits, offset, span = facets.page(ti, q, offset, limit, descending)
        else:
            hits = ti.keys_of(q)
    elif terms:
        hits = _keys(ti, f, terms)
    return queries.drilldown_sql(con, f, points, pairs, sort, descending, limit, offset, hits, total, span)


@query
def source_list(
    con: duckdb.DuckDBPyConnection, f: Filters, key: SourceKey, sort: str = "published_at", descending: bool = True,
    limit: int | None = None, offset: int = 0,
) -> pd.DataFrame:
    """Exactly the articles behind one bar of a per-source chart: see `source_list.source_list_sql`."""
    terms, ti, _ = _search(con, f)
    return bars.source_list_sql(con, f, key, sort, descending, limit, offset, _keys(ti, f, terms) if terms else None)


@query
def top_sources(con: duckdb.DuckDBPyConnection, f: Filters, n: int = 10) -> pd.DataFrame:
    """Sources with the most articles mentioning any selected entity."""
    terms, ti, fresh = _search(con, f)
    if fresh:
        return facets.top_sources(ti, f, terms, n)
    return counts.top_sources_sql(con, f, n, _keys(ti, f, terms))


@query
def co_mentions(con: duckdb.DuckDBPyConnection, f: Filters, n: int = 12) -> pd.DataFrame:
    """Pairs of people mentioned in the same article, among the `n` most-mentioned people under the filters.

    Columns a, b (a < b), articles. If two or more people are selected, the matrix is over them.
    """
    terms, ti, fresh = _search(con, f)
    if fresh:
        return facets.co_mentions(ti, f, terms, n)
    return counts.co_mentions_sql(con, f, n, _keys(ti, f, terms))


@query
def entity_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every entity's articles, mentions, mentions in titles and last mention under the filters."""
    terms, ti, fresh = _search(con, f)
    if fresh:
        return facets.entity_totals(ti, f, terms)
    return counts.entity_totals_sql(con, f, _keys(ti, f, terms))


@query
def count_articles(con: duckdb.DuckDBPyConnection, f: Filters, selected: bool) -> int:
    """Articles under the filters, mentioning a selected entity or not."""
    terms, ti, fresh = _search(con, f)
    if fresh:
        return facets.count_articles(ti, f, terms, selected)
    return counts.count_articles_sql(con, f, selected, _keys(ti, f, terms))


@query
def period_article_ids(con: duckdb.DuckDBPyConnection, f: Filters, limit: int, selected: bool) -> list[str]:
    """Newest articles under the filters: those mentioning a selected entity, or all stored ones."""
    terms, ti, fresh = _search(con, f)
    if fresh:
        hits = facets.newest(ti, f, terms, limit, list(f.entities) if selected else None)
    else:
        hits = _keys(ti, f, terms)
    return queries.period_article_ids_sql(con, f, limit, selected, hits)


@query
def entity_article_ids(
    con: duckdb.DuckDBPyConnection, f: Filters, kind: str, entity_id: str, start: date, end: date, limit: int
) -> list[str]:
    """Ids of articles mentioning the entity in [start, end), newest first, at most `limit`."""
    terms, ti, fresh = _search(con, f)
    if fresh:
        hits = facets.newest(ti, f, terms, limit, [(kind, entity_id)], (start, end))
    else:
        hits = _keys(ti, f, terms)
    return queries.entity_article_ids_sql(con, f, kind, entity_id, start, end, limit, hits)
