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
