from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from datasketch import MinHash

from ingest.store import stories
from ingest.store.parquet import Store
from ingest.store.stories import (
    NO_SIGNATURE,
    NUM_PERM,
    PRE_MIN,
    PRE_PERMS,
    SEED,
    THRESHOLD,
    StoryIndex,
    _count_equal,
    minhash_of,
    prune_signatures,
    shingle_hashes,
    signature,
    signatures_dir,
    similarity,
)

# --- a labelled set: wire stories, their copies at other outlets, and other stories on the same topics -----------

PEOPLE = ["Olena Kovalenko", "Mark Hansen", "Amira Haddad", "Pavel Sokolov", "Ines Moreau", "David Levi",
          "Yuki Tanaka", "Sergei Orlov", "Leila Nasser", "Tomasz Nowak", "Grace Mensah", "Karim Aziz"]
PLACES = ["Kyiv", "Kharkiv", "Odesa", "Moscow", "Gaza City", "Rafah", "Jerusalem", "Beirut", "Brussels", "Geneva",
          "Ankara", "Doha", "Cairo", "Warsaw", "Vienna"]
TOPICS = ["the ceasefire", "a prisoner exchange", "grain exports", "humanitarian corridors", "energy supplies",
          "the release of hostages", "air defence systems", "sanctions relief", "reconstruction funding"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TEMPLATES = [
    "{p1} met {p2} in {c1} on {d} to discuss {t}.",
    "Officials in {c1} said {n} people had been evacuated overnight after strikes near {c2}.",
    "{p1} told reporters that talks on {t} would continue in {c2} next week.",
    "According to a statement released by the office of {p2}, {n} trucks crossed into {c1} on {d}.",
    "The meeting in {c2} ended without agreement on {t}, two diplomats familiar with the talks said.",
    "{p1} accused {p2} of delaying progress on {t} and said {c1} would not accept new conditions.",
    "Local authorities in {c1} reported {n} injuries and damage to a school and a power station.",
    "A spokesperson for {p2} said {t} remained the priority and that a deal was possible by {d}.",
    "Residents of {c2} described long queues for water and fuel as the shelling continued on {d}.",
    "{p1} is expected to travel to {c1} later this month, according to two officials in {c2}.",
]
# Stock sentences every story on these topics may use: they make "same topic, different story" pairs overlap.
STOCK = [
    "The ministry of defence said in a statement that its forces had repelled the attack.",
    "The claims could not be independently verified.",
    "The United Nations has repeatedly called for an immediate end to the fighting.",
    "Talks mediated by Qatar, Egypt and the United States have stalled in recent weeks.",
    "The Kremlin did not immediately respond to a request for comment.",
    "Humanitarian agencies have warned that the situation on the ground is catastrophic.",
    "The war has displaced millions of people and destroyed much of the country's infrastructure.",
    "Western allies have pledged further military and financial support.",
    "Both sides have accused each other of violating previous agreements.",
    "The European Union is preparing a new package of sanctions, diplomats said.",
    "Prices for food and fuel have risen sharply since the start of the conflict.",
    "Independent journalists have been barred from entering the area.",
]
FURNITURE = ["Sign up for our morning newsletter to get the day's top stories.",
             "Read more: the latest on the war, in maps and charts.",
             "Photo: Wire Photo Service / Staff photographer",
             "This story has been updated with additional reporting."]


def _sentence(rng: random.Random, template: str) -> str:
    p1, p2 = rng.sample(PEOPLE, 2)
    c1, c2 = rng.sample(PLACES, 2)
    return template.format(p1=p1, p2=p2, c1=c1, c2=c2, t=rng.choice(TOPICS), d=rng.choice(DAYS), n=rng.randint(3, 900))


def wire_story(rng: random.Random) -> list[str]:
    """8-12 paragraphs of two sentences: mostly story-specific facts, some stock wire sentences."""
    paragraphs = []
    for _ in range(rng.randint(8, 12)):
        parts = [_sentence(rng, rng.choice(TEMPLATES)) if rng.random() > 0.25 else rng.choice(STOCK) for _ in range(2)]
        paragraphs.append(" ".join(parts))
    return paragraphs


def outlet_copy(rng: random.Random, paragraphs: list[str]) -> str:
    """The same wire story as another outlet runs it: own dateline, furniture, trimmed or extended, copy-edited."""
    paras = list(paragraphs)
    if rng.random() < 0.6:
        paras = paras[: len(paras) - rng.randint(1, 3)]  # trimmed from the bottom to fit
    if rng.random() < 0.5:
        paras.insert(rng.randint(1, len(paras)), _sentence(rng, rng.choice(TEMPLATES)))  # a local paragraph
    for day in DAYS:  # house style: "said on Tuesday" -> "said Tuesday"
        paras = [p.replace(f"on {day}", day) for p in paras] if rng.random() < 0.3 else paras
    words = " ".join(paras).split(" ")
    for i in rng.sample(range(len(words)), len(words) // 40):  # light copy-editing: 2.5% of words changed
        words[i] = rng.choice(["reportedly", "also", "the", "officials", "late", "new"])
    text = " ".join(words)
    dateline = f"{rng.choice(PLACES).upper()} ({rng.choice(['Wire', 'AFP', 'Reuters', 'AP'])}) - "
    furniture = rng.sample(FURNITURE, rng.randint(1, 3))
    return "\n\n".join([dateline + text, *furniture])


def labelled_set(stories: int = 60, copies: int = 5, seed: int = 7):
    rng = random.Random(seed)
    originals = [wire_story(rng) for _ in range(stories)]
    texts = {f"s{i}": "\n\n".join(p) for i, p in enumerate(originals)}
    same = []
    for i, paras in enumerate(originals):
        for j in range(copies):
            texts[f"s{i}c{j}"] = outlet_copy(rng, paras)
            same.append((f"s{i}", f"s{i}c{j}"))
    different = [(f"s{i}", f"s{j}") for i in range(stories) for j in range(i + 1, stories)]
    return texts, same, different


def jaccard(a: str, b: str) -> float:
    x, y = set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist())
    return len(x & y) / len(x | y)


# --- tests ----------------------------------------------------------------------------------------------------------

def test_signature_equals_datasketch_minhash() -> None:
    hashes = shingle_hashes("The ceasefire talks in Doha resumed on Tuesday after a pause of two weeks. " * 3)
    reference = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=lambda x: x)
    reference.update_batch([int(h) for h in hashes])
    assert np.array_equal(minhash_of(hashes), reference.hashvalues)


