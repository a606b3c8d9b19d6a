"""Event annotations ("ceasefire announced"), kept in the store beside the articles.

Layout: ROOT/annotations/ann-<time>-<random>.parquet, one small file per change, each written atomically
with the store's own writer helper (a temporary name, fsync, rename). A deletion is a new row with the
same id and deleted = true; readers keep the newest row per id (data/health.py, annotations). Annotations are not
part of an ingest batch, so adding one does not take the ingest lock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from ingest.store.parquet import SCHEMA_FILE, TS, Store, StoreError, _write_atomic

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("day", pa.date32()),
        ("label", pa.string()),
        ("note", pa.string()),
        ("author", pa.string()),
        ("created_at", TS),
        ("deleted", pa.bool_()),
    ]
)
MAX_LABEL = 80  # drawn on the chart: longer labels would cover the lines


@dataclass(frozen=True)
class Annotation:
    day: date
    label: str
    note: str = ""
    author: str = ""
    id: str = ""


def annotations_dir(root: Path) -> Path:
    return Store(root).root / "annotations"


def _write(root: Path, row: dict) -> None:
    d = annotations_dir(root)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {d}: {exc.strerror}") from exc
    if not (d / SCHEMA_FILE).exists():
        _write_atomic(SCHEMA.empty_table(), d / SCHEMA_FILE)
    name = f"ann-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.parquet"
    _write_atomic(pa.Table.from_pylist([row], schema=SCHEMA), d / name)


def add(root: Path, a: Annotation) -> str:
    """Store a new annotation; returns its id. The label must be non-empty."""
    label = " ".join(a.label.split())
    if not label:
        raise ValueError("an annotation needs a label")
    if len(label) > MAX_LABEL:
        raise ValueError(f"the label is longer than {MAX_LABEL} characters")
    ident = a.id or secrets.token_hex(6)
    _write(root, {"id": ident, "day": a.day, "label": label, "note": a.note.strip(), "author": a.author.strip(),
                  "created_at": datetime.now(UTC), "deleted": False})
    return ident


def delete(root: Path, ident: str, day: date, label: str) -> None:
    """Mark an annotation deleted (a tombstone row; files are never rewritten)."""
    _write(root, {"id": ident, "day": day, "label": label, "note": "", "author": "",
                  "created_at": datetime.now(UTC), "deleted": True})
