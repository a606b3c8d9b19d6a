"""Publication dates: meta, JSON-LD, URL, feed, fetch time; UTC; never in the future."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import lxml.html
import pytest

from ingest.extract.dates import parse_datetime, parse_stamp, pick_published, url_date

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


def test_timed_meta_on_htmldate_day_gives_time_and_offset():
    p = pick_published(doc(META + JSONLD), "https://x.org/2024/08/13/story", None, FETCHED, now=NOW)
    assert (p.at, p.source, p.offset_min) == (datetime(2024, 8, 13, 15, 5, tzinfo=UTC), "meta", 180)
    assert p.at.tzinfo == UTC
    assert p.local.isoformat() == "2024-08-13T18:05:00+03:00"


def test_url_day_outranks_a_single_structured_date():
    # htmldate reads the URL's day first; the JSON-LD time is on another day, so only the day is kept
    p = pick_published(doc(JSONLD), "https://x.org/2024/08/01/story", None, FETCHED, now=NOW)
    assert (p.at, p.source, p.offset_min) == (datetime(2024, 8, 1, tzinfo=UTC), "url", None)


def test_jsonld_when_nothing_else():
    p = pick_published(doc(JSONLD), "https://x.org/story", None, FETCHED, now=NOW)
    assert (p.at, p.source, p.offset_min) == (datetime(2024, 8, 12, 7, 30, tzinfo=UTC), "jsonld", 0)


def test_time_itemprop_counts_as_meta():
    body = '<time itemprop="datePublished" datetime="2024-08-10T10:00:00+02:00">10 Aug</time>'
    p = pick_published(doc(body=body), "https://x.org/a", None, FETCHED, now=NOW)
    assert (p.at, p.source, p.offset_min) == (datetime(2024, 8, 10, 8, 0, tzinfo=UTC), "meta", 120)


def test_page_offset_preferred_to_utc_for_the_same_instant():
    # the head says 23:59 UTC on the 24th, the JSON-LD the same instant at +02:00: the page's day is the 25th
    head = ('<meta property="article:published_time" content="2020-12-24T23:59:50+00:00">'
            '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2020-12-25T01:59:50+02:00"}'
            '</script>')
    p = pick_published(doc(head), "https://x.org/a", None, FETCHED, now=NOW)
    assert p.at == datetime(2020, 12, 24, 23, 59, 50, tzinfo=UTC)
    assert p.offset_min == 120 and p.local.date().isoformat() == "2020-12-25"


def test_agreeing_structured_dates_outvote_a_date_in_the_text():
    head = ('<meta property="article:published_time" content="2020-04-27T18:50:24+02:00">'
            '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2020-04-27T17:58:19+02:00"}'
            '</script>')
    body = '<header><abbr class="published" title="2020-07-08">Mittwoch, 8. Juli 2020</abbr></header><p>x</p>'
    p = pick_published(doc(head, body), "https://x.org/a", None, FETCHED, now=NOW)
    assert p.source == "meta" and p.local.date().isoformat() == "2020-04-27"


def test_htmldate_reads_a_visible_date():
    body = '<article><h1>Title</h1><p class="date">Published 3 March 2021</p><p>Text of the article.</p></article>'
    p = pick_published(doc(body=body), "https://x.org/a", None, FETCHED, now=NOW)
    assert (p.at, p.source, p.offset_min) == (datetime(2021, 3, 3, tzinfo=UTC), "htmldate", None)


@pytest.mark.parametrize("value,utc,offset,has_time", [
    ("2024-08-13T18:05:00+03:00", datetime(2024, 8, 13, 15, 5, tzinfo=UTC), 180, True),
    ("2024-08-13T15:05:00Z", datetime(2024, 8, 13, 15, 5, tzinfo=UTC), 0, True),
    ("2024-08-13T15:05:00", datetime(2024, 8, 13, 15, 5, tzinfo=UTC), None, True),
    ("2024-08-13", datetime(2024, 8, 13, tzinfo=UTC), None, False),
    ("2024-08-13T00:00:00-05:30", datetime(2024, 8, 13, 5, 30, tzinfo=UTC), -330, True),
    ("Tue, Sep 15 2020 10:01:41 EDT", datetime(2020, 9, 15, 14, 1, 41, tzinfo=UTC), -240, True),
    ("15 Sep 2020 10:01 IST", datetime(2020, 9, 15, 4, 31, tzinfo=UTC), 330, True),
])
def test_parse_stamp_keeps_the_offset(value, utc, offset, has_time):
    stamp = parse_stamp(value)
    assert (stamp.at, stamp.offset_min, stamp.has_time) == (utc, offset, has_time)


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


def test_written_date_read_in_the_pages_language_without_setting_up_every_language():
    import htmldate.extractors as hx

    from ingest.extract import htmldate_witness as dates

    body = ("<article><h1>Hafenplan</h1><div class='meta'><span>Veröffentlicht am Mittwoch, 8. Juli 2020</span></div>"
            "<p>Der Stadtrat hat den Plan beschlossen.</p></article>")
    p = pick_published(doc(body=body), "https://x.org/a", None, FETCHED, now=NOW, language="de")
    assert (p.at, p.source) == (datetime(2020, 7, 8, tzinfo=UTC), "htmldate")
    assert hx.get_external_parser is dates._external_parser  # htmldate asks newsmon's per-language parser
    assert dates._dateparser_for.cache_info().currsize <= 4  # one parser per language seen, not 205 locales


# What htmldate is not shown (ingest/extract/htmldate_witness.py). The pages below reproduce the shapes of real
# pages on dates-dev (a CMS's og:updated_time, a recipe site's comment thread, a forum-less blog's comments)
# with text of our own.

UPDATED = '<meta property="og:updated_time" content="2020-06-02T11:57:06+02:00">'


def test_an_update_declaration_does_not_hide_the_visible_publication_date():
    body = ("<article><h1>Daten gegen das Virus</h1><ul><li class='create-date'><time class='field'>31.03.2020"
            "</time></li></ul><p>Ein Land setzt auf Daten, ein anderes auf Abstand.</p></article>")
    p = pick_published(doc(UPDATED, body), "https://x.org/corona-daten", None, FETCHED, now=NOW)
    assert (p.at.date(), p.source) == (date(2020, 3, 31), "htmldate")


def test_comment_dates_are_not_the_articles():
    comments = "".join(
        f"<div class='recipe-comment-box'><span>Leserin {i}</span><time datetime='2020-09-2{i}T18:19:06+02:00'>"
        f"2{i}.09.20</time><p>Hat gut geklappt, vielen Dank für die Anleitung!</p></div>" for i in (2, 3, 6))
    body = (f"<div class='comments'><h3>Kommentare</h3>{comments}</div>"
            "<article><h2>Tomaten richtig schneiden</h2><span>von Marianne am 20.09.2020</span>"
            "<p>Ein scharfes Messer ist das Wichtigste.</p></article>")
    p = pick_published(doc(body=body), "https://x.org/tipp/tomaten", None, FETCHED, now=NOW)
    assert (p.at.date(), p.source) == (date(2020, 9, 20), "htmldate")


def test_an_article_is_published_before_its_first_comment():
    # The article shows no date of its own; a sidebar line is later than the first comment, so it is not the
    # publication day: the first comment's day bounds it.
    body = ("<article><h1>Leber mit Apfel</h1><p>Die Leber in Streifen schneiden und kurz anbraten.</p></article>"
            "<div id='comments'><ol class='commentlist'><li><cite>Mareike</cite><small class='commentmetadata'>"
            "8. Dezember 2010 um 10:56</small><p>Eine interessante Art, Leber zuzubereiten.</p></li><li><cite>Georg"
            "</cite><small class='commentmetadata'>16. März 2011 um 12:22</small><p>Dazu ein guter Wein.</p></li>"
            "</ol></div><div class='sidebar'><p>Neu im Blog: 04.08.2012</p></div>")
    p = pick_published(doc(body=body), "https://x.org/rezepte/leber.htm", None, FETCHED, now=NOW, language="de")
    assert p.at.date() == date(2010, 12, 8)


def test_a_short_comments_line_of_the_articles_own_date_is_kept():
    body = ("<article><h1>Sell with PayPal</h1><div id='wpcom-comments-date'><span class='date'>August 30, 2017"
            "</span> <a href='#c'>4 Comments</a></div><p>Start selling in seconds.</p></article>"
            "<div class='more'><p>Earlier: July 10, 2017</p></div>")
    p = pick_published(doc(body=body), "https://x.org/", None, FETCHED, now=NOW)
    assert p.at.date() == date(2017, 8, 30)


def test_a_month_in_the_url_bounds_the_day():
    body = ("<div class='archive'><span>01.06.2010</span></div><article><h1>Kein Cyberterrorismus</h1>"
            "<p>Geschrieben am 3. Dezember 2011.</p></article>")
    p = pick_published(doc(body=body), "http://x.org/news/2011/12/kein-cyberterrorismus/", None, FETCHED, now=NOW,
                       language="de")
    assert p.at.date() == date(2011, 12, 3)


def test_a_bare_year_is_no_publication_day():
    body = "<article><h1>Börse</h1><p>Der Index stieg kräftig.</p></article><footer>© 2016 Nachrichten</footer>"
    p = pick_published(doc(body=body), "https://x.org/news/120200622120908039", None, FETCHED, now=NOW)
    assert p.source == "fetched"


def test_a_new_years_day_the_page_writes_out_is_kept():
    body = "<article><h1>Neujahr</h1><p>Veröffentlicht 01.01.2023</p><p>Das Jahr beginnt.</p></article>"
    p = pick_published(doc(body=body), "https://x.org/neujahr", None, FETCHED, now=NOW)
    assert (p.at.date(), p.source) == (date(2023, 1, 1), "htmldate")


def test_the_bodys_dateline_outranks_a_date_elsewhere_in_the_text():
    body = ("<div class='events'><ul><li>Sa. 13.11.2021 <a href='/t'>Orgelkonzert</a></li></ul></div>"
            "<article><h1>Trauern digital</h1><p>Karlsruhe, (12.11.2021). Die Gemeinden laden zur Andacht ein.</p>"
            "</article>")
    text = "Karlsruhe, (12.11.2021). Die Gemeinden laden zur Andacht ein.\n\nSie beginnt um 18 Uhr."
    p = pick_published(doc(body=body), "https://x.org/detail/id/35204", None, FETCHED, now=NOW, language="de",
                       text=text)
    assert (p.at.date(), p.source) == (date(2021, 11, 12), "dateline")


def test_a_dateline_is_read_as_text_and_never_outranks_structured_data():
    text = "<b>Berlin</b>, 03.05.2022 — Der Senat tagt.\n\nMehr."
    p = pick_published(doc(META), "https://x.org/a", None, FETCHED, now=NOW, text=text)
    assert (p.source, p.at.date()) == ("meta", date(2024, 8, 13))
    p = pick_published(doc(), "https://x.org/a", None, FETCHED, now=NOW, text=text)
    assert (p.source, p.at.date()) == ("dateline", date(2022, 5, 3))


def test_a_year_alone_in_the_dateline_is_no_day():
    p = pick_published(doc(), "https://x.org/a", None, FETCHED, now=NOW, text="Rückblick 2021: das Jahr der Wahl.")
    assert p.source == "fetched"


def test_a_written_dateline_with_a_two_digit_year_is_read_in_the_pages_language():
    text = "(Sulmona, 3 Marzo 21) Il consiglio comunale ha approvato il nuovo piano.\n\nAltro."
    p = pick_published(doc(), "https://x.org/dettaglio.php?id=1", None, FETCHED, now=NOW, language="it", text=text)
    assert (p.at.date(), p.source) == (date(2021, 3, 3), "dateline")


@pytest.mark.parametrize("text,language", [
    ("اليوم عام 1990، افتتح الجسر الجديد فوق النهر.", "ar"),  # "today, in 1990, ...": no day of publication
    ("Heute vor 30 Jahren, im Jahr 1990, wurde die Brücke eröffnet.", "de"),
    ("Am 12.11. um 18 Uhr beginnt die Andacht.", "de"),
])
def test_a_dateline_without_a_whole_absolute_date_is_none(text, language):
    p = pick_published(doc(), "https://x.org/a", None, FETCHED, now=NOW, language=language, text=text)
    assert p.source == "fetched"


def test_an_update_declaration_alone_is_no_publication_day():
    p = pick_published(doc(UPDATED), "https://x.org/corona-daten", None, FETCHED, now=NOW)
    assert p.source == "fetched"


def test_a_numeric_date_is_read_in_the_pages_language_order():
    # "4. 2. 2022" (spaced, as German, Czech and Polish pages write it) is day.month. htmldate hands it to
    # dateparser, which read it in English order (2 April) while English came first in its languages.
    body = ("<article><h1>Die Mannschaft steht</h1><div class='byline'><span>Von der Redaktion</span> <span>4. 2. 2022</span></div>"
            "<p>Die Trainerin hat das Aufgebot für das Turnier bekanntgegeben.</p></article>")
    p = pick_published(doc(body=body), "https://x.org/news/aufgebot", None, FETCHED, now=NOW, language="de")
    assert (p.at.date(), p.source) == (date(2022, 2, 4), "htmldate")


def test_a_date_inside_the_first_sentence_is_no_dateline():
    # An event's day some way into the opening sentence is the story's subject, not the newsroom's dateline.
    text = ("Die Trainerin hat am Morgen das Aufgebot der Auswahl für das Turnier gegen Norwegen (12. und 13. Mai "
            "2022 in Oslo) bekanntgegeben.\n\nMehr.")
    p = pick_published(doc(), "https://x.org/news/aufgebot", None, FETCHED, now=NOW, language="de", text=text)
    assert p.source == "fetched"


# The site's header ("today" lines): a site prints the day the page is viewed above the article.
TODAY_HEADER = ("<header class='site'><div class='top'><span class='date'>Wed, 9 Mar 2022</span></div>"
                "<div class='logo'><h1><a href='/'>The Harbour Star</a></h1></div></header>")
STORY = ("<div class='story'><h1>Storm passes the coast</h1><div class='meta'><span class='date'>8 Mar 2022</span>"
         "</div><p>The storm moved north overnight and the ferries run again.</p></div>")


def test_a_today_line_in_the_sites_header_is_not_the_articles_day():
    p = pick_published(doc(body=TODAY_HEADER + STORY), "https://x.org/news/storm", None, FETCHED, now=NOW)
    assert (p.at.date(), p.source) == (date(2022, 3, 8), "htmldate")


def test_a_header_that_holds_the_headline_is_the_articles_own():
    body = ("<header><h1>Storm passes the coast</h1><span class='date'>8 Mar 2022</span></header>"
            "<div><p>The storm moved north overnight.</p><p>Archive: <span>2 Feb 2021</span></p></div>")
    p = pick_published(doc(body=body), "https://x.org/news/storm", None, FETCHED, now=NOW)
    assert (p.at.date(), p.source) == (date(2022, 3, 8), "htmldate")
    inside = "<article><header><h2>Storm</h2><span class='date'>8 Mar 2022</span></header><p>Text.</p></article>"
    p = pick_published(doc(body=TODAY_HEADER.replace("<h1>", "<b>").replace("</h1>", "</b>") + inside),
                       "https://x.org/news/storm", None, FETCHED, now=NOW)
    assert p.at.date() == date(2022, 3, 8)  # the header inside the article stays; the site's is hidden


def test_a_posts_own_header_after_the_sites_logo_headline_is_kept():
    # A blog's logo is its <h1>; each post's header (title in an <h2>, its date) comes after it, outside any <article>.
    body = ("<h1 class='logo'>Harbour Notes</h1><header class='post-header'><h2>Storm passes the coast</h2>"
            "<span class='date'>8 Mar 2022</span></header><div><p>The storm moved north overnight.</p>"
            "<p>From the archive: <span class='date'>2 Feb 2021</span></p></div>")
    p = pick_published(doc(body=body), "https://x.org/storm", None, FETCHED, now=NOW)
    assert (p.at.date(), p.source) == (date(2022, 3, 8), "htmldate")
