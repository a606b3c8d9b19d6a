"""What newsmon derives from a watchlist entry's `name` and `aliases` alone (docs/watchlist.md, "Derived forms").

Takes a `Person`; gives a `Derived`: the family name (and its spellings and German genitive), the given names that
make a full name with it, and the sound keys that find both in other scripts. The data behind it (titles per
language, name particles, family-first name systems, words of institutions) is `data/names.toml`, not code.

Name order. "Angela Merkel" → Merkel; "Ursula von der Leyen" → "von der Leyen" (particles belong to the family
name); "Xi Jinping", "Moon Jae-in", "Kim Jong Un" → Xi, Moon, Kim (a known East Asian family name first, and the rest
romanised syllables); a one-word name has no family name of its own. The `family` field overrides the guess.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ingest.mentions.fold import fold_form
from ingest.mentions.translit import (
    CYRILLIC_ENDINGS,
    GREEK_ENDINGS,
    MIN_CONSONANTS,
    consonants,
    sound_key,
    spelling_variants,
    to_ascii,
    with_endings,
)
from ingest.mentions.watchlist import Person
from ingest.mentions.words import is_common_anywhere

# One romanised Chinese/Korean/Vietnamese syllable: "jin", "ping", "jae", "myung", "qiang", "hsien", "loong".
_SYLLABLE = r"(?:(?:ch|sh|zh|hs|ts|ss|jj|kk|pp|tt|[bcdfghjklmnpqrstvwxyz])?[aeiouy]{1,3}(?:ng|n|m|k|l|p|t|w)?)"
_SYLLABLES = re.compile(rf"^{_SYLLABLE}(?:[- ]?{_SYLLABLE})*$", re.I)
_INITIAL = re.compile(r"^\w\.?$")
_ARTICLE = re.compile(r"^(?:al|el|as|ad|ash|an|ar|at|az)-(?=\w{3})", re.I)


@lru_cache(maxsize=1)
def name_data() -> dict:
    """The parsed data/names.toml, with every word list folded."""
    ref = resources.files("ingest.mentions") / "data" / "names.toml"
    raw = tomllib.loads(ref.read_text(encoding="utf-8"))
    titles = {lang: frozenset(fold_form(t) for t in ts) for lang, ts in raw["titles"].items()}
    return {
        "titles": titles,
        "all_titles": frozenset(t for ts in titles.values() for t in ts),
        "role_endings": tuple(fold_form(e) for es in raw["role_endings"].values() for e in es),
        "particles": frozenset(raw["particles"]),
        "suffixes": frozenset(raw["other_person_suffixes"]),
        "east_asian": frozenset(raw["east_asian_family_names"]),
        "named_after": frozenset(fold_form(w) for w in raw["named_after"]),
        "given_variants": {fold_form(n): {fold_form(x) for x in group} for group in raw["given_name_variants"] for n in group},
        "outlet_after": frozenset(fold_form(w) for w in raw["outlet"]["after"]),
        "outlet_before": frozenset(fold_form(w) for w in raw["outlet"]["before"]),
        "person_compounds": frozenset(fold_form(w) for ws in raw["person_compounds"].values() for w in ws),
    }


@dataclass
class Derived:
    """The forms derived for one person; folded strings unless said otherwise."""

    family: list[str] = field(default_factory=list)  # as written: "Merkel", "von der Leyen"
    given: list[str] = field(default_factory=list)  # as written: "Angela"
    family_forms: dict[str, str] = field(default_factory=dict)  # folded form → "surname" | "transliteration"
    given_forms: set[str] = field(default_factory=set)  # folded, spelling variants included ("wladimir")
    given_exact: set[str] = field(default_factory=set)  # folded, as written in the name and aliases
    family_keys: set[str] = field(default_factory=set)  # sound keys with case endings, for other scripts
    given_keys: set[str] = field(default_factory=set)
    han_keys: set[str] = field(default_factory=set)  # full names as pinyin, for Chinese text ("xijinping")
    family_first: bool = False  # the family name is written first ("Xi Jinping", "Kim Jong Un")
    notes: list[str] = field(default_factory=list)  # why, for `newsmon mentions find --explain`


def split_name(full: str, override: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """(given names, family name) of a full name as written, or None for a one-word name or an unknown order."""
    words = full.split()
    data = name_data()
    while words and fold_form(words[0]).rstrip(".") in data["all_titles"]:
        words = words[1:]  # "Pope Francis", "President Xi Jinping": the title is no part of the name
    full = " ".join(words)
    if len(words) < 2:
        return None
    for fam in override:
        if full.startswith(fam + " "):
            return full[len(fam) + 1 :].strip(), fam
        at = f" {full} ".find(f" {fam} ")
        if at > 0:  # "Luiz Inácio Lula da Silva" with family "Lula": the given names are the words before it
            return full[: at - 1].strip(), fam
    head = fold_form(words[0])
    rest = " ".join(words[1:])
    if head in data["east_asian"] and _SYLLABLES.match(rest) and len(words) <= 4:
        return rest, words[0]
    i = len(words) - 1
    while i > 1 and words[i - 1].lower() in data["particles"]:
        i -= 1
    return " ".join(words[:i]), " ".join(words[i:])


def derive(person: Person) -> Derived:
    """The family name, its spellings and the given names of `person`, from its name, aliases and `family`."""
    d = Derived()
    override = tuple(getattr(person, "family", ()) or ())
    for full in person.aliases:  # the name is the first alias
        parts = split_name(full, override)
        if parts is None:
            continue
        given, family = parts
        if full.isascii():
            d.han_keys.add(to_ascii(full))
        if full.startswith(family + " "):
            d.family_first = True
        if family not in d.family:
            d.family.append(family)
        if given and given not in d.given:
            d.given.append(given)
    for family in list(d.family):
        article = _ARTICLE.match(family)
        if article and family[article.end() :] not in d.family:  # "el-Sisi" is also "Sisi", "al-Hayya" "Hayya"
            d.family.append(family[article.end() :])
    for family in d.family:
        key = fold_form(family)
        d.family_forms.setdefault(key, "surname")
        if " " not in key and key.isalpha() and key[-1] not in "sxzß" and key.isascii():
            d.family_forms.setdefault(key + "s", "surname")  # German and Dutch genitive: "Merkels Politik"
        for v in spelling_variants(family):
            if v not in d.family_forms and not is_common_anywhere(v):
                d.family_forms[v] = "transliteration"
        k = sound_key(family.replace(" ", ""))
        if key in {fold_form(x) for x in person.short}:
            continue  # the user called it ambiguous ("Medvedev"): only the short-form rules apply, in any script
        if consonants(k) >= MIN_CONSONANTS:
            d.family_keys |= with_endings(k, CYRILLIC_ENDINGS) | with_endings(k, GREEK_ENDINGS)
    for given in d.given:
        d.given_forms.add(fold_form(given))
        d.given_exact.add(fold_form(given))
        for token in given.split():  # every given and middle name: "Tayyip Erdoğan", "Jae-in"
            if is_initial(token):
                continue
            d.given_exact.add(fold_form(token))
            d.given_forms.add(fold_form(token))
            d.given_forms.update(spelling_variants(token))
            d.given_forms.update(name_data()["given_variants"].get(fold_form(token), ()))
            k = sound_key(token)
            if consonants(k) >= 2:
                d.given_keys |= with_endings(k, CYRILLIC_ENDINGS)
    if d.family:
        order = "from the 'family' field" if override else ("written first" if d.family_first else "written last")
        d.notes.append(f"family name {', '.join(repr(f) for f in d.family)} ({order})")
    else:
        d.notes.append("no family name: a one-word name is matched as written only")
    return d


def is_initial(word: str) -> bool:
    return bool(_INITIAL.match(word))
