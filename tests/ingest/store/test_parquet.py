from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.records import Article, Mention
from ingest.store.parquet import MENTIONS_SCHEMA, SCHEMA_FILE, Store, StoreLocked, article_id, content_hash


def make_articles(n: int, rng: random.Random, prefix: str = "a") -> list[Article]:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        text = f"Body {prefix}{i}. Vladimir Putin met officials. " * rng.randint(1, 3)
        url = f"https://example.org/{prefix}/{i}"
        out.append(
            Article(
                id=article_id(url), url=url, source="Example", title=f"Title {i}", text=text,
                content_hash=content_hash(text), fetched_at=base, published_at=base + timedelta(days=i),
                published_source="meta", authors=("A. Writer",), language="en",
                mentions=(Mention("putin", "person", "body", text.index("Vladimir"), text.index("Vladimir") + 14,
                                  "Vladimir Putin", "alias"),),
            )
        )
    return out


def test_init_creates_readable_empty_tables(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    store.init()
    for table in ("articles", "mentions", "runs"):
        assert duckdb.sql(f"select count(*) from read_parquet('{store.glob(table)}')").fetchall() == [(0,)]
    assert store.count() == 0 and store.read_column("articles", "id").to_pylist() == []


def test_batches_round_trip_in_any_reader(tmp_path: Path) -> None:
    store = Store(tmp_path)
    articles = make_articles(5, random.Random(1))
    with store.writer() as w:
        w.write_batch(articles[:3], "v1")
        w.write_batch(articles[3:], "v1")
    assert store.count() == 5
    assert sorted(store.read_column("articles", "id").to_pylist()) == sorted(a.id for a in articles)
    df = pd.read_parquet(store.articles_dir)  # pandas reads the directory as it is
    assert sorted(df["id"]) == sorted(a.id for a in articles)
    assert str(df["published_at"].dtype).startswith("datetime64") and "UTC" in str(df["published_at"].dtype)
    m = duckdb.sql(f"select article_id, entity_id, start, \"end\", watchlist_version from read_parquet('{store.glob('mentions')}')").df()
    assert len(m) == 5 and set(m["watchlist_version"]) == {"v1"}
    a = articles[0]
    row = m[m.article_id == a.id].iloc[0]
    assert a.text[row.start:row.end] == "Vladimir Putin"


def test_second_writer_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.writer():
        with pytest.raises(StoreLocked, match="another process is writing"):
            with store.writer():
                pass


def test_recover_removes_uncommitted_batch_and_temp_files(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.init()
    # a crash after the mentions file landed but before the articles file (the commit point)
    pq.write_table(MENTIONS_SCHEMA.empty_table(), store.mentions_dir / "part-crashed.parquet")
    (store.articles_dir / ".part-x.parquet.abc.tmp").write_bytes(b"half a file")
    with store.writer() as w:
        w.write_batch(make_articles(2, random.Random(2)))
    names = sorted(p.name for p in store.mentions_dir.iterdir())
    assert "part-crashed.parquet" not in names and SCHEMA_FILE in names
    assert not list(store.articles_dir.glob(".*.tmp"))
    # committed mentions files are exactly the committed article files
    assert {p.name for p in store.articles_dir.glob("part-*.parquet")} == {p.name for p in store.mentions_dir.glob("part-*.parquet")}


def test_replace_mentions_swaps_whole_table(tmp_path: Path, monkeypatch) -> None:
    import ingest.store.generations

    store = Store(tmp_path)
    arts = make_articles(3, random.Random(3))
    with store.writer() as w:
        name = w.write_batch(arts, "v1")
        new = pq.read_table(store.mentions_dir / name)
        new = new.set_column(new.schema.get_field_index("watchlist_version"), "watchlist_version",
                             [["v2"] * new.num_rows])
        w.replace_mentions([(name, new)])
        assert len(os.listdir(store.root / "mentions.d")) == 2  # the replaced one stays for readers still on it
        w.replace_mentions([(name, new)])
        assert len(os.listdir(store.root / "mentions.d")) == 3  # ... for a while, not only until the next swap
        monkeypatch.setattr(ingest.store.generations, "STALE_GENERATION_SECONDS", -1)
        w.replace_mentions([(name, new)])  # once out of use long enough, old generations go
    got = duckdb.sql(f"select distinct watchlist_version from read_parquet('{store.glob('mentions')}')").fetchall()
    assert got == [("v2",)]
    assert store.mentions_dir.is_symlink()
    assert len(os.listdir(store.root / "mentions.d")) == 2


def test_unwritable_store_is_a_named_error(tmp_path: Path) -> None:
    from ingest.store.parquet import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot create the store"):
        Store(blocker / "store").init()


def test_compact_merges_files_and_keeps_every_row(tmp_path: Path) -> None:
    from ingest.store.compact import compact_store

    store = Store(tmp_path)
    arts = make_articles(30, random.Random(4))
    with store.writer() as w:
        for i in range(0, 30, 3):
            w.write_batch(arts[i:i + 3], "v1")
            w.write_run([{"run_id": f"r{i}", "source": "Example", "found": 3, "failures": []}])
    before = duckdb.sql(f"select article_id, start from read_parquet('{store.glob('mentions')}') order by 1").fetchall()
    report = compact_store(store, target_rows=12)
    assert report.files_before == {"mentions": 10, "articles": 10, "runs": 10, "signatures": 0}
    assert report.files_after == {"mentions": 3, "articles": 3, "runs": 1, "signatures": 0}
    assert store.count("articles") == 30 and store.count("runs") == 10
    after = duckdb.sql(f"select article_id, start from read_parquet('{store.glob('mentions')}') order by 1").fetchall()
    assert after == before
    assert {p.name for p in store.articles_dir.glob("part-*")} == {p.name for p in store.mentions_dir.glob("part-*")}
    with store.writer() as w:  # the store is still writable, and recovery keeps every committed file
        w.write_batch(make_articles(2, random.Random(5), prefix="b"))
    assert store.count("articles") == 32


def test_compact_merges_run_logs_written_before_a_column_was_added(tmp_path: Path) -> None:
    """Run files from before `language_disagrees` existed merge with newer ones; the old rows read as empty."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ingest.store.compact import compact_store
    from ingest.store.parquet import RUNS_SCHEMA

    store = Store(tmp_path)
    with store.writer() as w:
        w.write_run([{"run_id": "new", "source": "Example", "found": 3, "failures": [], "language_disagrees": 2}])
    old_schema = pa.schema([f for f in RUNS_SCHEMA if f.name != "language_disagrees"])
    pq.write_table(pa.Table.from_pylist([{"run_id": "old", "source": "Example", "found": 1, "failures": []}],
                                        schema=old_schema), store.runs_dir / "run-0000-old.parquet")
    compact_store(store)
    rows = duckdb.sql(f"select run_id, language_disagrees from read_parquet('{store.glob('runs')}', union_by_name = true)"
                      " where run_id is not null order by 1").fetchall()
    assert rows == [("new", 2), ("old", None)]


def test_store_left_by_an_older_compaction_between_its_switches_is_repaired(tmp_path: Path) -> None:
    """An older newsmon switched mentions to the merged generation, then was killed before articles followed: the
    next writer puts mentions back to the previous generation (which pairs with the articles) instead of taking
    the merged file for an orphan and dropping every mention."""
    from ingest.store import generations

    store = Store(tmp_path)
    with store.writer() as w:
        for i in range(3):
            w.write_batch(make_articles(4, random.Random(i), prefix=f"b{i}"))
    before = store.count("mentions")
    merged = pa.concat_tables([pq.read_table(p) for p in sorted(store.mentions_dir.glob("part-2*.parquet"))])
    gen = generations.build(store.root, "mentions", {"part-merged.parquet": merged}, MENTIONS_SCHEMA, SCHEMA_FILE)
    generations.switch(store.root, {"mentions": gen})  # ... and killed here, articles unswitched
    with store.writer():
        pass
    after = store.count("mentions")
    assert before == after == 12
    assert {p.name for p in store.articles_dir.glob("part-*")} == {p.name for p in store.mentions_dir.glob("part-*")}
