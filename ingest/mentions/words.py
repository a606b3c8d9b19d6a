"""Is a word an ordinary word of a language? wordfreq's Zipf frequencies (log10 of uses per billion words).

wordfreq folds case, so a famous surname is as frequent as a common word ("trump" 4.9 and "moon" 4.7 in English,
"merkel" 4.8 in German). Two thresholds follow from that, both read off wordfreq 3.1 for the surnames and common words
of tests/data/mentions_real_pages.jsonl and the default watchlist:

- `COMMON` (3.3, about two uses per million words): at or above it a surname is also an everyday word or a famous
  name, and a bare occurrence needs more than itself to count (docs/watchlist.md, "Family names"). German "Modi"
  (modes, 3.4) and "Kurz" (short, 5.4) are above; "Habeck" (3.1), "Starmer" (2.3) below.
- `TOP` (5.2): words so frequent ("may" 6.0, "kurz" 5.4, "young" 5.4) that a capital letter says nothing. It sits
  above "путин" (5.1 in Russian), the most frequent family name of a watched person seen; "costa" (5.0, coast) and
  "duda" (5.1, doubt) are below but lower-case mid-sentence, where only a capital would count.

Language codes are ISO 639-1 as `ingest/extract/language.py` gives them; a language wordfreq lacks falls back to
the highest frequency among English, German, French and Spanish. So does a language whose wordfreq list cannot be
read here: wordfreq's Chinese tokenizer needs jieba's `Tokenizer`, which the jieba3k that newspaper3k installs lacks
(an `AttributeError` on the first Chinese look-up), and Japanese needs MeCab.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from wordfreq import available_languages, zipf_frequency

COMMON = 3.3
TOP = 5.2
FALLBACK = ("en", "de", "fr", "es")
# Languages that capitalise every noun: a capital letter there does not mark a name.
NOUN_CAPITALS = frozenset({"de", "lb"})
# Checked for derived spellings, which must not be a word ("Lawrow" is none, "Tramp" would be). The spellings are
# German, French and English conventions; each language's list costs ~0.5 s to load, so three are checked.
MAJOR = ("en", "de", "fr")


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    return frozenset(available_languages())


# A language's list is loaded on first use. A Dask worker runs several threads, and wordfreq does not say that a
# first load from two threads at once is safe, so the first load of each language is done under a lock.
_LOCK = threading.Lock()
_LOADED: set[str] = set()
_BROKEN: set[str] = set()  # languages whose list or tokenizer failed to load here: the fallbacks answer for them


def _ready(language: str) -> bool:
    """True once `language` can be looked up; False (for good) if loading it failed."""
    if language not in _LOADED and language not in _BROKEN:
        with _LOCK:
            if language not in _LOADED and language not in _BROKEN:
                try:
                    zipf_frequency("the", language)
                    zipf_frequency("trump", language)  # a Latin word goes through the language's tokenizer too
                except Exception:  # noqa: BLE001 - any failure of an optional tokenizer (jieba, MeCab)
                    _BROKEN.add(language)
                else:
                    _LOADED.add(language)
    return language in _LOADED


@lru_cache(maxsize=100_000)
def zipf(word: str, language: str | None) -> float:
    """wordfreq's Zipf frequency of `word` (any case) in `language`, or the highest of the fallbacks."""
    w = word.lower()
    if language and language in _languages() and _ready(language):
        return zipf_frequency(w, language)
    for lang in FALLBACK:
        _ready(lang)
    return max(zipf_frequency(w, lang) for lang in FALLBACK)


@lru_cache(maxsize=100_000)
def is_common_anywhere(word: str, threshold: float = COMMON) -> bool:
    """True if the word is at least that frequent in any major language."""
    for lang in MAJOR:
        _ready(lang)
    return any(zipf_frequency(word.lower(), lang) >= threshold for lang in MAJOR)


_identifier = None


def guess_language(text: str) -> str | None:
    """py3langid's language of a text (first 3,000 characters; ~3 ms), for a caller that did not say it."""
    global _identifier
    sample = text[:3000]
    if len(sample.strip()) < 40:
        return None
    if _identifier is None:  # loaded on first use (~0.1 s)
        with _LOCK:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    code, prob = _identifier.classify(sample)
    return code if prob >= 0.5 else None
