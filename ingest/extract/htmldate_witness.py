"""htmldate as one witness of a page's publication day: takes a parsed page, its URL, the page's language and the
sanity limits; gives htmldate's "original" day, read without the parts of a page that are not its publication.

What htmldate is not shown (the parts are detached for the call and put back, the page is not copied):

- **modification declarations** (``article:modified_time``, ``og:updated_time``, ``dateModified``, ``Last-Modified``
  ...). With ``original_date=True`` htmldate still keeps them as a "reserve" that outranks every date in the page's
  body; a page updated months later then gets its update day while its visible publication date is ignored. Left
  out, htmldate reads the body. A page dated by nothing but an update declaration gets the next witness (or
  `fetched`): an update day is not a publication day.
- **comment threads** (elements whose class or id names a comment): readers' comments carry their own dates, all
  later than the article's, and htmldate's element search takes the first ``<time>`` or date-classed element it
  meets, which is a comment's on pages that render the thread before the article's own date. When the page shows
  no date of its own, the first comment's day is an upper bound and is kept (`htmldate_day`).
- **the site's header**: a ``<header>`` outside any ``<article>``/``<main>`` that holds no article, no
  ``datePublished`` and not the page's headline (an ``<h1>`` in it is the site's logo when another ``<h1>`` is
  outside it), and comes before that headline (a post's own header after a logo ``<h1>`` is the post's). Many sites print the day the page is viewed there ("Monday, 7 December 2026", a ``<time>`` of
  "today"), and htmldate's element search meets it before the article's own date. A ``<header>`` inside the
  article (its title and byline) is the article's and stays.

htmldate turns a copyright line or a bare year into 1 January, which is no publication day: such an answer is
dropped. A month in the URL without a day ("/news/2011/12/slug") bounds htmldate's search to that month.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

# The modification keys htmldate reads (htmldate.core NAME_MODIFIED, PROPERTY_MODIFIED, ITEMPROP_ATTRS_MODIFIED,
# http-equiv last-modified), lower-case.
MODIFIED_KEYS = frozenset((
    "lastmodified", "last-modified", "modified", "article:modified", "article:modified_date", "article:modified_time",
    "article:post_modified", "datemodified", "dc.modified", "dcterms.modified", "modified_time",
    "og:article:modified_time", "og:modified_time", "og:updated_time", "updated_time", "dateupdate",
))
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # no news page is older than the web
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(?!\d)")
# A comment thread's container: "comments", "comment-list", "kb-recipe-comment-box", "comment__date", "disqus_thread".
# A reader's comment with its name and date is longer; an article's "date · 12 comments" line is shorter.
COMMENT_MIN_CHARS = 80
_HEADERS_XPATH = etree.XPath(".//header")
_ARTICLE_INSIDE_XPATH = etree.XPath(".//article|.//main|.//*[@itemprop='datePublished']")
# "omment" matches "comment" and "Comment" without lower-casing every attribute (translate() made it ~3x slower)
_COMMENTS_XPATH = etree.XPath(".//*[contains(@class, 'omment') or contains(@id, 'omment') or contains(@id, 'disqus')]")


def _modified_metas(doc: HtmlElement) -> list[HtmlElement]:
    out = []
    for el in doc.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").lower()
        if key.strip() in MODIFIED_KEYS:
            out.append(el)
    return out


def _site_headers(doc: HtmlElement) -> list[HtmlElement]:
    """The page's site-wide ``<header>`` elements (module docstring): not inside an article, main or another
    header; holding no article, main or ``datePublished``; holding no ``<h1>`` unless another is outside."""
    out = []
    for el in _HEADERS_XPATH(doc):
        if any(a.tag in ("article", "main", "header") for a in el.iterancestors()):
            continue
        if _ARTICLE_INSIDE_XPATH(el):
            continue
        inside = set(el.iter("h1"))
        outside = [h for h in doc.iter("h1") if h not in inside]
        if inside and not outside:
            continue  # the headline is in it: this header is the article's
        if outside and not _precedes(el, outside[0]):
            continue  # after the headline: a post's own header (its title in an h2), not the site's
        out.append(el)
    return out


def _precedes(a: HtmlElement, b: HtmlElement) -> bool:
    """`a` comes before `b` in document order (neither holds the other): compared as children of their lowest
    common ancestor, so it costs the two elements' depths, not the page's size."""
    chain_b = [b, *b.iterancestors()]
    depth_of = {id(x): i for i, x in enumerate(chain_b)}  # the list keeps lxml's proxies, so ids are stable
    child = a
    for anc in a.iterancestors():
        if id(anc) in depth_of:
            return anc.index(child) < anc.index(chain_b[depth_of[id(anc)] - 1])
        child = anc
    return False


def _comment_sections(doc: HtmlElement) -> list[HtmlElement]:
    """The outermost comment containers that hold comments: some text (a "3 comments" link or a
    "wpcom-comments-date" line of the article's own date and comment count is the article's metadata) and no
    headline (a wrapper named "has-comments" around the whole article is no comment thread)."""
    found = _COMMENTS_XPATH(doc)
    chosen: set[HtmlElement] = set()
    out = []
    for el in found:  # document order: an ancestor comes before its descendants
        if el.tag in ("html", "body") or any(a in chosen for a in el.iterancestors()):
            continue
        if el.find(".//h1") is not None or el.xpath(".//*[@itemprop='datePublished']"):
            continue
        if len(" ".join(el.text_content().split())) < COMMENT_MIN_CHARS:
            continue
        chosen.add(el)
        out.append(el)
    return out


@contextmanager
def _detached(elements: list[HtmlElement]) -> Iterator[None]:
    """The elements taken out of their tree (with their tail text) for the block, then put back in place."""
    taken: list[tuple[HtmlElement, int, HtmlElement]] = []
    try:
        for el in elements:
            parent = el.getparent()
            if parent is not None:
                taken.append((parent, parent.index(el), el))
                parent.remove(el)
        yield
    finally:
        for parent, index, el in reversed(taken):
            parent.insert(index, el)


def _dated_before(comments: list[HtmlElement], day: date) -> bool:
    """Some comment carries a year up to `day`'s (in its text or a ``datetime`` attribute): only then can htmldate's
    reading with the comments in view be earlier, and is it worth a second call (~7 ms)."""
    for el in comments:
        for chunk in [el.text_content(), *el.xpath(".//@datetime")]:
            if any(int(y) <= day.year for y in _YEAR.findall(chunk)):
                return True
    return False


# htmldate's extensive search reads written dates ("Mittwoch, 8. Juli 2020") with dateparser, which it sets up
# for all 205 of dateparser's languages: the first such date cost 14 s of CPU in every process (regexes for
# every locale; measured on the extraction dev set), and each later one still tries every locale. Told the
# page's language, dateparser sets up one (~0.1 s once per language) and reads the same dates on dates-dev.
_page_language = threading.local()


@lru_cache(maxsize=64)
def _dateparser_for(language: str | None):
    from dateparser import DateDataParser
    from dateparser.data.languages_info import language_order

    known = set(language_order)
    # The page's language first, and in that order (dateparser otherwise sorts English first): a numeric date
    # is read in the first language's order, so "4. 2. 2022" on a German page is 4 February, not 2 April.
    languages = ([language] if language in known and language != "en" else []) + ["en"]
    return DateDataParser(languages=languages, use_given_order=True, settings={
        # htmldate's own settings (htmldate.extractors.get_external_parser)
        "NORMALIZE": True, "PARSERS": ["custom-formats", "absolute-time"], "PREFER_DATES_FROM": "past",
        "PREFER_LOCALE_DATE_ORDER": True, "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True,
    })


def _external_parser():
    return _dateparser_for(getattr(_page_language, "code", None))


def _use_page_language_parser() -> None:
    import htmldate.extractors as hx

    if getattr(hx, "get_external_parser", None) is not _external_parser:
        hx.get_external_parser = _external_parser


def url_month(url: str) -> tuple[date, date] | None:
    """The first and last day of a month a URL names without a day ("/news/2011/12/slug"), or None."""
    m = _URL_MONTH.search(url or "")
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def htmldate_day(doc: HtmlElement, url: str, latest: datetime, extensive: bool,
                 language: str | None = None, earliest: datetime = EARLIEST) -> date | None:
    """htmldate's original publication day of the page (its fast passes only unless `extensive`), or None.
    `language` (ISO 639-1, detected) is the one language besides English its written-date parser reads.

    Modification declarations and comment threads are hidden from htmldate (module docstring). A month in the
    URL without a day bounds the search to that month. A 1 January that the page never writes out as a date is
    htmldate's reading of a bare year, and gives None."""
    low, high = earliest.replace(tzinfo=None), latest.replace(tzinfo=None)
    month = url_month(url)
    if month is not None and low.date() <= month[0] <= high.date():
        low, high = datetime.combine(month[0], low.time()), min(high, datetime.combine(month[1], high.time().max))
    _use_page_language_parser()
    _page_language.code = language
    try:
        modified, comments = _modified_metas(doc) + _site_headers(doc), _comment_sections(doc)
        with _detached(modified + comments):
            day = _find_day(doc, url, extensive, low, high)
        if day is not None and _dated_before(comments, day):
            # A page is published before anyone comments on it: a day later than the one htmldate reads with the
            # comments in view (a comment's date, where the article itself shows none) is no publication day.
            with _detached(modified):
                with_comments = _find_day(doc, url, extensive, low, high)
            if with_comments is not None and with_comments < day:
                day = with_comments
    finally:
        _page_language.code = None
    if day is None:
        return None
    if day.month == 1 and day.day == 1 and not _writes_new_year(doc, day.year):
        return None
    return day


