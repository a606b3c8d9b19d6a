"""Multi-table swaps: several tables of the store replaced as one change (`newsmon clean --reextract` rewrites
articles and their mentions together), on top of the one-table generation swap of parquet.py.

Every new generation is built completely beside the current ones; then a journal (``ROOT/.swap.json``) naming
them is written atomically; then each table's link is swapped and the journal removed. A kill before the journal
leaves the old tables (the unused generations are removed by a later swap, as any stale generation); a kill after
it is finished by the next writer (`finish_swaps`, called by `StoreWriter.recover`).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.store.parquet import (
    GENERATIONAL,
    SCHEMA_FILE,
    SCHEMAS,
    Store,
    StoreWriter,
    _write_atomic,
    conform,
    fsync_dir,
    symlink_replace,
)

SWAP_JOURNAL = ".swap.json"


def build_generation(store: Store, table: str, files: dict[str, pa.Table | Path]) -> Path:
    """A complete new generation directory of `table` beside the current one (not yet in use)."""
    new = store.root / f"{table}.d" / f"g{time.time_ns()}"
    new.mkdir(parents=True)
    _write_atomic(SCHEMAS[table].empty_table(), new / SCHEMA_FILE)
    for name, content in files.items():
        if name == SCHEMA_FILE:
            continue
        if isinstance(content, Path) and set(SCHEMAS[table].names) <= set(pq.read_schema(content).names):
            os.link(content, new / name)
        else:
            content = pq.read_table(content) if isinstance(content, Path) else content
            _write_atomic(conform(content, SCHEMAS[table]), new / name)
    fsync_dir(new)
    return new


def swap_generations(writer: StoreWriter, tables: dict[str, dict[str, pa.Table | Path]]) -> None:
    """Replace several tables at once (a re-extraction rewrites articles and their mentions): every new generation
    is built first, then a journal naming them is written, then the links are swapped and the journal removed.
    A kill before the journal leaves the old tables; after it, `StoreWriter.recover` finishes the swaps, so the
    tables never stay half old, half new. (Readers may see the two links move a moment apart.)"""
    store = writer.store
    built = {table: build_generation(store, table, files) for table, files in tables.items()}
    journal = store.root / SWAP_JOURNAL
    tmp = journal.with_name(f".{journal.name}.{secrets.token_hex(3)}.tmp")
    tmp.write_text(json.dumps({table: path.name for table, path in built.items()}), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, journal)
    fsync_dir(store.root)
    finish_swaps(store)


def finish_swaps(store: Store) -> None:
    """Point each table named in the swap journal (`swap_generations`) at its new generation, then drop the
    journal; idempotent, so a kill in here is finished by the next writer."""
    journal = store.root / SWAP_JOURNAL
    if not journal.exists():
        return
    try:
        target = json.loads(journal.read_text(encoding="utf-8"))
    except ValueError:
        target = {}  # written atomically, so never half: an unreadable journal is not ours to follow
    for table, generation in target.items():
        link, gens = store.root / table, store.root / f"{table}.d"
        if table not in GENERATIONAL or not (gens / generation).is_dir():
            continue
        current = os.readlink(link) if link.is_symlink() else None
        if current is not None and Path(current).name == generation:
            continue
        symlink_replace(Path(f"{table}.d") / generation, link)
        if current is not None and (gens / Path(current).name).exists():
            os.utime(gens / Path(current).name)  # out of use from now: removed by a later swap
    fsync_dir(store.root)
    journal.unlink()
    fsync_dir(store.root)
