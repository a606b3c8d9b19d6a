"""The Parquet store: the one module that knows its paths and schema.

Layout (every file is plain Parquet, readable by DuckDB, pandas, Polars or Spark as it stands)::

    ROOT/articles -> articles.d/<gen>/   part-<batch>.parquet: one row per article
    ROOT/mentions -> mentions.d/<gen>/   part-<batch>.parquet: one row per mention, same file names as articles
    ROOT/runs -> runs.d/<gen>/           run-<id>.parquet: one row per run and source, the run log
    ROOT/signatures/part-<batch>.parquet MinHash signatures of recent articles (story clusters, stories.py)
    ROOT/state/feeds.json                ETag / Last-Modified per feed (feedstate.py), replaced atomically
    ROOT/.lock                           held by the one process that writes

`articles`, `mentions` and `runs` are symlinks to a generation directory. Ingest adds files to the current
generation; a whole-table rewrite (a recount, a compaction) builds a new generation beside it — unchanged
files hard-linked, new files written — and swaps the symlink in one rename, so readers see the old table or
the new one, never a mix. A replaced generation is kept for STALE_GENERATION_SECONDS (and at least until the
next swap) for readers still on it.

A batch is committed by its articles file: its mentions file is written first, then the articles file is
renamed into place. Every file is written under a hidden temporary name and renamed, so a reader never sees
half a file, and a crash loses at most the batch in flight. The writer removes orphans (a mentions file
whose articles file never landed) when it opens the store, so a crashed batch is redone, never counted twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ingest.records import Article
from ingest.store.pages import recover_pages

DEFAULT_ROOT = Path("data/store")

TS = pa.timestamp("us", tz="UTC")

ARTICLES_SCHEMA = pa.schema(
    [
        ("id", pa.string()),  # sha1 of the canonical URL, 16 hex digits
        ("url", pa.string()),
        ("source", pa.string()),
        ("title", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("published_at", TS),
        ("published_source", pa.string()),  # jsonld | meta | htmldate | dateline | url | feed | fetched
        ("fetched_at", TS),
        ("language", pa.string()),
        ("text", pa.string()),
        ("content_hash", pa.string()),
        ("story_id", pa.string()),  # near-duplicate cluster (syndicated copies): the id of its first article
        # The page's own UTC offset of published_at, minutes east of UTC; null when the page gave none. Added after
        # the first stores were written: files without it read as null (`conform`, DuckDB's union_by_name).
        ("published_offset_min", pa.int16()),
    ]
)

# published_at and source are copied from the article so that the timeline needs no join.
MENTIONS_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("entity_id", pa.string()),
        ("kind", pa.string()),  # person | topic
        ("field", pa.string()),  # title | body
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("matched", pa.string()),
        ("rule", pa.string()),
        ("published_at", TS),
        ("source", pa.string()),
        ("watchlist_version", pa.string()),
    ]
)

RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("started_at", TS),
        ("finished_at", TS),
        ("found", pa.int64()),
        ("fetched", pa.int64()),
        ("stored", pa.int64()),
        ("duplicate", pa.int64()),
        ("failed", pa.int64()),
        ("failures", pa.map_(pa.string(), pa.int64())),
        ("watchlist_version", pa.string()),
        ("language_disagrees", pa.int64()),  # stored articles surely in another language than declared
    ]
)

SCHEMA_FILE = "part-0-schema.parquet"
STALE_GENERATION_SECONDS = 300  # how long a replaced generation stays for readers still on it
GENERATIONAL = ("articles", "mentions", "runs")
SCHEMAS = {"articles": ARTICLES_SCHEMA, "mentions": MENTIONS_SCHEMA, "runs": RUNS_SCHEMA}  # an empty file per table, so globs always match something


class StoreError(Exception):
    """The store cannot be opened or written (a whole-run failure, shown as one line)."""


# In a read-only replica of a published store (ingest/store/replica.py): holds the URI it was pulled from.
REPLICA_MARK = "_replica_of"


class StoreLocked(StoreError):
    pass


def article_id(canonical_url: str) -> str:
    """The article's stable id: derived from its canonical URL, so a re-run finds it again."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def content_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


