from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from ingest.store.compact import compact_store
from ingest.store.parquet import Store
from ingest.store.publish import publish_store
from tests.ingest.store.test_parquet import make_articles


def test_publish_mirrors_the_store_incrementally(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    arts = make_articles(12, random.Random(8))
    with store.writer() as w:
        for i in range(0, 12, 4):
            w.write_batch(arts[i:i + 4], "v1")
    dest = tmp_path / "bucket" / "newsmon"
    first = publish_store(store, dest.as_uri())
    assert first.uploaded == 2 * 4 + 1 and first.deleted == 0  # 3 batches + schema file, twice; runs schema
    remote = pd.read_parquet(dest / "articles")
    assert sorted(remote["id"]) == sorted(a.id for a in arts)
    again = publish_store(store, dest.as_uri())
    assert again.uploaded == 0 and again.unchanged == first.uploaded
    compact_store(store, target_rows=100)
    third = publish_store(store, dest.as_uri())
    # three batch files each in articles and mentions merged into one; the new generation's empty schema
    # files (articles, mentions, runs) are new files too
    assert third.deleted == 6 and third.uploaded == 2 + 3
    assert len(pd.read_parquet(dest / "articles")) == 12 and len(pd.read_parquet(dest / "mentions")) == 12


def test_publish_through_fsspec(tmp_path: Path) -> None:
    import fsspec

    store = Store(tmp_path / "store")
    with store.writer() as w:
        w.write_batch(make_articles(3, random.Random(9)), "v1")
    report = publish_store(store, "memory://bucket/newsmon")
    fs = fsspec.filesystem("memory")
    assert report.uploaded >= 3
    assert any(p.endswith(".parquet") for p in fs.ls("/bucket/newsmon/articles", detail=False))


def test_a_batch_is_uploaded_mentions_first_and_deleted_articles_first(tmp_path: Path, monkeypatch) -> None:
    """A reader of the bucket during a publish never sees an article without its mentions."""
    import ingest.store.publish as publish

    store = Store(tmp_path / "store")
    with store.writer() as w:
        for i in range(3):
            w.write_batch(make_articles(2, random.Random(20 + i), prefix=f"o{i}"), "v1")
    sent: list[str] = []
    real_upload = publish._upload
    monkeypatch.setattr(publish, "_upload", lambda fs, local, remote: (sent.append(remote), real_upload(fs, local, remote)))
    dest = (tmp_path / "bucket").as_uri()
    publish_store(store, dest)
    names = [p.name for p in sorted(store.articles_dir.glob("part-2*.parquet"))]
    assert len(names) == 3
    for name in names:
        order = [r.rsplit("/", 2)[-2] for r in sent if r.endswith(name)]
        assert order == ["mentions", "articles"]
    compact_store(store, target_rows=100)
    sent.clear()
    report = publish_store(store, dest)
    assert report.deleted == 6 and [r.rsplit("/", 2)[-2] for r in sent if "schema" not in r] == ["mentions", "articles"]
