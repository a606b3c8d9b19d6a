"""A read-only local replica of a published store, so the dashboard can serve a store that lives on S3/GCS.

`newsmon store publish URI` mirrors the store to an object store (ingest/store/publish.py). `pull_store(URI, DIR)`
is the other half: it copies that mirror into DIR as a store the dashboard opens like any other, and brings it
up to date incrementally. `newsmon dashboard --store s3://bucket/prefix` does this in a cache directory and
pulls again every few minutes while it serves.

Consistency: the published manifest (`_newsmon_publish.json`, written last by each publish) is the list of
files to hold. Tables are pulled mentions before articles (the articles table is the commit point, as in the
store itself), and a batch's articles file waits until its mentions file is held. When a table only gains
files, each is downloaded under a temporary name and renamed into place. When files go or change (a
compaction, a recount), the table's next generation is built beside it (kept files hard-linked, new ones
downloaded); once every such table is complete they are swapped in back to back, each with one symlink
rename, as the store does: a reader never sees a compaction's old and merged files together (every row
twice) nor misses a row, and an interrupted download leaves the replica exactly as it was. A pull interrupted anywhere (SIGKILL, a
dropped connection) leaves the replica consistent and the next pull resumes: fetched files are recorded as
they land (`_newsmon_pull.json`, and a progress file in an unfinished generation). A file the manifest lists
but the bucket no longer has (a publish ran meanwhile) is skipped and fetched next time.

A replica refuses writers (`Store.writer` sees `REPLICA_MARK`): ingest into the original store, then publish.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from ingest.store.parquet import REPLICA_MARK, STALE_GENERATION_SECONDS, fsync_dir, symlink_replace
from ingest.store.publish import MANIFEST, open_destination

# Download order: the articles table last, because its files are what make a batch visible to readers.
PULL_ORDER = ("runs", "signatures", "mentions", "articles")
LOCAL_MANIFEST = "_newsmon_pull.json"
BUILDING = ".newsmon-building.json"  # in a generation being built: the files it already holds (resume point)


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
    pull = _Pull(fs, base, local, _read_local(local / LOCAL_MANIFEST))
    want = {t: {k: v for k, v in remote.items() if k.split("/", 1)[0] == t} for t in PULL_ORDER}
    # Tables whose files go or change (a compaction, a recount) are built anew beside the live ones; the
    # others only gain files, which land in place: those of the articles table last (the commit point).
    replaced = [t for t in PULL_ORDER
                if any(remote.get(k) != v for k, v in pull.held.items() if k.split("/", 1)[0] == t)]
    for table in PULL_ORDER:
        if table != "articles" and table not in replaced:
            pull.add_in_place(table, want[table], remote)
    built = {t: pull.build_table(t, want[t]) for t in replaced}
    if all(built.values()):  # every new generation complete: swap them in back to back (mentions first)
        for table in replaced:
            pull.swap_table(table, built[table], want[table])
    if "articles" not in replaced:
        pull.add_in_place("articles", want["articles"], remote)
    _write_json(local / LOCAL_MANIFEST, pull.held)
    return PullReport(pull.downloaded, pull.deleted, pull.unchanged, pull.missing, pull.size)


class _Pull:
    """One pull's state: what the replica holds (`held`, key -> published [size, mtime]) and the counts."""

    def __init__(self, fs: pafs.FileSystem, base: str, local: Path, held: dict) -> None:
        self.fs, self.base, self.local, self.held = fs, base, local, held
        self.downloaded = self.deleted = self.unchanged = self.missing = self.size = 0

    def live_dir(self, table: str) -> Path:
        """The directory readers see for `table` (`table` -> `table.d/<gen>`), made on the first pull."""
        link = self.local / table
        if not link.exists() and not link.is_symlink():
            (self.local / f"{table}.d" / "g0").mkdir(parents=True, exist_ok=True)
            symlink_replace(Path(f"{table}.d") / "g0", link)
        return link

    def add_in_place(self, table: str, want: dict, remote: dict) -> None:
        """Only new files: each lands under its final name once complete (a batch appears whole)."""
        live = self.live_dir(table)
        for key in sorted(want):
            target = self.local / key
            if self.held.get(key) == want[key] and target.exists():
                self.unchanged += 1
                continue
            name = key.split("/", 1)[1]
            if table == "articles" and f"mentions/{name}" in remote and f"mentions/{name}" not in self.held:
                self.missing += 1  # its mentions could not be fetched: the batch waits for the next pull
                continue
            if not self._fetch(key, live / name):
                continue
            self.held[key] = want[key]
            _write_json(self.local / LOCAL_MANIFEST, self.held)  # a pull killed midway keeps what it fetched

    def build_table(self, table: str, want: dict) -> Path | None:
        """Build the table's next generation (kept files hard-linked, others downloaded); None if incomplete.

        Nothing changes for readers until `swap_table`: they never see a compaction's old and merged files
        together (every row twice). A pull interrupted here resumes in the same unfinished generation."""
        link = self.live_dir(table)
        gens = self.local / f"{table}.d"
        current = gens / Path(os.readlink(link)).name if link.is_symlink() else None
        new = _unfinished(gens, current) or gens / f"g{time.time_ns()}"
        new.mkdir(parents=True, exist_ok=True)
        progress = new / BUILDING
        done = {k: v for k, v in _read_local(progress).items() if want.get(k) == v and (new / _name(k)).exists()}
        _write_json(progress, done)  # marks the generation unfinished from the start
        for leftover in new.glob("*.parquet"):
            if f"{table}/{leftover.name}" not in done:
                leftover.unlink()
        complete = True
        for key in sorted(want):
            target = new / _name(key)
            if key in done:
                self.unchanged += 1
                continue
            old = (self.local / key) if self.held.get(key) == want[key] else None
            if old is not None and old.exists():
                os.link(old, target)
                self.unchanged += 1
            elif not self._fetch(key, target):
                complete = False  # readers stay on the current generation; the next pull finishes this one
                continue
            done[key] = want[key]
            _write_json(progress, done)
        fsync_dir(new)
        return new if complete else None

    def swap_table(self, table: str, new: Path, want: dict) -> None:
        """Make the built generation the live one, with one rename of the table's symlink."""
        link, gens = self.local / table, self.local / f"{table}.d"
        current = gens / Path(os.readlink(link)).name if link.is_symlink() else None
        if not link.is_symlink():  # a replica pulled before generations: its plain directory moves aside
            current = gens / f"g{time.time_ns()}-plain"
            os.rename(link, current)  # (readers miss the table for the instant until the link below lands)
        symlink_replace(Path(f"{table}.d") / new.name, link)
        fsync_dir(self.local)
        (new / BUILDING).unlink(missing_ok=True)  # live now: no longer an unfinished generation
        if current is not None and current.exists():
            os.utime(current)  # its mtime now says when it went out of use
        gone = [k for k in self.held if k.split("/", 1)[0] == table and k not in want]
        for k in gone:
            del self.held[k]
        self.held.update(want)
        self.deleted += len(gone)
        _write_json(self.local / LOCAL_MANIFEST, self.held)
        _drop_stale(gens, keep={new.name, current.name if current else ""})

    def _fetch(self, key: str, target: Path) -> bool:
        try:
            self.size += _download(self.fs, f"{self.base}/{key}", target)
        except FileNotFoundError:
            self.missing += 1  # a publish removed it after writing the manifest we read: fetched next time
            return False
        self.downloaded += 1
        return True


def _name(key: str) -> str:
    return key.split("/", 1)[1]


def _unfinished(gens: Path, current: Path | None) -> Path | None:
    """The newest generation an interrupted pull was building (it holds its progress file), if any."""
    building = sorted((p for p in gens.glob("g*") if (p / BUILDING).exists() and p != current),
                      key=lambda p: p.stat().st_mtime_ns)
    return building[-1] if building else None


def _drop_stale(gens: Path, keep: set[str]) -> None:
    """Generations replaced more than STALE_GENERATION_SECONDS ago go (a reader may still be listing one)."""
    cutoff = time.time() - STALE_GENERATION_SECONDS
    for old in gens.iterdir():
        if old.name not in keep and old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


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
