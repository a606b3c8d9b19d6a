"""The extraction stage: one page's bytes → an `Extracted` (metadata + cleaned body) or a `Failure`.

`extract_article()` is a pure function of its arguments (no network, no files, no shared mutable state),
so the ingest runs it in worker processes; newspaper3k's corrections are applied when this module is
imported (`ingest.extract.newspaper_fix.apply`, idempotent), i.e. in every worker, under fork or spawn alike.

Steps: decode the bytes (`ingest.fetch.decoding`), parse once with lxml, refuse pages that are no article
(not-found pages, login walls), collect body candidates from newspaper3k and trafilatura
(`ingest.extract.candidates`), merge them paragraph by paragraph (`ingest.extract.combine`), drop furniture
(`ingest.extract.clean`) and the site's learnt boilerplate (`ingest.extract.boilerplate`), then date (`ingest.extract.dates`)
and detect the language (`ingest.extract.language`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime

from lxml.html import HtmlElement

from ingest.extract import newspaper_fix

newspaper_fix.apply()

from ingest.extract.boilerplate import SiteBoilerplate, remove_boilerplate  # noqa: E402
from ingest.extract.candidates import (  # noqa: E402
    newspaper_paragraphs,
    parse_html,
    run_newspaper,
    trafilatura_paragraphs,
)
from ingest.extract.clean import clean_text  # noqa: E402,F401  (re-exported: the library function for pasted text)
from ingest.extract.combine import merge_candidates, needs_second_candidate  # noqa: E402
from ingest.extract.dates import pick_published  # noqa: E402
from ingest.extract.furniture import furniture_kind  # noqa: E402
from ingest.extract.language import detect_language, sure_language  # noqa: E402
from ingest.fetch.decoding import decode_html  # noqa: E402
from ingest.records import Extracted, Failure  # noqa: E402

__all__ = ["extract_article", "clean_text", "Extracted", "Failure"]

log = logging.getLogger(__name__)

# A body shorter than this is no article (a section front's teaser, a consent page's leftovers). The
# shortest real articles of the extraction dev set are news briefs of ~2 sentences, ~200 characters.
MIN_BODY_CHARS = 120
MIN_BODY_WORDS = 15

_NOT_FOUND = re.compile(
    r"\b(?:404|error 404|page not found|page (?:cannot|could not|can['’]t) be found|page (?:does not|doesn['’]t|no longer)"
    r" exists?|nothing (?:was )?found|seite (?:wurde )?nicht gefunden|seite existiert nicht|page introuvable"
    r"|página no encontrada|pagina non trovata|página não encontrada|страница не найдена)\b",
    re.I,
)
_LOGIN = re.compile(
    r"\b(?:sign in|log ?in|anmelden|einloggen|connexion|iniciar sesión|accedi|войти|members only|subscribers only"
    r"|register to (?:read|continue)|create an account)\b",
    re.I,
)


def extract_article(html: bytes | str, url: str, *, feed_published: datetime | None = None,
                    fetched_at: datetime | None = None, boilerplate: SiteBoilerplate | None = None,
                    encoding: str | None = None) -> Extracted | Failure:
    """Turn one page into its article: every body paragraph and nothing else, with title, authors, date
    (UTC, with provenance) and language — or a `Failure` whose reason the run summary counts.

    Never raises on bad input and never returns empty or junk text.
    """
    try:
        return _extract(html, url, feed_published, fetched_at, boilerplate, encoding)
    except RecursionError:
        return Failure("unparseable", "document nested too deeply")
    except Exception as exc:  # a library bug on one page must not stop a run; the page is counted
        log.warning("extraction error on %s: %r", url, exc)
        return Failure("extract-error", f"{type(exc).__name__}: {exc}"[:300])


def _extract(html, url, feed_published, fetched_at, boilerplate, encoding) -> Extracted | Failure:
    text = decode_html(html, encoding)
    if isinstance(text, Failure):
        return text
    doc = parse_html(text)
    if doc is None:
        return Failure("empty", "no HTML document in the content")
    traf = trafilatura_paragraphs(doc, url)
    detected, with_body = None, needs_second_candidate(traf)
    if with_body:
        # The language newspaper3k scores words in comes from the text itself, not only the page's declaration
        # (a template's lang="en" on a Hindi page, "du" for Dutch); newspaper has no resources for many languages.
        detected = sure_language(_TABLE_RULES.sub(" ", " ".join(p.text for p in traf)))
    np = run_newspaper(doc, url, detected, with_body=with_body)
    title = " ".join(np.title.split()) or _first_heading(doc)
    merged = merge_candidates(traf, newspaper_paragraphs(np), title)
    paragraphs = remove_boilerplate(merged.paragraphs, boilerplate)
    body = "\n\n".join(paragraphs)
    refused = _refuse(doc, title, body)
    if refused:
        return refused
    language = detect_language(body, doc.get("lang") or np.meta_lang)
    published = pick_published(doc, url, feed_published, fetched_at, language=language, text=body)
    if published.rejected:
        log.info("date of %s: refused %s, using %s", url, ",".join(published.rejected), published.source)
    return Extracted(
        title=title,
        text=body,
        authors=np.authors,
        published_at=published.at,
        published_source=published.source,
        published_offset_min=published.offset_min,
        language=language,
        canonical_url=np.canonical,
        top_image=np.top_image,
    )


def _first_heading(doc: HtmlElement) -> str:
    for el in doc.iterfind(".//h1"):
        t = " ".join(el.text_content().split())
        if t:
            return t
    return ""


def _refuse(doc: HtmlElement, title: str, body: str) -> Failure | None:
    """Why the page is no article, or None. Checked after extraction: a real article that merely has a
    login link in its header keeps its body; a page whose body is missing says why."""
    words, cjk = _word_count(body), len(_CJK.findall(body))
    short = len(body) + 2 * cjk < MIN_BODY_CHARS or words < MIN_BODY_WORDS  # a CJK character says ~3 Latin ones
    heading = f"{title} {_first_heading(doc)}"
    if _NOT_FOUND.search(heading) and (short or words < 120):
        return Failure("not-found-page", title[:120])
    if short and (doc.xpath(".//input[@type='password']") or _LOGIN.search(heading)):
        return Failure("login-wall", title[:120])
    if not body.strip():
        return Failure("no-article", _EMPTY_BODY if _declared_body_empty(doc) else "no body text found")
    if short:
        return Failure("no-article", _EMPTY_BODY if _declared_body_empty(doc)
                       else f"body of {len(body)} characters, {words} words")
    if letter_share(body) < 0.5:
        return Failure("no-article", "body is mostly non-letters")
    paragraphs = body.split("\n\n")
    if all(furniture_kind(p) for p in paragraphs):
        return Failure("no-article", "only page furniture")
    linked = _anchor_texts(doc)
    in_links = sum(len(p) for p in paragraphs if " ".join(p.split()).casefold() in linked)
    if in_links > 0.6 * len(body):  # a list of headlines: a section front or an index page
        return Failure("no-article", _EMPTY_BODY if _declared_body_empty(doc) else "body is a list of links")
    return None


_EMPTY_BODY = "the page's article body is empty in its HTML (filled in by a script)"


def _declared_body_empty(doc: HtmlElement) -> bool:
    """The page marks its article body (schema.org ``articleBody``) and that element holds no text: the
    text is loaded by a script after the page, so what is left is the page's furniture, not a missed article."""
    marked = doc.xpath(".//*[@itemprop='articleBody']")
    return bool(marked) and all(not "".join(el.itertext()).strip() for el in marked)


_MARKS = frozenset(("Mn", "Mc"))  # vowel signs and viramas of Indic scripts, Thai vowels and tone marks


def letter_share(text: str) -> float:
    """The share of `text`'s visible characters (whitespace aside: Chinese and Japanese put none between words)
    that are letters, combining marks counted as letters: a Hindi or Tamil word is half vowel signs (Unicode
    Mn/Mc), which `str.isalpha` does not count."""
    visible = len(text) - sum(map(str.isspace, text))
    if not visible:
        return 0.0
    letters = sum(map(str.isalpha, text))
    if letters < visible:
        letters += sum(1 for ch in text if not ch.isalpha() and unicodedata.category(ch) in _MARKS)
    return letters / visible


_TABLE_RULES = re.compile(r"[|\s]+")  # trafilatura's table cells are joined with "|"

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _word_count(text: str) -> int:
    """Words, counting two CJK characters as one (Chinese and Japanese put no spaces between words)."""
    return len(text.split()) + len(_CJK.findall(text)) // 2


def _anchor_texts(doc: HtmlElement) -> set[str]:
    return {" ".join(a.text_content().split()).casefold() for a in doc.iterfind(".//a")}