# How far into the body a dateline reaches: "Karlsruhe, (12.11.2021)." or "BERLIN, 12. November 2021 (dpa) -"
# open the first paragraph. The datelines on half A of dates-dev end within its first 35 characters; 80 leaves
# room for a long place name and agency ("FRANKFURT AM MAIN/WASHINGTON, 12. November 2021 (dpa/AFP) -"). It was
# 160 until an event's day inside the first sentence (about 95 characters in) was read as a dateline on half B:
# 40, 60 and 80 read the same datelines on both halves.
DATELINE_CHARS = 80
# "3 Marzo 21", "14. Januar 22": a day, a word of three letters or more (checked to be a month's name), a year
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})\.?\s+([^\W\d_]{3,})\.?\s+(\d{4}|\d{2})(?!\d)")


def dateline_day(text: str | None, latest: datetime, language: str | None = None) -> date | None:
    """The day in the opening of the article's body, its dateline ("Karlsruhe, (12.11.2021). ..."), read by
    htmldate's text search on that opening alone, or None. The dateline is the newsroom's own statement of the
    day, so it outranks a date found anywhere else in the page's text (a teaser, a calendar, an archive)."""
    if not text:
        return None
    opening = text.split("\n\n", 1)[0][:DATELINE_CHARS]
    if not any(ch.isdigit() for ch in opening):
        return None
    page = lxml.html.document_fromstring("<html><body><p></p></body></html>")
    try:
        page.find(".//p").text = opening  # the body is text, never markup
    except ValueError:  # a control character lxml refuses
        return None
    return htmldate_day(page, "", latest, extensive=True, language=language) or _written_day(opening, latest, language)


