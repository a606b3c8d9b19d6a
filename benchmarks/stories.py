"""Story clustering speed: newsmon's StoryIndex against datasketch's documented per-shingle MinHash, in one run.

    .venv/bin/python benchmarks/stories.py [--articles 5000] [--sweep] [--memory 20000]

Corpus: the labelled generator of tests/test_stories.py (synthetic wire stories, each run by up to four other
outlets with their own furniture and edits), about 200 words per article, cycled to --articles. Both methods
use 5-word shingles, 128 permutations and the same threshold; the table gives seconds and the number of
stories each found (the true number is printed above it). --sweep adds the threshold calibration table behind
ingest.stories.THRESHOLD: articles joined to a wrong story, and copies left as a story of their own.
--memory N compares the memory (tracemalloc peak) of N signatures in StoryIndex and in datasketch's MinHashLSH.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from datasketch import LeanMinHash, MinHash, MinHashLSH  # noqa: E402

from ingest.stories import NUM_PERM, SHINGLE, THRESHOLD, StoryIndex, signature  # noqa: E402
from tests.test_stories import labelled_set  # noqa: E402

_WORD = re.compile(r"\w+")


def corpus(n: int) -> tuple[list[tuple[str, str]], int]:
    stories = max(1, n // 5)
    texts, _, _ = labelled_set(stories=stories, copies=4, seed=11)
    items = sorted(texts.items(), key=lambda kv: (int(re.match(r"s(\d+)", kv[0]).group(1)), kv[0]))
    return items[:n], len({re.match(r"s\d+", k).group(0) for k, _ in items[:n]})


def run_newsmon(items: list[tuple[str, str]]) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    sigs = [signature(text) for _, text in items]
    t1 = time.perf_counter()
    index = StoryIndex()
    start = datetime(2024, 8, 13, tzinfo=UTC)
    ids = {index.assign(aid, text, start + timedelta(minutes=i), sig) for i, ((aid, text), sig)
           in enumerate(zip(items, sigs, strict=True))}
    return t1 - t0, time.perf_counter() - t1, len(ids)


def run_baseline(items: list[tuple[str, str]]) -> tuple[float, float, int]:
    """datasketch's README way: MinHash.update() per shingle, then query + insert in a MinHashLSH."""
    t0 = time.perf_counter()
    hashes = []
    for _, text in items:
        words = _WORD.findall(text.lower())
        m = MinHash(num_perm=NUM_PERM)
        for i in range(len(words) - SHINGLE + 1):
            m.update(" ".join(words[i:i + SHINGLE]).encode("utf-8"))
        hashes.append(m)
    t1 = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    story: dict[str, str] = {}
    by_id: dict[str, MinHash] = {}
    for (aid, _), m in zip(items, hashes, strict=True):
        matches = [o for o in lsh.query(m) if m.jaccard(by_id[o]) >= THRESHOLD]
        story[aid] = min((story[o] for o in matches), default=aid)
        lsh.insert(aid, m)
        by_id[aid] = m
    return t1 - t0, time.perf_counter() - t1, len(set(story.values()))


def sweep(items: list[tuple[str, str]], thresholds: list[float]) -> None:
    truth = {aid: re.match(r"s\d+", aid).group(0) for aid, _ in items}
    sigs = [signature(text) for _, text in items]
    start = datetime(2024, 8, 13, tzinfo=UTC)
    print(f"\n{'threshold':>9} {'stories':>8} {'wrongly joined':>15} {'copies left alone':>18}")
    for th in thresholds:
        index = StoryIndex(threshold=th)
        got = {aid: index.assign(aid, text, start + timedelta(minutes=i), sig)
               for i, ((aid, text), sig) in enumerate(zip(items, sigs, strict=True))}
        wrong = sum(truth[a] != truth[s] for a, s in got.items())
        alone = sum(a != truth[a] and s == a for a, s in got.items())
        mark = "  <- THRESHOLD" if abs(th - THRESHOLD) < 1e-9 else ""
        print(f"{th:>9.2f} {len(set(got.values())):>8} {wrong:>15} {alone:>18}{mark}")


def memory(n: int) -> None:
    rng = np.random.default_rng(1)
    sigs = [rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32) for _ in range(n)]
    start = datetime(2024, 8, 13, tzinfo=UTC)

    def story_index() -> object:
        index = StoryIndex()
        for i, sig in enumerate(sigs):
            index.assign(f"{i:016x}", "", start + timedelta(seconds=i), sig)
        index.pending = []  # rows waiting to be saved are not the index
        return index

    def lsh() -> object:
        index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        for i, sig in enumerate(sigs):
            index.insert(f"{i:016x}", LeanMinHash(seed=1, hashvalues=sig, scheme="affine32"))
        return index

    print(f"\n{'index of ' + str(n) + ' signatures':<38} {'peak MB':>8} {'kept MB':>8} {'KB each':>8} {'build s':>8}")
    for name, build in (("newsmon StoryIndex (numpy scan)", story_index), ("datasketch MinHashLSH", lsh)):
        tracemalloc.start()
        t0 = time.perf_counter()
        kept = build()
        took = time.perf_counter() - t0
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del kept
        print(f"{name:<38} {peak / 2**20:>8.1f} {current / 2**20:>8.1f} {current / n / 1024:>8.2f} {took:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--sweep", action="store_true", help="also print the threshold calibration table")
    parser.add_argument("--memory", type=int, default=0, metavar="N", help="also compare memory for N signatures")
    args = parser.parse_args()
    items, true_stories = corpus(args.articles)
    words = sum(len(t.split()) for _, t in items) / len(items)
    print(f"{len(items)} articles, {words:.0f} words each on average, {true_stories} true stories")
    rows = [("newsmon StoryIndex (numpy MinHash)", *run_newsmon(items)),
            ("baseline: MinHash.update per shingle", *run_baseline(items))]
    print(f"{'method':<38} {'signatures s':>12} {'index s':>8} {'total s':>8} {'articles/s':>10} {'stories':>8}")
    for name, sig, idx, found in rows:
        total = sig + idx
        print(f"{name:<38} {sig:>12.2f} {idx:>8.2f} {total:>8.2f} {len(items) / total:>10.0f} {found:>8}")
    print(f"speed-up: {(rows[1][1] + rows[1][2]) / (rows[0][1] + rows[0][2]):.1f}x")
    if args.sweep:
        sweep(items, [0.26, 0.28, 0.30, 0.32, 0.34, 0.36])
    if args.memory:
        memory(args.memory)


if __name__ == "__main__":
    main()
