"""One-letter slips in long names: "Haniiyeh" → Haniyeh, "Netanyahou" → Netanyahu, "Zelenkyy" → Zelenskyy.

A symmetric-deletion index (the idea behind SymSpell): every target and every variant of it with one letter deleted is
a key. A word from the text is looked up by itself and by its own one-deletion variants, so one substitution,
insertion, deletion or swap of two neighbouring letters is found with about a dozen dictionary look-ups and no scan
over the targets. Each hit is then confirmed with an exact edit-distance check.

Only single-word aliases of at least `MIN_LENGTH` letters are targets, and only capitalised words of the text that are
not themselves a known form are tried: short names are too close to ordinary words ("Putin" is one letter from
"putting"), and a capital is what makes a word a name in English prose. The threshold was set on the labelled set
(tests/data/mentions_labelled.jsonl): at 6 letters "Meloni"/"Macron"-length names produced no gain and one false hit.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from ingest.mentions.fold import SPACE
from ingest.mentions.words import zipf

MIN_LENGTH = 7
# A family name this long or longer is a target too, but one slip in it counts only right after the person's given
# name ("Giorgia Meloini"): with the given name there, "Meloini" cannot be a German noun.
SHORT_MIN_LENGTH = 5


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_slip(a: str, b: str) -> bool:
    """True if a and b differ by exactly one substitution, insertion, deletion or adjacent swap."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if abs(la - lb) != 1:
        return False
    long_, short = (a, b) if la > lb else (b, a)
    i = 0
    while i < len(short) and long_[i] == short[i]:
        i += 1
    return long_[i + 1 :] == short[i:]


class SlipIndex:
    """Maps a folded word to the targets it is one slip away from."""

    def __init__(self) -> None:
        self._keys: dict[str, list[tuple[int, str]]] = {}
        # One slip in a word of 7+ letters leaves its first three or its last three letters intact (an edit touches
        # at most two neighbouring positions), so a word matching no target's ends is skipped without look-ups.
        self._heads: set[str] = set()
        self._tails: set[str] = set()
        self._cache: dict[str, tuple[int, str] | None] = {}  # capitalised words repeat a lot in news text
        # Per word of the text: worth a look-up at all (`maybe`, and not a known form)? Filled by `find_slips`.
        self.worth: dict[str, bool] = {}

    def add(self, target: str, owner: int) -> None:
        if len(target) < SHORT_MIN_LENGTH or not target.isalpha():
            return
        self._heads.add(target[:3])
        self._tails.add(target[-3:])
        for key in {target} | deletions(target):
            self._keys.setdefault(key, []).append((owner, target))
        self._cache.clear()
        self.worth.clear()

    def __bool__(self) -> bool:
        return bool(self._keys)

    def maybe(self, word: str) -> bool:
        """False if `word` cannot be one slip from any target (a cheap test before `lookup`)."""
        return word[:3] in self._heads or word[-3:] in self._tails

    def lookup(self, word: str) -> tuple[int, str] | None:
        """The (owner, target) one slip away from `word`, or None (also None when two owners compete)."""
        if len(word) < SHORT_MIN_LENGTH - 1 or (word[:3] not in self._heads and word[-3:] not in self._tails):
            return None
        if word in self._cache:
            return self._cache[word]
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[word] = found = self._lookup(word)
        return found

    def _lookup(self, word: str) -> tuple[int, str] | None:
        keys = self._keys
        found: set[tuple[int, str]] = set()
        for key in (word, *deletions(word)):
            for owner, target in keys.get(key, ()):
                if one_slip(word, target):
                    found.add((owner, target))
        owners = {o for o, _ in found}
        if len(owners) != 1:
            return None
        return min(found)


