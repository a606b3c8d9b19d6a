"""Story clusters: near-duplicate articles across outlets (syndicated wire copies) share a story id.

Each article's cleaned text becomes a MinHash signature of its word 5-grams (datasketch's permutations, computed
here with numpy in one pass). A vectorised scan of the recent signatures (see `StoryIndex`) finds earlier
articles whose estimated Jaccard similarity is at least THRESHOLD within WINDOW_DAYS of publication; the article joins the story of the earliest of them, else
it starts its own story (its own id). Story ids of stored articles never change: an article found later but
published earlier joins the existing story rather than renaming it.

Signatures of recent articles are kept in the store (ROOT/signatures/*.parquet, one file per batch, written
atomically), so the next run matches new articles against the last WINDOW_DAYS of stored ones.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
from datasketch import MinHash

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
# with estimation noise over ~500,000 pairs, estimates near 0.30; the sweep gave: 0.28 -> 101 articles joined
# to a wrong story, 0.30 -> 23, 0.32 -> none wrong and no copy left alone, 0.34 and 0.36 -> 1 of 4,000 alone.
THRESHOLD = 0.32
PRE_PERMS, PRE_MIN = 32, 4  # pre-filter: >= 4 of the first 32 values equal; misses a pair at Jaccard 0.32 about 0.2% of the time
SIGNATURES_DIR = "signatures"
NO_SIGNATURE = np.empty(0, dtype=np.uint32)  # what a worker sends for a text too short to have a signature

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


class StoryIndex:
    """Recent articles' signatures; `assign()` gives each new article its story id.

    The signatures sit in one numpy matrix (NUM_PERM uint32 per article, about 0.6 KB with its id and time) and
    a lookup scans it: the first PRE_PERMS values of every row are compared at once, and rows with at least
    PRE_MIN equal values are compared in full. datasketch's MinHashLSH would also find candidates, but holds a
    dict entry and a set per band per article: `benchmarks/stories.py --memory 20000` measured 8.9 KB an article
    there (174 MB for 20,000) against 1.2 KB here (23 MB); the scan costs about 0.6 ms a lookup against 20,000
    stored articles, and 5,000 new articles take about 2 s, signatures included."""

    def __init__(self, window_days: int = WINDOW_DAYS, threshold: float = THRESHOLD) -> None:
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.pending: list[dict] = []  # rows not yet saved
        self._row: dict[str, int] = {}  # article id -> row
        self._ids: list[str | None] = []
        self._story: list[str] = []
        self._sigs = np.zeros((1024, NUM_PERM), dtype=np.uint32)
        self._pre = np.zeros((1024, PRE_PERMS), dtype=np.uint32)  # contiguous copy of the first columns: the scan
        self._at = np.zeros(1024, dtype=np.int64)  # publication time, microseconds since the epoch
        self._alive = np.zeros(1024, dtype=bool)
        self._n = 0
        self._newest = np.iinfo(np.int64).min
        self._oldest = np.iinfo(np.int64).max  # of the live rows: no eviction scan until the horizon passes it

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
        ids, stories = table.column("article_id").to_pylist(), table.column("story_id").to_pylist()
        times = table.column("published_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
        for aid, sid, at, raw in zip(ids, stories, times, table.column("minhash").to_pylist(), strict=True):
            if raw is not None and len(raw) == width and aid not in index._row:
                index._add(aid, sid, int(at), np.frombuffer(raw, dtype="<u4"))
        return index

    def __len__(self) -> int:
        return len(self._row)

    def assign(self, article_id: str, text: str, published_at: datetime | None,
               minhash: np.ndarray | None = None) -> str:
        """The article's story id: that of the earliest similar article in the window, else its own id.

        `minhash` may be given when `signature(text)` was computed elsewhere (an extraction worker); an empty
        one (NO_SIGNATURE) says the text is too short to have one."""
        if article_id in self._row:
            return self._story[self._row[article_id]]
        when = published_at.astimezone(UTC) if published_at else datetime.now(UTC)
        sig = minhash if minhash is not None else signature(text)
        if sig is None or not len(sig):
            return article_id
        at = _micros(when)
        story = self._match(sig, at) or article_id
        self._add(article_id, story, at, sig)
        self.pending.append({"article_id": article_id, "story_id": story, "published_at": when,
                             "minhash": sig.astype("<u4").tobytes()})
        self._evict()
        return story

    def _match(self, sig: np.ndarray, at: int) -> str | None:
        """The story of the earliest live article within the window whose similarity reaches the threshold."""
        n = self._n
        if not n:
            return None
        near = _count_equal(self._pre[:n], np.ascontiguousarray(sig[:PRE_PERMS])) >= PRE_MIN
        near &= self._alive[:n] & (np.abs(self._at[:n] - at) <= self._window_us)
        rows = np.flatnonzero(near)
        if not rows.size:
            return None
        equal = np.count_nonzero(self._sigs[rows] == sig, axis=1)
        rows = rows[equal >= self.threshold * NUM_PERM]
        if not rows.size:
            return None
        return min((int(self._at[r]), self._story[r]) for r in rows)[1]

    @property
    def _window_us(self) -> int:
        return int(self.window.total_seconds() * 1_000_000)

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

    def _add(self, article_id: str, story_id: str, at: int, sig: np.ndarray) -> None:
        if self._n == len(self._at):
            self._grow()
        row = self._n
        self._sigs[row] = sig
        self._pre[row] = sig[:PRE_PERMS]
        self._at[row] = at
        self._alive[row] = True
        self._ids.append(article_id)
        self._story.append(story_id)
        self._row[article_id] = row
        self._n += 1
        self._newest = max(self._newest, at)
        self._oldest = min(self._oldest, at)

    def _grow(self) -> None:
        live = int(self._alive[: self._n].sum())
        if live < self._n // 2:  # mostly evicted rows: compact instead of growing
            keep = np.flatnonzero(self._alive[: self._n])
            self._sigs[: len(keep)] = self._sigs[keep]
            self._pre[: len(keep)] = self._pre[keep]
            self._at[: len(keep)] = self._at[keep]
            self._ids = [self._ids[r] for r in keep]
            self._story = [self._story[r] for r in keep]
            self._alive[:] = False
            self._alive[: len(keep)] = True
            self._n = len(keep)
            self._row = {aid: i for i, aid in enumerate(self._ids)}
            if self._n < len(self._at):
                return
        size = len(self._at) * 2
        self._sigs = np.resize(self._sigs, (size, NUM_PERM))
        self._pre = np.resize(self._pre, (size, PRE_PERMS))
        self._at = np.resize(self._at, size)
        alive = np.zeros(size, dtype=bool)
        alive[: self._n] = self._alive[: self._n]
        self._alive = alive

    def _evict(self) -> None:
        """Forget articles published more than two windows before the newest one: memory stays flat on long
        runs, backfills included."""
        horizon = self._newest - 2 * self._window_us
        if horizon <= self._oldest:
            return
        old = np.flatnonzero(self._alive[: self._n] & (self._at[: self._n] < horizon))
        for r in old:
            self._alive[r] = False
            self._row.pop(self._ids[r], None)
            self._ids[r] = None
        live = self._at[: self._n][self._alive[: self._n]]
        self._oldest = int(live.min()) if live.size else np.iinfo(np.int64).max


_BYTE_SUM = np.uint64(0x0101010101010101)


def _count_equal(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many of each row's values equal `values` (PRE_PERMS columns, a multiple of 8).

    The boolean matrix is read eight flags at a time as uint64 and the flags summed by one multiplication (the
    top byte of x * 0x0101010101010101 is the sum of x's bytes): twice as fast as count_nonzero(axis=1)."""
    words = (rows == values).view(np.uint64)
    total = np.zeros(len(rows), dtype=np.uint64)
    for col in range(words.shape[1]):
        total += (words[:, col] * _BYTE_SUM) >> np.uint64(56)
    return total


def _micros(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def prune_signatures(writer: StoreWriter, window_days: int = WINDOW_DAYS, now: datetime | None = None) -> tuple[int, int]:
    """Merge the signature files into one, keeping only what `StoryIndex.load` would read; (files before, rows kept).

    Run under the writer's lock (only the writer reads signatures). The merged file is renamed into place
    before the old files are removed, so a crash in between leaves duplicate rows, which `load` ignores."""
    folder = signatures_dir(writer.store)
    old = sorted(folder.glob("*.parquet"))
    if len(old) <= 1:
        return len(old), -1
    since = (now or datetime.now(UTC)) - timedelta(days=window_days)
    table = ds.dataset(old, format="parquet", schema=SIGNATURES_SCHEMA).to_table(
        filter=ds.field("published_at") >= pa.scalar(since, TS))
    merged = folder / f"part-{_batch_name()}.parquet"
    _write_atomic(table, merged)
    for path in old:
        path.unlink(missing_ok=True)
    return len(old), table.num_rows


def signatures_dir(store: Store) -> Path:
    return getattr(store, "signatures_dir", store.root / SIGNATURES_DIR)