def test_short_texts_have_no_signature() -> None:
    assert signature("Too short to judge.") is None
    assert signature(" ".join(f"w{i}" for i in range(30))) is not None


def test_threshold_separates_copies_from_same_topic_stories() -> None:
    """The calibration behind THRESHOLD (see its comment): exact Jaccard of both kinds of pair, with a margin."""
    texts, same, different = labelled_set()
    same_j = [jaccard(texts[a], texts[b]) for a, b in same]
    diff_j = [jaccard(texts[a], texts[b]) for a, b in different]
    assert len(same_j) == 300 and len(diff_j) == 1770
    assert min(same_j) > THRESHOLD + 0.05, f"copies: {min(same_j):.2f}-{max(same_j):.2f}"
    assert max(diff_j) < THRESHOLD - 0.1, f"different stories: {min(diff_j):.2f}-{max(diff_j):.2f}"
    assert max(diff_j) > 0  # the different stories really share topic material


def test_index_clusters_the_labelled_set() -> None:
    texts, same, different = labelled_set()
    t0 = datetime(2024, 8, 13, tzinfo=UTC)
    index = StoryIndex()
    order = sorted(texts)  # s0, s0c0, ... : originals come first in their cluster
    stories = {aid: index.assign(aid, texts[aid], t0 + timedelta(minutes=n)) for n, aid in enumerate(order)}
    wrong_same = sum(stories[b] != stories[a] for a, b in same)
    wrong_diff = sum(stories[a] == stories[b] for a, b in different)
    assert (wrong_same, wrong_diff) == (0, 0)
    assert all(stories[f"s{i}"] == f"s{i}" for i in range(60))  # an original is its own story


def test_signatures_computed_elsewhere_give_the_same_stories() -> None:
    """The ingest's workers send each article's signature (NO_SIGNATURE when too short): same story ids."""
    texts, _, _ = labelled_set(stories=20, copies=3)
    texts |= {"brief1": "Too short to judge.", "brief2": "Too short to judge."}
    t0 = datetime(2024, 8, 13, tzinfo=UTC)
    here, given = StoryIndex(), StoryIndex()
    for n, aid in enumerate(sorted(texts)):
        sig = signature(texts[aid])
        sent = NO_SIGNATURE if sig is None else sig
        when = t0 + timedelta(minutes=n)
        assert here.assign(aid, texts[aid], when) == given.assign(aid, "", when, minhash=sent), aid
    assert len(here) == len(given) == 80
    assert given.assign("brief2", "", t0, minhash=NO_SIGNATURE) == "brief2"  # too short: its own story


