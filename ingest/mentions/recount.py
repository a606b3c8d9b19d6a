"""Recount: recompute every stored mention from the stored text after the watchlist changed. Nothing is fetched.

Old stores: every mention is recomputed, so rules written before the derived family names (``surname-after-full-name``)
come back under today's names (``surname-after-full`` and the rest, docs/store.md); the report gives the mentions per
rule before and after. The articles' stored language goes to the matcher (it decides whether a bare family name is an
everyday word there).

Each articles file is matched in a worker process (one Matcher per process, built by the pool initializer), and its
mentions table comes back under the articles file's name. `StoreWriter.replace_mentions` writes the tables beside the
old generation and swaps the `mentions` link in one rename, so a dashboard reading meanwhile sees the old counts or the
new ones, never a mix. The store's write lock is held throughout, so no ingest batch can land between the read and the
swap and be lost.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import Watchlist
from ingest.store.parquet import MENTIONS_SCHEMA, SCHEMA_FILE, Store, StoreError

_matcher: Matcher | None = None
_version = ""


@dataclass(frozen=True)
class RecountReport:
    files: int
    articles: int
    mentions: int
    seconds: float
    watchlist_version: str
    rules: dict[str, int] = field(default_factory=dict)  # mentions per rule after the recount
    previous_rules: dict[str, int] = field(default_factory=dict)  # before it (old stores: the old rule names)


def articles_files(store: Store) -> list[Path]:
    """The committed articles files of a store, in batch order."""
    return sorted(p for p in store.articles_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE)


def mentions_for_table(articles: pa.Table, matcher: Matcher, watchlist_version: str) -> pa.Table:
    """The mentions table (MENTIONS_SCHEMA) of an articles table with id, title, text, published_at and source."""
    titles = articles.column("title").to_pylist()
    texts = articles.column("text").to_pylist()
    languages = (
        articles.column("language").to_pylist() if "language" in articles.column_names else [None] * len(texts)
    )
    rows: list[int] = []
    cols: dict[str, list] = {k: [] for k in ("entity_id", "kind", "field", "start", "end", "matched", "rule")}
    for i, (title, text, language) in enumerate(zip(titles, texts, languages, strict=True)):
        for m in matcher.find(title or "", text or "", language or None):
            rows.append(i)
            cols["entity_id"].append(m.entity_id)
            cols["kind"].append(m.kind)
            cols["field"].append(m.field)
            cols["start"].append(m.start)
            cols["end"].append(m.end)
            cols["matched"].append(m.matched)
            cols["rule"].append(m.rule)
    take = pa.array(rows, type=pa.int64())
    arrays = {
        "article_id": articles.column("id").take(take),
        **{k: pa.array(v, type=MENTIONS_SCHEMA.field(k).type) for k, v in cols.items()},
        "published_at": articles.column("published_at")
        .take(take)
        .cast(MENTIONS_SCHEMA.field("published_at").type),
        "source": articles.column("source").take(take),
        "watchlist_version": pa.array([watchlist_version] * len(rows), type=pa.string()),
    }
    return pa.table([arrays[f.name] for f in MENTIONS_SCHEMA], schema=MENTIONS_SCHEMA)


def _init(watchlist: Watchlist) -> None:
    global _matcher, _version
    _matcher = Matcher(watchlist)
    _version = watchlist.version


def _recount_file(path: Path) -> tuple[str, pa.Table, int]:
    assert _matcher is not None, "worker not initialised"
    names = pq.read_schema(path).names
    columns = ["id", "title", "text", "published_at", "source"] + (["language"] if "language" in names else [])
    articles = pq.read_table(path, columns=columns)
    return path.name, mentions_for_table(articles, _matcher, _version), articles.num_rows


def recount(
    store_root: Path | str,
    watchlist: Watchlist,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RecountReport:
    """Recompute all mentions of the store at `store_root` with `watchlist` and swap them in atomically.

    `processes` defaults to the number of cores; 0 works in this process. `progress(done_files, total_files)` is
    called after each file.
    """
    store = Store(Path(store_root))
    if not store.exists():
        raise StoreError(f"no store at {store.root} (run `newsmon ingest` first)")
    started = time.perf_counter()
    totals = {"articles": 0, "mentions": 0}
    rules: Counter = Counter()
    with store.writer() as writer:
        files = articles_files(store)
        previous = rule_counts(store)
        workers = (os.cpu_count() or 1) if processes is None else processes

        def tables(results: Iterator[tuple[str, pa.Table, int]]) -> Iterator[tuple[str, pa.Table]]:
            for done, (name, table, n) in enumerate(results, start=1):
                totals["articles"] += n
                totals["mentions"] += table.num_rows
                rules.update(_value_counts(table.column("rule")))
                if progress:
                    progress(done, len(files))
                yield name, table

        if workers <= 0 or len(files) <= 1:
            _init(watchlist)
            writer.replace_mentions(tables(map(_recount_file, files)))
        else:
            with ProcessPoolExecutor(
                min(workers, len(files)), initializer=_init, initargs=(watchlist,)
            ) as pool:
                writer.replace_mentions(tables(pool.map(_recount_file, files)))
    return RecountReport(
        len(files),
        totals["articles"],
        totals["mentions"],
        time.perf_counter() - started,
        watchlist.version,
        dict(rules),
        previous,
    )


def rule_counts(store: Store) -> dict[str, int]:
    """Mentions per rule in the store as it is (before a recount: an old store's rule names)."""
    import pyarrow.dataset as ds

    if not store.mentions_dir.exists():
        return {}
    try:
        table = ds.dataset(store.mentions_dir, format="parquet").to_table(columns=["rule"])
    except (OSError, pa.ArrowInvalid):
        return {}
    return _value_counts(table.column("rule"))


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    """Rows per value, counted by Arrow (millions of mentions: a Python Counter of them took seconds)."""
    import pyarrow.compute as pc

    if len(column) == 0:
        return {}
    counts = pc.value_counts(column)
    return {v.as_py(): n.as_py() for v, n in zip(counts.field("values"), counts.field("counts"), strict=True)}
