"""The dashboard's local index: same answers as the files, kept up to date as batches land or are replaced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd

from dashboard.data import queries, search
from dashboard.data.filters import Filters
from dashboard.data.index import INDEX_VERSION
from ingest.records import Mention
from ingest.store.parquet import article_id, content_hash
from tests.conftest import build_tiny_store

FILTERS = [
    Filters(people=("alice-example", "bob-sample"), topics=("ceasefire",)),
    Filters(people=("carol-test",), bucket="day", sources=("Example Post",)),
    Filters(people=("bob-sample",), bucket="month", languages=("fr",), unique=True),
    Filters(topics=("elections",), search="talks", measure="mentions"),
    Filters(people=("alice-example", "carol-test"), languages=("en",), unique=True, sources=("Daily Fiction",)),
]


def frames(con) -> list[pd.DataFrame]:
    out = []
    for f in FILTERS:
        out.append(queries.timeline_counts(con, f).sort_values(["bucket", "kind", "entity_id"]).reset_index(drop=True))
        out.append(queries.coverage(con, f).reset_index(drop=True))
    out.append(queries.co_mentions(con, Filters()))
    out.append(queries.co_mentions(con, Filters(languages=("en",), unique=True)))
    # the rollup path against the raw path: "the" is in every text, so the search keeps every article
    rolled = queries.co_mentions(con, Filters(languages=("en",), unique=True))
    raw = queries.co_mentions(con, Filters(languages=("en",), unique=True, search="the"))
    pd.testing.assert_frame_equal(rolled, raw, check_dtype=False)
    for f in (Filters(), *FILTERS):  # People & topics: the rollup path against the raw path
        rolled = queries.entity_totals(con, f.with_(search="")).sort_values(["kind", "entity_id"], ignore_index=True)
        raw = queries.entity_totals(con, f.with_(search="the")).sort_values(["kind", "entity_id"], ignore_index=True)
        pd.testing.assert_frame_equal(rolled, raw, check_dtype=False)
        out.append(rolled)
    for f in FILTERS[:3] + FILTERS[4:]:
        rolled = queries.timeline_counts(con, f).sort_values(["bucket", "kind", "entity_id"], ignore_index=True)
        raw = queries.timeline_counts(con, f.with_(search="the")).sort_values(["bucket", "kind", "entity_id"],
                                                                              ignore_index=True)
        pd.testing.assert_frame_equal(rolled, raw, check_dtype=False)
    return out


def same(a: list[pd.DataFrame], b: list[pd.DataFrame]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y, check_dtype=False)


def test_index_answers_like_the_files_and_follows_new_batches(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    same(frames(queries.connect(tiny.root, index_path=index)), frames(queries.connect(tiny.root)))
    # A new batch lands: the next connect adds just that file.
    text = "Alice Example and Bob Sample discussed the ceasefire."
    url = "https://news.example/late"
    a = tiny.articles[0]
    late = replace(a, id=article_id(url), url=url, text=text, content_hash=content_hash(text),
                   published_at=datetime(2024, 3, 30, 9, tzinfo=UTC), story_id=None,
                   mentions=(Mention("alice-example", "person", "body", 0, 13, "Alice Example"),
                             Mention("bob-sample", "person", "body", 18, 28, "Bob Sample")))
    with tiny.store.writer() as w:
        w.write_batch([late])
    con = queries.connect(tiny.root, index_path=index)
    assert con.execute("SELECT count(*) FROM loaded").fetchone()[0] == 2 * 4  # schema + 3 batches, per table
    assert con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0] == INDEX_VERSION
    same(frames(con), frames(queries.connect(tiny.root)))
    assert queries.article(con, late.id)["text"] == text


def test_index_rebuilds_when_mentions_are_replaced(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    assert search.wait(queries.connect(tiny.root, index_path=index), 60)  # the text index too, with the old mentions
    # A recount swaps in a new generation where nobody but Carol is mentioned.
    import pyarrow.dataset as ds

    from ingest.store.parquet import MENTIONS_SCHEMA

    tables = []
    for f in sorted(tiny.store.articles_dir.glob("part-2*.parquet")):
        t = ds.dataset(tiny.store.mentions_dir / f.name, schema=MENTIONS_SCHEMA).to_table()
        t = t.filter(ds.field("entity_id") == "carol-test")
        tables.append((f.name, t))
    with tiny.store.writer() as w:
        w.replace_mentions(tables)
    con = queries.connect(tiny.root, index_path=index)
    got = set(queries.entity_counts(con)["entity_id"])
    assert got == {"carol-test"}
    assert search.wait(con, 60)  # searches are answered by the text index: its mention fields were redone
    f = Filters(people=("alice-example", "carol-test"), search="the")
    assert set(queries.timeline_counts(con, f)["entity_id"]) == {"carol-test"}
    assert queries.co_mentions(con, Filters(search="the")).empty
    same(frames(con), frames(queries.connect(tiny.root)))


def test_a_batch_in_flight_is_not_indexed_until_committed(tmp_path):
    import shutil

    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    before = frames(queries.connect(tiny.root))
    first = sorted(tiny.store.mentions_dir.glob("part-2*.parquet"))[0]
    shutil.copy(first, tiny.store.mentions_dir / "part-99990101T000000000000-inflight.parquet")  # no articles yet
    con = queries.connect(tiny.root, index_path=index)
    assert not con.execute("SELECT count(*) FROM loaded WHERE path LIKE '%inflight%'").fetchone()[0]
    same(frames(con), before)


def test_a_busy_index_falls_back_to_the_files(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    bad = tmp_path / "not-a-dir"
    bad.write_text("x")
    con = queries.connect(tiny.root, index_path=bad / "idx.duckdb")  # cannot be created
    assert queries.store_summary(con)["articles"] == len(tiny.articles)


def _late_batch(tiny, n: int = 0):
    text = "Alice Example and Bob Sample discussed the ceasefire."
    url = f"https://news.example/late-{n}"
    a = tiny.articles[0]
    late = replace(a, id=article_id(url), url=url, text=text, content_hash=content_hash(text),
                   published_at=datetime(2024, 3, 29, 9, tzinfo=UTC), story_id=None, published_source="meta",
                   mentions=(Mention("alice-example", "person", "body", 0, 13, "Alice Example"),
                             Mention("bob-sample", "person", "body", 18, 28, "Bob Sample")))
    with tiny.store.writer() as w:
        w.write_batch([late])
    return late


def test_a_new_store_is_answered_from_the_files_while_its_index_is_built(tmp_path, monkeypatch):
    """The server does not wait for a first build: views over the files answer, exactly, until the tables are
    swapped in; a batch that lands meanwhile is in both."""
    import threading

    from dashboard.data import index

    tiny = build_tiny_store(tmp_path / "store")
    go = threading.Event()
    build = index._build_tables
    monkeypatch.setattr(index, "_build_tables", lambda *a: (go.wait(60), build(*a)))
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb", wait=False)
    assert index.status(con) == "building" and not index.has_rollups(con)
    same(frames(con), frames(queries.connect(tiny.root)))
    late = _late_batch(tiny)
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb", wait=False)  # a rerun after the batch
    assert index.status(con) == "building"
    files = frames(queries.connect(tiny.root))
    same(frames(con), files)
    go.set()
    index.page_drawn()  # (a build started by the server waits for the first page)
    assert index.wait_built(con, 60) and index.status(con) == "index"
    same(frames(con), files)
    assert con.execute("SELECT count(*) FROM mentions WHERE article_id = ?", [late.id]).fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM loaded").fetchone()[0] == 2 * 4  # schema + 3 batches, per table
    kinds = dict(con.execute("SELECT table_name, 'table' FROM duckdb_tables() UNION ALL "
                             "SELECT view_name, 'view' FROM duckdb_views() WHERE NOT internal").fetchall())
    assert all(kinds[t] == "table" for t in index.TABLES) and not set(index.BUILDING.values()) & set(kinds)


def test_a_failed_build_leaves_the_files_answering_and_the_next_connect_builds_again(tmp_path, monkeypatch):
    from dashboard.data import index

    tiny = build_tiny_store(tmp_path / "store")

    def broken(*a):
        raise RuntimeError("disk full")

    monkeypatch.setattr(index, "_swap", broken)
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb")
    assert index.status(con) == "files"
    files = frames(queries.connect(tiny.root))
    same(frames(con), files)
    monkeypatch.undo()
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb")
    assert index.status(con) == "index"
    same(frames(con), files)
