"""Site-level boilerplate: paragraphs that recur across many pages of one source.

Donation appeals, newsletter boxes, legal lines, "Read more" headings and author bios repeat on page after
page of one outlet while body text does not. `learn_boilerplate()` counts, for each normalised paragraph,
on how many *distinct pages* it occurs (a sentence repeated inside one article counts once, so it can never
be learnt from that article alone) and keeps those seen on at least `min_pages` pages and on a share of the
pages learnt from. `remove_boilerplate()` drops them from a new article.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_PAGES = 3  # a line must recur on this many different pages of the source to count as its furniture
MIN_SHARE = 0.05  # ... and on this share of them: a quote two stories share is not furniture
_PUNCT = re.compile(r"[^\w ]+", re.U)
_DIGITS = re.compile(r"\d+")


def paragraph_key(text: str) -> str:
    """A paragraph's identity for counting: case, accents' forms, punctuation, numbers and spacing ignored."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _DIGITS.sub("0", _PUNCT.sub(" ", t))
    return " ".join(t.split())


@dataclass(frozen=True)
class SiteBoilerplate:
    """What is furniture on one source: picklable and immutable, so it can travel to worker processes."""

    keys: frozenset[str] = frozenset()
    pages: int = 0  # how many pages it was learnt from

    def __contains__(self, paragraph: str) -> bool:
        return paragraph_key(paragraph) in self.keys

    def __len__(self) -> int:
        return len(self.keys)


def learn_boilerplate(texts: Iterable[str], min_pages: int = MIN_PAGES,
                      min_share: float = MIN_SHARE) -> SiteBoilerplate:
    """Learn one source's boilerplate from its pages' texts (paragraphs separated by blank lines or newlines)."""
    counts: Counter[str] = Counter()
    pages = 0
    for text in texts:
        if not text:
            continue
        pages += 1
        counts.update({k for k in (paragraph_key(p) for p in re.split(r"\n+", text)) if k})
    need = max(min_pages, int(min_share * pages + 0.999))
    return SiteBoilerplate(frozenset(k for k, n in counts.items() if n >= need), pages)


def remove_boilerplate(paragraphs: Sequence[str], boilerplate: SiteBoilerplate | None) -> list[str]:
    """The paragraphs minus the source's learnt boilerplate, in order."""
    if not boilerplate or not boilerplate.keys:
        return list(paragraphs)
    return [p for p in paragraphs if paragraph_key(p) not in boilerplate.keys]
