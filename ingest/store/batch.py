"""One batch's files, committed together: the mechanism parquet.py's docstring describes.

Takes the folders a batch writes into; gives pending paths (`.<final name>.pending`: hidden, outside every
table's `*.parquet` glob) and a commit that renames them all, the articles file first (the commit point).
`settle_pending` is the recovery: after a kill, a pending file of a committed batch is renamed into place and
any other pending file is deleted.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.store.atomic import StoreError, fsync_dir, fsync_file

log = logging.getLogger(__name__)

PENDING = ".pending"


class Batch:
    """The files of one batch, each written under its pending name and renamed by `commit()`, articles first.

    Made by `StoreWriter.batch()`. `path(folder, suffix)` is where to write a file of the batch (any format: the
    caller writes it and closes it); `write_table` writes a Parquet table there."""

    def __init__(self, articles_dir: Path, name: str) -> None:
        self.articles_dir = articles_dir
        self.name = name  # part-<key>.parquet: the name of its articles and mentions files
        self.key = batch_key(name)
        self._files: list[tuple[Path, Path]] = []  # (pending, final)

    def path(self, folder: Path, suffix: str = ".parquet") -> Path:
        """The pending path of this batch's file in `folder` (final name: the batch's key + `suffix`)."""
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{self.key}{suffix}"
        pending = folder / f".{final.name}{PENDING}"
        self._files.append((pending, final))
        return pending

    def write_table(self, folder: Path, table: pa.Table) -> None:
        path = self.path(folder)
        try:
            pq.write_table(table, path, compression="zstd")
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}") from exc

    def commit(self) -> None:
        """Make every file visible: fsync them all, rename the articles file (the commit), then the others."""
        articles = self.articles_dir.resolve()
        order = sorted(self._files, key=lambda pf: pf[1].parent.resolve() != articles)
        try:
            for pending, _ in order:
                fsync_file(pending)
            for pending, final in order:
                os.replace(pending, final)
            for folder in {final.parent for _, final in order}:
                fsync_dir(folder)
        except OSError as exc:
            raise StoreError(f"cannot commit batch {self.key}: {exc.strerror}") from exc

    def abandon(self) -> None:
        """Remove the batch's pending files (an error before the commit)."""
        for pending, _ in self._files:
            pending.unlink(missing_ok=True)


def batch_key(filename: str) -> str:
    """The batch a file belongs to: its name up to the first dot (`part-<time>-<random>`)."""
    return filename.lstrip(".").split(".", 1)[0]


def settle_pending(root: Path, articles_dir: Path) -> None:
    """After a kill: commit the pending files of batches whose articles file landed, delete all others.

    Every folder directly under the store's root is looked at, so a per-batch file in a folder of its own
    is settled like the mentions file."""
    committed = {batch_key(p.name) for p in articles_dir.glob("part-*.parquet")}
    touched = set()
    for folder in (p for p in root.iterdir() if p.is_dir()):
        for pending in folder.glob(f".*{PENDING}"):
            final = folder / pending.name[1:-len(PENDING)]
            if batch_key(final.name) in committed:
                os.replace(pending, final)  # killed between the commit and the last rename: finish it
                log.info("recovered %s of a committed batch", final)
            else:
                pending.unlink(missing_ok=True)
            touched.add(folder)
    for folder in touched:
        fsync_dir(folder)
