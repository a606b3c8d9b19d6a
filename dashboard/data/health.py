"""Queries of the Sources & health page and of the annotations: the run log, sources, coverage per source.

Split from `queries.py` only to keep modules small; same rules (bound values, whitelisted identifiers).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.data.filters import Filters
from dashboard.data.queries import _base, _bucket
from dashboard.data.querylog import query
from ingest.store.runlog import ALERTS_SOURCE


def has_annotations(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'annotations'").fetchone()[0])



@query
def source_health(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source: articles stored, newest article, last run that stored or fetched, failures in runs (the
    alerts' delivery rows of the run log are not sources: the Alerts page shows them)."""
    return con.execute(
        "WITH a AS (SELECT source, count(*) AS articles, max(published_at) AS newest_article,"
        " max(fetched_at) AS last_fetched FROM articles GROUP BY 1),"
        " r AS (SELECT source, count(*) AS runs, max(finished_at) FILTER (WHERE fetched > 0) AS last_ok_run,"
        " max(finished_at) AS last_run, sum(failed) AS failed FROM runs"
        f" WHERE NOT starts_with(source, '{ALERTS_SOURCE}') GROUP BY 1)"
        " SELECT coalesce(a.source, r.source) AS source, coalesce(a.articles, 0) AS articles,"
        " a.newest_article, a.last_fetched, r.runs, r.last_run, r.last_ok_run, coalesce(r.failed, 0) AS failed"
        " FROM a FULL JOIN r ON a.source = r.source ORDER BY articles DESC, source"
    ).df()



@query
def failures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Failures by source and reason, summed over the run log."""
    return con.execute(
        "SELECT source, k.key AS reason, sum(k.value) AS failures FROM"
        " (SELECT source, unnest(map_entries(failures)) AS k FROM runs) GROUP BY ALL ORDER BY failures DESC, 1, 2"
    ).df()



@query
def runs(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The run log, newest first; `language_disagrees` is empty for runs logged before it was recorded."""
    cols = {r[0] for r in con.execute("DESCRIBE runs").fetchall()}
    disagrees = "language_disagrees" if "language_disagrees" in cols else "NULL::BIGINT AS language_disagrees"
    return con.execute(
        "SELECT run_id, source, started_at, finished_at, found, fetched, stored, duplicate, failed,"
        f" {disagrees}, watchlist_version FROM runs ORDER BY started_at DESC, source LIMIT $n",
        {"n": limit},
    ).df()



@query
def articles_per_source(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    params: dict = {}
    conds = _base(f.with_(search=""), "a", params)
    return con.execute(
        f"SELECT {_bucket(f, params, 'a.published_at')} AS bucket, a.source, count(*) AS articles"
        f" FROM articles a WHERE {' AND '.join(conds)} GROUP BY ALL ORDER BY 1, 2",
        params,
    ).df()



@query
def annotations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Live event annotations (the latest version of each id, not deleted), oldest first."""
    if not has_annotations(con):
        return pd.DataFrame(columns=["id", "day", "label", "note", "author", "created_at"])
    return con.execute(
        "SELECT id, day, label, note, author, created_at FROM ("
        " SELECT *, row_number() OVER (PARTITION BY id ORDER BY created_at DESC) AS newest FROM annotations)"
        " WHERE newest = 1 AND NOT deleted ORDER BY day, created_at"
    ).df()
