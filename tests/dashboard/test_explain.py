"""Spike markers and over-represented terms (the documented statistics of dashboard/explain.py)."""

import re
import unicodedata
from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard import explain
from dashboard.data import search
from tests.paths import SHARED_DATA


def series(values, gaps=()):
    rows = []
    for i, v in enumerate(values):
        gap = i in gaps
        rows.append({"bucket": date(2024, 1, 1) + timedelta(weeks=i), "kind": "person", "entity_id": "a",
                     "count": None if gap else v, "total": 0 if gap else 100, "value": float("nan") if gap else v,
                     "gap": gap})
    return pd.DataFrame(rows)


def test_a_jump_is_a_spike_and_a_flat_series_is_not():
    s = series([4, 5, 4, 6, 5, 4, 5, 30, 6])
    spikes = explain.spikes(s)
    assert list(spikes["value"]) == [30]
    assert explain.spikes(series([4, 5, 4, 6, 5, 4, 5, 6, 5])).empty


def test_small_counts_and_short_history_are_not_spikes():
    assert explain.spikes(series([0, 0, 0, 0, 0, 2])).empty  # fewer than SPIKE_MIN_COUNT articles
    assert explain.spikes(series([1, 1, 30])).empty  # fewer than SPIKE_MIN_HISTORY buckets before it


def test_gaps_are_skipped_not_counted_as_zero():
    s = series([5, 5, 5, 5, 0, 5, 5, 5, 40], gaps={4})
    assert list(explain.spikes(s)["value"]) == [40]


def test_tokens_drop_stopwords_numbers_and_keep_phrases():
    t = explain.tokens("The Ceasefire talks in Geneva resumed on 3 May; the ceasefire held.")
    assert "ceasefire" in t and "ceasefire talks" in t and "geneva" in t
    assert "the" not in t and "3" not in t and not any(w.isdigit() for w in t)


# Sentences with vowel signs, viramas, tone marks or accents written apart (NFD): each word is one token.
MARKED = [
    "प्रधानमंत्री हिन्दी समाचार पढ़ते",  # Hindi (Devanagari)
    "প্রধানমন্ত্রী বাংলা সংবাদপত্র",  # Bengali
    "முதலமைச்சர் தமிழ் செய்தித்தாள்",  # Tamil
    "મુખ્યમંત્રી ગુજરાતી સમાચાર",  # Gujarati
    "ข่าวเช้า วันนี้ นายกรัฐมนตรี",  # Thai (no spaces between its words: each run is one term, as in Chinese)
    "re\u0301sume\u0301 e\u0301lections",  # French written apart (NFD)
    "𑄌𑄋𑄴𑄟𑄳𑄦 𑄞𑄌𑄴",  # Chakma: marks beyond the BMP
]


@pytest.mark.parametrize("text", MARKED)
def test_a_vowel_sign_a_virama_or_an_accent_written_apart_is_part_of_its_word(text):
    """Python's \\w leaves combining marks out: before, these words came out in pieces, most under three letters
    (a Hindi, Bengali or Tamil spike had no term at all)."""
    words = [unicodedata.normalize("NFC", w).lower() for w in text.split()]
    assert explain.tokens(text)[:len(words)] == words
    assert explain.tokens(text)[len(words):] == [a + " " + b for a, b in zip(words, words[1:], strict=False)]
    assert search._tokens(search.nfc(text)) == words  # the text index and its scan cut words the same way
    assert search._tokens(text) == [w.lower() for w in text.split()]  # whole, in the form written, too


def test_a_word_written_composed_or_decomposed_is_one_term():
    """"résumé" typed (NFC) and written as letters followed by combining accents (NFD, as macOS writes text) are
    one word: before, they were two terms, each with half the count."""
    nfd = "Le re\u0301sume\u0301 du cafe\u0301 de Zu\u0308rich."
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfc != nfd and search.nfc(nfd) == nfc and search.nfc(nfc) is nfc
    counts = explain.term_counts([nfd, nfc, nfc.upper()])
    assert counts["résumé"] == counts["café"] == counts["zürich"] == 3
    assert counts["résumé café"] == 3 and not any(unicodedata.normalize("NFC", t) != t for t in counts)