def test_story_id_is_the_earliest_article_and_window_applies() -> None:
    texts, _, _ = labelled_set(stories=2, copies=2)
    t0 = datetime(2024, 8, 13, tzinfo=UTC)
    index = StoryIndex(window_days=14)
    assert index.assign("late", texts["s0c0"], t0 + timedelta(hours=5)) == "late"
    assert index.assign("early", texts["s0"], t0) == "late"  # stored story ids never change
    assert index.assign("copy", texts["s0c1"], t0 + timedelta(hours=1)) == "late"
    assert index.assign("other", texts["s1"], t0) == "other"
    assert index.assign("copy", "anything", t0) == "late"  # assigned once, remembered
    assert index.assign("much-later", texts["s1c0"], t0 + timedelta(days=30)) == "much-later"  # outside the window


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    texts, _, _ = labelled_set(stories=3, copies=1)
    store = Store(tmp_path / "store")
    store.init()
    now = datetime.now(UTC)
    index = StoryIndex()
    assert index.assign("a", texts["s0"], now - timedelta(days=1)) == "a"
    assert index.assign("old", texts["s1"], now - timedelta(days=40)) == "old"
    path = index.save(store, "part-x.parquet")
    assert path == signatures_dir(store) / "part-x.parquet" and index.save(store) is None  # nothing pending
    assert pq.read_table(path).num_rows == 2
    again = StoryIndex.load(store, window_days=14)
    assert len(again) == 1  # "old" is outside the window
    assert again.assign("b", texts["s0c0"], now) == "a"
    assert again.assign("c", texts["s2"], now) == "c"
    again.save(store)
    assert len(list(signatures_dir(store).glob("*.parquet"))) == 2
    assert not list(signatures_dir(store).glob(".*"))  # no temporaries left
    assert len(StoryIndex.load(store)) == 3
    assert len(StoryIndex.load(Store(tmp_path / "empty"))) == 0


def test_memory_is_bounded_by_the_window() -> None:
    rng = random.Random(3)
    index = StoryIndex(window_days=2)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(400):
        index.assign(f"a{i}", " ".join(rng.choice(PEOPLE + PLACES) for _ in range(60)), t0 + timedelta(hours=i))
    assert len(index) <= 4 * 24 + 1  # two windows of hourly articles


@pytest.mark.parametrize(("a", "b", "expected"), [
    (np.array([1, 2, 3, 4], dtype=np.uint32), np.array([1, 2, 0, 0], dtype=np.uint32), 0.5),
    (np.array([5, 5], dtype=np.uint32), np.array([5, 5], dtype=np.uint32), 1.0),
])
def test_similarity(a: np.ndarray, b: np.ndarray, expected: float) -> None:
    assert similarity(a, b) == expected


def test_count_equal_matches_numpy() -> None:
    rng = np.random.default_rng(5)
    rows = rng.integers(0, 4, (500, PRE_PERMS), dtype=np.uint32)
    values = rng.integers(0, 4, PRE_PERMS, dtype=np.uint32)
    assert np.array_equal(_count_equal(rows, values), np.count_nonzero(rows == values, axis=1))


def test_index_grows_and_compacts_past_its_first_block() -> None:
    rng = np.random.default_rng(9)
    index = StoryIndex(window_days=1)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32)
    for i in range(3000):  # one article a minute for ~2 days; every 100th is a copy of article 0's story
        sig = base.copy() if i % 100 == 0 else rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32)
        story = index.assign(f"a{i}", "", t0 + timedelta(minutes=i), sig)
        assert story == ("a0" if i % 100 == 0 else f"a{i}")  # copies chain through the window to the first
    assert len(index) <= 2 * 24 * 60 + 1
    assert index.assign("a2999", "", t0, None) == "a2999"  # still known after compaction


def test_prune_merges_signature_files_and_drops_old_rows(tmp_path: Path) -> None:
    texts, _, _ = labelled_set(stories=4, copies=1)
    store = Store(tmp_path / "store")
    now = datetime.now(UTC)
    index = StoryIndex()
    for n, (aid, age) in enumerate([("s0", 1), ("s1", 2), ("s2", 30), ("s3", 3)]):
        index.assign(aid, texts[aid], now - timedelta(days=age))
        index.save(store, f"part-{n}.parquet")
    with store.writer() as writer:
        assert prune_signatures(writer) == (4, 3)
        assert prune_signatures(writer) == (1, -1)  # nothing to merge
    files = list(signatures_dir(store).glob("*"))
    assert len(files) == 1 and pq.read_table(files[0]).num_rows == 3
    again = StoryIndex.load(store)
    assert len(again) == 3 and again.assign("copy", texts["s1c0"], now) == "s1"


# --- the sorted keys find exactly what a scan of every row finds ----------------------------------------------------