def _written_day(opening: str, latest: datetime, language: str | None) -> date | None:
    """A day written as day, month's name and year in the page's language that htmldate's patterns miss
    ("3 Marzo 21": a two-digit year), read by dateparser for that language. The month word must be a month's name
    there ("12.11. um 18 Uhr" is no date)."""
    for m in _DAY_MONTH_YEAR.finditer(opening):
        try:  # the language's parser is set up (~0.1 s once per language) only for a candidate
            found = _dateparser_for(language).get_date_data(" ".join(m.groups()))
        except Exception:  # noqa: BLE001 - a parser bug on one string: no written date
            continue
        when = found.date_obj if found else None
        if when is not None and found.period == "day" and \
                EARLIEST.replace(tzinfo=None) <= when.replace(tzinfo=None) <= latest.replace(tzinfo=None):
            return when.date()
    return None


def _find_day(doc: HtmlElement, url: str, extensive: bool, low: datetime, high: datetime) -> date | None:
    from htmldate import find_date

    try:
        found = find_date(doc, url=url or None, original_date=True, extensive_search=extensive,
                          min_date=low, max_date=high)
        return date.fromisoformat(found) if found else None
    except Exception:  # noqa: BLE001 - a library bug on one page costs that page its htmldate witness only
        return None


def _writes_new_year(doc: HtmlElement, year: int) -> bool:
    """The page spells 1 January of `year` as a date in its text or attributes (ISO, dotted, slashed)."""
    pattern = re.compile(rf"{year}-0?1-0?1(?!\d)|(?<!\d)0?1[./]0?1[./]{year}|{year}/0?1/0?1(?!\d)")
    if pattern.search(doc.text_content()):
        return True
    return any(pattern.search(v) for el in doc.iter() if isinstance(el.tag, str) for v in el.attrib.values())
