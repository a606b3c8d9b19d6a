"""Story clusters: near-duplicate articles across outlets (syndicated wire copies) share a story id.

Each article's cleaned text becomes a MinHash signature of its word 5-grams (datasketch's permutations, computed
here with numpy in one pass). A MinHashLSH index finds earlier articles whose estimated Jaccard similarity is at
least THRESHOLD within WINDOW_DAYS of publication; the article joins the story of the earliest of them, else
it starts its own story (its own id). Story ids of stored articles never change: an article found later but
published earlier joins the existing story rather than renaming it.

Signatures of recent articles are kept in the store (ROOT/signatures/*.parquet, one file per batch, written
atomically), so the next run matches new articles against the last WINDOW_DAYS of stored ones.
"""

from __future__ import annotations

import heapq
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
from datasketch import LeanMinHash, MinHash, MinHashLSH

from ingest.store import TS, Store, StoreWriter, _batch_name, _write_atomic

NUM_PERM = 128
SEED = 1
SHINGLE = 5  # words per shingle
MIN_SHINGLES = 20  # shorter texts (briefs, captions) are their own story: too few shingles to judge
WINDOW_DAYS = 14
# Calibrated on synthetic wire stories (tests/test_stories.py builds them: templated facts plus a shared pool of
# stock wire sentences) and their copies at other outlets (own dateline, furniture lines, 1-3 paragraphs cut from
# the bottom or a local paragraph added, house-style and 2.5% word edits). Exact Jaccard of 5-word shingles on the
# test's 60 stories: 300 copies 0.38-0.79 (median 0.63), 1,770 same-topic different-story pairs 0.02-0.19. On the
# 1,000 stories / 5,000 articles of `benchmarks/stories.py --sweep` the different-story tail reaches 0.23 and,
# with estimation noise over ~500,000 pairs, estimates near 0.30; the sweep gave: 0.28 -> 100 articles joined
# to a wrong story, 0.30 -> 13, 0.32 -> none wrong and 2 of 4,000 copies left alone, 0.34 and 0.36 -> 3 alone.
# LSH weights favour recall (false negatives cost 0.8): candidates are checked against THRESHOLD anyway.
THRESHOLD = 0.32
LSH_WEIGHTS = (0.2, 0.8)
SIGNATURES_DIR = "signatures"

SIGNATURES_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("story_id", pa.string()),
        ("published_at", TS),  # publication time, else the time it was assigned
        ("minhash", pa.binary()),  # NUM_PERM little-endian uint32 values
    ],
    metadata={"num_perm": str(NUM_PERM), "seed": str(SEED), "shingle": str(SHINGLE)},
)

_WORD = re.compile(r"\w+", re.UNICODE)
# datasketch's "affine32" scheme: h -> fmix32(h) * a + b mod 2**32 (a odd), the min over shingles per permutation.
# Computed here for all shingles at once; tests/test_stories.py checks it equals datasketch's own MinHash.
_PERMS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
_A = _PERMS[0].astype(np.uint32)
_B = _PERMS[1].astype(np.uint32)
_POW = np.array([pow(1_000_003, i, 1 << 32) for i in range(SHINGLE)], dtype=np.uint32)


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the text's distinct word 5-grams (lower-cased, punctuation ignored)."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return np.empty(0, dtype=np.uint32)
    w = np.fromiter((zlib.crc32(x.encode("utf-8")) for x in words), dtype=np.uint32, count=len(words))
    n = len(words) - SHINGLE + 1
    acc = np.zeros(n, dtype=np.uint32)
    for i in range(SHINGLE):  # a polynomial hash of the five word hashes, order-sensitive, wrapping mod 2**32
        acc += w[i:i + n] * _POW[i]
    return np.unique(acc)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (what datasketch applies before its affine permutations)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash_of(hashes: np.ndarray) -> np.ndarray:
    """The MinHash (NUM_PERM uint32 values) of a set of 32-bit hashes."""
    out = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    mixed = _fmix32(hashes.astype(np.uint32))
    for start in range(0, len(mixed), 2048):  # bounded temporary: 2048 x NUM_PERM
        phv = mixed[start:start + 2048, None] * _A + _B
        np.minimum(out, phv.min(axis=0), out=out)
    return out


def signature(text: str) -> np.ndarray | None:
    """The text's MinHash, or None when it is too short to compare."""
    hv = shingle_hashes(text)
    return minhash_of(hv) if len(hv) >= MIN_SHINGLES else None


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


