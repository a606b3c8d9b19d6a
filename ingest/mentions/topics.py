"""Topics: which topic-phrase hits of an article count, by the topic's `all` and `not` conditions.

Takes the watchlist's topics (once, `topic_conditions`) and per article the folded title and body with the hits of
the matcher's scan; gives the hits of the topics whose every `all` group and no `not` phrase occurs somewhere in the
article (title or body). Phrases are folded and padded with spaces, so each is a whole-word test.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.mentions.fold import SPACE, fold_form
from ingest.mentions.watchlist import Topic

Conditions = tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]  # (all groups, not phrases), padded


def topic_conditions(topics: Sequence[Topic]) -> list[Conditions]:
    def padded(phrases: Sequence[str]) -> tuple[str, ...]:
        return tuple(f"{SPACE}{fold_form(p)}{SPACE}" for p in phrases)

    return [(tuple(padded(g) for g in t.all_of), padded(t.none_of)) for t in topics]


def topic_mentions(folded: tuple[str, str], hits: list, conditions: list[Conditions]) -> list:
    """The hits (each with the topic's index as `owner`) whose topic's conditions hold in the article."""
    if not hits:
        return []
    article = f"{SPACE}{folded[0]}{SPACE}{SPACE}{folded[1]}{SPACE}"
    ok: dict[int, bool] = {}
    out = []
    for h in hits:
        if h.owner not in ok:
            all_of, none_of = conditions[h.owner]
            ok[h.owner] = all(any(p in article for p in group) for group in all_of) and not any(
                p in article for p in none_of
            )
        if ok[h.owner]:
            out.append(h)
    return out
