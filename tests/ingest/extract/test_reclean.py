"""`newsmon clean`: stored texts re-cleaned with learnt boilerplate, swapped in atomically, ids kept."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from ingest.extract.boilerplate import load_boilerplate
from ingest.extract.reclean import format_reclean, reclean_store
from ingest.records import Article
from ingest.store.parquet import Store, content_hash

APPEAL = ("Your support, no matter how small, makes a world of difference. If you can, please help us keep "
          "independent reporting going with a monthly gift.")


def article(i: int, source: str, text: str) -> Article:
    return Article(id=f"{source[:3].lower()}{i:013d}", url=f"https://{source.lower()}.example/{i}", source=source,
                   title=f"Story {i}", text=text, content_hash=content_hash(text),
                   fetched_at=datetime(2024, 8, 14, tzinfo=UTC), published_at=datetime(2024, 8, 13, tzinfo=UTC),
                   published_source="meta")


def body(i: int) -> str:
    return (f"The council of town {i} met on Monday and voted on the budget after a long debate about schools.\n\n"
            f"The mayor of town {i} said the result showed that the council could agree on hard questions.")


def build(tmp_path):
    store = Store(tmp_path / "store")
    daily = [article(i, "Daily", body(i) + "\n\nMonthly gift appeal\n\n" + APPEAL) for i in range(12)]
    other = [article(i, "Other", body(i) + "\n\nPhoto: AP") for i in range(3)]
    with store.writer() as w:
        w.write_batch(daily[:6])
        w.write_batch(daily[6:] + other)
    return store


def texts(store: Store) -> dict[str, str]:
    rows = duckdb.execute(f"select id, text from read_parquet('{store.glob('articles')}')").fetchall()
    return dict(rows)


def test_reclean_removes_boilerplate_and_rules_keeps_ids(tmp_path):
    store = build(tmp_path)
    before = texts(store)
    names_before = sorted(p.name for p in store.articles_dir.glob("part-*.parquet"))
    summary = reclean_store(store.root)
    after = texts(store)
    assert set(after) == set(before)  # same ids
    assert sorted(p.name for p in store.articles_dir.glob("part-*.parquet")) == names_before  # same files
    assert summary.changed == 15 and summary.needs_recount
    for text in after.values():
        assert APPEAL not in text and "Monthly gift appeal" not in text and "Photo: AP" not in text
        assert text.startswith("The council of town")
    row = duckdb.execute(f"select text, content_hash, title, published_source from read_parquet('{store.glob('articles')}') "
                         "where source = 'Daily' limit 1").fetchone()
    assert row[1] == content_hash(row[0]) and row[2].startswith("Story") and row[3] == "meta"
    assert load_boilerplate(store.root, "Daily") is not None
    assert "newsmon mentions recount" in format_reclean(summary)


def test_reclean_twice_changes_nothing_more(tmp_path):
    store = build(tmp_path)
    reclean_store(store.root)
    again = reclean_store(store.root)
    assert again.changed == 0 and not again.needs_recount


def test_dry_run_writes_nothing(tmp_path):
    store = build(tmp_path)
    before = texts(store)
    summary = reclean_store(store.root, dry_run=True)
    assert summary.changed == 15
    assert texts(store) == before
    assert load_boilerplate(store.root, "Daily") is None
    assert "would change" in format_reclean(summary)


def test_never_empties_an_article(tmp_path):
    store = Store(tmp_path / "store")
    with store.writer() as w:
        w.write_batch([article(1, "Tiny", "Photo: AP\n\nShare on X")])
    summary = reclean_store(store.root)
    assert summary.kept_too_short == 1 and summary.changed == 0
    assert list(texts(store).values()) == ["Photo: AP\n\nShare on X"]
