"""Dates in the Solar Hijri (Persian, Jalali) calendar: takes a date string or a page's text, gives the Gregorian day.

Iranian and Afghan pages write their dates in the Solar Hijri calendar ("۲۰ شهریور ۱۴۰۰" = 11 September 2021,
"1400/06/20"), often with nothing else on the page, and some of their CMSes put it in machine-readable fields too
(``<meta name="date" content="1400-03-05 ...">``). htmldate reads no such date: it reads the page's Gregorian
noise instead (a copyright year) or nothing. The conversion is convertdate's (`convertdate.persian`, the calendar
dateparser's `JalaliCalendar` uses); written month names ("شهریور", "خرداد") are read by dateparser's
`JalaliCalendar`, after Arabic-script variants are folded to the Persian letters it knows (ي → ی, ك → ک: many
Persian pages are typed on Arabic keyboards).

Only Solar Hijri years 1368–1409 are read (21 March 1989 to 20 March 2031): every news page of the web falls in
them, and no Gregorian year there is a plausible publication (newsmon refuses dates before 1990). The Lunar Hijri
calendar of Arabic pages (1410–1452 for the same span) is not read: those pages give Gregorian dates beside it.
"""

from __future__ import annotations

import re
from datetime import date

from lxml import etree
from lxml.html import HtmlElement

FIRST_YEAR, LAST_YEAR = 1368, 1409
_YEAR = r"(13[6-9]\d|140\d)"
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " "})
# "1400-03-05", "1400/3/5" at the start of a machine-readable value
ISO_SOLAR = re.compile(rf"^{_YEAR}([-/])(0?[1-9]|1[0-2])\2(0?[1-9]|[12]\d|3[01])(?!\d)")
# "۲۰ شهریور ۱۴۰۰" (day, month's name, year) or "۱۴۰۰/۰۶/۲۰" in running text, after digits are folded to ASCII
_WRITTEN = re.compile(rf"(?<!\d)([0-3]?\d)\s+([^\W\d_]{{2,9}})\s+{_YEAR}(?!\d)")
_NOT_TEXT = frozenset(("script", "style", "noscript", "template"))
_SLASHED = re.compile(rf"(?<!\d){_YEAR}/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?!\d)")


def solar_to_gregorian(year: int, month: int, day: int) -> date | None:
    """The Gregorian day of a Solar Hijri date, or None when it is no date of that calendar."""
    from convertdate import persian

    if not FIRST_YEAR <= year <= LAST_YEAR or not 1 <= month <= 12:
        return None
    if day < 1 or day > (31 if month <= 6 else 30) or (month == 12 and day == 30 and not persian.leap(year)):
        return None
    return date(*persian.to_gregorian(year, month, day))


def from_iso_solar(value: str) -> str | None:
    """`value` with a leading Solar Hijri ISO day ("1400-03-05T10:00:00+04:30") rewritten as its Gregorian day
    ("2021-05-26T10:00:00+04:30"), or None when it does not start with one."""
    m = ISO_SOLAR.match(value.translate(_DIGITS))
    if not m:
        return None
    day = solar_to_gregorian(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    if day is None:
        return None
    return day.isoformat() + value.translate(_DIGITS)[m.end():]


def solar_hijri_days(text: str) -> list[date]:
    """Every Solar Hijri day written in `text`, in order: day + month's name + year, or year/month/day."""
    folded = text.translate(_DIGITS).translate(_LETTERS)
    found: list[tuple[int, date]] = []
    for m in _WRITTEN.finditer(folded):
        day = _written(m.group(1), m.group(2), m.group(3))
        if day is not None:
            found.append((m.start(), day))
    for m in _SLASHED.finditer(folded):
        day = solar_to_gregorian(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if day is not None:
            found.append((m.start(), day))
    return [d for _, d in sorted(found, key=lambda x: x[0])]


def _written(day: str, month: str, year: str) -> date | None:
    from dateparser.calendars.jalali import JalaliCalendar

    try:  # the month word must be a Solar Hijri month's name; JalaliCalendar knows them
        found = JalaliCalendar(f"{day} {month} {year}").get_date()
    except Exception:  # noqa: BLE001 - a parser bug on one string: no date
        return None
    if found is None or found.period != "day" or found.date_obj is None:
        return None
    return found.date_obj.date()


def page_solar_hijri_day(doc: HtmlElement) -> date | None:
    """The page's publication day in the Solar Hijri calendar: the first such date after its headline (the
    first ``<h1>`` with text: a site's "today" line sits above it), else the first in its text; None if none.
    Scripts and styles are not read."""
    before: list[str] = []
    after: list[str] | None = None
    skipping = 0  # depth inside a script or style
    for event, el in etree.iterwalk(doc, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        target = before if after is None else after
        if event == "start":
            if el.tag in _NOT_TEXT:
                skipping += 1
            elif not skipping:
                if after is None and el.tag == "h1" and el.text_content().strip():
                    after = target = []
                if el.text:
                    target.append(el.text)
        else:
            if el.tag in _NOT_TEXT:
                skipping -= 1
            if not skipping and el.tail:
                target.append(el.tail)
    for chunk in (after or [], before):
        days = solar_hijri_days(" ".join(chunk))
        if days:
            return days[0]
    return None
