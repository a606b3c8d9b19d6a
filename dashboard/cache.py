"""The one module that caches: a DuckDB connection per store, bounded caches for query results.

Cached results are keyed by the store's version (file names and mtimes of its tables), so a new ingest
batch or a recount shows up at the next rerun without waiting for the TTL. Cached values are never mutated
by callers: DataFrames are returned as copies by st.cache_data.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.data import counts, dispatch, duck, health, queries, series
from dashboard.data.filters import Filters
from dashboard.data.names import Names, load_names
from dashboard.data.selection import PairKey, PointKey, SourceKey
from dashboard.escape import markdown_text
from dashboard.ownforms import OwnForms
from ingest.store.parquet import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
# Seconds. The version key already invalidates on new data and max_entries bounds the memory: the TTL only lets an
# idle server give back what nobody asked for in hours. (It was 600 s: ten minutes after its last visit a server
# forgot even the default Overview, whose top terms took 13-17 s to read again at 1M articles.)
TTL = 6 * 3600


def store_root() -> Path:
    return Path(os.environ.get("NEWSMON_STORE", "data/store")).expanduser()


def store_version(root: Path) -> str:
    """Changes whenever a table gains, loses or replaces a file (cheap: directory listings only)."""
    parts = []
    for table in ("articles", "mentions", "runs", "annotations"):
        d = root / table
        if d.exists():
            st_ = d.resolve().stat()
            parts.append(f"{table}:{d.resolve().name}:{st_.st_mtime_ns}:{len(os.listdir(d))}")
    return "|".join(parts)


# DuckDB's own memory (buffer pool, hash tables); with Python, Streamlit and plotly the server stays under
# ~600 MB RSS on the 1M-article benchmark store (benchmarks/dashboard.py --server).
MEMORY_LIMIT = os.environ.get("NEWSMON_DASHBOARD_MEMORY", "320MB")


@st.cache_resource(max_entries=2, show_spinner="Indexing the store (a first run on a large store takes a while; "
                   "later runs add only new batches)…")
def _connection(root: str, version: str) -> duckdb.DuckDBPyConnection:
    """One connection per store version: a new batch or a recount makes the next rerun bring the index up to date."""
    from dashboard.data.index import default_index_path

    use_index = os.environ.get("NEWSMON_DASHBOARD_INDEX", "1") != "0"
    # The index of a store opened for the first time is built in the background: pages read the files meanwhile.
    return queries.connect(root, index_path=default_index_path(Path(root)) if use_index else None,
                           memory_limit=MEMORY_LIMIT, wait=False)


def _cursor(root: Path) -> duckdb.DuckDBPyConnection:
    """A cursor per call (one DuckDB connection must not be used by two script threads at once), in UTC."""
    return duck.cursor(_connection(str(root), store_version(root)))


def cursor(root: Path) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the store's connection, for work done outside a script run (an export on click)."""
    return _cursor(root)


def index_status(root: Path) -> str:
    """"index", "building" or "files": see dashboard.data.index.status."""
    from dashboard.data import index

    try:
        with _cursor(root) as con:
            return index.status(con)
    except Exception:  # noqa: BLE001 - a caption only
        return "files"


def page_drawn() -> None:
    """Called once a page has been drawn: a first build of the store's index, waiting for that, may start."""
    from dashboard.data import index

    index.page_drawn()


def reset_connection() -> None:
    _connection.clear()


@st.cache_resource(max_entries=4)
def names(path: str | None) -> Names:
    return load_names(path)


def watchlist_names() -> Names:
    return names(os.environ.get("NEWSMON_WATCHLIST"))


def store_exists(root: Path) -> bool:
    return Store(root).exists()


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _summary(root: Path, version: str) -> dict:
    with _cursor(root) as con:
        return queries.store_summary(con)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _entity_counts(root: Path, version: str, state: str) -> pd.DataFrame:
    """(`state`, the index's: the counts while it is first built are a ranking only, so they are not kept after)"""
    with _cursor(root) as con:
        return queries.entity_counts(con)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _timeline(root: Path, version: str, f: Filters, first: date, last: date) -> pd.DataFrame:
    with _cursor(root) as con:
        counts = dispatch.timeline_counts(con, f)
        cov = queries.coverage(con, f)
    return series.assemble(counts, cov, f, first, last)


