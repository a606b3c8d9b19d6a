"""A page's publication time, in UTC, with the page's own UTC offset and where the time came from.

Witnesses (each checked against the sanity limits: not in the future beyond a small allowance, not before 1990):

- `jsonld`: schema.org ``datePublished`` (then ``dateCreated``, ``uploadDate``) in the page's JSON-LD;
- `meta`: ``article:published_time`` and the other publication meta tags, ``itemprop="datePublished"``, ``<time pubdate>``;
- `htmldate`: the htmldate library's day (``original_date=True``), which reads the URL, the head, JSON, ``abbr``/``time``
  elements and finally the page's text; it is shown the page without modification declarations and comment
  threads, within a month the URL names, and a bare year is no day (`ingest/extract/htmldate_witness.py`);
- `dateline`: the day the article's body opens with ("Karlsruhe, (12.11.2021). ..."), read before htmldate's
  search of the whole page's text, which meets teasers, calendars and archives first;
- `solar-hijri`: on a Persian page, the first Solar Hijri date after the headline ("۲۰ شهریور ۱۴۰۰" = 11 September 2021),
  read before htmldate's text search, which reads no such calendar (`ingest/extract/calendars.py`); a machine
  field that gives a Solar Hijri ISO day ("1400-03-05T10:30") is converted wherever it is read;
- `url`: a day in the URL;
- `feed`: the feed entry's time;
- `fetched`: the fetch time, when nothing else is plausible (the dashboard shows these apart).

The order was decided on ../shared/data/dates-dev (`make bench-dates`, `benchmarks/dates.py --ablation` prints the
alternatives). htmldate's day is the best single witness (0.91 of pages right, against 0.55 for the meta tags
alone), so htmldate decides the **day**; newsmon's structured witnesses give the **time of day and the offset**
when they fall on that day in the page's own time. When htmldate's fast passes (URL, head, JSON, elements) find
nothing, a structured witness with a time of day is trusted before htmldate's free-text search, which reads any
date on the page (a "today" line in the header, a copyright year). A feed entry's time is kept when it falls on
the chosen day (it is more precise than a day), and used outright when the page gives nothing.

The offset (`Published.offset_min`, minutes east of UTC) is the page's own: from the string that gave the time
("2024-08-13T18:05:00+03:00" → 180). Zone-less strings and days give none. Among witnesses of the same instant an
explicit non-zero offset wins over "Z"/"+00:00", which is most often the server's clock rather than the newsroom's.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from lxml.html import HtmlElement

from ingest.extract.calendars import from_iso_solar, page_solar_hijri_day
from ingest.extract.htmldate_witness import EARLIEST, dateline_day, htmldate_day

# Languages whose pages date in the Solar Hijri calendar (Iran's and Afghanistan's Persian/Dari; the detector
# gives "fa" for both). Pashto pages use it too, but dateparser knows no Pashto month names.
SOLAR_HIJRI_LANGUAGES = frozenset({"fa"})
FUTURE_SLACK = timedelta(hours=14)  # a zone-less local time read as UTC can be up to UTC+14 ahead

logging.getLogger("htmldate").setLevel(logging.WARNING)

# Meta names/properties that mean "first published", most specific first. Modified times are not here: a
# page's last update is not its publication (htmldate's original_date=True makes the same choice).
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
)
_META_RANK = {k: i for i, k in enumerate(_META_KEYS)}
_JSONLD_KEYS = ("datePublished", "dateCreated", "uploadDate")
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|/((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])/"
)
_ISO_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
_HAS_TIME = re.compile(r"\d{1,2}:\d\d")
# Zone abbreviations as news pages print them ("Tue, Sep 15 2020 10:01:41 EDT"); dateutil knows none but UTC/GMT.
# IST is India's (the commonest in news by far).
_ZONES = {name: int(hours * 3600) for name, hours in {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "PKT": 5, "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8,
    "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "EST": -5, "EDT": -4, "CST": -6,
    "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
    "ART": -3, "BRT": -3,
}.items()}


@dataclass(frozen=True)
class Stamp:
    """One witness's time: `at` in UTC, the offset its string gave (minutes east of UTC) and whether it had a time."""

    at: datetime
    offset_min: int | None = None
    has_time: bool = True

    def local_day(self) -> date:
        """The day in the page's own time (the UTC day when the string gave no offset)."""
        return self.local().date()

    def local(self) -> datetime:
        if self.offset_min is None:
            return self.at
        return self.at.astimezone(timezone(timedelta(minutes=self.offset_min)))


