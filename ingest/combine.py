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
- The furniture rules (`ingest.furniture`) are where the gain is: they remove captions and credits,
  "Read more" lines, paywall, newsletter and donation prompts that both extractors keep.

newspaper3k's body is also the fallback when trafilatura finds (almost) nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.candidates import Para
from ingest.furniture import furniture_kind

# trafilatura found (almost) nothing while newspaper3k found a body: use newspaper3k's.
RESCUE_MAX_CHARS = 200
RESCUE_FACTOR = 3
# Rules that may fire on a real sentence now and then; agreement of both extractors on a long prose
# paragraph overrides them.
WEAK_RULES = frozenset({"newsletter", "metadata", "comments", "donation", "paywall"})
PROTECT_MIN_CHARS = 150
_PROSE_END = re.compile(r"[.!?…][\"'”’»)]*$")


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Merge:
    """The merged body and why each other paragraph was left out (for the benchmark and `--explain`)."""

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
    for i, para in enumerate(skeleton):
        text = " ".join(para.text.split())
        if not text:
            continue
        if i == 0 and title_key and normalise(text) == title_key:
            merge.dropped.append(("title", text))
            continue
        kind = furniture_kind(text)
        if kind and kind in WEAK_RULES and _agreed_prose(text, other_text):
            kind = None
        if kind:
            merge.dropped.append((kind, text))
            continue
        merge.paragraphs.append(text)
    return merge


def _agreed_prose(text: str, other_text: str) -> bool:
    return len(text) >= PROTECT_MIN_CHARS and bool(_PROSE_END.search(text)) and normalise(text) in other_text