@dataclass
class _Entry:
    story_id: str
    published_at: datetime
    minhash: np.ndarray


class StoryIndex:
    """Recent articles' signatures in an LSH index; `assign()` gives each new article its story id."""

    def __init__(self, window_days: int = WINDOW_DAYS, threshold: float = THRESHOLD) -> None:
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, weights=LSH_WEIGHTS)
        self.entries: dict[str, _Entry] = {}
        self.pending: list[dict] = []  # rows not yet saved
        self._by_time: list[tuple[datetime, str]] = []  # heap for eviction
        self._newest: datetime | None = None

    @classmethod
    def load(cls, store: Store, window_days: int = WINDOW_DAYS, now: datetime | None = None) -> StoryIndex:
        """The signatures of the store's articles published in the last `window_days` (before `now`)."""
        index = cls(window_days)
        folder = signatures_dir(store)
        if not any(folder.glob("*.parquet")):
            return index
        since = (now or datetime.now(UTC)) - index.window
        dataset = ds.dataset(folder, format="parquet", schema=SIGNATURES_SCHEMA, exclude_invalid_files=False)
        table = dataset.to_table(filter=ds.field("published_at") >= pa.scalar(since, TS))
        width = NUM_PERM * 4
        for aid, sid, at, raw in zip(*(table.column(c).to_pylist() for c in SIGNATURES_SCHEMA.names), strict=True):
            if raw is not None and len(raw) == width and aid not in index.entries:
                index._add(aid, sid, at, np.frombuffer(raw, dtype="<u4"))
        return index

    def __len__(self) -> int:
        return len(self.entries)

    def assign(self, article_id: str, text: str, published_at: datetime | None,
               minhash: np.ndarray | None = None) -> str:
        """The article's story id: that of the earliest similar article in the window, else its own id.

        `minhash` may be given when `signature(text)` was computed elsewhere (an extraction worker)."""
        if article_id in self.entries:
            return self.entries[article_id].story_id
        at = published_at.astimezone(UTC) if published_at else datetime.now(UTC)
        sig = minhash if minhash is not None else signature(text)
        if sig is None:
            return article_id
        lean = LeanMinHash(seed=SEED, hashvalues=sig, scheme="affine32")
        best: tuple[datetime, str] | None = None
        for other in self.lsh.query(lean):
            entry = self.entries[other]
            if abs(entry.published_at - at) > self.window or similarity(sig, entry.minhash) < self.threshold:
                continue
            if best is None or (entry.published_at, entry.story_id) < best:
                best = (entry.published_at, entry.story_id)
        story = best[1] if best else article_id
        self._add(article_id, story, at, sig, lean)
        self.pending.append({"article_id": article_id, "story_id": story, "published_at": at,
                             "minhash": sig.astype("<u4").tobytes()})
        self._evict()
        return story

    def save(self, target: Store | StoreWriter, name: str | None = None) -> Path | None:
        """Write the signatures assigned since the last save as one Parquet file; None when there are none.

        `name` lets the caller give it the name of the articles batch it belongs to (see docs/sources.md)."""
        if not self.pending:
            return None
        store = target.store if isinstance(target, StoreWriter) else target
        folder = signatures_dir(store)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (name or f"part-{_batch_name()}.parquet")
        _write_atomic(pa.Table.from_pylist(self.pending, schema=SIGNATURES_SCHEMA), path)
        self.pending = []
        return path

    def _add(self, article_id: str, story_id: str, at: datetime, sig: np.ndarray,
             lean: LeanMinHash | None = None) -> None:
        self.entries[article_id] = _Entry(story_id, at, sig)
        lean = lean or LeanMinHash(seed=SEED, hashvalues=sig, scheme="affine32")
        self.lsh.insert(article_id, lean, check_duplication=False)
        heapq.heappush(self._by_time, (at, article_id))
        if self._newest is None or at > self._newest:
            self._newest = at

    def _evict(self) -> None:
        """Forget articles older than the window before the newest one seen: memory stays flat on long runs."""
        horizon = self._newest - self.window * 2 if self._newest else None
        while self._by_time and horizon and self._by_time[0][0] < horizon:
            _, old = heapq.heappop(self._by_time)
            if old in self.entries:
                del self.entries[old]
                self.lsh.remove(old)


def signatures_dir(store: Store) -> Path:
    return getattr(store, "signatures_dir", store.root / SIGNATURES_DIR)
