"""Text folding for matching: one character in, one character out, so offsets need no map.

`fold_text` lower-cases, strips diacritics (Erdoğan → erdogan, António → antonio), and turns every character that is
not part of a word into a space: punctuation, quotes, apostrophes, hyphens and dashes. Then "Putin's", "pro-Putin" and
"Israel–Gaza" read "putin s", "pro putin" and "israel gaza", and a name is a whole word exactly when a space stands on
either side of it. Because the length never changes, a match at [i, j) in the folded text is the slice [i, j) of the
original, which is what the store records.

Two spaces in a row mean the text had punctuation and a space there ("Gaza. War", "Putin, Xi"); a pattern with one space
between its words never matches across them. Abbreviations inside a name ("Donald J. Trump", "Oct. 7 attack") still
match because patterns are folded by the same function and so carry the same double space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SPACE = " "

# Scripts written without spaces between words: a pattern in them is matched without word boundaries.
_UNSPACED = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))

# Arabic proclitics written joined to the next word: و (and), ف (so), ب (with), ل (for), ك (like).
ARABIC_PROCLITICS = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل")


@lru_cache(maxsize=65536)
def _fold_char(c: str) -> str:
    """The folded form of one character: always exactly one character."""
    low = c.lower()
    if len(low) != 1:  # "İ".lower() is two characters; keep the base letter
        low = low[0]
    base = unicodedata.normalize("NFKD", low)[:1] or low
    if base.isalnum():
        return base
    if low.isalnum():
        return low
    if unicodedata.category(c).startswith("M"):
        return c  # Devanagari vowel signs and the like are part of the word
    return SPACE


class _FoldTable(dict):
    """A str.translate table that computes (and keeps) entries on first use."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        return value


_ASCII = {i: (chr(i).lower() if chr(i).isalnum() else SPACE) for i in range(128)}
_TABLE = _FoldTable(_ASCII)
# Pre-fill the blocks news text uses most, so translate() rarely calls back into Python.
for _lo, _hi in ((0x80, 0x250), (0x370, 0x530), (0x600, 0x700), (0x2000, 0x2070)):
    for _i in range(_lo, _hi):
        _TABLE[_i] = _fold_char(chr(_i))


# The non-ASCII characters of most English news text: replaced first by str.replace (fast, in C), after which most texts
# are ASCII and take translate()'s fast path (about 1 µs per 1,000 characters instead of 30).
_COMMON_PUNCT = (
    "\u2019",
    "\u2018",
    "\u201c",
    "\u201d",
    "\u2014",
    "\u2013",
    "\u2026",
    "\xa0",
    "\u2010",
    "\u2011",
)
_NON_ASCII_RUN = re.compile(r"([^\x00-\x7f]+)")


def fold_text(text: str) -> str:
    """Fold a text for matching; the result has exactly the length of `text`."""
    if not text.isascii():
        for c in _COMMON_PUNCT:
            if c in text:
                text = text.replace(c, SPACE)
        if not text.isascii():
            parts = _NON_ASCII_RUN.split(text)
            if len(parts) > 64:  # mostly another script: one generic pass is cheaper than many small ones
                return text.translate(_TABLE)
            return "".join(p.translate(_TABLE if i % 2 else _ASCII) for i, p in enumerate(parts))
    return text.translate(_ASCII)


def fold_form(form: str) -> str:
    """Fold a watchlist form (alias, phrase, cue) the same way, without leading or trailing spaces; read in NFC, as
    the texts are (compose.py), however it was typed."""
    return fold_text(unicodedata.normalize("NFC", form)).strip(SPACE)


def is_unspaced(form: str) -> bool:
    """True if the form contains characters of a script written without spaces (Chinese, Japanese)."""
    return any(lo <= ord(c) <= hi for c in form for lo, hi in _UNSPACED)


def is_arabic(form: str) -> bool:
    return any(0x0600 <= ord(c) <= 0x06FF for c in form)


def starts_upper(original: str) -> bool:
    """True if the word starts with a capital, or its script has no case (Arabic, Devanagari, Chinese)."""
    first = original[:1]
    return bool(first) and not first.islower()
