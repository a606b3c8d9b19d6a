"""Names across scripts and spellings: "Шольца" is Scholz, "Lawrow" is Lavrov, "Netanyahou" is Netanyahu.

Two tools, both over anyascii's transliteration of any script to ASCII (anyascii was chosen over Unidecode for its
wider coverage of scripts; both spell Russian the same way):

- `sound_key(word)`: a key that two spellings of one name share across scripts. Letters that transliterations
  disagree on are merged (s z sh sch ts tz zh → s; g h kh → h; w v → v; c → k or s; j dzh → j), every run of vowels
  is one "V", doubled letters are one, and an "h" after a vowel before a consonant is dropped ("Johnson" =
  "Джонсон"). English u and Russian а differ ("Trump", "Трамп"), so vowels count only as "a vowel stands here".
  `key_matches(word_key, name_key)` then allows the Russian and Ukrainian case endings ("Путина", "Шольцом",
  "Зеленського") and the Greek ones. A key needs at least three consonants: shorter names ("Kim", "Xi") collide with
  ordinary words, so they are not matched across scripts.
- `spelling_variants(form)`: the Latin spellings of one name in other languages' transliteration conventions
  (German w for v and j for y, French ou for u, sch for sh), one or two changes at a time.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from anyascii import anyascii

from ingest.mentions.fold import fold_form

VOWEL = "V"
MIN_CONSONANTS = 3

# Ordered: longer sequences first. Applied to lower-case ASCII.
_SEQUENCES = (
    ("shch", "s"), ("tsch", "c"), ("sch", "s"), ("dzh", "j"), ("tch", "c"), ("kh", "h"), ("zh", "s"), ("sh", "s"),
    ("ch", "c"), ("ts", "s"), ("tz", "s"), ("dj", "j"), ("ck", "k"), ("ph", "f"), ("th", "t"), ("qu", "kv"),
    ("x", "ks"), ("q", "k"), ("w", "v"), ("z", "s"), ("g", "h"),
)
_SOFT_C = re.compile(r"c(?=[eiy])")
_VOWELS = re.compile(r"[aeiouy]+")
_SILENT_H = re.compile(r"(?<=V)h(?=[^V])")
_DOUBLE = re.compile(r"(.)\1+")

# Case endings as they look in a key ("Путином" → ...+"Vm"): Russian and Ukrainian nouns and adjectival surnames
# (-а -у -е -ы -и -ой -ей; -ом -ем -ым -им; -ого -его; -ому -ему; -ов -ев; -ых -их), Greek -ς -ου.
CYRILLIC_ENDINGS = ("", "V", "Vm", "VhV", "VmV", "Vv", "Vh")
GREEK_ENDINGS = ("", "V", "Vs")


def to_ascii(word: str) -> str:
    """The word in lower-case ASCII letters only: anyascii, then everything but a-z dropped."""
    return re.sub(r"[^a-z]", "", anyascii(word).lower())


@lru_cache(maxsize=200_000)
def sound_key(word: str) -> str:
    """The cross-script key of one word (see the module docstring)."""
    s = to_ascii(word)
    s = _SOFT_C.sub("s", s)
    for old, new in _SEQUENCES:
        s = s.replace(old, new)
    s = s.replace("c", "k")
    s = _VOWELS.sub(VOWEL, s)
    s = _SILENT_H.sub("", s)
    return _DOUBLE.sub(r"\1", s)


def consonants(key: str) -> int:
    return sum(1 for c in key if c != VOWEL)


def with_endings(name_key: str, endings: tuple[str, ...]) -> set[str]:
    """The keys of a name with each case ending attached (a vowel-final name takes the ending's consonants)."""
    return {_DOUBLE.sub(r"\1", name_key + e) for e in endings}


# --------------------------------------------------------------------------------------- Latin spellings

# (pattern, replacement): each is one convention difference between transliterations into Latin script.
_RULES = (
    (r"v", "w"), (r"w", "v"), (r"u$", "ou"), (r"ou", "u"), (r"(?<=[aeiou])y(?=[aeiou])", "j"), (r"j", "y"),
    (r"sh", "sch"), (r"sch", "sh"), (r"ch", "tsch"), (r"tsch", "ch"), (r"kh", "ch"), (r"^z", "s"), (r"^s(?=[aeiou])", "z"),
    (r"y$", "yj"), (r"yy$", "yj"), (r"iy$", "y"), (r"yi$", "y"), (r"(?<=[kns])y$", "i"), (r"ks", "x"), (r"x", "ks"),
    (r"ie", "je"), (r"ye", "je"), (r"ya", "ja"), (r"yu", "ju"), (r"ei$", "ej"), (r"ii$", "i"),
)


def spelling_variants(form: str, limit: int = 64) -> list[str]:
    """Folded Latin spellings of a single-word name under other transliteration conventions, one or two changes.

    "lavrov" → "lawrow" (both v), "netanyahu" → "netanjahu", "netanyahou"; "zelensky" → "selensky", "selenskyj".
    """
    base = fold_form(form)
    if not base.isascii() or not base.isalpha() or len(base) < 5:
        return []
    out: list[str] = []
    singles = []
    for pattern, repl in _RULES:
        new = re.sub(pattern, repl, base)
        if new != base:
            singles.append((pattern, repl))
            out.append(new)
    for (p1, r1), (p2, r2) in combinations(singles, 2):
        new = re.sub(p2, r2, re.sub(p1, r1, base))
        if new != base:
            out.append(new)
    return list(dict.fromkeys(v for v in out if v != base))[:limit]
