"""What an alias hit is, beyond its letters: an acronym that needs the person around it, a name that names a thing.

Takes an alias hit of the matcher (its field's text, folded text and span); gives one answer each:

- `is_acronym(form)`: an alias written in capitals of two to five letters ("AOC", "AMLO", "MBS"). Such a form is
  matched only as written, and counts only where the article shows the person: named by another form, or a title
  before it, or a possessive or reporting verb after it ("AOC said", "AOC's"). An acronym is also the name of
  newspapers, labels and agencies ("les articles d'AOC", the French newspaper; an "AOC" wine).
- `institution_after(...)`: the alias is followed by an institution word ("the Bill Gates Foundation", "the Joe Biden
  administration"): it names a thing after the person, counted only with the watchlist's `named_after` (rule
  ``named-after``), as the family name alone is (surnames.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.mentions.derive import name_data
from ingest.mentions.fuzzy import REPORTING, looks_named

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+|\n")
# Words before an acronym that make it a thing, not a person: articles and prepositions (folded).
_DETERMINERS = frozenset("the a an this that l d de du des la le les der die das des dem den el los las".split())
_ACRONYM = re.compile(r"^[A-ZÀ-ÖØ-Þ]{2,5}$")
# First words of two-word institution phrases ("white" of "white house"), from data/names.toml.
_FIRST_WORDS = frozenset(w.split()[0] for w in name_data()["named_after"] if " " in w)
_JOINERS = frozenset(" -\u00a0\u2010\u2011")  # a space or hyphen between the name and the word after

def is_acronym(form: str) -> bool:
    return bool(_ACRONYM.match(form.strip()))


def acronym_shown(text: str, folded: str, start: int, end: int, titles: frozenset[str]) -> bool:
    """True if the words around the acronym show a person: a title before it, a possessive or reporting verb after
    it ("AOC said", "AOC's"), or a reporting verb elsewhere in its sentence with no article or preposition right
    before it ("Analysts said MBS wanted ..."; not "the AOC rules", "les articles d'AOC")."""
    if looks_named(text, folded, start, end, titles):
        return True
    before = folded[max(0, start - 20) : start].split()
    if before and before[-1] in _DETERMINERS:
        return False
    left = max((m.end() for m in _SENTENCE_END.finditer(text, max(0, start - 300), start)), default=max(0, start - 300))
    m = _SENTENCE_END.search(text, end, end + 300)
    right = m.start() if m else min(len(text), end + 300)
    return not REPORTING.isdisjoint(folded[left:start].split() + folded[end:right].split())


def institution_after(text: str, folded: str, end: int, institutions: frozenset[str]) -> bool:
    """True if one or two words right after `end` are an institution word ("Foundation", "White House").

    Read from the folded text (same length as `text`, every word already folded), since it runs for every alias hit.
    """
    if end >= len(text) or text[end] not in _JOINERS:
        return False
    k = folded.find(" ", end + 1)
    first = folded[end + 1 : k] if k > end + 1 else ""
    if first and first not in institutions and first not in _FIRST_WORDS:
        return False  # the usual case, one look-up: "Trump said"
    words = folded[end : end + 40].split(None, 2)
    if not words:
        return False
    if words[0] in institutions:
        return True
    return len(words) > 1 and f"{words[0]} {words[1]}" in institutions


def check_aliases(
    texts: tuple[str, str],
    folded: tuple[str, str],
    found: list,
    institutions: Sequence[bool],
    named_after: bool,
    titles_of: Sequence[frozenset[str]],
) -> list:
    """The person hits of an article without the aliases that name an institution (kept as ``named-after`` when
    `named_after`) and the acronyms the article does not show to be the person's.

    `found` holds the matcher's hits: an alias hit has a `form` (with `tag` "acronym" for an acronym), a hit of any
    other rule has none. `institutions[field]` says whether the field has an institution word at all.
    """
    words = name_data()["named_after"]
    out = []
    for h in found:
        if h.form is None:
            out.append(h)
            continue
        if institutions[h.field] and institution_after(texts[h.field], folded[h.field], h.end, words):
            if not named_after:
                continue
            h.rule = "named-after"
        if h.form.tag == "acronym":
            named = any(o.owner == h.owner and (o.form is None or o.form.tag != "acronym") for o in found)
            if not named and not acronym_shown(texts[h.field], folded[h.field], h.start, h.end, titles_of[h.owner]):
                continue
        out.append(h)
    return out
