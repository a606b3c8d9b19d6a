"""The caches that every session shares (dashboard/cache.py) never show a stale result: a new batch in the store or a
new event annotation is in the next run's timeline, although the timeline's figure is built once for all sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboard.data import annotations
from ingest.records import Article, Mention
from ingest.store.parquet import article_id, content_hash
from tests.dashboard.test_app import _figures, run

PARAMS = {"people": "alice-example", "bucket": "month"}


def _alice(at) -> dict:
    fig = next(f for f in _figures(at) if any(t.get("name") == "Alice Example" for t in f["data"]))
    line = next(t for t in fig["data"] if t.get("name") == "Alice Example")
    # each point's key and count: (kind, entity, bucket day, articles, articles stored, partial note)
    return {c[2]: c[3] for c in line["customdata"]} | {
        "annotations": [a["text"] for a in fig["layout"].get("annotations", [])]}


def _article(n: int, day: date) -> Article:
    url = f"https://news.example/new-{n}"
    text = "Alice Example spoke in Oslo."
    return Article(id=article_id(url), url=url, source="Daily Fiction", title="Talks in Oslo", text=text,
                   content_hash=content_hash(text), fetched_at=datetime(2024, 4, 1, tzinfo=UTC),
                   published_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC), published_source="meta",
                   language="en", mentions=(Mention("alice-example", "person", "body", 0, 13, "Alice Example",
                                                    "alias"),))


def test_a_new_batch_is_in_the_next_runs_timeline(monkeypatch, tiny_store):
    before = _alice(run(monkeypatch, tiny_store.root, params=PARAMS, watchlist=tiny_store.watchlist))
    assert _alice(run(monkeypatch, tiny_store.root, params=PARAMS, watchlist=tiny_store.watchlist)) == before
    with tiny_store.store.writer() as w:
        w.write_batch([_article(i, date(2024, 2, 20)) for i in range(3)], watchlist_version="test-1")
    after = _alice(run(monkeypatch, tiny_store.root, params=PARAMS, watchlist=tiny_store.watchlist))
    assert after["2024-02-01"] == before["2024-02-01"] + 3
    assert {k: v for k, v in after.items() if k != "2024-02-01"} == {
        k: v for k, v in before.items() if k != "2024-02-01"}


def test_a_new_annotation_is_in_the_next_runs_timeline(monkeypatch, tiny_store):
    before = _alice(run(monkeypatch, tiny_store.root, params=PARAMS, watchlist=tiny_store.watchlist))
    assert "Summit opens" not in before["annotations"]
    annotations.add(tiny_store.root, annotations.Annotation(day=date(2024, 2, 5), label="Summit opens"))
    after = _alice(run(monkeypatch, tiny_store.root, params=PARAMS, watchlist=tiny_store.watchlist))
    assert "Summit opens" in after["annotations"]
