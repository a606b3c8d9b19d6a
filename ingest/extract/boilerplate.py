"""Site-level boilerplate: paragraphs and lines that recur across many pages of one source.

Donation appeals ("A Message from The Moscow Times"), newsletter boxes, legal lines, "Read more" headings and
author bios repeat on page after page of one outlet while body text does not. A `BoilerplateLearner` counts,
for each normalised paragraph, on how many *distinct pages* of the source it occurs — a sentence repeated
inside one article counts once, so it is never learnt from that article — and where in the page it sits.

A paragraph is learnt when it is on at least `min_pages` pages and on `min_share` of the pages seen, and it is
short (a label, a heading, a legal line), or sits at the edges of the body (first two or last three
paragraphs) on most of its pages, or is on at least half of all pages (an appeal printed under every article).
These tests keep a background sentence that a wire service repeats in the middle of many stories ("Russia
launched its full-scale invasion in February 2022.") in the body, where it counts as a mention.

The learnt set is remembered per source in a sidecar, ``ROOT/boilerplate/<sha1(source)[:16]>.json``
(written atomically: temporary file, fsync, rename). Learning is a union with what the sidecar already
holds: once a line is learnt and removed from new articles, the stored texts no longer show it, and the
sidecar keeps it from being forgotten (and reappearing) on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MIN_PAGES = 5  # a line must recur on this many different pages of the source ...
MIN_SHARE = 0.2  # ... and on this share of the pages seen (furniture is on most pages, a shared quote on few)
SHORT_KEY = 120  # a learnt line this short needs no position test (labels, headings, legal lines)
EDGE_SHARE = 0.8  # a longer line must sit at the body's edges on this share of its pages ...
EVERYWHERE_SHARE = 0.5  # ... or be on this share of all pages
MAX_KEY = 1200  # longer paragraphs are never furniture; not counting them keeps memory small
_EXAMPLES = 50
_PUNCT = re.compile(r"[^\w ]+", re.U)
_YEARS = re.compile(r"\b(?:19|20)\d\d\b")  # "© 2024 ..." and "© 2025 ..." are the same line
_LINES = re.compile(r"\n+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*$")


def paragraph_key(text: str) -> str:
    """A paragraph's identity for counting: case, Unicode forms, punctuation, years and spacing ignored."""
    # NFKC leaves ASCII as it is, and a text with neither "19" nor "20" has no year: both steps are skipped
    # where they cannot change the key (a third of the key's time on the extraction dev set's paragraphs).
    t = (text if text.isascii() else unicodedata.normalize("NFKC", text)).casefold()
    t = _PUNCT.sub(" ", t)
    if "19" in t or "20" in t:
        t = _YEARS.sub("0", t)
    return " ".join(t.split())


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class SiteBoilerplate:
    """What is furniture on one source. Frozen and picklable: it travels to extraction worker processes."""

    keys: frozenset[str] = frozenset()  # digests of learnt paragraph keys
    pages: int = 0  # pages it was learnt from (the largest learning run)
    examples: tuple[str, ...] = ()  # some learnt lines as they appeared, for people reading the sidecar

    def __contains__(self, paragraph: str) -> bool:
        return _digest(paragraph_key(paragraph)) in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def union(self, other: SiteBoilerplate | None) -> SiteBoilerplate:
        if other is None:
            return self
        examples = tuple(dict.fromkeys(self.examples + other.examples))[:_EXAMPLES]
        return SiteBoilerplate(self.keys | other.keys, max(self.pages, other.pages), examples)


