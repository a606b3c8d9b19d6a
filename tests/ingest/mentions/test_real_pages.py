"""Names on real pages with a plain watchlist: the hand labels of tests/data/mentions_real_pages.jsonl meet the floors.

The labels reference pages of ../shared/data by path (no page text is in the repository); the test skips when that
folder is absent. Extracting the 641 pages takes about two minutes the first time; the texts are then cached in
~/.cache/newsmon per version of the extraction code (benchmarks/mentions_real.py).
"""

from __future__ import annotations

import json

import pytest

from tests.paths import REPO, SHARED_DATA

LABELS = REPO / "tests" / "data" / "mentions_real_pages.jsonl"
FLOORS = REPO / "tests" / "data" / "mentions_floors.json"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages() -> list[dict]:
    if not (SHARED_DATA / "extraction-dev" / "cases.jsonl").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}: the real-page labels cannot be checked")
    from benchmarks.mentions_real import load_labels, load_pages

    found, changed = load_pages(load_labels())
    # Extraction may change under the labels; each mention is then looked for again by its form and surroundings.
    assert len(changed) <= 0.05 * len(found), f"{len(changed)} labelled pages no longer extract as labelled: {changed[:5]}"
    return found


def test_labels_keep_no_page_text():
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        assert set(label) == {"page", "sha256", "split", "mentions"}
        for mentions in label["mentions"].values():
            for m in mentions:
                assert set(m) <= {"field", "start", "end", "form", "context", "named_after"}
                assert len(m["form"]) <= 40  # a name, not a passage


@pytest.mark.parametrize("split", ["dev", "holdout"])
def test_plain_watchlist_meets_the_floors_on_real_pages(pages, split):
    from benchmarks.mentions_real import PLAIN, matcher_finder, score
    from ingest.mentions.matcher import Matcher
    from ingest.mentions.watchlist import load_watchlist

    floors = json.loads(FLOORS.read_text(encoding="utf-8"))["real_pages"][split]
    got = score([p for p in pages if p["split"] == split], matcher_finder(Matcher(load_watchlist(PLAIN))))
    assert got["precision"] >= floors["precision"] - 1e-9, got["misses"]
    assert got["recall"] >= floors["recall"] - 1e-9, got["misses"]
    assert got["count_error"] <= floors["count_error"] + 1e-9


def test_the_baseline_and_a_naive_match_do_worse(pages):
    """The floors mean something: a naive exact match of the same names misses what the derived forms find."""
    from benchmarks.mentions_real import PLAIN, naive_finder, score
    from ingest.mentions.watchlist import load_watchlist

    naive = score(pages, naive_finder(load_watchlist(PLAIN)))
    floors = {k: v for k, v in json.loads(FLOORS.read_text(encoding="utf-8"))["real_pages"].items() if k != "about"}
    assert naive["recall"] < min(f["recall"] for f in floors.values())
    assert naive["count_error"] > max(f["count_error"] for f in floors.values())


def test_a_page_written_with_its_accents_apart_gets_the_same_mentions(pages):
    """Each real page written in NFD (an accent as its own character after the letter, a Hangul syllable as its
    jamo, as macOS writes text): the same mentions as the page in NFC, each span the NFD text's own slice.
    Before, "Erdog\u0306an" never met the watchlist's "Erdoğan" and the page lost its mention."""
    import unicodedata

    from benchmarks.mentions_real import PLAIN
    from ingest.mentions.matcher import Matcher
    from ingest.mentions.watchlist import load_watchlist

    matcher = Matcher(load_watchlist(PLAIN))
    nfc = unicodedata.normalize
    differ = names_apart = 0
    for p in pages:
        title, text = nfc("NFC", p["title"] or ""), nfc("NFC", p["text"] or "")
        d_title, d_text = nfc("NFD", title), nfc("NFD", text)
        if (d_title, d_text) == (title, text):
            continue
        differ += 1
        want = matcher.find(title, text)
        got = matcher.find(d_title, d_text)
        assert [(m.entity_id, m.field, m.rule) for m in got] == [(m.entity_id, m.field, m.rule) for m in want], p["page"]
        for g, w in zip(got, want, strict=True):
            written = d_title if g.field == "title" else d_text
            assert g.matched == written[g.start:g.end] and nfc("NFC", g.matched) == w.matched, p["page"]
        names_apart += sum(m.matched != nfc("NFD", m.matched) for m in want)
    assert differ >= 100 and names_apart >= 5, (differ, names_apart)  # the set has accented pages and names