class ScanIndex(StoryIndex):
    """The lookup as it was before the sorted keys: the pre-filter applied to every row by a scan. The reference
    the index must equal (here) and the baseline of `benchmarks/stories.py --lookup`."""

    def _candidates(self, sig: np.ndarray) -> np.ndarray:
        pre = np.ascontiguousarray(sig[:PRE_PERMS])
        return np.flatnonzero(_count_equal(self._sigs[: self._n, :PRE_PERMS], pre) >= PRE_MIN)


@pytest.fixture
def small_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merge the newest rows into the sorted keys every few rows, so that lookups go through both parts."""
    monkeypatch.setattr(stories, "BUFFER_ROWS", 8)
    monkeypatch.setattr(stories, "BUFFER_PER_SQRT", 0.5)


def _live_candidates(index: StoryIndex, sig: np.ndarray) -> set[int]:
    rows = index._candidates(sig)
    return {int(r) for r in rows[index._alive[rows]]}


def test_index_equals_a_scan_on_the_labelled_set(small_buffer: None) -> None:
    texts, _, _ = labelled_set(stories=40, copies=4, seed=3)
    t0 = datetime(2024, 8, 13, tzinfo=UTC)
    index, scan = StoryIndex(), ScanIndex()
    for n, aid in enumerate(sorted(texts, key=lambda a: (a[-1], a))):  # copies of a story before and after it
        sig = signature(texts[aid])
        assert _live_candidates(index, sig) == _live_candidates(scan, sig)
        when = t0 + timedelta(minutes=n)
        assert index.assign(aid, "", when, sig) == scan.assign(aid, "", when, sig), aid
    assert index._indexed > 100  # most rows were found through the sorted keys


def _near_copy(rng: np.random.Generator, base: np.ndarray, keep: int, keep_pre: int) -> np.ndarray:
    """A signature equal to `base` at `keep_pre` of the first PRE_PERMS positions and `keep` positions in all."""
    sig = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32)
    same = np.concatenate([rng.choice(PRE_PERMS, keep_pre, replace=False),
                           PRE_PERMS + rng.choice(NUM_PERM - PRE_PERMS, keep - keep_pre, replace=False)])
    sig[same] = base[same]
    return sig


def test_index_equals_a_scan_at_the_edges(small_buffer: None) -> None:
    """Copies at the pre-filter's and the threshold's edges (3-5 of the first 32 values, 40-42 of 128 equal), ids
    seen twice, times over seven windows and out of order (evictions, compactions): the same candidates and ids."""
    rng = np.random.default_rng(17)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    index, scan = StoryIndex(window_days=1), ScanIndex(window_days=1)
    bases = [rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32) for _ in range(40)]
    joined = 0
    for i in range(1500):
        base = bases[rng.integers(len(bases))]
        sig = base if rng.random() < 0.1 else _near_copy(rng, base, int(rng.integers(40, 43)), int(rng.integers(3, 6)))
        aid = f"a{rng.integers(i + 1)}" if rng.random() < 0.05 else f"a{i}"  # now and then an id seen before
        when = t0 + timedelta(minutes=4 * i + int(rng.integers(-24 * 60, 24 * 60)))  # ~7 days, a day out of order
        assert _live_candidates(index, sig) == _live_candidates(scan, sig)
        got = index.assign(aid, "", when, sig)
        assert got == scan.assign(aid, "", when, sig), i
        joined += got != aid
        assert len(index) == len(scan)
    assert joined > 300 and index._indexed > 0
    assert index._n < 1200  # evicted rows were compacted away


def test_ids_of_any_length_and_script_are_found_again() -> None:
    rng = np.random.default_rng(2)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    index = StoryIndex()
    base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32)
    long_id = "статья-" + "x" * 40
    assert index.assign("a", "", t0, base) == "a"
    assert index.assign(long_id, "", t0, base) == "a"
    assert index.assign("b" * 30, "", t0, base.copy()) == "a"
    index._merge()
    assert index.assign(long_id, "", t0, None) == "a" and index._find(long_id) == 1
    assert index._find("a" * 17) is None and len(index) == 3


def test_load_keeps_the_first_of_a_row_written_twice(tmp_path: Path) -> None:
    texts, _, _ = labelled_set(stories=2, copies=1)
    store = Store(tmp_path / "store")
    now = datetime.now(UTC)
    first = StoryIndex()
    first.assign("x", texts["s0"], now - timedelta(days=1))
    first.save(store, "part-1.parquet")
    second = StoryIndex()  # the re-run after a crash between the signatures and the articles file
    second.assign("x", texts["s1"], now - timedelta(days=1))
    second.assign("y", texts["s1c0"], now)
    second.save(store, "part-2.parquet")
    again = StoryIndex.load(store)
    assert len(again) == 2
    assert again.assign("z", texts["s0c0"], now) == "x"  # x's first signature (s0) counts
