"""Merge the extractors' body candidates paragraph by paragraph, and drop page furniture.

What the extraction dev set showed (benchmarks/extraction.py --ablation prints these figures):

- trafilatura's default body is the best skeleton (F1 0.933 on our parse, newspaper3k's 0.842): it
  keeps headings, lists and tables that newspaper3k drops, and rarely misses a body paragraph.
- Adding newspaper3k-only paragraphs inside that skeleton, or keeping only paragraphs both extractors
  agree on, lowers F1 (each gains on one side what it loses on the other): agreement is a weak signal
  here, so it is used as a *protection*, not a filter — a long prose paragraph both extractors kept is
  not removed by the weaker furniture rules (newsletter, metadata, comments), which only ever fire on
  short lines.
- Link density and caption context added nothing on top of trafilatura (which already uses them).
- The furniture rules (`ingest.extract.furniture`) are where the gain is: they remove captions and credits,
  "Read more" lines, paywall, newsletter and donation prompts that both extractors keep.

newspaper3k's body is also the fallback when trafilatura finds (almost) nothing. Position is used twice:
a first paragraph that repeats the title, and kickers/section labels above it, are not body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.extract.candidates import Para
from ingest.extract.furniture import furniture_kind

# trafilatura found (almost) nothing while newspaper3k found a body: use newspaper3k's.
RESCUE_MAX_CHARS = 200
RESCUE_FACTOR = 3
# Rules that may fire on a real sentence now and then; agreement of both extractors on a long prose
# paragraph overrides them.
WEAK_RULES = frozenset({"newsletter", "metadata", "comments", "donation", "paywall"})
PROTECT_MIN_CHARS = 150
_PROSE_END = re.compile(r"[.!?…][\"'”’»)]*$")
# A kicker or section label above the headline ("Ukraine", "Middle East"): at the start of the body, at most
# two words, no sentence end. On the dev set this drops 39 leading paragraphs and no body snippet; a longer
# first line may be a real subheading ("Platzwechsel, langsam erklärt" is one).
LABEL_MAX_WORDS = 2
LABEL_MAX_CHARS = 25
_LABEL_END = re.compile(r"[.!?:;…]$")


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Merge:
    """The merged body, and why each other paragraph was left out (for tests and debugging)."""

    paragraphs: list[str] = field(default_factory=list)
    primary: str = "trafilatura"
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, paragraph)


def merge_candidates(traf: Sequence[Para], news: Sequence[Para], title: str = "") -> Merge:
    """Combine trafilatura's and newspaper3k's paragraphs into one body (see the module docstring)."""
    traf_chars = sum(len(p.text) for p in traf)
    news_chars = sum(len(p.text) for p in news)
    if traf_chars < RESCUE_MAX_CHARS and news_chars > RESCUE_FACTOR * max(traf_chars, 1):
        primary, skeleton, other = "newspaper", news, traf
    else:
        primary, skeleton, other = "trafilatura", traf, news
    other_text = "\n".join(normalise(p.text) for p in other)
    merge = Merge(primary=primary)
    title_key = normalise(title)
    leading = True  # still above the first paragraph kept
    for i, para in enumerate(skeleton):
        text = " ".join(para.text.split())
        if not text:
            continue
        if leading and title_key and normalise(text) == title_key:
            merge.dropped.append(("title", text))
            continue
        if leading and i < len(skeleton) - 1 and _is_label(text):
            merge.dropped.append(("label", text))
            continue
        kind = furniture_kind(text)
        if kind and kind in WEAK_RULES and _agreed_prose(text, other_text):
            kind = None
        if kind:
            merge.dropped.append((kind, text))
            continue
        merge.paragraphs.append(text)
        leading = False
    return merge


def needs_second_candidate(traf: Sequence[Para]) -> bool:
    """Whether `merge_candidates(traf, news)` can depend on `news` at all: only when trafilatura found (almost)
    nothing (the rescue), or when one of its paragraphs is long prose that a weak rule would drop (agreement
    protects it). Otherwise the merge is trafilatura's paragraphs alone, and newspaper3k's body, the costliest
    step of extraction (~25 ms a page), need not be computed: the result is the same, only sooner."""
    if sum(len(p.text) for p in traf) < RESCUE_MAX_CHARS:
        return True
    for para in traf:
        text = " ".join(para.text.split())
        if len(text) >= PROTECT_MIN_CHARS and _PROSE_END.search(text) and furniture_kind(text) in WEAK_RULES:
            return True
    return False


def _is_label(text: str) -> bool:
    return len(text) <= LABEL_MAX_CHARS and len(text.split()) <= LABEL_MAX_WORDS and not _LABEL_END.search(text)


def _agreed_prose(text: str, other_text: str) -> bool:
    return len(text) >= PROTECT_MIN_CHARS and bool(_PROSE_END.search(text)) and normalise(text) in other_text
