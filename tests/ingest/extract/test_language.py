from __future__ import annotations

import pytest

from ingest.extract.language import LanguageChoice, choose_language, declared_language, detect_language


@pytest.mark.parametrize("text,code", [
    ("Russian President Vladimir Putin reiterated his calls for Palestinian statehood on Tuesday.", "en"),
    ("Der Bundeskanzler hat heute in Berlin gesagt, dass die Regierung die Steuern senken wird.", "de"),
    ("Le président a déclaré lundi que le gouvernement présenterait un projet de loi avant l'été.", "fr"),
    ("Президент России Владимир Путин заявил во вторник о поддержке палестинского государства.", "ru"),
])
def test_detects(text, code):
    assert detect_language(text) == code


def test_short_text_uses_declared_language():
    assert detect_language("Putin", "en-GB") == "en"
    assert detect_language("Putin", None) is None


@pytest.mark.parametrize("value,code", [("en-GB", "en"), ("de_DE", "de"), ("FR", "fr"), ("", None), ("english", None)])
def test_declared(value, code):
    assert declared_language(value) == code


EN = ("Russian President Vladimir Putin reiterated his calls for Palestinian statehood on Tuesday, telling "
      "reporters in Moscow that a lasting peace in the region was impossible without it.")  # en at p ~0.999
MIXED = "Das Meeting war ein great success for the team und alle waren happy danach"  # en at p ~0.77: unsure
NOUNS = "Hotel Restaurant Bar Pizza Taxi Radio Internet Computer Programm Music Video"  # de at p ~0.18


@pytest.mark.parametrize(("text", "page", "source", "language", "detected", "disagrees"), [
    (EN, None, "en", "en", "en", False),          # sure and agreeing
    (EN, "de", "de", "en", "en", True),           # sure and contradicting the source: detection kept, flagged
    (EN, None, None, "en", "en", False),          # nothing declared
    ("Putin", "en-GB", "ru", "ru", None, False),  # too short: the source's declaration first
    ("Putin", "en-GB", None, "en", None, False),  # ... then the page's
    ("Putin", None, None, None, None, False),
    (MIXED, None, "de", "de", None, False),       # unsure: the source's declaration wins, no disagreement
    (MIXED, "fr", None, "en", None, False),       # unsure but likely (p >= 0.5): detection beats the page
    (NOUNS, "fr", None, "fr", None, False),       # p < 0.5: the page's declaration
    (NOUNS, None, None, "de", None, False),       # p < 0.5 and nothing declared: the likeliest answer
    (EN, None, "en-US", "en", "en", False),       # a regional tag in the sources file is its language
])
def test_choose_language(text, page, source, language, detected, disagrees) -> None:
    assert choose_language(text, page, source) == LanguageChoice(language, detected, disagrees)


def test_detect_language_is_choose_without_a_source() -> None:
    for text, page in [(EN, None), ("Putin", "en-GB"), (MIXED, "fr"), (NOUNS, "fr"), (NOUNS, None)]:
        assert detect_language(text, page) == choose_language(text, page).language
