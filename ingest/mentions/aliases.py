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

from ingest.mentions.fold import fold_form
from ingest.mentions.fuzzy import looks_named

_ACRONYM = re.compile(r"^[A-ZÀ-ÖØ-Þ]{2,5}$")
_WORD_AFTER = re.compile(r"^[ \u00a0-]+([\w'’.]+)")
_POSSESSIVE = re.compile(r"['’]s?$")


def is_acronym(form: str) -> bool:
    return bool(_ACRONYM.match(form.strip()))


def acronym_shown(text: str, folded: str, start: int, end: int, titles: frozenset[str]) -> bool:
    """True if a title before the acronym or a possessive or reporting verb after it shows a person."""
    return looks_named(text, folded, start, end, titles)


def institution_after(text: str, end: int, institutions: frozenset[str]) -> bool:
    """True if one or two words right after `end` are an institution word ("Foundation", "White House")."""
    m = _WORD_AFTER.match(text[end : end + 60])
    if not m:
        return False
    first = fold_form(_POSSESSIVE.sub("", m.group(1).rstrip(".,")))
    if first in institutions:
        return True
    two = _WORD_AFTER.match(text[end + m.end() : end + m.end() + 40])
    return bool(two) and f"{first} {fold_form(two.group(1).rstrip('.,'))}" in institutions
