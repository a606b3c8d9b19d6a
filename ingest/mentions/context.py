"""What the words around a span say: sentence starts, headline lines, addresses, the article's language.

Small text tests shared by the family-name rules (surnames.py) and the matcher: each takes the original text and a
span and answers one question, so the rules read as rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.mentions.fold import fold_form
from ingest.mentions.words import guess_language

_OPEN = frozenset(" \n\t\u00a0(\"'“‘«„[")
_CLOSE = frozenset(" \n\t\u00a0.,;:!?)\"'”’»]")
_SENTENCE_BREAK = set(".!?:;\"“”„«»—–•*|()[]")
_WORD_BEFORE = re.compile(r"([\w'’.-]+)([ \u00a0]+)$")
_WORD_AFTER = re.compile(r"^([ \u00a0-]+)([\w'’.]+)")


@dataclass(frozen=True, slots=True)
class Anchor:
    field: int
    start: int
    owner: int  # the watched person, or -1 for a full name of someone else in the article
    family: str  # folded family name it carries ("" for a watched person's own name)
    rule: str = ""  # "surname-distinctive": a bare form that counted on its own and licenses the others


def is_latin(word: str) -> bool:
    return all(not ch.isalpha() or ord(ch) < 0x250 for ch in word)


def dominant(anchors: list[Anchor], owner: int) -> bool:
    """True if the article is about this person: named in full at least 3 times, 3 times as often as any namesake
    ("Kim Jong Un" 20 times beside "Kim Jong Il" twice: a bare "Kims Vater" is still his)."""
    counts: dict[tuple[int, str], int] = {}
    for a in anchors:
        key = (a.owner, a.family if a.owner == -1 else "")
        counts[key] = counts.get(key, 0) + 1
    mine = counts.pop((owner, ""), 0)
    return mine >= 3 and all(mine >= 3 * n for n in counts.values())


def rule_for(tag: str, rule: str) -> str:
    """The rule stored for a licensed form: how it was found, where that says more than the licence."""
    return {"transliteration": "transliteration", "named-after": "named-after"}.get(tag, rule)


class Language:
    """The article's language, guessed from the body (py3langid, ~3 ms) only when a rule first needs it."""

    def __init__(self, given: str | None, texts: tuple[str, str]) -> None:
        self._value = given
        self._known = given is not None
        self._texts = texts

    def __call__(self) -> str | None:
        if not self._known:
            self._value = guess_language(self._texts[1] or self._texts[0])
            self._known = True
        return self._value

    @property
    def code(self) -> str:
        return self() or ""


def capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


def words_before(text: str, start: int, n: int) -> list[tuple[str, int]]:
    """Up to n words before `start`, nearest first, each separated from the next by spaces only."""
    out = []
    pos = start
    for _ in range(n):
        m = _WORD_BEFORE.search(text, max(0, pos - 40), pos)
        if not m:
            break
        word = m.group(1).strip("'’-")
        if not word or (word.endswith(".") and len(word) > 2 and word[:-1].lower() not in ("mr", "mrs", "ms", "dr", "sen", "gov", "rep", "gen", "prof", "st")):
            break  # "...said. Trump": a full stop ends the sentence, unless it is an initial or an abbreviation
        out.append((word, m.start(1)))
        pos = m.start(1)
    return out


def mid_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \u00a0\t":
        i -= 1
    return i >= 0 and text[i] != "\n" and text[i] not in _SENTENCE_BREAK


def in_address(text: str, start: int, end: int) -> bool:
    """True inside an e-mail address, a URL, a file name or a handle ("boris.johnson.mp@", "/La-Merkel-befahl")."""
    if (start == 0 or text[start - 1] in _OPEN) and (end == len(text) or text[end] in _CLOSE):
        if end + 1 >= len(text) or text[end] != "." or not text[end + 1].isalnum():
            return False  # the usual case: a space or punctuation on both sides
    a = start
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    b = end
    while b < len(text) and not text[b].isspace():
        b += 1
    token = text[a:b]
    if "@" in token or "//" in token or "www." in token or "_" in token:
        return True
    before, after = text[start - 1 : start], text[end : end + 2]
    if "/" in token and "." in token:
        return True
    return (before == "." and start > 1 and text[start - 2].isalnum()) or (
        len(after) > 1 and after[0] == "." and after[1].isalnum()
    )


def meaningful_capital(text: str, start: int, end: int) -> bool:
    """True where a capital shows a name: mid-sentence, not in capitals, not on a headline-like line."""
    word = text[start:end]
    if word.isupper() and len(word) > 1:
        return False
    return mid_sentence(text, start) and not title_case_line(text, start)


def title_case_line(text: str, pos: int) -> bool:
    """True if the line around `pos` reads like a headline: short, most words capitalised."""
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    line = text[a : b if b >= 0 else len(text)]
    words = [w for w in line.split() if w[:1].isalpha()]
    if not words or len(words) > 16:
        return False
    return sum(1 for w in words if w[0].isupper()) >= 0.6 * len(words) and len(words) >= 3


def outlet_around(text: str, start: int, end: int, after: frozenset[str], before: frozenset[str]) -> bool:
    """True if the words around a name show a news outlet of that name: a word after it from `after` ("Bloomberg
    News", "Bloomberg reported"), or two words before it from `before` ("wrote for Bloomberg"); folded words."""
    m = _WORD_AFTER.match(text[end : end + 40])
    if m and fold_form(m.group(2).rstrip(".,")) in after:
        return True
    words = words_before(text, start, 2)
    return len(words) == 2 and f"{fold_form(words[1][0])} {fold_form(words[0][0])}" in before


def person_compound(text: str, end: int, compounds: frozenset[str], role_endings: tuple[str, ...]) -> bool:
    """True if a hyphenated compound after a name needs a person: "Macron-Berater", "Macron-Partei"."""
    m = _WORD_AFTER.match(text[end : end + 40])
    if not m or m.group(1) != "-":
        return False
    f = fold_form(m.group(2).rstrip(".,"))
    return f in compounds or any(f.endswith(e) for e in role_endings)
