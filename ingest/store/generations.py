"""Generations of a table, and switching several tables as one step.

A generational table (`articles`, `mentions`, `runs`) is a symlink ROOT/<table> -> <table>.d/<gen>/. A
whole-table rewrite (a compaction, a recount, a reclean) builds the next generation beside the current one
and points the link at it, so a reader sees the old table or the new one, never a mix.

- **Building** (`build`): the directory is made as `<table>.d/.g<ns>.building`, filled (kept files hard-linked,
  new ones written atomically; a kept file written before a column was added is rewritten with it by
  `conform`), fsynced, and renamed to `g<ns>`. A directory named `g…` is complete; a
  `.building` one is what a killed writer left, removed by the next (`drop_unfinished`): no reader ever saw it.
- **Switching** (`switch`): one table is one rename of its link. Several tables that must change together (a
  compaction merges articles and mentions files, which pair by name) are named with their targets in a journal,
  ROOT/.switch.json, written atomically before the first link moves and removed after the last. A writer killed
  in between leaves the journal; the next writer finishes the switch (`finish_switch`) before anything else. So
  the tables move together, or (killed before the journal landed) not at all.

A replaced generation stays for STALE_GENERATION_SECONDS, and at least until the next switch, for readers that
resolved the link just before it moved.

Takes a store root and table names; gives generation names. Runs under the store's write lock.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.store import layout
from ingest.store.atomic import fsync_dir, symlink_replace, write_atomic, write_json_atomic

log = logging.getLogger(__name__)

JOURNAL = ".switch.json"
BUILDING = ".building"
STALE_GENERATION_SECONDS = 300  # how long a replaced generation stays for readers still on it


def current(root: Path, table: str) -> str | None:
    """The name of the generation `table` points at (None for a plain directory or no table)."""
    link = root / table
    return Path(os.readlink(link)).name if link.is_symlink() else None


# What a file of a new generation is made from: an existing file (hard-linked), a table, or a function that reads
# the table when its file is written (a compaction's merged groups: one in memory at a time).
Content = pa.Table | Path | Callable[[], pa.Table]


def build(root: Path, table: str, files: Mapping[str, Content], schema: pa.Schema, schema_file: str) -> str:
    """A complete new generation of `table` holding exactly `files` (name -> what it is made from: `Content`)
    and the table's empty schema file; returns its name. Nothing points at it yet. Every file written anew is
    laid out for reading by period (layout.py); a hard-linked one stays as it is."""
    gens = root / f"{table}.d"
    gens.mkdir(parents=True, exist_ok=True)
    name = f"g{time.time_ns()}"
    tmp = gens / f".{name}{BUILDING}"
    tmp.mkdir()
    write_atomic(schema.empty_table(), tmp / schema_file)
    for fname, content in files.items():
        if fname == schema_file:
            continue
        if isinstance(content, Path) and set(schema.names) <= set(pq.read_schema(content).names):
            os.link(content, tmp / fname)
        else:  # a new table, or a file written before a column existed: rewritten with every column
            content = (pq.read_table(content) if isinstance(content, Path)
                       else content if isinstance(content, pa.Table) else content())
            write_atomic(conform(content, schema), tmp / fname, partial(layout.write, table))
    fsync_dir(tmp)
    os.rename(tmp, gens / name)
    fsync_dir(gens)
    return name


def switch(root: Path, targets: Mapping[str, str]) -> None:
    """Point each table at its target generation: all of them or (if killed before the journal) none."""
    before = {table: current(root, table) for table in targets}
    journal = len(targets) > 1
    if journal:
        write_json_atomic({"targets": dict(targets), "before": before}, root / JOURNAL)
    for table, gen in targets.items():
        _point(root, table, gen)
    fsync_dir(root)
    if journal:
        (root / JOURNAL).unlink()
        fsync_dir(root)
    for table, gen in targets.items():
        retire(root, table, before[table], keep=gen)


def finish_switch(root: Path) -> bool:
    """Complete a switch a killed writer left half done (its journal is there); True if there was one.

    Every target was complete before the journal was written, so the switch is rolled forward. Only if a
    target has gone (a store edited by hand) are the tables put back where they were before it."""
    path = root / JOURNAL
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        targets, before = dict(plan["targets"]), dict(plan["before"])
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable switch journal %s (%s): ignored", path, exc)
        path.unlink(missing_ok=True)
        return False
    if not all((root / f"{t}.d" / gen).is_dir() for t, gen in targets.items()):
        log.warning("switch journal %s names a missing generation: tables put back as they were", path)
        targets, before = {t: g for t, g in before.items() if g and (root / f"{t}.d" / g).is_dir()}, targets
    for table, gen in targets.items():
        if current(root, table) != gen:
            _point(root, table, gen)
    fsync_dir(root)
    path.unlink()
    fsync_dir(root)
    for table, gen in targets.items():
        retire(root, table, before.get(table), keep=gen)
    return True


def drop_unfinished(root: Path, table: str) -> None:
    """Remove generations a killed writer was building (never pointed at, so no reader is on them)."""
    gens = root / f"{table}.d"
    if gens.is_dir():
        for unfinished in gens.glob(f".g*{BUILDING}"):
            shutil.rmtree(unfinished, ignore_errors=True)


def generations(root: Path, table: str) -> list[str]:
    """The complete generations of `table`, newest first."""
    gens = root / f"{table}.d"
    if not gens.is_dir():
        return []
    names = [p.name for p in gens.iterdir() if p.is_dir() and p.name.startswith("g") and p.name[1:].isdigit()]
    return sorted(names, key=lambda n: int(n[1:]), reverse=True)


def retire(root: Path, table: str, old: str | None, keep: str) -> None:
    """Mark `old` as out of use from now (its mtime), and remove generations out of use for long enough."""
    gens = root / f"{table}.d"
    if old is not None and old != keep and (gens / old).exists():
        os.utime(gens / old)
    # A reader that resolved the link just before a switch may still be listing or reading the one it found.
    cutoff = time.time() - STALE_GENERATION_SECONDS
    for stale in gens.iterdir():
        if stale.name in (keep, old) or stale.name.endswith(BUILDING):
            continue
        if stale.is_dir() and stale.stat().st_mtime < cutoff:
            shutil.rmtree(stale, ignore_errors=True)


def _point(root: Path, table: str, gen: str) -> None:
    symlink_replace(Path(f"{table}.d") / gen, root / table)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns, in its order; a column the table lacks (a file written before the
    column existed) is all null. How old stores keep working after a column is added."""
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in schema]
    return pa.table(columns, schema=schema)
