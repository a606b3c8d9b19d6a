"""`newsmon store compact`: merge the many small files that months of ingest runs leave into few large ones.

Rows are unchanged, only files are merged, and every file written is laid out for reading by period (rows in
publication-time order, small row groups: layout.py); a large file an older compaction left unsorted is laid
out too. The new generations of articles, mentions and runs are built beside the current ones and switched as
one step (generations.py): a reader sees every row once whichever generation it is on, and the writer that
comes after a kill finds articles and mentions files paired by name, never the merged mentions beside the
unmerged articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.store.generations import Content, conform
from ingest.store.layout import is_laid_out
from ingest.store.parquet import ARTICLES_SCHEMA, MENTIONS_SCHEMA, SCHEMA_FILE, Store, _batch_name
from ingest.store.stories import prune_signatures

# ~250k articles per file keeps files at a few hundred MB of text: large enough that a million-article
# store is a handful of files, small enough that a compaction's memory stays modest.
TARGET_ROWS = 250_000


@dataclass(frozen=True)
class CompactReport:
    files_before: dict[str, int]
    files_after: dict[str, int]
    rows: dict[str, int]


@dataclass(frozen=True)
class Pending:
    """What a compaction would do to the articles table now: `merging` files into `merged` ones, and `unsorted`
    files (large, written before files were laid out by period) it would rewrite on their own."""

    merging: int
    merged: int
    unsorted: int

    def __bool__(self) -> bool:
        return bool(self.merging or self.unsorted)


def pending(store: Store, target_rows: int | None = None) -> Pending:
    """What `compact_store` would do, read from the articles files' footers only (nothing is written)."""
    groups = _groups(_article_files(store), target_rows or TARGET_ROWS)
    many = [g for g in groups if len(g) > 1]
    unsorted = sum(1 for g in groups if len(g) == 1 and not is_laid_out("articles", g[0]))
    return Pending(sum(map(len, many)), len(many), unsorted)


def _article_files(store: Store) -> list[Path]:
    return sorted(p for p in store.articles_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE)


def _rows(path: Path) -> int:
    return pq.read_metadata(path).num_rows


def _groups(paths: list[Path], target_rows: int) -> list[list[Path]]:
    """Consecutive files (in batch order) gathered until a group reaches target_rows."""
    groups, current, rows = [], [], 0
    for path in paths:
        n = _rows(path)
        if current and rows + n > target_rows:
            groups.append(current)
            current, rows = [], 0
        current.append(path)
        rows += n
    if current:
        groups.append(current)
    return groups


def _merged(paths: list[Path], schema: pa.Schema) -> pa.Table:
    """The files' rows as one table; files written before a column was added get it as nulls (`conform`)."""
    return pa.concat_tables([conform(pq.read_table(p), schema) for p in paths]) if paths else schema.empty_table()


def compact_store(store: Store, target_rows: int = TARGET_ROWS) -> CompactReport:
    """Merge small files of every table; articles and mentions stay paired by file name."""
    before, after, rows = {}, {}, {}
    with store.writer(wait=True) as writer:
        articles = _article_files(store)
        mentions_files: dict[str, Content] = {}
        articles_files: dict[str, Content] = {}
        for group in _groups(articles, target_rows):
            pairs = [(a, store.mentions_dir / a.name) for a in group]
            if len(group) == 1:  # kept as it is, unless it is one to lay out anew (a file of an older compaction)
                a, m = pairs[0]
                articles_files[a.name] = a if is_laid_out("articles", a) else partial(pq.read_table, a)
                if m.exists():
                    mentions_files[a.name] = m if is_laid_out("mentions", m) else partial(pq.read_table, m)
                continue
            name = f"part-{_batch_name()}.parquet"
            # Read when its file is written (generations.build), so one group is in memory at a time, not the store.
            articles_files[name] = partial(_merged, [a for a, _ in pairs], ARTICLES_SCHEMA)
            mentions_files[name] = partial(_merged, [m for _, m in pairs if m.exists()], MENTIONS_SCHEMA)
        runs = sorted(p for p in store.runs_dir.glob("run-*.parquet"))
        runs_files: dict[str, Content] = {}
        if len(runs) > 1:
            runs_files[f"run-{_batch_name()}.parquet"] = pa.concat_tables([pq.read_table(r) for r in runs], promote_options="default")  # older run files lack newer columns
        else:
            runs_files.update({r.name: r for r in runs})
        mentions = [p for p in store.mentions_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE]
        tables = {"mentions": mentions_files, "articles": articles_files, "runs": runs_files}
        before.update(mentions=len(mentions), articles=len(articles), runs=len(runs))
        writer.swap_generations(tables)
        for table, files in tables.items():
            after[table] = len(files)
            rows[table] = store.count(table)
        # Signatures are only read back for the last weeks (story clusters): merge them and drop the rest.
        before["signatures"], kept = prune_signatures(writer)
        rows["signatures"] = max(kept, 0)
        after["signatures"] = len(list(store.signatures_dir.glob("*.parquet")))
    return CompactReport(before, after, rows)
