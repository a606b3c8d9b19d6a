"""What the store already holds (article ids, content hashes): sets of strings kept as 64-bit keys in numpy.

The ingest asks, for every candidate and every extracted page, whether its id or its content hash is already
stored. A Python set of the store's strings costs about 107 bytes an id and 131 bytes a content hash (40 hex
digits), measured with tracemalloc on 100,000 of each: 240 MB for a store of a million articles, rebuilt at every
run. `KnownKeys` keeps each string as the first 8 bytes of its BLAKE2b digest, 8 bytes in a sorted array (16
bytes a stored article for both sets, plus at most a quarter of spare room). Two different strings share a key
with probability 2**-64: over a million stored articles and a million new ones, about one chance in 18 million
that one new article is taken for a stored one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

# Keys added during a run wait in an unsorted buffer (scanned by each lookup) until there are this many, then
# are merged into the sorted array: both costs then grow with the square root of the keys.
BUFFER_KEYS, BUFFER_PER_SQRT = 256, 4


def key_of(value: str) -> int:
    """The 64-bit key of a string: the first 8 bytes of its BLAKE2b digest."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "little")


class KnownKeys:
    """A set of strings (`in`, `add`, `len`) that stores 8 bytes per string and never a Python object per string."""

    def __init__(self, values: Iterable[str] | pa.ChunkedArray | pa.Array = ()) -> None:
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        keys = [np.fromiter((key_of(v) for v in _strings(chunk)), dtype=np.uint64) for chunk in chunks]
        self._sorted = np.unique(np.concatenate([np.empty(0, dtype=np.uint64), *keys]))
        self._buffer = np.empty(BUFFER_KEYS, dtype=np.uint64)
        self._buffered = 0

    def __len__(self) -> int:
        return len(self._sorted) + self._buffered

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._has(key_of(value))

    def add(self, value: str) -> None:
        key = key_of(value)
        if self._has(key):
            return
        if self._buffered == len(self._buffer):
            if self._buffered >= BUFFER_KEYS + BUFFER_PER_SQRT * np.sqrt(len(self._sorted)):
                merged = np.concatenate([self._sorted, np.sort(self._buffer[: self._buffered])])
                merged.sort(kind="stable")  # two sorted runs: a linear merge
                self._sorted, self._buffered = merged, 0
            else:
                self._buffer = np.resize(self._buffer, 2 * len(self._buffer))
        self._buffer[self._buffered] = key
        self._buffered += 1

    def _has(self, key: int) -> bool:
        k = np.uint64(key)
        at = int(np.searchsorted(self._sorted, k))
        if at < len(self._sorted) and self._sorted[at] == k:
            return True
        return bool((self._buffer[: self._buffered] == k).any())


def _strings(values: Iterable[str] | pa.Array) -> Iterable[str]:
    if isinstance(values, pa.Array):  # one chunk of the store's column: a bounded list of Python strings at a time
        for start in range(0, len(values), 65536):
            yield from (v for v in values.slice(start, 65536).to_pylist() if v is not None)
    else:
        yield from values
