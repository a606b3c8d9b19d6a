"""Spike markers and over-represented terms (the documented statistics of dashboard/explain.py)."""

from collections import Counter
from datetime import date, timedelta

import pandas as pd

from dashboard import explain


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
