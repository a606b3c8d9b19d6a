"""Story clustering speed: newsmon's StoryIndex against datasketch's documented per-shingle MinHash, in one run.

    .venv/bin/python benchmarks/stories.py [--articles 5000] [--sweep] [--memory 20000] [--lookup 5000,20000,...]

Corpus: the labelled generator of tests/ingest/store/test_stories.py (synthetic wire stories, each run by up to four other
outlets with their own furniture and edits), about 200 words per article, cycled to --articles. Both methods
use 5-word shingles, 128 permutations and the same threshold; the table gives seconds and the number of
stories each found (the true number is printed above it). --sweep adds the threshold calibration table behind
ingest.store.stories.THRESHOLD: articles joined to a wrong story, and copies left as a story of their own.
--memory N compares the memory (tracemalloc peak) of N signatures in StoryIndex and in datasketch's MinHashLSH.
--lookup W1,W2,... times one lookup against a window of W articles: the scan of every row that StoryIndex did
before its sorted keys against the sorted keys, on the same index and the same 1,000 new articles, with their
story ids compared. --corpus picks the streams (stories followed by up to four outlets' copies, as above):
"real" draws each story's sentences from the real pages of ../shared/data/extraction-dev (different stories
share little, as in real news), "wire" is the test's same-topic generator (different stories share 5-20% of
their MinHash values, so a fifth of the window passes the pre-filter and no index can avoid reading it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "extraction-dev"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from datasketch import LeanMinHash, MinHash, MinHashLSH  # noqa: E402

from ingest.store.stories import (  # noqa: E402
    NUM_PERM,
    PRE_MIN,
    PRE_PERMS,
    SHINGLE,
    THRESHOLD,
    StoryIndex,
    _count_equal,
    signature,
)
from tests.ingest.store.test_stories import labelled_set, outlet_copy, wire_story  # noqa: E402

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
    for name, build in (("newsmon StoryIndex (sorted keys)", story_index), ("datasketch MinHashLSH", lsh)):
        tracemalloc.start()
        t0 = time.perf_counter()
        kept = build()
        took = time.perf_counter() - t0
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del kept
        print(f"{name:<38} {peak / 2**20:>8.1f} {current / 2**20:>8.1f} {current / n / 1024:>8.2f} {took:>8.2f}")


def _texts_of(pages: list[bytes]) -> list[str]:
    import trafilatura

    return [trafilatura.extract(page.decode("utf-8", "replace"), favor_precision=True) or "" for page in pages]


def real_sentences() -> list[str]:
    """The sentences of the extraction dev set's 472 real pages (trafilatura's text, 6 words or more), distinct."""
    cases = [json.loads(line) for line in (DEV / "cases.jsonl").read_text().splitlines() if line.strip()]
    pages = [gzip.decompress((DEV / c["page"]).read_bytes()) for c in cases]
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(cores) as pool:
        texts = [t for part in pool.map(_texts_of, [pages[i::cores] for i in range(cores)]) for t in part]
    found = (s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t))
    return list(dict.fromkeys(s for s in found if len(s.split()) >= 6))


def _stream_part(args: tuple[int, int, list[str] | None]) -> np.ndarray:
    """Signatures of `n` articles, each story followed by up to four outlets' copies (the test's copy editor).

    Stories: the test's wire generator (same topics, stock sentences: different stories share 5-20% of their
    values), or, given a pool of real sentences, 8-14 sentences drawn from it (different stories share little)."""
    seed, n, pool = args
    rng, out = random.Random(seed), []
    while len(out) < n:
        if pool is None:
            paragraphs = wire_story(rng)
        else:
            drawn = rng.sample(pool, rng.randint(8, 14))
            paragraphs = [" ".join(drawn[i:i + 2]) for i in range(0, len(drawn), 2)]
        for text in ["\n\n".join(paragraphs)] + [outlet_copy(rng, paragraphs) for _ in range(rng.randint(0, 4))]:
            sig = signature(text)
            if sig is not None:
                out.append(sig)
    return np.array(out[:n])


def stream(n: int, pool: list[str] | None) -> np.ndarray:
    parts = [(seed, min(5000, n - start), pool) for seed, start in enumerate(range(0, n, 5000))]
    with ProcessPoolExecutor(os.cpu_count()) as cpus:
        return np.concatenate(list(cpus.map(_stream_part, parts)))


def scan_match(index: StoryIndex, pre: np.ndarray, sig: np.ndarray, at: int) -> str | None:
    """StoryIndex._match as it was before the sorted keys: the pre-filter by a scan of a contiguous copy of every
    row's first PRE_PERMS values, then the same full comparison."""
    n = index._n
    near = _count_equal(pre[:n], np.ascontiguousarray(sig[:PRE_PERMS])) >= PRE_MIN
    near &= index._alive[:n] & (np.abs(index._at[:n] - at) <= index._window_us)
    rows = np.flatnonzero(near)
    if not rows.size:
        return None
    equal = np.count_nonzero(index._sigs[rows] == sig, axis=1)
    rows = rows[equal >= index.threshold * NUM_PERM]
    if not rows.size:
        return None
    return min((int(index._at[r]), index._story[r]) for r in rows)[1].decode()


