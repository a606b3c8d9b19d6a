"""A read-only local replica of a published store, so the dashboard can serve a store that lives on S3/GCS.

`newsmon store publish URI` mirrors the store to an object store (ingest/publish.py). `pull_store(URI, DIR)`
is the other half: it copies that mirror into DIR as a store the dashboard opens like any other, and brings it
up to date incrementally. `newsmon dashboard --store s3://bucket/prefix` does this in a cache directory and
pulls again every few minutes while it serves.

Consistency: the published manifest (`_newsmon_publish.json`, written last by each publish) is the list of
files to hold. Files are downloaded under a temporary name and renamed; mentions before articles (the
articles table is the commit point, as in the store itself); files the manifest no longer lists are deleted
after every download has finished, so a dashboard reading the replica never misses a row. A file the
manifest lists but the bucket no longer has (a publish ran meanwhile) is skipped and fetched next time.

A replica refuses writers (`Store.writer` sees `REPLICA_MARK`): ingest into the original store, then publish.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from ingest.publish import MANIFEST, open_destination
from ingest.store import REPLICA_MARK

# Download order: the articles table last, because its files are what make a batch visible to readers.
PULL_ORDER = ("runs", "signatures", "mentions", "articles")
LOCAL_MANIFEST = "_newsmon_pull.json"


class ReplicaError(Exception):
    """The published store cannot be read (no manifest, unreachable bucket): a whole-run failure."""


@dataclass(frozen=True)
class PullReport:
    downloaded: int
    deleted: int
    unchanged: int
    missing: int  # listed by the manifest but gone from the bucket (a publish ran meanwhile)
    bytes_downloaded: int


def pull_store(uri: str, local: Path) -> PullReport:
    """Bring the replica at `local` up to date with the store published at `uri`."""
    try:
        fs, base = open_destination(uri)
    except (OSError, ValueError, ImportError) as exc:
        raise ReplicaError(f"cannot open {uri}: {exc}") from exc
    base = base.rstrip("/")
    remote = _read_json(fs, f"{base}/{MANIFEST}")
    if remote is None:
        raise ReplicaError(f"{uri} holds no published store (no {MANIFEST}; run `newsmon store publish {uri}`)")
    local.mkdir(parents=True, exist_ok=True)
    (local / REPLICA_MARK).write_text(uri + "\n")
    held = _read_local(local / LOCAL_MANIFEST)
    downloaded = unchanged = missing = size = 0
    for table in PULL_ORDER:
        for key in sorted(k for k in remote if k.split("/", 1)[0] == table):
            target = local / key
            if held.get(key) == remote[key] and target.exists():
                unchanged += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                size += _download(fs, f"{base}/{key}", target)
            except FileNotFoundError:
                missing += 1
                continue
            held[key] = remote[key]
            downloaded += 1
            _write_json(local / LOCAL_MANIFEST, held)  # a pull killed midway keeps what it fetched
    deleted = 0
    for table in reversed(PULL_ORDER):  # articles first: a batch disappears for readers before its mentions
        for key in sorted(k for k in held if k.split("/", 1)[0] == table and k not in remote):
            (local / key).unlink(missing_ok=True)
            del held[key]
            deleted += 1
    _write_json(local / LOCAL_MANIFEST, held)
    return PullReport(downloaded, deleted, unchanged, missing, size)


def _download(fs: pafs.FileSystem, remote: str, target: Path) -> int:
    tmp = target.with_name(f".{target.name}.part")
    n = 0
    with fs.open_input_stream(remote) as src, tmp.open("wb") as dst:
        while chunk := src.read(8 * 1024 * 1024):
            dst.write(chunk)
            n += len(chunk)
    os.replace(tmp, target)
    return n


def _read_json(fs: pafs.FileSystem, path: str) -> dict | None:
    try:
        with fs.open_input_stream(path) as fh:
            data = json.loads(fh.read().decode())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ReplicaError(f"cannot read {path}: {exc}") from exc
    return data if isinstance(data, dict) else None


def _read_local(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)
