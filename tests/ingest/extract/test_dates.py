"""Publication dates: meta, JSON-LD, URL, feed, fetch time; UTC; never in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import lxml.html
import pytest

from ingest.extract.dates import parse_datetime, pick_published, url_date

FETCHED = datetime(2024, 8, 14, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 8, 14, 9, 5, tzinfo=UTC)


def doc(head: str = "", body: str = "<p>x</p>"):
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


META = '<meta property="article:published_time" content="2024-08-13T18:05:00+03:00">'
JSONLD = '<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},' \
         '{"@type":"NewsArticle","datePublished":"2024-08-12T07:30:00Z"}]}</script>'


@pytest.mark.parametrize("value,expected", [
    ("2024-08-13T18:05:00+03:00", datetime(2024, 8, 13, 15, 5, tzinfo=UTC)),
    ("2024-08-13T15:05:00Z", datetime(2024, 8, 13, 15, 5, tzinfo=UTC)),
    ("2024-08-13 15:05:00", datetime(2024, 8, 13, 15, 5, tzinfo=UTC)),  # zone-less: read as UTC
    ("2024-08-13", datetime(2024, 8, 13, tzinfo=UTC)),
    ("Tue, 13 Aug 2024 15:05:00 GMT", datetime(2024, 8, 13, 15, 5, tzinfo=UTC)),
    ("not a date", None),
    ("", None),
])
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected


def test_meta_first_in_utc():
    p = pick_published(doc(META + JSONLD), "https://x.org/2024/08/01/story", None, FETCHED, now=NOW)
    assert (p.at, p.source) == (datetime(2024, 8, 13, 15, 5, tzinfo=UTC), "meta")
    assert p.at.tzinfo == UTC


def test_jsonld_when_no_meta():
    p = pick_published(doc(JSONLD), "https://x.org/2024/08/01/story", None, FETCHED, now=NOW)
    assert (p.at, p.source) == (datetime(2024, 8, 12, 7, 30, tzinfo=UTC), "jsonld")


def test_time_itemprop_counts_as_meta():
    body = '<time itemprop="datePublished" datetime="2024-08-10T10:00:00+02:00">10 Aug</time>'
    p = pick_published(doc(body=body), "https://x.org/a", None, FETCHED, now=NOW)
    assert (p.at, p.source) == (datetime(2024, 8, 10, 8, 0, tzinfo=UTC), "meta")


@pytest.mark.parametrize("url,expected", [
    ("https://x.org/2024/08/13/putin-abbas", datetime(2024, 8, 13, tzinfo=UTC)),
    ("https://x.org/news/2024-08-13-putin", datetime(2024, 8, 13, tzinfo=UTC)),
    ("https://x.org/archive/20240813/putin", datetime(2024, 8, 13, tzinfo=UTC)),
    ("https://x.org/2024/13/45/bad", None),
    ("https://x.org/story-123456", None),
])
def test_url_date(url, expected):
    assert url_date(url) == expected


def test_url_then_feed_then_fetched():
    feed = datetime(2024, 8, 13, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    p = pick_published(doc(), "https://x.org/2024/08/11/a", feed, FETCHED, now=NOW)
    assert (p.at, p.source) == (datetime(2024, 8, 11, tzinfo=UTC), "url")  # the feed disagrees with the URL's day
    p = pick_published(doc(), "https://x.org/2024/08/13/a", feed, FETCHED, now=NOW)
    assert (p.at, p.source) == (datetime(2024, 8, 13, 10, 0, tzinfo=UTC), "feed")  # same day: the feed's time
    p = pick_published(doc(), "https://x.org/a", feed, FETCHED, now=NOW)
    assert (p.at, p.source) == (datetime(2024, 8, 13, 10, 0, tzinfo=UTC), "feed")
    p = pick_published(doc(), "https://x.org/a", None, FETCHED, now=NOW)
    assert (p.at, p.source) == (FETCHED, "fetched")


def test_future_date_falls_back_and_is_flagged():
    future = '<meta property="article:published_time" content="2031-01-01T00:00:00Z">'
    p = pick_published(doc(future + JSONLD), "https://x.org/a", None, FETCHED, now=NOW)
    assert p.source == "jsonld" and "meta" in p.rejected
    p = pick_published(doc(future), "https://x.org/a", None, FETCHED, now=NOW)
    assert (p.at, p.source, p.rejected) == (FETCHED, "fetched", ("meta",))


def test_absurd_old_date_is_refused():
    old = '<meta property="article:published_time" content="1970-01-01T00:00:00Z">'
    p = pick_published(doc(old), "https://x.org/2024/08/12/a", None, FETCHED, now=NOW)
    assert p.source == "url" and p.rejected == ("meta",)


def test_result_never_after_now():
    p = pick_published(doc(), "https://x.org/a", None, datetime(2030, 1, 1, tzinfo=UTC), now=NOW)
    assert p.at <= NOW


def test_broken_jsonld_is_ignored():
    p = pick_published(doc('<script type="application/ld+json">{broken</script>'), "https://x.org/a", None,
                       FETCHED, now=NOW)
    assert p.source == "fetched"