def lookup(windows: list[int], corpus_name: str, queries: int = 1000) -> None:
    t0 = time.perf_counter()
    pool = real_sentences() if corpus_name == "real" else None
    sigs = stream(max(windows) + queries, pool)
    print(f"\nlookup, {corpus_name} corpus{f' ({len(pool)} real sentences)' if pool else ''}: {len(sigs)} signatures "
          f"made in {time.perf_counter() - t0:.0f} s")
    print(f"{'window':>7} {'scan ms':>8} {'keys ms':>8} {'speed-up':>8} {'assign ms':>9} {'candidates':>10} "
          f"{'joined':>6} {'same ids':>8} {'KB/article':>10} {'load':>9}")
    end = datetime(2024, 8, 27, tzinfo=UTC).timestamp() * 10**6
    rng = np.random.default_rng(5)
    for w in windows:
        # The window: w consecutive articles of the stream over 14 days; the new articles: `queries` of them
        # taken out at random, so most are copies of a story in the window, as in a run.
        chunk = sigs[-w - queries:]
        taken = np.zeros(len(chunk), dtype=bool)
        taken[rng.choice(len(chunk), queries, replace=False)] = True
        at = (end - 14 * 86400 * 10**6 * (1 - np.arange(len(chunk)) / len(chunk))).astype(np.int64)
        index = StoryIndex()
        ids = [f"{i:016x}" for i in np.flatnonzero(~taken)]
        index._append(ids, ids, at[~taken], chunk[~taken])
        index._merge()  # as StoryIndex.load leaves it
        pre = np.ascontiguousarray(index._sigs[:, :PRE_PERMS])
        new, times = chunk[taken], at[taken]
        load = os.getloadavg()[0]
        t = time.perf_counter()
        scanned = [scan_match(index, pre, sig, int(a)) for sig, a in zip(new, times, strict=True)]
        scan_s = time.perf_counter() - t
        t = time.perf_counter()
        found = [index._match(sig, int(a)) for sig, a in zip(new, times, strict=True)]
        keys_s = time.perf_counter() - t
        cands = np.mean([len(index._candidates(sig)) for sig in new[:200]])
        t = time.perf_counter()
        for i, (sig, a) in enumerate(zip(new, times, strict=True)):
            index.assign(f"n{i:015x}", "", datetime.fromtimestamp(a / 1e6, UTC), sig)
        assign_s = time.perf_counter() - t
        kb = sum(getattr(index, k).nbytes for k in ("_sigs", "_at", "_alive", "_idh", "_ids", "_story", "_keys"))
        print(f"{w:>7} {scan_s:>8.3f} {keys_s:>8.3f} {scan_s / keys_s:>7.1f}x {assign_s:>9.3f} {cands:>10.1f} "
              f"{sum(f is not None for f in found):>6} {'yes' if found == scanned else 'NO':>8} "
              f"{kb / len(index) / 1024:>10.2f} {f'{load:.1f}->{os.getloadavg()[0]:.1f}':>9}")
    print(f"(ms per new article = total s of the {queries}; assign = lookup + insert + merges, sorted keys; "
          "candidates = rows passing the pre-filter, per lookup)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--sweep", action="store_true", help="also print the threshold calibration table")
    parser.add_argument("--memory", type=int, default=0, metavar="N", help="also compare memory for N signatures")
    parser.add_argument("--lookup", default="", metavar="W,W,...", help="also time lookups at these window sizes")
    parser.add_argument("--corpus", default="real,wire", help="lookup corpora: real (sentences of the dev set's "
                        "pages), wire (the test's same-topic generator)")
    parser.add_argument("--only-lookup", action="store_true", help="skip the speed table")
    args = parser.parse_args()
    if not args.only_lookup:
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
    if args.lookup:
        for name in args.corpus.split(","):
            lookup([int(w) for w in args.lookup.split(",")], name)

if __name__ == "__main__":
    main()
