"""The run log's spool: rows written by a process that does not hold the store's writer lock.

`newsmon alerts check` runs beside an ingest (it holds the alerts' own lock, not the store's), yet its delivery
failures belong in the run log (`runs/`). `Store.log_run` writes them directly when the writer lock is free;
when another process holds it, the rows go whole, as one atomically written file, into ROOT/runs-spool/, and the
next writer moves each such file into `runs/` with one rename (`adopt`, from `StoreWriter.recover`). A kill
leaves a file in the spool or in runs/, never in both and never half of one.

Takes the store's root and its runs folder; nothing here knows the schema. Runs under the writer lock (`adopt`)
or beside it (`spool_path`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ingest.store.atomic import StoreError, fsync_dir

# Run-log rows of the alerts' deliveries (dashboard/alerts/run.py) name their channel as `alerts:<channel>`: they
# are not sources, and the per-source health leaves them out (ingest/store/health.py, dashboard/data/health.py).
ALERTS_SOURCE = "alerts:"
RUN_SPOOL = "runs-spool"
# A temporary spool file older than this was left by a killed process; a younger one may be being written now by
# a process without the lock (a spool write takes milliseconds), so it is left alone.
SPOOL_STALE_SECONDS = 600


def spool_path(root: Path, name: str) -> Path:
    """Where a spooled run file named `name` goes (the folder made if need be)."""
    spool = root / RUN_SPOOL
    try:
        spool.mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {spool}: {exc.strerror}") from exc
    return spool / name


def adopt(root: Path, runs_dir: Path) -> int:
    """Move every spooled run file into `runs_dir` (under the writer lock); returns how many moved."""
    spool = root / RUN_SPOOL
    if not spool.is_dir():
        return 0
    cutoff = time.time() - SPOOL_STALE_SECONDS
    for tmp in spool.glob(".*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except FileNotFoundError:  # renamed into place meanwhile by its writer
            pass
    moved = 0
    for f in sorted(spool.glob("run-*.parquet")):
        os.replace(f, runs_dir / f.name)
        moved += 1
    if moved:
        fsync_dir(runs_dir)
        fsync_dir(spool)
    return moved