def test_the_word_pattern_holds_every_combining_mark_unicode_has():
    """explain.py scans planes 0, 1 and 14 for marks: this checks that no other plane holds one."""
    marks = re.compile(f"[{explain.MARKS_BMP}{explain.MARKS_ASTRAL}]")
    every = [c for c in range(0x110000) if unicodedata.category(chr(c))[0] == "M"]
    assert len(every) > 2000 and all(marks.fullmatch(chr(c)) for c in every)


def test_words_with_marks_on_real_pages_come_out_whole():
    """Every word of the dev sets' real pages (paragraph text, split at spaces and punctuation) that holds a
    combining mark and is made of letters and marks only: one word, one token, for the terms and the text index.
    (The words are gathered as `make bench-terms` gathers them.)"""
    from benchmarks.terms import marked_words

    found = marked_words()
    if not found:
        pytest.skip(f"{SHARED_DATA} holds no dev set")
    seen = sum(found.values())
    scripts = {s for s, _ in found}
    whole = sum(n for (_, w), n in found.items() if explain.words(w) == [w] and search._tokens(w) == [w.lower()])
    assert seen > 500 and len(scripts) >= 3, (seen, scripts)
    assert whole == seen


def test_over_represented_finds_the_planted_term():
    base = explain.term_counts(["talks on trade and energy in the capital"] * 40)
    target = explain.term_counts(["hostage deal agreed after talks on trade"] * 10)
    out = explain.over_represented(target, base)
    assert out.iloc[0]["term"] in {"hostage", "deal", "agreed", "hostage deal", "deal agreed"}
    assert "trade" not in set(out["term"])  # as common before as now
    assert (out["z"] >= explain.TERM_Z).all()
    assert explain.over_represented(Counter(), base).empty
    excluded = explain.over_represented(target, base, exclude=["hostage"])
    assert not any("hostage" in t for t in excluded["term"])


def _over_represented_one_by_one(target: Counter, baseline: Counter) -> list[tuple[str, float, int, int]]:
    """Every term's row as `over_represented` made them before it scored them with numpy: one by one, in Python,
    the threshold and the order applied, no limit, no exclusion."""
    import math

    n_t, n_b = sum(target.values()), sum(baseline.values())
    rows = []
    for term, y_t in target.items():
        if y_t < explain.TERM_MIN_COUNT:
            continue
        y_b = baseline.get(term, 0)
        a = explain.PRIOR_SIZE * (y_t + y_b) / (n_t + n_b)
        lo_t = math.log((y_t + a) / (n_t + explain.PRIOR_SIZE - y_t - a))
        lo_b = (math.log((y_b + a) / (n_b + explain.PRIOR_SIZE - y_b - a)) if n_b
                else math.log(a / (explain.PRIOR_SIZE - a)))
        z = (lo_t - lo_b) / math.sqrt(1 / (y_t + a) + 1 / (y_b + a))
        if z >= explain.TERM_Z:
            rows.append((term, round(z, 2), int(y_t), int(y_b)))
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def test_over_represented_lists_what_scoring_one_by_one_listed():
    """Real prose (the repository's docs, paragraph by paragraph) cut into a selection and a baseline in several
    ways, with and without a baseline: the same terms, z-scores and counts, in the same order, as before numpy."""
    from tests.paths import REPO

    paras = [p for f in sorted((REPO / "docs").glob("*.md")) for p in f.read_text().split("\n\n") if p.strip()]
    assert len(paras) > 500
    listed = []
    for target, baseline in [(paras[::2], paras[1::2]), (paras[:50], paras[50:]), (paras[-60:], paras[:-60]),
                             (paras[::7], paras[:3]), (paras[::3], [])]:
        t, b = explain.term_counts(target), explain.term_counts(baseline)
        want = _over_represented_one_by_one(t, b)
        got = explain.over_represented(t, b, n=len(want) + 10)
        assert list(got.itertuples(index=False, name=None)) == want
        listed.append(len(want))
    assert sum(n > 40 for n in listed) >= 3, listed


def test_a_term_that_is_all_of_both_sides_words_is_no_error():
    """A selection whose texts hold one word, with no baseline: its log-odds are undefined (they divided by zero)."""
    assert explain.over_represented(Counter({"ceasefire": 2}), Counter()).empty
    terms, n, n_base = explain.explain_selection({"a": "Ceasefire.", "b": "Ceasefire!"}, {})
    assert terms.empty and (n, n_base) == (2, 0)


