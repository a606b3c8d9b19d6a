"""A text in Unicode's composed form (NFC) for matching, with the way back to the text as the page wrote it.

Takes a text; gives `Composed`: the text in NFC and, for any span of it, the span of the original text that it
came from. A page may write an accent as its own character after the letter (NFD: "Erdog\u0306an", as macOS
writes text), a Hangul syllable as its jamo, an Arabic hamza apart from its seat. Folding (fold.py) works one
character at a time, so such a name never met its watchlist form and the article lost its mention. The matcher
matches the NFC text and records spans of the text as written (what the store keeps and the dashboard highlights).

How: NFC changes a text only at a letter followed by characters it may join to it (combining marks, category M,
and Hangul vowel and final jamo), and at the few characters it replaces on their own (U+212B ANGSTROM SIGN,
U+0958 DEVANAGARI LETTER QA ...). One regular expression finds those pieces; each is normalised alone, the text
between them is NFC already. So the pieces' NFC forms, with the text between, are the text's NFC
(tests/ingest/mentions/test_compose.py checks this on random mixes, on real pages, and that every second half of
a composition is such a character). Each character of the NFC text maps to its piece's span in the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Hangul vowel and final jamo compose with the syllable before them, and are letters (Lo), not marks.
_JAMO_JOINING = ((0x1161, 0x1175), (0x11A8, 0x11C2))
_PLANES = (range(0x30000), range(0xE0000, 0xE1000))  # every mark and every character NFC changes lies here


def joins_back(c: str) -> bool:
    """Whether NFC may join `c` to the character before it."""
    o = ord(c)
    return unicodedata.category(c)[0] == "M" or any(lo <= o <= hi for lo, hi in _JAMO_JOINING)


def _class(code_points: list[int]) -> str:
    """The body of a `re` character class holding `code_points` (ascending), as ranges."""
    runs: list[list[int]] = []
    for c in code_points:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(f"\\U{a:08x}" + (f"-\\U{b:08x}" if b > a else "") for a, b in runs)


@lru_cache(maxsize=1)
def _pieces() -> re.Pattern:
    """A letter with the characters NFC may join to it, or a character NFC replaces alone (built on first use:
    ~0.1 s, and only a text that is not NFC needs it)."""
    every = [c for r in _PLANES for c in r]
    join = [c for c in every if joins_back(chr(c))]
    alone = [c for c in every if unicodedata.normalize("NFC", chr(c)) != chr(c)]
    return re.compile(f"(?s).[{_class(join)}]+|[{_class(alone)}]")


@dataclass(frozen=True)
class Composed:
    """`text` in NFC; `starts[i]`, `ends[i]`: the span of the original that NFC character i came from
    (None when the text was NFC already: the offsets are the original's)."""

    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text behind [start, end) of the NFC text (end > start)."""
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def compose(text: str) -> Composed:
    """`text` in NFC, with the map back to `text`'s offsets; the text itself when it is NFC already."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return Composed(text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0  # text[:done] is in `out`
    at = 0
    # Word by word (a space joins nothing, so NFC never crosses one): only a word that is not NFC is cut into
    # pieces (a Bengali page has a piece in nearly every word, and only a few of them change).
    for word in text.split(" "):
        end = at + len(word)
        if not (word.isascii() or unicodedata.is_normalized("NFC", word)):
            for m in _pieces().finditer(word):
                a, b = at + m.start(), at + m.end()
                _same(text, done, a, out, starts, ends)
                piece = unicodedata.normalize("NFC", m.group())
                out.append(piece)
                starts.extend([a] * len(piece))
                ends.extend([b] * len(piece))
                done = b
        at = end + 1
    _same(text, done, len(text), out, starts, ends)
    return Composed("".join(out), tuple(starts), tuple(ends))


def _same(text: str, a: int, b: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    """text[a:b], which NFC leaves as it is: each character maps to itself."""
    if b > a:
        out.append(text[a:b])
        starts.extend(range(a, b))
        ends.extend(range(a + 1, b + 1))
