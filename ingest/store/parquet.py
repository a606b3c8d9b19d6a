"""The Parquet store: the one module that knows its paths and schema.

Layout (every file is plain Parquet, readable by DuckDB, pandas, Polars or Spark as it stands)::

    ROOT/articles -> articles.d/<gen>/   part-<batch>.parquet: one row per article
    ROOT/mentions -> mentions.d/<gen>/   part-<batch>.parquet: one row per mention, same file names as articles
    ROOT/runs -> runs.d/<gen>/           run-<id>.parquet: one row per run and source, the run log
    ROOT/signatures/part-<batch>.parquet MinHash signatures of recent articles (story clusters, stories.py)
    ROOT/state/feeds.json                ETag / Last-Modified per feed (feedstate.py), replaced atomically
    ROOT/runs-spool/run-<id>.parquet     run-log rows written while another process held the lock (`Store.log_run`),
                                         moved into runs/ by the next writer
    ROOT/.lock                           held by the one process that writes

`articles`, `mentions` and `runs` are symlinks to a generation directory. Ingest adds files to the current
generation; a whole-table rewrite (a recount, a compaction) builds a new generation beside it and switches to
it (generations.py): readers see the old table or the new one, never a mix, and a compaction switches articles
and mentions as one step (a journal, ROOT/.switch.json, lets the next writer finish a switch a kill cut short).

Every file is written under a hidden temporary name and renamed, so a reader never sees half a file.

**A batch commits all its files at once, or none** (`StoreWriter.batch()`, `Batch`). Each file of a batch, in
any folder of the store, is first written under its *pending* name, `.<final name>.pending`: hidden and outside
every table's glob (`*.parquet`), so no reader (DuckDB, pandas, pyarrow, Spark) ever sees it. When every file
is written, `Batch.commit()` fsyncs them and renames them to their final names, the articles file first: that
rename is the commit. A file belongs to the batch whose key (`part-<time>-<random>`) starts its name, whatever
follows (`.parquet`, `.warc.gz`, ...). When the writer next opens the store (`StoreWriter.recover`), a pending
file whose batch's articles file exists is renamed into place (the kill came between the renames), and any other
is deleted (the batch never committed; its rows are redone by the next run, never counted twice). Any per-batch
file gets this by being written through the batch:

    with writer.batch(name) as batch:
        batch.write_table(writer.store.mentions_dir, mentions)          # .part-X.parquet.pending
        write_warc(batch.path(writer.store.root / "warc", ".warc.gz"))  # .part-X.warc.gz.pending
        batch.write_table(writer.store.articles_dir, articles)          # the commit point
    # on leaving the block: fsync, rename articles/part-X.parquet, then the others; on an error: all removed
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from ingest.records import Article
from ingest.store import generations, runlog
from ingest.store.atomic import StoreError, fsync_dir, symlink_replace, write_atomic  # noqa: F401 - fsync_dir re-exported
from ingest.store.batch import PENDING, Batch, batch_key, settle_pending  # noqa: F401 - PENDING, batch_key re-exported
from ingest.store.generations import STALE_GENERATION_SECONDS  # noqa: F401 - re-exported (replica.py)

log = logging.getLogger(__name__)

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
GENERATIONAL = ("articles", "mentions", "runs")
SCHEMAS = {"articles": ARTICLES_SCHEMA, "mentions": MENTIONS_SCHEMA, "runs": RUNS_SCHEMA}  # an empty file per table, so globs always match something


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
                write_atomic(schema.empty_table(), d / SCHEMA_FILE)

    def read_column(self, table: str, column: str) -> pa.ChunkedArray:
        dataset = ds.dataset(self.root / table, format="parquet", exclude_invalid_files=False)
        return dataset.to_table(columns=[column]).column(column)

    def count(self, table: str = "articles") -> int:
        if not self.exists():
            return 0
        return ds.dataset(self.root / table, format="parquet").count_rows()

    def log_run(self, rows: list[dict]) -> Path | None:
        """Add `rows` (RUNS_SCHEMA) to the run log from a process that does not hold the writer lock (an alerts
        check, which runs beside an ingest). With the lock free, it is taken and the rows written as a run file;
        held by another process, they go whole into ROOT/runs-spool/, and the next writer moves them into the
        run log (`StoreWriter.recover`). Either way one file written atomically: a kill leaves it or nothing.
        Returns the file written (None for no rows)."""
        if not rows:
            return None
        try:
            with self.writer() as w:
                return w.write_run(rows)
        except StoreLocked:
            path = runlog.spool_path(self.root, f"run-{_batch_name()}.parquet")
            write_atomic(pa.Table.from_pylist(rows, schema=RUNS_SCHEMA), path)
            return path

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
        """Undo or finish what a killed writer left, before anything else is written.

        A half-done switch of generations is finished (generations.py), unfinished generations and temporary
        files go, and pending batch files are committed (their articles file landed) or dropped (it did not).
        Last, a store left by an older newsmon is repaired: its batches wrote mentions before articles, without
        pending names, and its compaction switched mentions and articles one after the other (`_pair_mentions`).
        """
        root = self.store.root
        generations.finish_switch(root)
        for table in GENERATIONAL:
            generations.drop_unfinished(root, table)
        for d in (root, self.store.articles_dir, self.store.mentions_dir, self.store.runs_dir,
                  self.store.signatures_dir, self.store.state_dir):
            for tmp in d.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
        settle_pending(self.store.root, self.store.articles_dir)
        runlog.adopt(root, self.store.runs_dir)
        self._pair_mentions()

    def _pair_mentions(self) -> None:
        """Mentions files pair with articles files by name; repair a store where they do not.

        Newer writers keep the pairing at every instant a writer can die. An older newsmon did not: killed
        between the switches of a compaction, it left the merged mentions beside the unmerged articles (the
        previous mentions generation, which pairs, is still there: switch back to it); killed between a batch's
        two files, it left an orphan mentions file (dropped with a switch, not deleted in place, so a reader
        that listed the folder a moment ago still finds every file it listed)."""
        articles = _part_names(self.store.articles_dir)
        mentions = {p.name: p for p in self.store.mentions_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE}
        if set(mentions) - articles:
            now = generations.current(self.store.root, "mentions")
            for gen in generations.generations(self.store.root, "mentions"):
                if gen != now and _part_names(self.store.root / "mentions.d" / gen) == articles:
                    log.warning("mentions of %s put back to generation %s, which pairs with the articles",
                                self.store.root, gen)
                    generations.switch(self.store.root, {"mentions": gen})
                    return
            self.swap_generation("mentions", {n: p for n, p in mentions.items() if n in articles})
        unpaired = articles - set(mentions)
        if unpaired:
            log.warning("%d articles files of %s have no mentions file (run `newsmon mentions recount`)",
                        len(unpaired), self.store.root)

    @contextmanager
    def batch(self, name: str | None = None) -> Iterator[Batch]:
        """The files of one batch, committed together when the block ends (see the module docstring)."""
        files = Batch(self.store.articles_dir, name or new_batch_file())
        try:
            yield files
        except BaseException:
            files.abandon()
            raise
        files.commit()

    def write_batch(self, articles: list[Article], watchlist_version: str = "", name: str | None = None,
                    extra: Callable[[Batch], None] | None = None) -> str | None:
        """Write one batch of articles and their mentions (and whatever `extra` writes into the batch);
        returns the batch's file name, or None if empty."""
        if not articles:
            return None
        with self.batch(name) as files:
            files.write_table(self.store.mentions_dir, mentions_table(articles, watchlist_version))
            if extra is not None:
                extra(files)
            files.write_table(self.store.articles_dir, articles_table(articles))
        return files.name

    def write_run(self, rows: list[dict]) -> Path | None:
        """One run file of the run log (RUNS_SCHEMA rows); returns its path (None for no rows)."""
        if not rows:
            return None
        path = self.store.runs_dir / f"run-{_batch_name()}.parquet"
        write_atomic(pa.Table.from_pylist(rows, schema=RUNS_SCHEMA), path)
        return path

    def replace_mentions(self, tables: Iterable[tuple[str, pa.Table]]) -> None:
        """Swap in a whole new mentions table (a recount): readers see the old or the new, never a mix.

        `tables` yields (articles file name, mentions table) pairs."""
        self.swap_generation("mentions", {name: table for name, table in tables})

    def swap_generation(self, table: str, files: dict[str, generations.Content]) -> None:
        """Make `table` exactly `files` (name -> new table, or an existing file to keep), in one atomic swap."""
        self.swap_generations({table: files})

    def swap_generations(self, tables: dict[str, dict[str, generations.Content]]) -> None:
        """Make each table exactly its files, all in one step: every table's new generation is built first,
        then they are switched together (generations.switch: a kill leaves all old or, once the next writer
        has opened the store, all new)."""
        built = {table: generations.build(self.store.root, table, files, SCHEMAS[table], SCHEMA_FILE)
                 for table, files in tables.items()}
        generations.switch(self.store.root, built)


def _part_names(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("part-*.parquet") if p.name != SCHEMA_FILE}


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


_write_atomic = write_atomic  # the name other modules import
