"""Where a date comes from, in the lists (a flag) and in the article view (a date line with the page's own time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from dashboard import provenance
from dashboard.escape import markdown_text
from ingest.store.parquet import article_id
from tests.paths import APP

T = datetime(2024, 3, 21, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("source, offset, want", [
    ("meta", None, "2024-03-21 09:30 UTC"),
    ("jsonld", 120, "2024-03-21 09:30 UTC (2024-03-21 11:30 at the page, UTC+02:00)"),
    ("meta", -330, "2024-03-21 09:30 UTC (2024-03-21 04:00 at the page, UTC-05:30)"),
    ("meta", 600, "2024-03-21 09:30 UTC (2024-03-21 19:30 at the page, UTC+10:00)"),
    ("meta", float("nan"), "2024-03-21 09:30 UTC"),  # a file without the column, beside one with it
    ("url", 60, "2024-03-21 (UTC day)"),  # only the day is known
    ("htmldate", None, "2024-03-21 (UTC day)"),  # htmldate and the dateline give a day, stored at 00:00 UTC
    ("dateline", None, "2024-03-21 (UTC day)"),
])
def test_the_date_line(source, offset, want):
    assert provenance.when(T, source, offset) == want


def test_no_date():
    assert provenance.when(None, "fetched") == "no date"


@pytest.mark.parametrize("source, flag", [("meta", ""), ("jsonld", ""), ("feed", ""), ("htmldate", "⚠ day only"),
                                          ("dateline", "⚠ day only"), ("solar-hijri", "⚠ day only"), ("fetched", "⚠ fetch time"),
                                          ("url", "⚠ day only"), (None, "⚠ unknown"),
                                          ("", "⚠ unknown")])
def test_only_a_date_that_is_not_the_pages_own_is_flagged(source, flag):
    assert provenance.flag(source) == flag


def test_every_source_is_said_in_words():
    assert provenance.says("fetched") == "no date found in the page: the time it was fetched"
    assert provenance.says("htmldate") == "day found in the page by htmldate (no time of day)"
    assert provenance.says("dateline") == "day from the article's opening line (no time of day)"
    assert provenance.says("sundial") == "date from: sundial"  # a kind this dashboard does not know yet


def _with_offsets(tiny, tmp_path):
    """One more batch whose articles file has `published_offset_min` (a store written after issue 14)."""
    a = tiny.articles[0]
    url = "https://news.example/with-offset"
    art = replace(a, id=article_id(url), url=url, published_at=T, published_source="jsonld", story_id=None,
                  published_offset_min=120)
    with tiny.store.writer() as w:
        w.write_batch([art])
    path = max(tiny.store.articles_dir.glob("part-2*.parquet"))
    assert pq.read_table(path, columns=["published_offset_min"]).column(0).to_pylist() == [120]
    return art


def _article_line(monkeypatch, tiny, tmp_path, article):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NEWSMON_STORE", str(tiny.root))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NEWSMON_WATCHLIST", str(tiny.watchlist))
    monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"people": "alice-example", "article": article.id})
    at.run()
    at.switch_page("screens/explore.py").run()
    assert not at.exception, at.exception
    return next(m.value for m in at.markdown if "UTC" in m.value)


def test_the_article_view_says_where_the_date_comes_from_and_the_pages_own_time(monkeypatch, tiny_store, tmp_path):
    art = _with_offsets(tiny_store, tmp_path)
    line = _article_line(monkeypatch, tiny_store, tmp_path, art)
    assert markdown_text("2024-03-21 09:30 UTC (2024-03-21 11:30 at the page, UTC+02:00)") in line
    assert markdown_text("date from the page's JSON-LD") in line


def test_an_article_of_a_file_without_offsets_shows_utc_only_and_a_fetch_time_is_flagged(
        monkeypatch, tiny_store, tmp_path):
    _with_offsets(tiny_store, tmp_path)  # other files of the store have the column: theirs do not
    hostile = next(a for a in tiny_store.articles if a.id == tiny_store.hostile_id)  # published_source "fetched"
    line = _article_line(monkeypatch, tiny_store, tmp_path, hostile)
    assert markdown_text("2024-03-20 12:00 UTC") in line and "at the page" not in line
    assert f":orange[⚠ {markdown_text('no date found in the page: the time it was fetched')}]" in line
