"""Atomic file operations of the store: a file appears whole under its final name, or not at all.

Takes paths and tables; gives files written under a hidden temporary name, fsynced and renamed, symlinks
replaced in one rename, and directories whose entries are made durable. `parquet.py` (batches) and
`generations.py` (whole-table rewrites) build on them; nothing here knows the store's layout.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


class StoreError(Exception):
    """The store cannot be opened or written (a whole-run failure, shown as one line)."""


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write `table` to `path` as Parquet: a hidden temporary file (`.name.xxxxxx.tmp`), fsynced, renamed."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc.strerror}") from exc


def write_json_atomic(data: object, path: Path) -> None:
    """Write `data` as JSON to `path` the same way (temporary name, fsync, rename, fsync of the folder)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc.strerror}") from exc


def symlink_replace(target: Path, link: Path) -> None:
    """Point `link` at `target` atomically (a new link renamed over the old one)."""
    tmp = link.with_name(f".{link.name}.{secrets.token_hex(3)}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (renames, new files) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
