"""Files that a compaction writes are laid out for reading by period (ingest/store/layout.py)."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ingest.store import layout
from ingest.store.compact import compact_store
from ingest.store.parquet import SCHEMA_FILE, Store
from tests.ingest.store.test_parquet import make_articles


def _shuffled_in_time(n: int, seed: int, prefix: str = "a") -> list:
    """Articles whose publication days run in no order across the batches (a backfill, feeds out of step)."""
    rng = random.Random(seed)
    arts = make_articles(n, rng, prefix)
    days = list(range(n))
    rng.shuffle(days)
    return [dataclasses.replace(a, published_at=a.published_at + timedelta(days=d - i))
            for i, (a, d) in enumerate(zip(arts, days, strict=True))]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("part-*.parquet") if p.name != SCHEMA_FILE)


def _times(path: Path) -> list:
    return pq.read_table(path, columns=["published_at"]).column(0).to_pylist()


def test_compaction_writes_each_file_in_time_order_in_small_row_groups(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "articles", 4)
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "mentions", 5)
    store = Store(tmp_path)
    arts = _shuffled_in_time(30, 3)
    with store.writer() as w:
        for i in range(0, 30, 6):
            w.write_batch(arts[i:i + 6], "v1")
    before = duckdb.sql(f"select id, title, text from read_parquet('{store.glob('articles')}') order by 1").fetchall()
    compact_store(store, target_rows=12)
    after = duckdb.sql(f"select id, title, text from read_parquet('{store.glob('articles')}') order by 1").fetchall()
    assert after == before
    for table, limit in (("articles", 4), ("mentions", 5)):
        folder = store.articles_dir if table == "articles" else store.mentions_dir
        merged = [p for p in _files(folder) if pq.read_metadata(p).num_rows > limit]
        assert merged, "the merged files are the ones the test is about"
        for path in merged:
            meta = pq.read_metadata(path)
            times = _times(path)
            assert times == sorted(times), f"{table} {path.name} is not in publication-time order"
            assert max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) <= limit
            assert meta.row_group(0).sorting_columns[0].column_index == pq.read_schema(path).get_field_index(
                "published_at")
            assert layout.is_laid_out(table, path)


def test_a_large_unsorted_file_is_laid_out_and_a_small_batch_is_kept_as_it_is(tmp_path: Path, monkeypatch) -> None:
    """One file an older compaction wrote (many rows, time in no order) is rewritten even though there is nothing
    to merge it with; a batch too small to matter keeps its file (hard-linked, same inode)."""
    store = Store(tmp_path)
    with store.writer() as w:
        w.write_batch(_shuffled_in_time(20, 5), "v1")
        w.write_batch(make_articles(2, random.Random(6), prefix="b"), "v1")
    big, small = sorted(_files(store.articles_dir), key=lambda p: -pq.read_metadata(p).num_rows)
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "articles", 8)
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "mentions", 8)
    assert not layout.is_laid_out("articles", big) and layout.is_laid_out("articles", small)
    small_inode = small.stat().st_ino
    compact_store(store, target_rows=10)  # 20 + 2 rows: nothing merges
    files = {p.name: p for p in _files(store.articles_dir)}
    assert set(files) == {big.name, small.name}
    assert files[small.name].stat().st_ino == small_inode
    times = _times(files[big.name])
    assert times == sorted(times) and layout.is_laid_out("articles", files[big.name])
    men = store.mentions_dir / big.name
    assert _times(men) == sorted(_times(men))
    assert store.count("articles") == 22


@pytest.mark.parametrize("table", ["articles", "mentions"])
def test_write_sorts_by_time_then_id_in_row_groups_and_says_so_in_the_file(tmp_path: Path, table: str,
                                                                           monkeypatch) -> None:
    from ingest.store.parquet import articles_table, mentions_table

    monkeypatch.setitem(layout.ROW_GROUP_ROWS, table, 5)
    arts = _shuffled_in_time(12, 9)
    data = articles_table(arts) if table == "articles" else mentions_table(arts, "v1")
    path = tmp_path / "f.parquet"
    layout.write(table, data, path)
    written = pq.read_table(path)
    key = "id" if table == "articles" else "article_id"
    rows = list(zip(written.column("published_at").to_pylist(), written.column(key).to_pylist(), strict=True))
    assert rows == sorted(rows) and sorted(written.to_pylist(), key=str) == sorted(data.to_pylist(), key=str)
    meta = pq.read_metadata(path)
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [5, 5, 2]
    assert layout.is_laid_out(table, path)
    layout.write("runs", data, tmp_path / "runs.parquet")  # no layout: written as it is
    assert pq.read_table(tmp_path / "runs.parquet").equals(data)


def test_store_info_says_what_a_compaction_would_do_and_nothing_once_done(tmp_path: Path, monkeypatch) -> None:
    """`newsmon store info` reads the footers: small batches that would merge, and a large file an older
    compaction left unsorted (the dashboard then reads all of it for one week's texts); after a compaction it
    has nothing to suggest."""
    from click.testing import CliRunner

    from ingest.cli.main import main
    from ingest.store import compact

    store = Store(tmp_path / "store")
    with store.writer() as w:
        w.write_batch(_shuffled_in_time(20, 11), "v1")  # one large file, in no time order
        for i in range(3):
            w.write_batch(make_articles(2, random.Random(20 + i), prefix=f"s{i}"), "v1")
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "articles", 8)
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "mentions", 8)
    monkeypatch.setattr(compact, "TARGET_ROWS", 10)
    assert compact.pending(store) == compact.Pending(merging=3, merged=1, unsorted=1)

    def info() -> str:
        result = CliRunner().invoke(main, ["store", "info", "--store", str(store.root)])
        assert result.exit_code == 0, result.output
        return result.output

    out = info()
    assert "3 articles files would merge into 1" in out and "1 large file is not laid out" in out
    assert "newsmon store compact" in out
    compact_store(store, target_rows=10)
    assert not compact.pending(store)
    assert "compaction: nothing to do" in info()
