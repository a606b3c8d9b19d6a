"""An entity's own forms, left out of "Why the spike?" and "Top co-occurring terms" (plain Python, no streamlit).

A person's own name is not news in that person's spike: the lists were led by "trump's", "trump's office",
"macron's", "french president". Given the watchlist's words for each selected entity (its display name,
aliases and short forms; a topic's label and phrases; a person's role and titles), a term of
`explain.tokens` (a word, or two words in a row) is the entity's own when

- **a name**: one of its words is a word of a name form, also as a possessive ("trump's", "putin’s"), as
  part of a hyphenated word ("pro-putin", "trump-era") or with a derivational suffix ("trumpism",
  "macronist", "bidenomics": `SUFFIXES`, on name words of at least `MIN_DERIVED` letters, so that a first
  name such as "Mark" does not take "market" with it);
- **a title**: its words appear in this order in one of the entity's titles and include the title's head
  (the words before "of", "in", "to" in the role: "President of France" gives "president", "president
  france", "france president", and "french president", the place's adjective). The place's adjective is a word
  sharing its first `DEMONYM_PREFIX` letters with the place ("russian", "ukrainian", "israeli", "chinese") or
  one of the few irregular ones in `DEMONYMS` ("french", "american", "british"). A title's other words alone
  ("united", "states", "france") stay: they are news in anyone's spike.

`OwnForms` is hashable (frozensets), so it keys a cache; `own_forms(names.forms, names.titles, keys)` builds it
from `dashboard.data.names.Names`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_DERIVED = 4
SUFFIXES = ("ism", "isms", "ist", "ists", "iste", "istes", "ite", "ites", "ian", "ians", "esque", "omics", "ista",
            "istas", "ismo", "ismus")
DEMONYM_PREFIX = 4  # russia/russian, china/chinese, egypt/egyptian, japan/japanese, korea/korean: 4 letters agree
DEMONYMS = {  # places whose adjective does not start like the place (the prefix rule above misses them)
    "france": ("french",), "united states": ("american", "americans"), "united kingdom": ("british",),
    "britain": ("british",), "netherlands": ("dutch",), "switzerland": ("swiss",), "ireland": ("irish",),
    "spain": ("spanish",), "poland": ("polish",), "denmark": ("danish",), "finland": ("finnish",),
    "philippines": ("filipino",), "wales": ("welsh",), "holy see": ("papal",),
}
_TITLE_SPLIT = re.compile(r"\s+(?:of|in|to|for|at)\s+", re.IGNORECASE)
_CLAUSES = re.compile(r"[,;()]|\s+and\s+|\s+until\s+|\s+since\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")
_DROP = frozenset({"former", "acting", "interim"})  # not part of the title ("Former Defence Minister")


@dataclass(frozen=True)
class OwnForms:
    """Words of the entities' names; their titles as word sequences, the titles' head words, and the first
    letters of the titles' places (for the adjective rule)."""

    names: frozenset[str] = frozenset()
    titles: frozenset[tuple[str, ...]] = frozenset()
    heads: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.names or self.titles)

    def covers(self, term: str) -> bool:
        """Whether `term` (one or two lower-case words, as explain.tokens gives them) is an entity's own form."""
        words = term.split()
        return any(self._is_name(w) for w in words) or self._is_title(words)

    def _is_name(self, word: str) -> bool:
        w = _POSSESSIVE.sub("", word)
        if w in self.names:
            return True
        if "-" in w and any(_POSSESSIVE.sub("", p) in self.names for p in w.split("-")):
            return True
        return any(w.startswith(n) and w[len(n):] in SUFFIXES for n in self.names if len(n) >= MIN_DERIVED)

    def _is_title(self, words: list[str]) -> bool:
        if not self.heads.intersection(words):
            return False
        n = len(words)
        if any(list(seq[i:i + n]) == words for seq in self.titles for i in range(len(seq) - n + 1)):
            return True
        # "<place's adjective> <head>": "russian president", "israeli prime" ("prime minister" is two terms' worth)
        return n == 2 and words[1] in self.heads and words[0][:DEMONYM_PREFIX] in self.places


def _words(text: str) -> list[str]:
    from dashboard.explain import tokens  # the same words the term lists are made of

    return [t for t in tokens(text) if " " not in t]


def _titles(title: str) -> list[tuple[list[str], list[str]]]:
    """A role or title as (head words, place words), clause by clause: "Crown Prince and Prime Minister of Saudi
    Arabia" -> (crown prince, []), (prime minister, saudi arabia). A clause with a number ("killed July 2024")
    is an event, not a title."""
    out = []
    for clause in _CLAUSES.split(title):
        clause = clause.strip()
        if not clause or any(ch.isdigit() for ch in clause):
            continue
        parts = _TITLE_SPLIT.split(clause, maxsplit=1)
        head = [w for w in _words(parts[0]) if w not in _DROP]
        if head:
            out.append((head, _words(parts[1]) if len(parts) > 1 else []))
    return out


def own_forms(forms: Mapping[tuple[str, str], Iterable[str]], titles: Mapping[tuple[str, str], Iterable[str]],
              keys: Iterable[tuple[str, str]]) -> OwnForms:
    """The own forms of the entities `keys` ((kind, id)), from the watchlist's `forms` and `titles` of each
    (`Names.forms`, `Names.titles`). An entity the watchlist does not know contributes its id's words."""
    names: set[str] = set()
    seqs: set[tuple[str, ...]] = set()
    heads: set[str] = set()
    places: set[str] = set()
    for key in keys:
        for form in (*forms.get(key, ()), key[1].replace("-", " ")):
            names |= {_POSSESSIVE.sub("", w) for w in _words(form)}
        for title in titles.get(key, ()):
            for head, place in _titles(title):
                heads |= set(head)
                seqs.add(tuple(head))
                if place:
                    seqs |= {(*head, *place), (*place, *head)}
                    seqs |= {(adj, *head) for adj in DEMONYMS.get(" ".join(place), ())}
                    places |= {w[:DEMONYM_PREFIX] for w in place if len(w) >= DEMONYM_PREFIX}
    return OwnForms(frozenset(names), frozenset(seqs), frozenset(heads), frozenset(places))
