"""Atomic file operations of the store: a file appears whole under its final name, or not at all.

Takes paths and tables; gives files written under a hidden temporary name, fsynced and renamed, symlinks
replaced in one rename, and directories whose entries are made durable. `parquet.py` (batches) and
`generations.py` (whole-table rewrites) build on them, and so do the alerts' state files (dashboard/alerts/state.py);
nothing here knows the store's layout. `replace_atomic` is the one way a whole file is replaced: every writer
here and there goes through it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq


class StoreError(Exception):
    """The store cannot be opened or written (a whole-run failure, shown as one line)."""


def replace_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Replace `path` whole with what `write(fh)` writes: into a hidden temporary file beside it
    (`.name.xxxxxx.tmp`, which every `*.parquet` or `*.json` glob skips and the next writer deletes), fsynced,
    renamed over `path`, then the folder fsynced so the rename itself survives a power cut. A kill at any moment
    leaves the old file or the new one, never half of one. An error removes the temporary file and is raised as
    it came (OSError for the disk)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(table: pa.Table, path: Path, write: Callable[[pa.Table, BinaryIO], object] | None = None) -> None:
    """Write `table` to `path` as Parquet (zstd, or as `write(table, fh)` writes it), atomically
    (`replace_atomic`); a disk error is a StoreError."""
    write = write or (lambda t, fh: pq.write_table(t, fh, compression="zstd"))
    try:
        replace_atomic(path, lambda fh: write(table, fh))
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_json_atomic(data: object, path: Path) -> None:
    """Write `data` as JSON to `path`, atomically (`replace_atomic`); a disk error is a StoreError."""
    try:
        replace_atomic(path, lambda fh: fh.write(json.dumps(data, sort_keys=True).encode("utf-8")))
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


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
