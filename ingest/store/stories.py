"""Story clusters: near-duplicate articles across outlets (syndicated wire copies) share a story id.

Each article's cleaned text becomes a MinHash signature of its word 5-grams (datasketch's permutations, computed
here with numpy in one pass). An index of the recent signatures (sorted keys, see `StoryIndex`) finds earlier
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

from ingest.store.parquet import TS, Store, StoreWriter, _batch_name, _write_atomic

NUM_PERM = 128
SEED = 1
SHINGLE = 5  # words per shingle
MIN_SHINGLES = 20  # shorter texts (briefs, captions) are their own story: too few shingles to judge
WINDOW_DAYS = 14
# Calibrated on synthetic wire stories (tests/ingest/store/test_stories.py builds them: templated facts plus a shared pool of
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
# Computed here for all shingles at once; tests/ingest/store/test_stories.py checks it equals datasketch's own MinHash.
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

    Memory is a few flat numpy arrays, no Python object per article: a row holds the signature (NUM_PERM
    uint32, 512 bytes), the publication time, the article and story ids as bytes, a hash of the id and
    KEYS sorted keys (264 bytes, below): about 0.85 KB an article with 16-character ids, plus at most a
    quarter of spare capacity. Rows published more than two windows before the newest one are evicted.

    A lookup wants the rows with at least PRE_MIN of their first PRE_PERMS values equal to the new signature's
    (the pre-filter), then compares those rows in full. Rather than scan every row, each row's first PRE_PERMS
    values are kept as packed (position, value, row) keys in one sorted uint64 array, so the rows sharing a
    value at a position are one binary search away and a row's count of equal values is its number of hits.
    The newest rows (fewer than BUFFER_ROWS + BUFFER_PER_SQRT * sqrt(rows)) are not in the sorted array yet:
    they are scanned, then merged in (a linear merge of two sorted runs). The candidates, hence the story ids,
    are exactly those of a scan of every row (tests/ingest/store/test_stories.py checks it against the scan); the cost grows
    with the rows that share a value, not with the window (`benchmarks/stories.py --lookup`). One more key per
    row, a hash of the article id at position PRE_PERMS, finds an article by id the same way."""

    def __init__(self, window_days: int = WINDOW_DAYS, threshold: float = THRESHOLD) -> None:
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.pending: list[dict] = []  # rows not yet saved
        self._sigs = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self._at = np.zeros(0, dtype=np.int64)  # publication time, microseconds since the epoch
        self._alive = np.zeros(0, dtype=bool)
        self._idh = np.zeros(0, dtype=np.uint32)  # crc32 of the article id
        self._ids = np.zeros(0, dtype="S16")  # article ids, UTF-8; the width grows to the longest id
        self._story = np.zeros(0, dtype="S16")
        self._keys = np.zeros(0, dtype=np.uint64)  # sorted keys of the live rows in [0, _indexed)
        self._indexed = 0
        self._n = 0  # rows used, live or evicted
        self._live = 0
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
        ids = table.column("article_id").to_pylist()
        raw = table.column("minhash").to_pylist()
        seen: set[str] = set()  # a crash between two writes can leave a row twice: the first one counts
        rows = []
        for r, (aid, sig) in enumerate(zip(ids, raw, strict=True)):
            if sig is not None and len(sig) == NUM_PERM * 4 and aid not in seen:
                seen.add(aid)
                rows.append(r)
        if rows:
            take = pa.array(rows, pa.int64())
            sigs = np.frombuffer(b"".join(raw[r] for r in rows), dtype="<u4").reshape(-1, NUM_PERM)
            times = table.column("published_at").cast(pa.int64()).take(take).to_numpy(zero_copy_only=False)
            index._append([ids[r] for r in rows], table.column("story_id").take(take).to_pylist(), times, sigs)
            index._merge()
        return index

    def __len__(self) -> int:
        return self._live

    def assign(self, article_id: str, text: str, published_at: datetime | None,
               minhash: np.ndarray | None = None) -> str:
        """The article's story id: that of the earliest similar article in the window, else its own id.

        `minhash` may be given when `signature(text)` was computed elsewhere (an extraction worker); an empty
        one (NO_SIGNATURE) says the text is too short to have one."""
        row = self._find(article_id)
        if row is not None:
            return self._story[row].decode()
        when = published_at.astimezone(UTC) if published_at else datetime.now(UTC)
        sig = minhash if minhash is not None else signature(text)
        if sig is None or not len(sig):
            return article_id
        at = _micros(when)
        story = self._match(sig, at) or article_id
        self._append([article_id], [story], np.array([at], dtype=np.int64), sig[None, :])
        if self._n - self._indexed >= BUFFER_ROWS + BUFFER_PER_SQRT * np.sqrt(self._indexed):
            self._merge()
        self.pending.append({"article_id": article_id, "story_id": story, "published_at": when,
                             "minhash": sig.astype("<u4").tobytes()})
        self._evict()
        return story

    def _candidates(self, sig: np.ndarray) -> np.ndarray:
        """Rows (live or not) with at least PRE_MIN of their first PRE_PERMS values equal to the signature's."""
        pre = np.ascontiguousarray(sig[:PRE_PERMS])
        hits = _hits(self._keys, _KEY_POS[:PRE_PERMS] | (pre.astype(np.uint64) << _VALUE_SHIFT))
        if len(hits) > self._indexed // 16:  # many hits (texts sharing much stock wording): counting beats sorting
            counts = np.bincount(hits, minlength=self._indexed)
            rows = np.arange(len(counts))
        else:
            rows, counts = np.unique(hits, return_counts=True)
        recent = _count_equal(self._sigs[self._indexed:self._n, :PRE_PERMS], pre) >= PRE_MIN
        return np.concatenate([rows[counts >= PRE_MIN], np.flatnonzero(recent) + self._indexed])

    def _match(self, sig: np.ndarray, at: int) -> str | None:
        """The story of the earliest live article within the window whose similarity reaches the threshold."""
        if not self._live:
            return None
        rows = self._candidates(sig)
        rows = rows[self._alive[rows] & (np.abs(self._at[rows] - at) <= self._window_us)]
        if not rows.size:
            return None
        equal = _count_equal(np.take(self._sigs, rows, axis=0), sig)  # take: faster than fancy indexing here
        rows = rows[equal >= self.threshold * NUM_PERM]
        if not rows.size:
            return None
        return min((int(self._at[r]), self._story[r]) for r in rows)[1].decode()  # UTF-8 bytes sort as the str

    def _find(self, article_id: str) -> int | None:
        """The live row of an article id, if any."""
        if not self._live:
            return None
        key = article_id.encode()
        h = zlib.crc32(key)
        hits = _hits(self._keys, _KEY_POS[PRE_PERMS:KEYS] | (np.uint64(h) << _VALUE_SHIFT))
        recent = np.flatnonzero(self._idh[self._indexed:self._n] == h) + self._indexed
        for row in np.concatenate([hits, recent]):
            if self._alive[row] and self._ids[row] == key:
                return int(row)
        return None

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

    def _append(self, ids: list[str], stories: list[str], at: np.ndarray, sigs: np.ndarray) -> None:
        raw_ids = [a.encode() for a in ids]
        raw_stories = [s.encode() for s in stories]
        self._reserve(len(raw_ids), max(map(len, raw_ids)), max(map(len, raw_stories)))
        lo, hi = self._n, self._n + len(raw_ids)
        self._sigs[lo:hi] = sigs
        self._at[lo:hi] = at
        self._alive[lo:hi] = True
        self._ids[lo:hi] = raw_ids
        self._story[lo:hi] = raw_stories
        self._idh[lo:hi] = [zlib.crc32(a) for a in raw_ids]
        self._n, self._live = hi, self._live + len(raw_ids)
        self._newest = max(self._newest, int(at.max()))
        self._oldest = min(self._oldest, int(at.min()))

    def _reserve(self, rows: int, id_width: int, story_width: int) -> None:
        """Room for `rows` more rows: reuse evicted rows when they are most of the index, else grow by a quarter."""
        if id_width > self._ids.dtype.itemsize:
            self._ids = self._ids.astype(f"S{id_width}")
        if story_width > self._story.dtype.itemsize:
            self._story = self._story.astype(f"S{story_width}")
        size = len(self._at)
        if self._n + rows <= size:
            return
        if self._live < self._n // 2:
            self._compact()
            if self._n + rows <= size:
                return
        size = max(self._n + rows, size + max(1024, size // 4))
        if size >= _ROW_MASK:
            raise OverflowError(f"a story index holds at most {int(_ROW_MASK)} rows")
        for name in ("_sigs", "_at", "_alive", "_idh", "_ids", "_story"):
            old = getattr(self, name)
            new = np.zeros((size, *old.shape[1:]), dtype=old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive[: self._n])
        for name in ("_sigs", "_at", "_idh", "_ids", "_story"):
            arr = getattr(self, name)
            arr[: len(keep)] = arr[keep]
        self._alive[:] = False
        self._alive[: len(keep)] = True
        self._n = len(keep)
        self._keys, self._indexed = self._keys[:0], 0
        self._merge()

    def _merge(self) -> None:
        """Add the keys of the rows not yet indexed to the sorted array, dropping those of evicted rows."""
        lo, hi = self._indexed, self._n
        rows = np.arange(lo, hi, dtype=np.uint64)[self._alive[lo:hi]]
        values = np.empty((len(rows), KEYS), dtype=np.uint64)
        values[:, :PRE_PERMS] = self._sigs[rows, :PRE_PERMS]
        values[:, PRE_PERMS] = self._idh[rows]
        new = (_KEY_POS | (values << _VALUE_SHIFT) | rows[:, None]).ravel()
        new.sort()
        old = self._keys if self._live == self._n else self._keys[self._alive[self._keys & _ROW_MASK]]
        keys = np.concatenate([old, new])
        keys.sort(kind="stable")  # two sorted runs: timsort merges them in linear time
        self._keys, self._indexed = keys, hi

    def _evict(self) -> None:
        """Forget articles published more than two windows before the newest one: memory stays flat on long
        runs, backfills included."""
        horizon = self._newest - 2 * self._window_us
        if horizon <= self._oldest:
            return
        old = self._alive[: self._n] & (self._at[: self._n] < horizon)
        self._alive[: self._n] &= ~old
        self._live -= int(old.sum())
        live = self._at[: self._n][self._alive[: self._n]]
        self._oldest = int(live.min()) if live.size else np.iinfo(np.int64).max


# Sorted keys: position (6 bits) | value (32 bits) | row (26 bits), so one position's equal values are one range.
KEYS = PRE_PERMS + 1  # the first PRE_PERMS signature values, then the article id's hash
_VALUE_SHIFT = np.uint64(26)
_ROW_MASK = np.uint64((1 << 26) - 1)
_KEY_POS = np.arange(KEYS, dtype=np.uint64) << np.uint64(58)
# Rows not yet in the sorted keys, scanned at each lookup; merged in when there are this many. A merge rewrites
# the sorted keys (11 ms to merge 2,000 rows into 100,000 at load 6), so the buffer grows with the square root of
# the rows: the scan and the merges then both cost O(sqrt(rows)) a lookup. 3 balances a merge's cost per row
# against a scanned row's; `benchmarks/stories.py --lookup` measures the result (the "assign ms" column).
BUFFER_ROWS, BUFFER_PER_SQRT = 256, 3


def _hits(keys: np.ndarray, prefixes: np.ndarray) -> np.ndarray:
    """The rows of every key that starts with one of `prefixes` (position and value, row bits zero)."""
    # One search for both ends; "left" for the upper one too, as no row number is _ROW_MASK (see _reserve).
    bounds = np.searchsorted(keys, np.concatenate([prefixes, prefixes | _ROW_MASK]))
    lo, hi = bounds[: len(prefixes)], bounds[len(prefixes):]
    lens = hi - lo
    total = int(lens.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    idx = np.arange(total) + np.repeat(lo - np.cumsum(lens) + lens, lens)
    return (keys[idx] & _ROW_MASK).astype(np.int64)


_BYTE_SUM = np.uint64(0x0101010101010101)


def _count_equal(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many of each row's values equal `values` (a multiple of 8 columns).

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