def _batch_name() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


def new_batch_file() -> str:
    """A fresh, time-ordered file name for a batch (the same name in articles/, mentions/, signatures/)."""
    return f"part-{_batch_name()}.parquet"


@dataclass(frozen=True)
class Store:
    """Paths of a store; reading needs nothing else, writing goes through `writer()`."""

    root: Path

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def mentions_dir(self) -> Path:
        return self.root / "mentions"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def signatures_dir(self) -> Path:
        """MinHash signatures of recent articles (ingest/store/stories.py), one file per batch, same names."""
        return self.root / "signatures"

    @property
    def state_dir(self) -> Path:
        """Small state files of the sources: feeds.json (ETag / Last-Modified per feed, ingest/sources/feedstate.py)."""
        return self.root / "state"

    def glob(self, table: str) -> str:
        """A glob over the table's files, for DuckDB's read_parquet()."""
        return str(self.root / table / "*.parquet")

    def exists(self) -> bool:
        """True once every table is readable (`init()` writes the articles table's schema file last)."""
        return (self.articles_dir / SCHEMA_FILE).exists()

    def init(self) -> None:
        """Create the layout (idempotent)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for table in GENERATIONAL:
                if not (self.root / table).exists():
                    (self.root / f"{table}.d" / "g0").mkdir(parents=True, exist_ok=True)
                    symlink_replace(Path(f"{table}.d") / "g0", self.root / table)
        except OSError as exc:
            raise StoreError(f"cannot create the store at {self.root}: {exc.strerror}") from exc
        for d, schema in (  # articles last: its schema file is what `exists()` looks for
            (self.mentions_dir, MENTIONS_SCHEMA),
            (self.runs_dir, RUNS_SCHEMA),
            (self.articles_dir, ARTICLES_SCHEMA),
        ):
            if not (d / SCHEMA_FILE).exists():
                _write_atomic(schema.empty_table(), d / SCHEMA_FILE)

    def read_column(self, table: str, column: str) -> pa.ChunkedArray:
        dataset = ds.dataset(self.root / table, format="parquet", exclude_invalid_files=False)
        return dataset.to_table(columns=[column]).column(column)

    def count(self, table: str = "articles") -> int:
        if not self.exists():
            return 0
        return ds.dataset(self.root / table, format="parquet").count_rows()

    @contextmanager
    def writer(self, wait: bool = False) -> Iterator[StoreWriter]:
        """Hold the store's write lock; two writers never run at once."""
        if (self.root / REPLICA_MARK).exists():
            origin = (self.root / REPLICA_MARK).read_text().strip()
            raise StoreError(f"{self.root} is a read-only replica of {origin}: write to the original store, "
                             "then `newsmon store publish` it")
        self.init()
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError as exc:
                raise StoreLocked(f"another process is writing to {self.root} (lock {self.root / '.lock'})") from exc
            w = StoreWriter(self)
            w.recover()
            yield w
        finally:
            os.close(fd)


