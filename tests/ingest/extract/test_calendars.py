"""Solar Hijri (Persian) dates: machine fields, written dates in a page's text, and the page's day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html
import pytest

from ingest.extract.calendars import (
    from_iso_solar,
    page_solar_hijri_day,
    solar_hijri_days,
    solar_to_gregorian,
)
from ingest.extract.dates import parse_stamp, pick_published

FETCHED = datetime(2024, 8, 14, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 8, 14, 9, 5, tzinfo=UTC)


@pytest.mark.parametrize("ymd,expected", [
    ((1399, 1, 1), date(2020, 3, 20)),  # Nowruz
    ((1400, 6, 20), date(2021, 9, 11)),
    ((1399, 12, 30), date(2021, 3, 20)),  # 1399 is a leap year
    ((1398, 12, 30), None),  # 1398 is not
    ((1399, 7, 31), None),  # the second half-year's months have 30 days
    ((1299, 1, 1), None),  # outside the years a news page can carry
])
def test_solar_to_gregorian(ymd, expected):
    assert solar_to_gregorian(*ymd) == expected


def test_written_and_slashed_dates_in_persian_and_arabic_letters_and_digits():
    # "Saturday 20 Shahrivar 1400" typed with the Arabic yeh, then "1400/03/05" in Persian digits
    text = "شنبه ۲۰ شهريور ۱۴۰۰ — گزارش ۱۴۰۰/۰۳/۰۵"
    assert solar_hijri_days(text) == [date(2021, 9, 11), date(2021, 5, 26)]
    assert solar_hijri_days("2 ساعت 1399") == []  # "2 hours 1399": no month's name


def test_a_solar_hijri_iso_value_is_rewritten_and_parsed_with_its_offset():
    assert from_iso_solar("2020-05-10T10:30:00+04:30") is None
    stamp = parse_stamp("1400-03-05T10:30:00+04:30")
    assert stamp is not None
    assert (stamp.at, stamp.offset_min) == (datetime(2021, 5, 26, 6, 0, tzinfo=UTC), 270)


PAGE = """<html><head><title>خبر</title></head><body>
<div class="top">امروز: سه‌شنبه ۲۳ مرداد ۱۴۰۳</div>
<script>var built = "۱ تیر ۱۴۰۳";</script>
<h1>بازگشایی کتابخانه شهر</h1>
<div class="info"><span class="date">۲۰ شهريور ۱۴۰۰ - ۱۲:۰۹</span></div>
<p>کتابخانه مرکزی شهر پس از سه ماه دوباره به روی مردم باز شد و ساعت کار آن تغییر کرد.</p>
</body></html>"""


def test_the_pages_day_is_the_first_solar_hijri_date_after_its_headline():
    doc = lxml.html.document_fromstring(PAGE)
    assert page_solar_hijri_day(doc) == date(2021, 9, 11)  # not the "today" line above, not the script


def test_a_persian_page_dated_only_in_the_solar_hijri_calendar():
    doc = lxml.html.document_fromstring(PAGE)
    p = pick_published(doc, "https://x.ir/news/123", None, FETCHED, now=NOW, language="fa")
    assert (p.at, p.source) == (datetime(2021, 9, 11, tzinfo=UTC), "solar-hijri")


def test_a_solar_hijri_meta_tag_gives_the_day_time_and_offset():
    head = '<meta name="date" content="1400-03-05T10:30:00+04:30">'
    doc = lxml.html.document_fromstring(f"<html><head>{head}</head><body><p>متن خبر</p></body></html>")
    p = pick_published(doc, "https://x.ir/news/124", None, FETCHED, now=NOW, language="fa")
    assert (p.at, p.source, p.offset_min) == (datetime(2021, 5, 26, 6, 0, tzinfo=UTC), "meta", 270)