def test_selected_entities_groups_buckets_per_entity():
    from dashboard.data.selection import PointKey

    pts = [PointKey("person", "a", date(2024, 2, 5)), PointKey("topic", "t", date(2024, 1, 29)),
           PointKey("person", "a", date(2024, 1, 29)), PointKey("person", "a", date(2024, 2, 5))]
    assert explain.selected_entities(pts) == {("person", "a"): [date(2024, 1, 29), date(2024, 2, 5)],
                                              ("topic", "t"): [date(2024, 1, 29)]}


def test_baseline_window_precedes_each_entitys_earliest_selected_bucket():
    from dashboard.data.selection import PointKey

    pts = [PointKey("person", "a", date(2024, 3, 4)), PointKey("person", "a", date(2024, 2, 5)),
           PointKey("topic", "t", date(2024, 3, 4))]
    got = explain.baseline_windows(pts, "week")
    days = explain.BASELINE_DAYS["week"]
    assert got == [("person", "a", date(2024, 2, 5) - timedelta(days=days), date(2024, 2, 5)),
                   ("topic", "t", date(2024, 3, 4) - timedelta(days=days), date(2024, 3, 4))]
    assert explain.baseline_windows(pts, "month")[0][2] == date(2024, 2, 5) - timedelta(days=182)


def test_explain_selection_uses_the_union_of_points_each_article_once():
    # Two selected points: "hostage" is new in one, "flood" in the other; a single-point explanation would
    # find only one of them.
    target = {**{f"x{i}": "hostage deal agreed" for i in range(6)},
              **{f"y{i}": "flood warning issued" for i in range(6)}}
    baseline = {f"b{i}": "budget talks on trade and energy" for i in range(40)}
    terms, n_t, n_b = explain.explain_selection(target, baseline)
    assert (n_t, n_b) == (12, 40)
    found = set(terms["term"])
    assert {"hostage", "flood"} <= found and "trade" not in found
    # an article both selected and in a baseline window counts on the selection's side only
    _, n_t, n_b = explain.explain_selection(target, {**baseline, "x1": "hostage deal agreed"})
    assert (n_t, n_b) == (12, 40)
    assert int(terms.loc[terms["term"] == "hostage", "in_selection"].iloc[0]) == 6  # once per article
    excluded, _, _ = explain.explain_selection(target, baseline, exclude=["flood"])
    assert not any("flood" in t for t in excluded["term"])


def _tokens_word_by_word(text: str) -> list[str]:
    """The definition `explain.tokens` had before it lower-cased the whole text at once: each word lower-cased
    and stripped of apostrophes and hyphens at its ends."""
    kept = [w for w in (x.lower().strip("'’-") for x in explain.words(search.nfc(text)))
            if len(w) > 2 and w not in explain.STOPWORDS]
    return kept + [a + " " + b for a, b in zip(kept, kept[1:], strict=False)]


def test_lower_casing_the_whole_text_gives_the_words_lower_cased_one_by_one():
    """Every assigned character of Unicode inside a word, at its start, at its end and alone: the words found in the
    lower-cased text are the words found in the text, each lower-cased (a character whose lower case changed its
    kind, or its length across a word's edge, would split or join words)."""
    # (unassigned, private-use and surrogate code points left out: no case, never a word's part)
    chars = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) not in ("Cn", "Co", "Cs")]
    for i in range(0, len(chars), 4096):
        text = " ".join(f"Ab{c}Cd {c}Xyz Qrs{c} {c}{c}{c} O'{c}-K" for c in chars[i:i + 4096])
        assert explain.tokens(text) == _tokens_word_by_word(text), f"from U+{ord(chars[i]):04X}"


def test_term_counts_are_the_counts_of_the_tokens():
    docs = [*MARKED, "The Ceasefire talks in Geneva resumed on 3 May; the ceasefire held.",
            "Talks in Geneva: the ceasefire talks resumed. Ceasefire talks again!", "", "İstanbul'da Straße ǅemal"]
    expected: Counter = Counter()
    for d in docs:
        expected.update(explain.tokens(d))
    assert explain.term_counts(docs) == expected
    assert explain.term_counts(docs[-2:]) == Counter(_tokens_word_by_word(docs[-2])) + Counter(
        _tokens_word_by_word(docs[-1]))