@st.cache_resource(ttl=TTL, max_entries=32, show_spinner=False)
def _timeline_figure(root: Path, version: str, f: Filters, first: date, last: date, names_key: str, spikes: bool,
                     _names: Names) -> go.Figure:
    """The timeline's figure, built once per store version, filters, period and watchlist for every session.

    Building it (plotly's validation of every trace and layout property) took 0.06-0.25 s a run, on every open of
    a page and every click of a point (a click reruns the chart's fragment). Shared, not copied: the pages only
    draw it and the exports copy it (export._with_caption), nobody changes it."""
    from dashboard import charts, explain

    series = timeline(root, version, f, first, last)
    ann = query(root, version, "annotations")
    return charts.timeline_figure(series, _names, f, spikes=explain.spikes(series) if spikes else None,
                                  annotations=ann, title=charts.timeline_title(f), period=(first, last))


_NAMES_KEYS: dict[int, tuple[Names, str]] = {}  # id -> (the Names, kept alive so that its id is not reused; its key)


def names_key(names: Names) -> str:
    """A digest of the display names (what a figure's legend and hovers show), computed once per Names object."""
    hit = _NAMES_KEYS.get(id(names))
    if hit is None or hit[0] is not names:
        import hashlib

        digest = hashlib.sha256(repr(sorted(names.names.items())).encode()).hexdigest()[:16]
        hit = _NAMES_KEYS[id(names)] = (names, digest)
    return hit[1]


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _drilldown(
    root: Path, version: str, f: Filters, points: tuple[PointKey, ...], pairs: tuple[PairKey, ...],
    sort: str, descending: bool, limit: int | None, offset: int,
) -> pd.DataFrame:
    with _cursor(root) as con:
        return dispatch.drilldown(con, f, list(points), list(pairs), sort, descending, limit, offset)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _source_list(root: Path, version: str, f: Filters, key: SourceKey, sort: str, descending: bool,
                 limit: int | None, offset: int) -> pd.DataFrame:
    with _cursor(root) as con:
        return dispatch.source_list(con, f, key, sort, descending, limit, offset)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _article(root: Path, version: str, article_id: str) -> tuple[dict | None, pd.DataFrame]:
    with _cursor(root) as con:
        return queries.article(con, article_id), queries.article_mentions(con, article_id)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _query(root: Path, version: str, name: str, f: Filters | None = None, **kwargs) -> pd.DataFrame:
    """Any other whitelisted query of `dispatch` or `health` by name (panels, health tables, annotations)."""
    if name not in _PLAIN:
        raise ValueError(f"not a cached query: {name}")
    fn = getattr(health if name in _HEALTH else counts if name in _COUNTS else dispatch, name)
    with _cursor(root) as con:
        return fn(con, f, **kwargs) if f is not None else fn(con, **kwargs)


_HEALTH = {"source_health", "failures", "runs", "articles_per_source", "annotations"}
_COUNTS = {"fetch_dated_count"}
_PLAIN = {"fetch_dated_count",
    "period_article_ids", "count_articles", "top_sources", "co_mentions", "entity_totals", "source_health", "failures", "runs",
    "articles_per_source", "annotations",
}


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _top_terms(root: Path, version: str, f: Filters, cap: int, exclude: OwnForms) -> tuple[pd.DataFrame, int, int]:
    """Terms over-represented in articles mentioning the selection vs all articles in the period (newest `cap` each)."""
    from dashboard import explain
    from dashboard.countpool import count_sides

    with _cursor(root) as con:
        target = dispatch.period_article_ids(con, f, cap, selected=True)
        base = dispatch.period_article_ids(con, f, cap, selected=False)
        t, b = queries.texts(con, target), queries.texts(con, base)
    counts = count_sides([t["title"] + "\n" + t["text"], b["title"] + "\n" + b["text"]])
    terms = explain.over_represented(*counts, exclude=exclude)
    return terms, len(target), len(base)