@dataclass
class BoilerplateLearner:
    """Counts paragraphs over one source's pages, one page at a time (memory grows with distinct lines only)."""

    pages: int = 0
    counts: Counter = field(default_factory=Counter)  # digest -> pages it is on
    at_edges: Counter = field(default_factory=Counter)  # digest -> pages where it is at the body's edges
    short: set = field(default_factory=set)  # digests of short keys
    sample: dict = field(default_factory=dict)  # digest -> the text as first seen

    def add(self, text: str) -> None:
        lines = [line.strip() for line in _LINES.split(text or "") if line.strip()]
        if not lines:
            return
        self.pages += 1
        n, seen = len(lines), set()
        for i, line in enumerate(lines):
            key = paragraph_key(line)
            if not key or len(key) > MAX_KEY:
                continue
            d = _digest(key)
            if d in seen:
                continue  # a line repeated inside one page counts once
            seen.add(d)
            self.counts[d] += 1
            if i < 2 or i >= n - 3:
                self.at_edges[d] += 1
            if len(key) <= SHORT_KEY:
                self.short.add(d)
            if d not in self.sample and len(self.sample) < 100_000:
                self.sample[d] = line

    def result(self, min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE) -> SiteBoilerplate:
        need = max(min_pages, int(min_share * self.pages + 0.999))
        everywhere = max(need, EVERYWHERE_SHARE * self.pages)
        keys = {d for d, n in self.counts.items()
                if n >= need and (d in self.short or self.at_edges[d] >= EDGE_SHARE * n or n >= everywhere)}
        examples = tuple(sorted((self.sample[d] for d in keys if d in self.sample), key=len))[:_EXAMPLES]
        return SiteBoilerplate(frozenset(keys), self.pages, examples)


def learn_boilerplate(texts: Iterable[str], min_pages: int = MIN_PAGES,
                      min_share: float = MIN_SHARE) -> SiteBoilerplate:
    """Learn one source's boilerplate from its pages' texts (paragraphs separated by newlines)."""
    learner = BoilerplateLearner()
    for text in texts:
        learner.add(text)
    return learner.result(min_pages, min_share)


def remove_boilerplate(paragraphs: Sequence[str], boilerplate: SiteBoilerplate | None) -> list[str]:
    """The paragraphs minus the source's learnt boilerplate, in order.

    A learnt line that is a heading (short, no sentence end) in the second half of the body, such as
    "Read more", also takes the run of short headline-like lines after it (the related-story links,
    whose titles change from page to page and so can never be learnt themselves)."""
    if not boilerplate or not boilerplate.keys:
        return list(paragraphs)
    out: list[str] = []
    skipping = False
    n = len(paragraphs)
    for i, para in enumerate(paragraphs):
        if para in boilerplate:
            skipping = i >= n / 2 and len(para) <= 60 and not _SENTENCE_END.search(para)
            continue
        if skipping and len(para) <= 160 and not _SENTENCE_END.search(para):
            continue
        skipping = False
        out.append(para)
    return out


# --- the per-source sidecar ---------------------------------------------------------------------------

SIDECAR_DIR = "boilerplate"


def sidecar_path(root: Path, source: str) -> Path:
    return Path(root) / SIDECAR_DIR / f"{hashlib.sha1(source.encode('utf-8')).hexdigest()[:16]}.json"


def load_boilerplate(root: Path, source: str) -> SiteBoilerplate | None:
    """The source's remembered boilerplate, or None if there is none (or the sidecar is unreadable)."""
    path = sidecar_path(root, source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SiteBoilerplate(frozenset(data["keys"]), int(data.get("pages", 0)), tuple(data.get("examples", ())))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_boilerplate(root: Path, source: str, boilerplate: SiteBoilerplate) -> Path:
    """Write the source's sidecar atomically (a reader sees the old file or the new one, never half)."""
    path = sidecar_path(root, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"source": source, "pages": boilerplate.pages, "keys": sorted(boilerplate.keys),
            "examples": list(boilerplate.examples)}
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def learn_source_boilerplate(root: Path, source: str, texts: Iterable[str], min_pages: int = MIN_PAGES,
                             min_share: float = MIN_SHARE) -> SiteBoilerplate:
    """Learn from `texts`, add what the sidecar remembers, save the sidecar, return the union."""
    learnt = learn_boilerplate(texts, min_pages, min_share).union(load_boilerplate(root, source))
    save_boilerplate(root, source, learnt)
    return learnt