# A capitalised word of MIN_LENGTH+ letters in the original text: the only words tried for a fuzzy match.
# Word boundaries are checked in Python on the few hits: with look-arounds in the pattern the scan is three times slower.
_LOWER = "a-zß-öø-ÿ\u0100-\u024f\u0430-\u045f"
_CAPITAL_WORD = re.compile(rf"[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][{_LOWER}]{{{MIN_LENGTH - 1},}}")
# A one-slip word at least this frequent (wordfreq Zipf) is a word or a name of its own: typos are rare
# ("Johnston" 3.8 is not a slip of "Johnson").
SLIP_IS_A_WORD = 3.0
# Evidence that a one-slip word is used as a name (docs/watchlist.md, "Fuzzy"): a title or role word before it, or a
# possessive or a reporting verb after it. Without evidence "Starter" and "Blinker" (German pages) were counted as
# Starmer and Blinken in the extraction dev set.
_TITLE_WORDS = frozenset(
    "president minister premier chancellor leader chief king prince sheikh ayatollah general gen mr mrs ms dr envoy "
    "spokesman spokeswoman commander secretary senator sen emir pm".split()
)
_PROPER_POSSESSIVE = re.compile(r"[A-Z][\w.]*['’]s\s+$")
_REPORTING = frozenset("s said says told tells added wrote warned insisted argued announced".split())
REPORTING = _REPORTING - {"s"}  # reporting verbs alone (aliases.py reads them in a whole sentence)


def find_slips(
    texts: tuple[str, str],
    folded: tuple[str, str],
    spans: list[list[tuple[int, int]]],
    named: set[int],
    slips: SlipIndex,
    known_words: set[str],
    first_names: dict[tuple[int, str], list[str]],
    title_words: list[frozenset[str]],
    language: str | None,
) -> list[tuple[int, int, int, int]]:
    """(field, start, end, owner) of each one-slip word that the text shows to be a name (docs/watchlist.md, "Fuzzy").

    `spans` are the sorted spans already found per field (a slip inside one is no slip); `named` the people named
    exactly in the article; `first_names` the given names that may stand before a target (then the span includes it).
    """
    hits = []
    worth = slips.worth
    for f in (0, 1):
        text, fold = texts[f], folded[f]
        starts = [s for s, _ in spans[f]]
        for m in _CAPITAL_WORD.finditer(text):
            b, e = m.span()
            word = fold[b:e]
            tried = worth.get(word)  # one dict look-up per word: capitalised words repeat across articles
            if tried is None:
                tried = worth[word] = slips.maybe(word) and word not in known_words and SPACE not in word
                if len(worth) > 200_000:
                    worth.clear()
            if not tried:
                continue
            if (b and text[b - 1].isalnum()) or (e < len(text) and text[e].isalnum()):
                continue
            k = bisect_left(starts, e)
            if k and spans[f][k - 1][1] > b:
                continue  # inside a name already found
            found = slips.lookup(word)
            if found is None or zipf(word, language) >= SLIP_IS_A_WORD:
                continue
            owner, target = found
            start = b
            for first in first_names.get((owner, target), ()):
                s = start - len(first) - 1
                if s >= 0 and fold[s:start] == first + SPACE and (s == 0 or fold[s - 1] == SPACE):
                    start = s
                    break
            if len(target) < MIN_LENGTH and start == b:
                continue  # a short name ("Meloni") is fuzzy only with the given name before it
            if start != b or owner in named or looks_named(text, fold, b, e, title_words[owner]):
                hits.append((f, start, e, owner))
    return hits


def looks_named(text: str, fold: str, start: int, end: int, titles: frozenset[str]) -> bool:
    """A title or role word, or a possessive proper noun ("Iran's"), before; a possessive or "said" after."""
    before = fold[max(0, start - 30) : start].split()
    if before and (before[-1] in _TITLE_WORDS or before[-1] in titles):
        return True
    if before and before[-1] == "s" and _PROPER_POSSESSIVE.search(text, max(0, start - 40), start):
        return True
    after = fold[end : end + 12].split()
    return bool(after) and fold[end : end + 1] == SPACE and after[0] in _REPORTING