def answer(what: str, fn: Callable[..., T], *args, **kwargs) -> T:
    """`fn(*args, **kwargs)`, a cached query, such that no error of it reaches the page as an exception.

    A query that runs out of DuckDB memory is already run again with more (data/duck.py). Any other failure is
    tried once more on a new connection (a compaction may have removed a file the old one was reading); if that
    fails too, the page says what could not be read, the error goes to the server log, and the page stops there."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - Streamlit's own stop and rerun are BaseExceptions, not caught
        log.warning("%s failed, asking again on a new connection: %s", what, exc)
        reset_connection()
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - said on the page, logged with its traceback
        log.exception("%s failed", what)
        clear_data()
        st.warning(f"{what[0].upper()}{what[1:]} could not be read: {markdown_text(exc)}")
        st.stop()
        raise  # (st.stop raises; for type checkers)


def summary(root: Path, version: str) -> dict:
    return answer("the store's summary", _summary, root, version)


def entity_counts(root: Path, version: str) -> pd.DataFrame:
    return answer("the list of people and topics", _entity_counts, root, version, index_status(root))


def timeline(root: Path, version: str, f: Filters, first: date, last: date) -> pd.DataFrame:
    return answer("the timeline", _timeline, root, version, f, first, last)


def timeline_figure(root: Path, version: str, f: Filters, first: date, last: date, names: Names,
                    spikes: bool = False) -> go.Figure:
    """The timeline's figure (with the spike markers if `spikes`): shared by every session, never to be changed."""
    return answer("the timeline", _timeline_figure, root, version, f, first, last, names_key(names), spikes, names)


def drilldown(root: Path, version: str, f: Filters, points: tuple[PointKey, ...], pairs: tuple[PairKey, ...],
              sort: str, descending: bool, limit: int | None, offset: int) -> pd.DataFrame:
    return answer("the article list", _drilldown, root, version, f, points, pairs, sort, descending, limit, offset)


def source_list(root: Path, version: str, f: Filters, key: SourceKey, sort: str, descending: bool,
                limit: int | None, offset: int) -> pd.DataFrame:
    """The articles behind one bar of a per-source chart (`dispatch.source_list`)."""
    return answer("the article list", _source_list, root, version, f, key, sort, descending, limit, offset)


def article(root: Path, version: str, article_id: str) -> tuple[dict | None, pd.DataFrame]:
    return answer("the article", _article, root, version, article_id)


_WHAT = {"period_article_ids": "the newest articles", "count_articles": "the article counts",
         "top_sources": "the top sources", "co_mentions": "the co-mentions", "entity_totals": "the people and topics",
         "source_health": "the sources table", "failures": "the failures", "runs": "the run log",
         "articles_per_source": "the articles per source", "annotations": "the event annotations",
         "fetch_dated_count": "the articles dated by their fetch"}


def query(root: Path, version: str, name: str, f: Filters | None = None, **kwargs) -> pd.DataFrame:
    """Any other whitelisted query of `dispatch` or `health` by name (panels, health tables, annotations)."""
    return answer(_WHAT.get(name, name), _query, root, version, name, f, **kwargs)


def top_terms(root: Path, version: str, f: Filters, cap: int, exclude: OwnForms) -> tuple[pd.DataFrame, int, int]:
    """Terms over-represented in articles mentioning the selection vs all articles in the period (newest `cap` each)."""
    return answer("the top co-occurring terms", _top_terms, root, version, f, cap, exclude)


def clear_data() -> None:
    """After a failure (or an annotation added or deleted): drop cached results so the next rerun asks the store again."""
    st.cache_data.clear()
    _timeline_figure.clear()
