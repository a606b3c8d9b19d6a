"""The dashboard's queries as one list: each is registered, retried when DuckDB runs out of memory, and logged.

`@query` marks a public query function (the ones the pages, the cache and the exports call: `dispatch.*` (the per-source lists too),
`queries.store_summary`, `queries.texts`, `health.*`, ...). It runs the function through `duck.retry_oom`, so
a query that outgrows DuckDB's memory target is answered with more memory rather than failing the page, and,
when $NEWSMON_QUERY_LOG names a file, appends one JSON line per call: the function, its arguments (Filters,
points, pairs and dates encoded so that they read back exactly), its time and its error if any. Only the
outermost call is logged (a query that calls another is one line).

`benchmarks/dashboard.py --pages` serves the store with the log on, visits every page in a browser, then replays
each logged call with `replay` and fails on any error: the benchmark runs exactly the queries the pages run.
No streamlit here.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any, TypeVar

from dashboard.data import duck
from dashboard.data.filters import Filters
from dashboard.data.selection import PairKey, PointKey, SourceKey

F = TypeVar("F", bound=Callable[..., Any])
ENV = "NEWSMON_QUERY_LOG"
QUERIES: dict[str, Callable] = {}  # "module.function" -> the registered function
_DEPTH = threading.local()
_WRITE = threading.Lock()


def query(fn: F) -> F:
    """Register `fn(con, ...)` as a dashboard query: retried on OOM (duck.retry_oom) and logged ($NEWSMON_QUERY_LOG)."""
    name = f"{fn.__module__.rpartition('.')[2]}.{fn.__name__}"

    @functools.wraps(fn)
    def run(con, *args, **kwargs):
        depth = getattr(_DEPTH, "n", 0)
        if depth:  # called by another query: that one retries and logs
            return fn(con, *args, **kwargs)
        _DEPTH.n = 1
        t = time.perf_counter()
        error = None
        try:
            return duck.retry_oom(con, lambda: fn(con, *args, **kwargs), name)
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            raise
        finally:
            _DEPTH.n = 0
            path = os.environ.get(ENV)
            if path:
                _write(path, {"fn": name, "args": encode(list(args)), "kwargs": encode(kwargs),
                              "ms": round((time.perf_counter() - t) * 1000, 2), "error": error})

    QUERIES[name] = run
    return run  # type: ignore[return-value]


def _write(path: str, record: dict) -> None:
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _WRITE, open(path, "a", encoding="utf-8") as fh:
        fh.write(line)


def encode(value: Any) -> Any:
    """JSON for a query's arguments; `decode` reads it back exactly."""
    if isinstance(value, Filters):
        return {"$filters": {k: encode(v) for k, v in asdict(value).items()}}
    if isinstance(value, PointKey):
        return {"$point": [value.kind, value.entity_id, value.bucket.isoformat()]}
    if isinstance(value, PairKey):
        return {"$pair": [value.a, value.b]}
    if isinstance(value, SourceKey):
        return {"$source": [value.source, value.bucket.isoformat() if value.bucket else None, value.selected]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$filters" in value:
        raw = value["$filters"]
        kw = {}
        for f in fields(Filters):
            if f.name in raw:
                v = decode(raw[f.name])
                kw[f.name] = tuple(v) if isinstance(v, list) else v
        return Filters(**kw)
    if "$point" in value:
        k, e, d = value["$point"]
        return PointKey(k, e, date.fromisoformat(d))
    if "$pair" in value:
        return PairKey(*value["$pair"])
    if "$source" in value:
        source, day, selected = value["$source"]
        return SourceKey(source, date.fromisoformat(day) if day else None, selected)
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    return {k: decode(v) for k, v in value.items()}


def read(path: str | os.PathLike) -> list[dict]:
    """The log's records, in order."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def replay(con, record: dict) -> Any:
    """Call the logged query again on `con`, with the same arguments."""
    _register_all()
    fn = QUERIES[record["fn"]]
    return fn(con, *decode(record["args"]), **decode(record["kwargs"]))


def _register_all() -> None:
    from dashboard.data import counts, dispatch, health, queries  # noqa: F401 - importing them registers their queries
