"""Language of an article: py3langid on the body (its model ships inside the package; nothing is downloaded).

`choose_language()` weighs three witnesses: what the text says, what the page declares (``<html lang>`` or
``og:locale``) and what the sources file declares for the outlet (`Source.language`). Detection decides when
it is sure; when it is unsure (a short text, a low probability) the source's declaration wins, then the
page's. A sure detection that contradicts the source's declaration is kept and flagged (`disagrees`), so the
run can count it: a mis-declared source or a section in another language shows up instead of hiding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MIN_CHARS = 40  # py3langid is unreliable on a headline-sized string
MIN_CONFIDENCE = 0.5  # below this, a page's own declaration is preferred to the detection
# Detection overrides a language the sources file declares only at this probability. Calibrated with
# benchmarks/language.py on the extraction dev set (394 pages with 1,500+ characters of body; 72% German,
# 18% English): random 40-character excerpts detected at p >= 0.9 never contradicted the language of the
# page's first 3,000 characters (0 of 250), while p >= 0.5 did 3 times in 359 (0.8%). The ~1% of 300- and
# 600-character excerpts that contradict their page at p >= 0.9 are passages really in another language
# (English quotes, a Spanish or Greek letter on a German page), i.e. right about the excerpt.
SURE = 0.9
_SAMPLE = 3000  # the first few thousand characters decide; the rest only costs time
_CODE = re.compile(r"^([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*$")

_identifier = None


def _langid():
    global _identifier
    if _identifier is None:  # loaded on first use: a worker process pays ~0.1 s once
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


@lru_cache(maxsize=8)  # extraction and the worker ask about the same body: classify it once (~2.8 ms)
def _classify(sample: str) -> tuple[str, float]:
    code, prob = _langid().classify(sample)
    return code, float(prob)


@dataclass(frozen=True)
class LanguageChoice:
    language: str | None  # the language to store
    detected: str | None  # what the text says when detection is sure (probability >= SURE), else None
    disagrees: bool = False  # a sure detection contradicts the language the sources file declares


def declared_language(value: str | None) -> str | None:
    """The ISO 639-1 code of an ``<html lang>``/``og:locale`` value such as "en-GB" or "de_DE", or None."""
    m = _CODE.match((value or "").strip())
    return m.group(1).lower() if m else None


def choose_language(text: str, page_declared: str | None = None, source_declared: str | None = None) -> LanguageChoice:
    """The language of an article's text, given what its page and its source declare (either may be None).

    - text too short (< MIN_CHARS): the source's declared language, else the page's, else None;
    - detection sure (p >= SURE): the detected language; `disagrees` when the source declares another;
    - detection unsure: the source's declared language, else the page's if p < MIN_CONFIDENCE, else the
      detected one (a likely answer beats none)."""
    source, page = declared_language(source_declared), declared_language(page_declared)
    sample = text[:_SAMPLE]
    if len(sample.strip()) < MIN_CHARS:
        return LanguageChoice(source or page, None)
    code, prob = _classify(sample)
    if prob >= SURE:
        return LanguageChoice(code, code, disagrees=source is not None and code != source)
    if source:
        return LanguageChoice(source, None)
    if prob < MIN_CONFIDENCE and page:
        return LanguageChoice(page, None)
    return LanguageChoice(code, None)


def sure_language(text: str, sample: int = 1000) -> str | None:
    """The language of `text` when detection is sure (p >= SURE) on its first `sample` characters, else None.
    A shorter sample than `choose_language`'s: it only picks the extractors' language resources."""
    part = text[:sample]
    if len(part.strip()) < MIN_CHARS:
        return None
    code, prob = _classify(part)
    return code if prob >= SURE else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, falling back to the page's declared language when the text is too short or unclear."""
    return choose_language(text, page_declared=declared).language
