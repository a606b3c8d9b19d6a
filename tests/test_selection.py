"""Plotly selection events (as Streamlit hands them over) → point and pair keys."""

from datetime import date

import pytest

from dashboard.selection import PairKey, PointKey, point_custom_data, selected_pairs, selected_points


def event(*customdata):
    return {"selection": {"points": [{"curve_number": 0, "point_index": i, "x": "2024-01-08", "y": 3,
                                      "customdata": cd} for i, cd in enumerate(customdata)],
                          "point_indices": [], "box": [], "lasso": []}}


class Attr:  # Streamlit returns attribute-style objects too
    def __init__(self, d):
        self.selection = type("S", (), {"points": d["selection"]["points"]})()


@pytest.mark.parametrize("wrap", [lambda e: e, Attr])
def test_points_from_customdata(wrap):
    ev = wrap(event(["person", "alice", "2024-01-08", 3, 9], ["topic", "ceasefire", "2024-01-15T00:00:00"]))
    assert selected_points(ev) == [PointKey("person", "alice", date(2024, 1, 8)),
                                   PointKey("topic", "ceasefire", date(2024, 1, 15))]


@pytest.mark.parametrize("ev", [
    None, {}, {"selection": None}, {"selection": {"points": []}},
    event(["coverage", "2024-01-08"]),  # a coverage bar
    event(None), event("person"), event(["person", "alice", "not a date"]),
])
def test_ignored(ev):
    assert selected_points(ev) == []


def test_box_selection_dedupes_in_order():
    cd = point_custom_data("person", "bob", date(2024, 2, 5))
    ev = event(cd, ["person", "alice", "2024-01-01"], cd)
    assert selected_points(ev) == [PointKey("person", "bob", date(2024, 2, 5)),
                                   PointKey("person", "alice", date(2024, 1, 1))]


def test_pairs_are_ordered_and_deduped():
    ev = event(["bob", "alice", 3], ["alice", "bob", 3], ["carol", "carol", 1], ["x"])
    assert selected_pairs(ev) == [PairKey("alice", "bob")]
