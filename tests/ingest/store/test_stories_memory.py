"""The story index keeps no Python object per article: its memory is flat arrays, about 0.9 KB an article."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np

from ingest.store.stories import NUM_PERM, StoryIndex


def _build(n: int) -> tuple[StoryIndex, int, int]:
    """An index of n random signatures over 14 days; (index, bytes, blocks) it holds, as tracemalloc counts them."""
    rng = np.random.default_rng(n)
    sigs = rng.integers(0, 2**32, (n, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    ids = [f"{i:016x}" for i in range(n)]
    start, step = datetime(2024, 8, 13, tzinfo=UTC), timedelta(days=14) / n
    tracemalloc.start()
    try:
        index = StoryIndex()
        for i in range(n):
            index.assign(ids[i], "", start + i * step, sigs[i])
        index.pending = []  # rows waiting to be saved (one batch in the ingest) are not the index
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    stats = snapshot.statistics("filename")
    return index, sum(s.size for s in stats), sum(s.count for s in stats)


def test_no_python_object_per_article_and_under_a_kilobyte_each() -> None:
    small, small_bytes, small_blocks = _build(500)
    large, large_bytes, large_blocks = _build(3000)
    assert len(small) == 500 and len(large) == 3000
    assert large_blocks - small_blocks < 100  # a dict entry or a str per article would add thousands
    assert large_bytes / 3000 < 1024, f"{large_bytes / 3000:.0f} bytes an article"
    assert large._find("0000000000000bb7") == 2999  # the ids are there all the same
