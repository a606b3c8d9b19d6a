"""Every script family: a real page of ../shared/data/dates-dev through `extract_article` gives an article in
its language (no page lost to a missing stopwords file or to the "letters" check). Skipped without the data."""

from __future__ import annotations

import gzip
import json
import unicodedata

import pytest

from ingest.extract.article import extract_article, letter_share
from ingest.extract.newspaper_fast import body_language, stopword_languages
from ingest.records import Extracted
from tests.paths import SHARED_DATA

DATES_DEV = SHARED_DATA / "dates-dev"
needs_data = pytest.mark.skipif(not (DATES_DEV / "cases.jsonl").exists(),
                                reason=f"dates dev set not found at {DATES_DEV}")

# (family, page, language, a character range of the script): one real news page each.
PAGES = [
    ("devanagari", "pages/0055.html.gz", "hi", ("\u0900", "\u097f")),
    ("gujarati", "pages/0059.html.gz", "gu", ("\u0a80", "\u0aff")),
    ("bengali", "pages/0751.html.gz", "bn", ("\u0980", "\u09ff")),
    ("chinese", "pages/0325.html.gz", "zh", ("\u4e00", "\u9fff")),
    ("japanese", "pages/0039.html.gz", "ja", ("\u3040", "\u30ff")),
    ("korean", "pages/0036.html.gz", "ko", ("\uac00", "\ud7af")),
    ("arabic", "pages/0188.html.gz", "ar", ("\u0600", "\u06ff")),
    ("persian", "pages/0069.html.gz", "fa", ("\u0600", "\u06ff")),
    ("armenian", "pages/0051.html.gz", "hy", ("\u0530", "\u058f")),
    ("cyrillic", "pages/0001.html.gz", "uk", ("\u0400", "\u04ff")),
    ("latin, no newspaper3k stopwords: Bosnian", "pages/0007.html.gz", "bs", ("a", "z")),
    ("latin, no newspaper3k stopwords: Albanian", "pages/0008.html.gz", "sq", ("a", "z")),
    ("latin, no newspaper3k stopwords: Lithuanian", "pages/0034.html.gz", "lt", ("a", "z")),
    ("latin with tone marks: Vietnamese", "pages/0783.html.gz", "vi", ("a", "z")),
]


def _url(page: str) -> str:
    for line in (DATES_DEV / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["page"] == page:
            return case["url"]
    raise AssertionError(f"{page} not in the dev set")


@needs_data
@pytest.mark.parametrize("family,page,language,script", PAGES, ids=[p[0] for p in PAGES])
def test_real_page_of_each_script(family, page, language, script):
    result = extract_article(gzip.decompress((DATES_DEV / page).read_bytes()), _url(page))
    assert isinstance(result, Extracted), f"{family}: {result}"
    assert result.language == language
    low, high = script
    in_script = sum(low <= ch.lower() <= high for ch in result.text)
    assert in_script >= 200, f"{family}: only {in_script} characters of the script in the body"
    assert letter_share(result.text) >= 0.5


@pytest.mark.parametrize("text", [
    "प्रधानमंत्री नरेंद्र मोदी ने सोमवार को कहा कि सरकार किसानों की आय बढ़ाने के लिए प्रतिबद्ध है",  # Hindi
    "ગુજરાત સરકારે આજે નવી યોજનાની જાહેરાત કરી",  # Gujarati
    "பிரதமர் நரேந்திர மோடி இன்று சென்னையில் பேசினார்",  # Tamil
    "นายกรัฐมนตรีกล่าวในวันจันทร์ว่ารัฐบาลจะเพิ่มรายได้ของเกษตรกร",  # Thai
    "中华人民共和国国务院总理今天在北京表示，政府将继续支持经济发展。",  # Chinese: punctuation, no spaces
])
def test_combining_marks_count_as_letters(text):
    marks = sum(unicodedata.category(ch) in ("Mn", "Mc") for ch in text)
    assert marks or "\u4e00" <= text[0] <= "\u9fff"
    assert letter_share(text) >= 0.85


def test_digits_and_punctuation_are_not_letters():
    assert letter_share("| 12 | 34.5 | 2020-01-01 | +3.2% |") < 0.2


@pytest.mark.parametrize("detected,declared,expected", [
    ("de", "en", "de"),  # the text outranks a template's lang="en"
    ("bs", "hr", "hr"),  # no Bosnian stopwords: the page's Croatian declaration has them
    ("bs", None, None),  # none at all: no newspaper3k body, trafilatura's stands alone
    (None, "du", None),  # "du" is no language newspaper3k knows (Dutch is "nl")
    ("nl", "du", "nl"),
    (None, None, "en"),  # nothing known: newspaper3k's default, as before
])
def test_body_language(detected, declared, expected):
    assert body_language(detected, declared) == expected


def test_stopword_languages_are_read_from_the_package():
    languages = stopword_languages()
    assert {"en", "de", "ru", "zh", "hi"} <= languages and not {"bs", "sq", "hy", "lt", "ca", "bn", "la"} & languages
