"""Short forms (a watchlist's `short`: a bare "Abbas") that an article licenses, and by which rule.

Takes the people hits of an article (aliases with a `form`, derived and fuzzy hits without one), the short-form hits,
and per person its rivals, cue phrases and exact cues (built by the matcher); gives the short-form hits that count:
the nearest earlier full name among this person, its rivals and its `exclude` names is this person's (rule
``surname-after-full``; a headline is read as following the body's first full name), or one of the person's cues
stands in the same sentence (rule ``context``).
"""

from __future__ import annotations

import re

from ingest.mentions.fold import SPACE, fold_form

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+|\n")
ALIAS, BLOCK = 0, 2  # kinds of form: an alias, an exclusion (the matcher's other kinds are in matcher.py)


def license_shorts(
    texts: tuple[str, str],
    folded: tuple[str, str],
    people: list,
    shorts: list,
    rivals_of: dict[tuple[int, str], set[int]],
    cues: list[tuple[str, ...]],
    exact_cues: list[re.Pattern | None],
) -> list:
    """The short-form hits that the article licenses, each with its `rule` set."""
    out: list = []
    claimed: set[tuple[int, int]] = set()
    for h in shorts:
        if (h.field, h.start) in claimed:
            continue
        key = fold_form(texts[h.field][h.start : h.end])
        rivals = rivals_of.get((h.owner, key), set())
        relevant = [
            p
            for p in people
            if (p.owner == h.owner and (p.form is None or p.form.kind == ALIAS))
            or (p.owner in rivals and (p.form is None or p.form.kind == ALIAS))
            or (p.form is not None and p.form.kind == BLOCK and p.owner == h.owner)
        ]
        before = [p for p in relevant if (p.field, p.start) < (h.field, h.start)]
        if not before and h.field == 0:
            # The headline is read as following the body's first full name.
            before = [p for p in relevant if p.field == 1][:1]
        nearest = before[-1] if before else None
        rule = ""
        if nearest is not None and nearest.owner == h.owner and (nearest.form is None or nearest.form.kind != BLOCK):
            rule = "surname-after-full"
        elif _cue_near(cues[h.owner], exact_cues[h.owner], texts[h.field], folded[h.field], h.start, h.end):
            rule = "context"
        if rule:
            h.rule = rule
            out.append(h)
            claimed.add((h.field, h.start))
    return out


def _cue_near(
    cues: tuple[str, ...], exact: re.Pattern | None, text: str, folded: str, start: int, end: int
) -> bool:
    if not cues and exact is None:
        return False
    left = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 400), start):
        left = m.end()
    m = _SENTENCE_END.search(text, end)
    right = m.start() if m else len(text)
    sentence = f"{SPACE}{folded[left:start]}{SPACE}{folded[end:right]}{SPACE}"
    if any(c in sentence for c in cues):
        return True
    return exact is not None and bool(exact.search(text[left:start]) or exact.search(text[end:right]))
