"""`newsmon store publish DEST`: copy the store to any filesystem pyarrow or fsspec can write (S3, GCS, ...).

The ingest writes to a local (POSIX) directory because its guarantees rest on POSIX: atomic rename, an
advisory lock, symlinked generations. Object stores have none of these, so the store is *published* there:
the current generation of every table is mirrored to DEST as plain Parquet directories (`articles/`,
`mentions/`, `runs/`, `signatures/`) that DuckDB (httpfs), pandas, Polars or Spark read as they are.

Incremental: a file is uploaded when its name is new or its size or mtime changed since the last publish
(recorded in DEST/_newsmon_publish.json); files gone locally (after a compaction or recount) are deleted
remotely after every upload has finished, so a reader of DEST never misses a row — at worst, for the
seconds between the two steps, it sees a compaction's old and new files together.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from ingest.store.parquet import Store

MANIFEST = "_newsmon_publish.json"
# Upload order: the articles table last, as in the store, because a batch's articles file is what makes it
# count; a reader of DEST during a publish never sees an article whose mentions are not there yet.
TABLES = ("runs", "signatures", "mentions", "articles")
FSSPEC_ENV = "NEWSMON_FSSPEC"  # set to 1: reach every URI through fsspec (s3fs, gcsfs), even where pyarrow has its own


@dataclass(frozen=True)
class PublishReport:
    uploaded: int
    deleted: int
    unchanged: int
    bytes_uploaded: int


def open_destination(uri: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem for `uri` (s3://, gs://, hdfs://, file://, a local path), else through fsspec.

    With $NEWSMON_FSSPEC=1, fsspec for every URI (s3fs for s3://: its own credential chain and options)."""
    if os.environ.get(FSSPEC_ENV, "").lower() not in ("1", "true", "yes") or "://" not in uri:
        try:
            return pafs.FileSystem.from_uri(uri)
        except (pa.ArrowInvalid, ValueError):  # a scheme pyarrow has no native filesystem for
            pass
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(uri)
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def has_directories(fs: pafs.FileSystem) -> bool:
    """True for filesystems where a file needs its directory made first (local paths, fsspec's memory).

    Object stores have no directories: there, making one only writes marker objects, and s3fs or gcsfs
    would create a missing *bucket* (a typo in the URI would make a new bucket, not fail)."""
    if isinstance(fs, pafs.LocalFileSystem):
        return True
    protocol = getattr(getattr(getattr(fs, "handler", None), "fs", None), "protocol", ())
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol or ())
    return bool({"file", "local", "memory"} & set(protocols))


def publish_store(store: Store, uri: str) -> PublishReport:
    fs, base = open_destination(uri)
    base = base.rstrip("/")
    mkdirs = has_directories(fs)
    if mkdirs:
        fs.create_dir(base, recursive=True)
    previous = _read_manifest(fs, f"{base}/{MANIFEST}")
    current: dict[str, list[int]] = {}
    uploaded = unchanged = size_up = 0
    for table in TABLES:
        folder = store.root / table
        if not folder.exists():
            continue
        if mkdirs:
            fs.create_dir(f"{base}/{table}", recursive=True)
        for path in sorted(folder.glob("*.parquet")):
            stat = path.stat()
            key = f"{table}/{path.name}"
            current[key] = [stat.st_size, stat.st_mtime_ns]
            if previous.get(key) == current[key]:
                unchanged += 1
                continue
            _upload(fs, path, f"{base}/{key}")
            uploaded += 1
            size_up += stat.st_size
    deleted = 0
    for key in sorted(set(previous) - set(current)):
        try:
            fs.delete_file(f"{base}/{key}")
            deleted += 1
        except FileNotFoundError:
            pass
    with fs.open_output_stream(f"{base}/{MANIFEST}") as out:
        out.write(json.dumps(current, indent=0, sort_keys=True).encode())
    return PublishReport(uploaded, deleted, unchanged, size_up)


def _upload(fs: pafs.FileSystem, local: Path, remote: str) -> None:
    with local.open("rb") as src, fs.open_output_stream(remote) as dst:
        while chunk := src.read(8 * 1024 * 1024):
            dst.write(chunk)


def _read_manifest(fs: pafs.FileSystem, path: str) -> dict[str, list[int]]:
    try:
        with fs.open_input_stream(path) as fh:
            return json.loads(fh.read().decode())
    except (FileNotFoundError, OSError, ValueError):
        return {}
