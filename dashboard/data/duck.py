"""Every DuckDB connection and cursor of the dashboard is made here: in UTC, spilling to the cache, never failing for
want of memory.

- **UTC.** `connect` sets the database's zone with `SET GLOBAL TimeZone = 'UTC'`, and `cursor` sets it again on the
  cursor: DuckDB 2.0 gives a cursor made by `con.cursor()` the machine's zone, not its connection's `SET TimeZone`,
  and the zone decides `CAST(ts AS DATE)`, `date_trunc` and how TIMESTAMPTZ values reach pandas. So no query
  depends on the machine's `TZ` (tests/dashboard/test_timezone.py runs the queries and a server in Asia/Tokyo).
  Nothing else in `dashboard/` calls `duckdb.connect` or `.cursor()` (the same test checks the source).
- **Spilling.** Sorts, joins and aggregations that outgrow the memory limit spill to `temp_directory`, a folder in
  the dashboard's cache (not DuckDB's default `.tmp` in whatever directory the server was started from).
  Parquet prefetching is off: with it, DuckDB reads a whole column chunk at once, and a store file written as one
  row group of 50,000 articles has a 100 MB text chunk (250,000 after a compaction: ~500 MB); two of them, one
  per thread, were what ran the 320 MB server out of memory (docs/dashboard.md, "Memory").
- **The limit is a target, not a cap that drops answers.** `retry_oom` runs a query again with the limit doubled
  (up to `ceiling()`), and sets it back once no raised query runs. Each raise is logged: the benchmark and the
  server log count them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

log = logging.getLogger(__name__)
T = TypeVar("T")

UTC_SQL = "SET TimeZone = 'UTC'"


def connect(database: str | Path, config: dict | None = None, temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC, spilling to `temp_dir`, with Parquet prefetching off. Raises duckdb.Error/OSError."""
    con = duckdb.connect(str(database), config=dict(config or {}))
    try:
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        con.execute(UTC_SQL)
        con.execute("SET GLOBAL disable_parquet_prefetching = true")
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            con.execute(f"SET GLOBAL temp_directory = '{_sql_str(str(temp_dir))}'")
    except BaseException:
        con.close()
        raise
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of `con` (its own transaction context, safe in another thread) in UTC."""
    c = con.cursor()
    c.execute(UTC_SQL)
    return c


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _bytes(setting: str) -> int:
    """DuckDB's way of writing a memory size ("305.1 MiB", "2GB") in bytes."""
    s = setting.strip().replace(" ", "")
    units = {"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40, "KB": 10**3, "MB": 10**6, "GB": 10**9,
             "TB": 10**12, "B": 1}
    for unit, mult in units.items():
        if s.upper().endswith(unit):
            return int(float(s[: -len(unit)]) * mult)
    return int(float(s))


def ceiling() -> int:
    """How far `retry_oom` may raise the limit: $NEWSMON_DASHBOARD_MEMORY_MAX, else half the machine's memory."""
    env = os.environ.get("NEWSMON_DASHBOARD_MEMORY_MAX")
    if env:
        return _bytes(env)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError):
        return 4 << 30


_RAISE_LOCK = threading.Lock()
_RAISED: dict[int, list] = {}  # id(database instance marker) -> [base limit bytes, queries running raised]
_RETRIES = 4  # 2x, 4x, 8x, 16x the target: from 320 MB that is 5 GB, beyond any query of the dashboard
raised_count = 0  # limit raises since the process started (the benchmark reports them)


def _db_key(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return str(rows[0][0]) if rows and rows[0][0] else f"memory:{id(con)}"


def retry_oom(con: duckdb.DuckDBPyConnection, fn: Callable[[], T], what: str = "query") -> T:
    """`fn()`; if DuckDB runs out of memory, the same again with the memory limit doubled (up to `ceiling()`)."""
    global raised_count
    try:
        return fn()
    except duckdb.OutOfMemoryException as first:
        error: Exception = first
    key = _db_key(con)
    with _RAISE_LOCK:
        state = _RAISED.setdefault(key, [None, 0])
        if state[0] is None:
            state[0] = _bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        state[1] += 1
    try:
        for _ in range(_RETRIES):
            with _RAISE_LOCK:
                now = _bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
                new = min(max(now, state[0]) * 2, ceiling())
                if new <= now:
                    break
                con.execute(f"SET GLOBAL memory_limit = '{new}B'")
                raised_count += 1
            log.warning("%s ran out of DuckDB memory (%s); retrying with the limit raised to %.0f MB",
                        what, str(error).splitlines()[0], new / 1e6)
            try:
                return fn()
            except duckdb.OutOfMemoryException as again:
                error = again
        raise error
    finally:
        with _RAISE_LOCK:
            state[1] -= 1
            if state[1] == 0:
                try:  # back to the target; DuckDB evicts what it can (it refuses if it cannot: tried again next time)
                    con.execute(f"SET GLOBAL memory_limit = '{state[0]}B'")
                    del _RAISED[key]
                except duckdb.Error:
                    pass
