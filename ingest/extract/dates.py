"""A page's publication time, in UTC, with where it came from.

Order of trust (issue 3): the page's meta tags, then its JSON-LD, then a date in the URL, then the feed
entry, then the fetch time. A URL gives only a day: when the feed entry's time falls on that day, the feed's
time is used (provenance `feed`), since it agrees with the URL and is more precise. Each source's value is checked: a time in the future (beyond a small allowance
for clock skew and zone mistakes) or before the web existed for news is refused, and the next source is
used; the provenance (`meta`, `jsonld`, `url`, `feed`, `fetched`) then shows the dashboard that the date
is a fallback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml.html import HtmlElement

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # no news page is older than the web
FUTURE_SLACK = timedelta(hours=14)  # a zone-less local time read as UTC can be up to UTC+14 ahead

# Meta names/properties that mean "first published", most specific first.
_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article:published",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
    "article.published",
    "original-publish-date",
    "og:updated_time",  # last resort among meta: better than a guess from the URL's day
    "article:modified_time",
)
_META_RANK = {k: i for i, k in enumerate(_META_KEYS)}
_JSONLD_KEYS = ("datePublished", "dateCreated", "uploadDate", "dateModified")
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|/((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])/"
)


@dataclass(frozen=True)
class Published:
    at: datetime  # timezone-aware, UTC
    source: str  # meta | jsonld | url | feed | fetched
    rejected: tuple[str, ...] = ()  # sources whose value was refused (future or absurd), for logs and tests


def parse_datetime(value: str) -> datetime | None:
    """An ISO-8601 (or common RFC/US) date string as an aware UTC datetime; a zone-less value is read as UTC."""
    value = (value or "").strip()
    if not value or len(value) > 64:
        return None
    dt = None
    try:
        dt = datetime.fromisoformat(value.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value) else value)
    except ValueError:
        try:
            from dateutil import parser as du  # installed with newspaper3k

            dt = du.parse(value, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def meta_dates(doc: HtmlElement) -> Iterator[datetime]:
    """Publication times declared in meta tags (and <time pubdate>/itemprop), best-ranked first."""
    found: list[tuple[int, datetime]] = []
    for el in doc.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in _META_RANK:
            dt = parse_datetime(el.get("content") or "")
            if dt:
                found.append((_META_RANK[key], dt))
    for el in doc.xpath('.//*[@itemprop="datePublished"][@datetime or @content]|.//time[@pubdate][@datetime]'):
        dt = parse_datetime(el.get("datetime") or el.get("content") or "")
        if dt:
            found.append((_META_RANK["datepublished"], dt))
    for _, dt in sorted(found, key=lambda x: x[0]):
        yield dt


def _walk_jsonld(node) -> Iterator[dict]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in node:
                yield from _walk_jsonld(node[key])


def jsonld_dates(doc: HtmlElement) -> Iterator[datetime]:
    for script in doc.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        for key in _JSONLD_KEYS:
            for obj in _walk_jsonld(data):
                value = obj.get(key)
                if isinstance(value, str):
                    dt = parse_datetime(value)
                    if dt:
                        yield dt


def url_date(url: str) -> datetime | None:
    m = _URL_DATE.search(url or "")
    if not m:
        return None
    y, mo, d = (g for g in m.groups() if g is not None)
    try:
        return datetime(int(y), int(mo), int(d), tzinfo=UTC)
    except ValueError:
        return None


def pick_published(doc: HtmlElement | None, url: str, feed_published: datetime | None = None,
                   fetched_at: datetime | None = None, now: datetime | None = None) -> Published:
    """The first plausible publication time in the order meta, jsonld, url, feed, fetched."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    fetched = _aware(fetched_at) or now
    latest = min(now, fetched) + FUTURE_SLACK
    rejected: list[str] = []

    def candidates() -> Iterable[tuple[str, datetime | None]]:
        if doc is not None:
            yield "meta", next(meta_dates(doc), None)
            yield "jsonld", next(jsonld_dates(doc), None)
        yield "url", url_date(url)
        yield "feed", _aware(feed_published)

    feed = _aware(feed_published)
    for source, dt in candidates():
        if dt is None:
            continue
        if EARLIEST <= dt <= latest:
            if source == "url" and feed is not None and EARLIEST <= feed <= latest and _same_day(dt, feed):
                return Published(feed, "feed", tuple(rejected))  # the feed has the time of the URL's day
            return Published(dt, source, tuple(rejected))
        rejected.append(source)
    return Published(min(fetched, now), "fetched", tuple(rejected))


def _same_day(day: datetime, dt: datetime) -> bool:
    """`dt` falls on the calendar day `day` (midnight UTC, from a URL) in some time zone (UTC-12 to UTC+14)."""
    return day - timedelta(hours=14) <= dt < day + timedelta(hours=36)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
