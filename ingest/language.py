"""Language of an article: py3langid on the body (its model ships inside the package; nothing is downloaded).

A short text says little about its language, so below `MIN_CHARS` the page's declared language
(``<html lang>`` or ``og:locale``) is used when it names one, and None otherwise.
"""

from __future__ import annotations

import re

MIN_CHARS = 40  # py3langid is unreliable on a headline-sized string
MIN_CONFIDENCE = 0.5
_SAMPLE = 3000  # the first few thousand characters decide; the rest only costs time
_CODE = re.compile(r"^([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*$")

_identifier = None


def _langid():
    global _identifier
    if _identifier is None:  # loaded on first use: a worker process pays ~0.1 s once
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def declared_language(value: str | None) -> str | None:
    """The ISO 639-1 code of an ``<html lang>``/``og:locale`` value such as "en-GB" or "de_DE", or None."""
    m = _CODE.match((value or "").strip())
    return m.group(1).lower() if m else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, falling back to the page's declared language when the text is too short or unclear."""
    hint = declared_language(declared)
    sample = text[:_SAMPLE]
    if len(sample.strip()) < MIN_CHARS:
        return hint
    code, prob = _langid().classify(sample)
    if prob < MIN_CONFIDENCE and hint:
        return hint
    return code
