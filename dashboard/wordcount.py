"""The words a text is counted by: `words(text)`, `tokens(text)` and `term_counts(docs)` (no SQL, no streamlit).

Takes strings (a title and a text). Gives their words as written (`words`), the lower-cased words that count
(longer than two characters, not stopwords) with the two-word phrases between them (`tokens`), and how often each
of those occurs over many texts (`term_counts`, a Counter). "Why the spike?" and "Top co-occurring terms"
(dashboard/explain.py) compare such counts; dashboard/ownforms.py cuts an entity's forms the same way.

Standard library only (and dashboard/data/textform.py): dashboard/countpool.py counts in child processes that
import this module and nothing heavier.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from dashboard.data.textform import nfc


def _marks(code_points: Iterable[int]) -> str:
    """The combining marks (Unicode category M) among `code_points`, as the body of a character class for `re`,
    which has no \\p{M}."""
    runs: list[list[int]] = []
    for c in code_points:
        if unicodedata.category(chr(c))[0] != "M":
            continue
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(f"\\U{a:08x}" + (f"-\\U{b:08x}" if b > a else "") for a, b in runs)


# Python's \w leaves combining marks out, so a vowel sign or a virama cut Hindi, Bengali, Tamil, Gujarati or Thai
# words into pieces (most fell under the three-letter minimum: such a spike had no term at all), and accents
# written apart (NFD) cut accented words. A word: a letter, then letters, digits, marks, apostrophes or hyphens,
# ending in a letter, a digit or a mark. Two patterns, the same words: `re` reads a class holding the marks beyond
# the BMP (planes 1 and 14 hold them all; tests/dashboard/test_explain.py checks it against the whole range) as a
# list of ranges, which made the scan of a spike's 4,000 texts 2.9x slower, so that one is used only on a text
# holding a character beyond the BMP (found by one search, 0.06 s for the 4,000). With the BMP's marks alone the
# scan takes 1.1x the time it took without marks (docs/benchmarks.md, "Words with their marks").
MARKS_BMP = _marks(range(0x10000))
MARKS_ASTRAL = _marks((*range(0x10000, 0x20000), *range(0xE0000, 0xE1000)))
_WORD = re.compile(rf"[^\W\d_][\w{MARKS_BMP}'’-]*(?:[^\W_]|[{MARKS_BMP}])|[^\W\d_]")
_ALL_MARKS = MARKS_BMP + MARKS_ASTRAL
_WORD_ASTRAL = re.compile(rf"[^\W\d_][\w{_ALL_MARKS}'’-]*(?:[^\W_]|[{_ALL_MARKS}])|[^\W\d_]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def words(text: str) -> list[str]:
    """The words of `text` as written (case kept, nothing left out): `_WORD`'s matches."""
    return (_WORD_ASTRAL if _ASTRAL.search(text) else _WORD).findall(text)


STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
    not now of off on once only or other our ours ourselves out over own said same says she should so some such
    than that the their theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours yourself
    yourselves mr mrs ms one two new year years week weeks day days time told say according people also
    would could may might must shall le la les de des du et en un une est que qui pour dans sur par au aux
    der die das und ist den dem nicht mit von zu el los las y del se por con para una""".split()
)


def _kept(text: str) -> list[str]:
    """The lower-cased words of `text` that count: longer than two characters, not stopwords."""
    # In NFC: an accent written as its own character (NFD) and the accented letter are one word (search.nfc).
    # The whole text lower-cased once, not each word: the same words (a word starts with a letter and ends with a
    # letter, a digit or a mark, and lower-casing keeps each character's kind; tests/dashboard/test_explain.py
    # checks every assigned character of Unicode), in ~0.9x the time.
    return [w for w in words(nfc(text or "").lower()) if len(w) > 2 and w not in STOPWORDS]


def tokens(text: str) -> list[str]:
    """Lower-cased words (no stopwords, no numbers) and the two-word phrases between them."""
    kept = _kept(text)
    return kept + [a + " " + b for a, b in zip(kept, kept[1:], strict=False)]


def term_counts(docs: Iterable[str]) -> Counter:
    """How often each of `tokens` occurs over `docs` (the phrases counted as made, with no list of them)."""
    c: Counter = Counter()
    for d in docs:
        kept = _kept(d)
        c.update(kept)
        c.update(map(" ".join, zip(kept, kept[1:], strict=False)))
    return c
