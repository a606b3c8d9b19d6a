from __future__ import annotations

import pytest

from ingest.language import declared_language, detect_language


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