@dataclass(frozen=True)
class Published:
    at: datetime  # timezone-aware, UTC
    source: str  # jsonld | meta | htmldate | dateline | solar-hijri | url | feed | fetched
    rejected: tuple[str, ...] = ()  # witnesses whose value was refused (future or absurd), for logs and tests
    offset_min: int | None = None  # the page's own UTC offset in minutes east, when it gave one

    @property
    def local(self) -> datetime | None:
        """The time in the page's own offset, or None when the page gave no offset."""
        if self.offset_min is None:
            return None
        return self.at.astimezone(timezone(timedelta(minutes=self.offset_min)))


def parse_stamp(value: str) -> Stamp | None:
    """An ISO-8601 (or RFC 822, or common written) date string as a `Stamp`; a zone-less value is read as UTC."""
    value = (value or "").strip()
    if not value or len(value) > 64:
        return None
    value = from_iso_solar(value) or value  # "1400-03-05T10:30:00+04:30": a Solar Hijri day (Iranian CMSes)
    dt = None
    try:
        dt = datetime.fromisoformat(value.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value) else value)
    except ValueError:
        try:
            from dateutil import parser as du  # installed with newspaper3k

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an unknown zone name: read as zone-less, as documented
                dt = du.parse(value, fuzzy=False, tzinfos=_ZONES)
        except (ValueError, OverflowError, TypeError):
            return None
    has_time = not _ISO_DAY.match(value) and bool(_HAS_TIME.search(value))
    offset = None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    else:
        delta = dt.utcoffset()
        offset = int(delta.total_seconds() // 60) if delta is not None else None
    try:
        return Stamp(dt.astimezone(UTC), offset if has_time else None, has_time)
    except (OverflowError, ValueError):
        return None


def parse_datetime(value: str) -> datetime | None:
    """An ISO-8601 (or common RFC/US) date string as an aware UTC datetime; a zone-less value is read as UTC."""
    stamp = parse_stamp(value)
    return stamp.at if stamp else None


def meta_stamps(doc: HtmlElement) -> list[Stamp]:
    """Publication times declared in meta tags (and ``<time pubdate>``/``itemprop``), best-ranked first."""
    found: list[tuple[int, int, Stamp]] = []
    for el in doc.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in _META_RANK:
            stamp = parse_stamp(el.get("content") or "")
            if stamp:
                found.append((_META_RANK[key], len(found), stamp))
    for el in doc.xpath('.//*[@itemprop="datePublished"][@datetime or @content]|.//time[@pubdate][@datetime]'):
        stamp = parse_stamp(el.get("datetime") or el.get("content") or "")
        if stamp:
            found.append((_META_RANK["datepublished"], len(found), stamp))
    return [s for _, _, s in sorted(found, key=lambda x: x[:2])]


def meta_dates(doc: HtmlElement) -> Iterator[datetime]:
    for stamp in meta_stamps(doc):
        yield stamp.at


def _walk_jsonld(node) -> Iterator[dict]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in node:
                yield from _walk_jsonld(node[key])


def jsonld_stamps(doc: HtmlElement) -> list[Stamp]:
    """schema.org publication times in the page's JSON-LD: every ``datePublished``, then ``dateCreated``, ..."""
    objects: list[dict] = []
    for script in doc.iterfind('.//script[@type="application/ld+json"]'):
        try:
            objects.extend(_walk_jsonld(json.loads(script.text or "")))
        except (ValueError, RecursionError):
            continue
    out = []
    for key in _JSONLD_KEYS:
        for obj in objects:
            value = obj.get(key)
            if isinstance(value, str):
                stamp = parse_stamp(value)
                if stamp:
                    out.append(stamp)
    return out


def jsonld_dates(doc: HtmlElement) -> Iterator[datetime]:
    for stamp in jsonld_stamps(doc):
        yield stamp.at


def url_date(url: str) -> datetime | None:
    m = _URL_DATE.search(url or "")
    if not m:
        return None
    y, mo, d = (g for g in m.groups() if g is not None)
    try:
        return datetime(int(y), int(mo), int(d), tzinfo=UTC)
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _plausible(dt: datetime, latest: datetime) -> bool:
    return EARLIEST <= dt <= latest


def _best_on_day(stamps: list[Stamp], day: date) -> Stamp | None:
    """The first timed stamp on `day` in the page's own time, else the first on `day` in UTC (htmldate reads
    "2020-12-24T23:59:50+00:00" as the 24th where the page's JSON-LD says 01:59:50+02:00 on the 25th). Of stamps
    of the same instant, one with an explicit non-zero offset is preferred to "Z"/"+00:00", which is most often
    the server's clock rather than the newsroom's."""
    on_day = ([s for s in stamps if s.has_time and s.local_day() == day]
              or [s for s in stamps if s.has_time and s.at.date() == day])
    if not on_day:
        return None
    first = on_day[0]
    if not first.offset_min:
        for s in stamps:
            if s.has_time and s.at == first.at and s.offset_min:
                return s
    return first


def _first_timed(stamps: list[Stamp]) -> Stamp | None:
    return next((s for s in stamps if s.has_time), None)


def pick_published(doc: HtmlElement | None, url: str, feed_published: datetime | None = None,
                   fetched_at: datetime | None = None, now: datetime | None = None,
                   language: str | None = None, text: str | None = None) -> Published:
    """The page's publication time (see the module docstring for the order of witnesses); `language` is the
    page's detected language, for reading written dates; `text` the extracted body, for its dateline."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    fetched = _aware(fetched_at) or now
    latest = min(now, fetched) + FUTURE_SLACK
    rejected: list[str] = []

    def keep(name: str, stamps: list[Stamp]) -> list[Stamp]:
        ok = [s for s in stamps if _plausible(s.at, latest)]
        if len(ok) < len(stamps):
            rejected.append(name)
        return ok

    feed = _aware(feed_published)
    if feed is not None and not _plausible(feed, latest):
        rejected.append("feed")
        feed = None
    jsonld = keep("jsonld", jsonld_stamps(doc)) if doc is not None else []
    meta = keep("meta", meta_stamps(doc)) if doc is not None else []
    structured = [("meta", s) for s in meta] + [("jsonld", s) for s in jsonld]
    day_in_url = url_date(url)

    def on_day(day: date, fallback: str) -> Published:
        """The chosen day, timed by a structured witness or the feed when one falls on it."""
        stamp = _best_on_day([s for _, s in structured], day)
        if stamp is not None:
            source = next(n for n, s in structured if s is stamp)
            return Published(stamp.at, source, tuple(rejected), stamp.offset_min)
        if feed is not None and _same_day(_day_start(day), feed):
            return Published(feed, "feed", tuple(rejected))
        if fallback == "htmldate" and day_in_url is not None and day_in_url.date() == day:
            fallback = "url"  # htmldate read the URL's day: say so, it is the more telling provenance
        return Published(_day_start(day), fallback, tuple(rejected))

    if doc is not None:
        # Where htmldate's answer is known beforehand, it is not asked (it costs ~5 ms a page, the whole date
        # stage without it ~0.5 ms): it reads a day in the URL first, so a structured time on the URL's day
        # is the answer; and JSON-LD and meta agreeing on a day are the answer whatever htmldate reads (2.):
        # two machine-readable declarations outvote htmldate's one reading, unless the URL carries a day
        # (htmldate reads that first, and it is right 0.96 of the time on dates-dev).
        ld, mt = _first_timed(jsonld), _first_timed(meta)
        if day_in_url is not None and _plausible(day_in_url, latest) and _best_on_day(
                [s for _, s in structured], day_in_url.date()) is not None:
            return on_day(day_in_url.date(), "url")
        if ld is not None and mt is not None and day_in_url is None and ld.local_day() == mt.local_day():
            return on_day(ld.local_day(), "jsonld")
        day = htmldate_day(doc, url, latest, extensive=False)
        if day is not None:
            return on_day(day, "htmldate")
        for name, stamp in structured:
            if stamp.has_time:
                return on_day(stamp.local_day(), name)
        if structured:  # a declared day, before the text search (the same pages right on dates-dev, ~25 ms less)
            name, stamp = structured[0]
            return on_day(stamp.local_day(), name)
        day = dateline_day(text, latest, language)
        if day is not None:
            return on_day(day, "dateline")
        if language in SOLAR_HIJRI_LANGUAGES:
            day = page_solar_hijri_day(doc)
            if day is not None and _plausible(_day_start(day), latest):
                return on_day(day, "solar-hijri")
        day = htmldate_day(doc, url, latest, extensive=True, language=language)
        if day is not None:
            return on_day(day, "htmldate")
    if day_in_url is not None:
        if _plausible(day_in_url, latest):
            return on_day(day_in_url.date(), "url")
        rejected.append("url")
    if feed is not None:
        return Published(feed, "feed", tuple(rejected))
    return Published(min(fetched, now), "fetched", tuple(rejected))


def _same_day(day: datetime, dt: datetime) -> bool:
    """`dt` falls on the calendar day `day` (midnight UTC) in some time zone (UTC-12 to UTC+14)."""
    return day - timedelta(hours=14) <= dt < day + timedelta(hours=36)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