class StoreWriter:
    """Writes batches atomically; only made by `Store.writer()`, under the lock."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def recover(self) -> None:
        """Undo what a crashed writer left: temporary files, and mentions of batches never committed.

        Orphan mentions are dropped by a generation swap, not by deleting files in place, so a reader that
        listed the directory a moment ago still finds every file it listed."""
        for d in (self.store.articles_dir, self.store.mentions_dir, self.store.runs_dir, self.store.signatures_dir,
                  self.store.state_dir):
            for tmp in d.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
        from ingest.store.generations import finish_swaps  # here: that module builds on this one

        finish_swaps(self.store)
        committed = {p.name for p in self.store.articles_dir.glob("part-*.parquet")}
        recover_pages(self.store.root, committed)  # kept pages: finish a committed batch's, drop an unfinished one
        mentions = {p.name: p for p in self.store.mentions_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE}
        if any(name not in committed for name in mentions):
            self.swap_generation("mentions", {n: p for n, p in mentions.items() if n in committed})

    def write_batch(self, articles: list[Article], watchlist_version: str = "", name: str | None = None) -> str | None:
        """Write one batch of articles and their mentions; returns the batch's file name, or None if empty."""
        if not articles:
            return None
        name = name or new_batch_file()
        _write_atomic(mentions_table(articles, watchlist_version), self.store.mentions_dir / name)
        _write_atomic(articles_table(articles), self.store.articles_dir / name)  # the commit point
        return name

    def write_run(self, rows: list[dict]) -> None:
        if rows:
            table = pa.Table.from_pylist(rows, schema=RUNS_SCHEMA)
            _write_atomic(table, self.store.runs_dir / f"run-{_batch_name()}.parquet")

    def replace_mentions(self, tables: Iterable[tuple[str, pa.Table]]) -> None:
        """Swap in a whole new mentions table (a recount): readers see the old or the new, never a mix.

        `tables` yields (articles file name, mentions table) pairs."""
        self.swap_generation("mentions", {name: table for name, table in tables})

    def swap_generation(self, table: str, files: dict[str, pa.Table | Path]) -> None:
        """Make `table` exactly `files` (name -> new table, or an existing file to keep), in one atomic swap."""
        link = self.store.root / table
        gens = self.store.root / f"{table}.d"
        current = os.readlink(link) if link.is_symlink() else None
        new = gens / f"g{time.time_ns()}"
        new.mkdir(parents=True)
        _write_atomic(SCHEMAS[table].empty_table(), new / SCHEMA_FILE)
        for name, content in files.items():
            if name == SCHEMA_FILE:
                continue
            if isinstance(content, Path) and set(SCHEMAS[table].names) <= set(pq.read_schema(content).names):
                os.link(content, new / name)
            else:  # a new table, or a file written before a column existed: rewritten with every column
                content = pq.read_table(content) if isinstance(content, Path) else content
                _write_atomic(conform(content, SCHEMAS[table]), new / name)
        fsync_dir(new)
        symlink_replace(Path(f"{table}.d") / new.name, link)
        fsync_dir(self.store.root)
        if current is not None and (gens / Path(current).name).exists():
            os.utime(gens / Path(current).name)  # its mtime now says when it went out of use
        # Older generations go once they have been out of use for a while: a reader that resolved the link
        # just before this swap may still be listing or reading the one it found.
        cutoff = time.time() - STALE_GENERATION_SECONDS
        for stale in gens.iterdir():
            if stale != new and (current is None or stale.name != Path(current).name):
                if stale.stat().st_mtime < cutoff:
                    shutil.rmtree(stale, ignore_errors=True)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns, in its order; a column the table lacks (a file written before the
    column existed) is all null. How old stores keep working after a column is added."""
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in schema]
    return pa.table(columns, schema=schema)


def articles_table(articles: list[Article]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "id": a.id,
                "url": a.url,
                "source": a.source,
                "title": a.title,
                "authors": list(a.authors),
                "published_at": a.published_at,
                "published_source": a.published_source,
                "fetched_at": a.fetched_at,
                "language": a.language,
                "text": a.text,
                "content_hash": a.content_hash,
                "story_id": a.story_id or a.id,
                "published_offset_min": a.published_offset_min,
            }
            for a in articles
        ],
        schema=ARTICLES_SCHEMA,
    )


def mentions_table(articles: list[Article], watchlist_version: str = "") -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "article_id": a.id,
                "entity_id": m.entity_id,
                "kind": m.kind,
                "field": m.field,
                "start": m.start,
                "end": m.end,
                "matched": m.matched,
                "rule": m.rule,
                "published_at": a.published_at,
                "source": a.source,
                "watchlist_version": watchlist_version,
            }
            for a in articles
            for m in a.mentions
        ],
        schema=MENTIONS_SCHEMA,
    )


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
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


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (renames, new files) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
