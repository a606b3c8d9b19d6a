"""Where an article's date comes from, in words: the lists' flag and the article view's date line. No streamlit.

The store keeps each article's `published_source` (docs/store.md): the page's metadata, its JSON-LD, the feed
entry, htmldate or the article's dateline or the URL (a day, no time), or, when nothing gave a date, the time it was fetched. Since issue 14 it may
also keep `published_offset_min`, the page's own UTC offset (minutes east of UTC; null when the page gave none),
so the page's local time can be shown beside the UTC time. Older stores have no such column: nothing is shown.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

# published_source -> where the date comes from, as the article view says it
SOURCES = {
    "meta": "date from the page's metadata",
    "jsonld": "date from the page's JSON-LD",
    "feed": "date from the feed entry",
    "htmldate": "day found in the page by htmldate (no time of day)",
    "dateline": "day from the article's opening line (no time of day)",
    "solar-hijri": "day from a Persian-calendar (Solar Hijri) date in the page (no time of day)",
    "url": "day from the URL (no time of day)",
    "fetched": "no date found in the page: the time it was fetched",
    "": "date source unknown",
}
# The lists flag a date that is not the page's own: a flag, not a column of words on every row.
# Sources that give a day and no time of day (the ingest stores them at 00:00 UTC).
DAY_ONLY = frozenset({"url", "htmldate", "dateline", "solar-hijri"})
FLAGS = {"fetched": "⚠ fetch time", "": "⚠ unknown"} | {src: "⚠ day only" for src in DAY_ONLY}
FLAG_HELP = ("⚠ marks a date that is not the page's own publication time: ⚠ fetch time = no date was found in the "
             "page, the time it was fetched stands in (left out of charts unless included in the sidebar); "
             "⚠ day only = the page gave a day (in its URL, text or opening line) but no time of day; ⚠ unknown = no record of where "
             "the date comes from. Open the article for its date line.")


def source_of(value: object) -> str:
    """The `published_source` as a clean string ("" when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def flag(value: object) -> str:
    """The list's flag for a date from this source: empty for a date the page gave."""
    return FLAGS.get(source_of(value), "")


def says(value: object) -> str:
    """Where the date comes from, in words (an unknown kind is named as stored)."""
    src = source_of(value)
    return SOURCES.get(src, f"date from: {src}")


def offset_minutes(value: object) -> int | None:
    """`published_offset_min` as an int, or None (no column, null, NaN)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else int(f)


def utc_offset(minutes: int) -> str:
    """+02:00, -05:30, +00:00."""
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def when(published_at: datetime | None, source: object, offset: object = None) -> str:
    """The date as the article view shows it: UTC; the page's own local time beside it when the page gave an
    offset; the day alone when only the day is known (from the URL, htmldate or the dateline)."""
    if published_at is None or (hasattr(published_at, "year") is False):
        return "no date"
    if source_of(source) in DAY_ONLY:
        return f"{published_at:%Y-%m-%d} (UTC day)"
    text = f"{published_at:%Y-%m-%d %H:%M} UTC"
    minutes = offset_minutes(offset)
    if minutes is not None:
        local = published_at + timedelta(minutes=minutes)
        text += f" ({local:%Y-%m-%d %H:%M} at the page, {utc_offset(minutes)})"
    return text
