"""Plotly selection events (as Streamlit hands them over) → point and pair keys."""

from datetime import date, timedelta

import pytest

from dashboard.data.selection import PairKey, PointKey, point_custom_data, selected_pairs, selected_points


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


def test_points_round_trip_through_the_url_parameter():
    from dashboard.data.selection import decode_points, encode_points

    pts = [PointKey("person", "alice-example", date(2024, 1, 8)), PointKey("topic", "cease:fire", date(2024, 2, 1))]
    raw = encode_points(pts)
    assert raw == "person:alice-example:2024-01-08,topic:cease:fire:2024-02-01"
    assert decode_points(raw) == pts


@pytest.mark.parametrize("raw", [None, "", "person", "person:alice", "nobody:alice:2024-01-08",
                                 "person::2024-01-08", "person:alice:2024-13-01", "person:alice:x"])
def test_malformed_url_selection_is_ignored(raw):
    from dashboard.data.selection import decode_points

    assert decode_points(raw) == []


def test_url_selection_keeps_the_good_items_and_drops_duplicates():
    from dashboard.data.selection import decode_points

    got = decode_points("person:a:2024-01-01,bogus,person:a:2024-01-01,topic:t:2024-01-08")
    assert got == [PointKey("person", "a", date(2024, 1, 1)), PointKey("topic", "t", date(2024, 1, 8))]


def test_pairs_round_trip_through_the_url_parameter():
    from dashboard.data.selection import PairKey, decode_pairs, encode_pairs

    pairs = [PairKey("alice-example", "bob-sample"), PairKey("bob-sample", "carol-test")]
    raw = encode_pairs(pairs)
    assert raw == "alice-example:bob-sample,bob-sample:carol-test"
    assert decode_pairs(raw) == pairs


@pytest.mark.parametrize("raw", [None, "", "alice", "a:a", ":b", "a:", "a:b:c", ",,"])
def test_malformed_url_pairs_are_ignored(raw):
    from dashboard.data.selection import decode_pairs

    assert decode_pairs(raw) == []


def test_url_pairs_are_ordered_and_deduplicated():
    from dashboard.data.selection import PairKey, decode_pairs

    assert decode_pairs("b:a,a:b,x:x,c:a") == [PairKey("a", "b"), PairKey("a", "c")]


def test_url_selections_are_capped_after_dropping_bad_items_and_duplicates():
    from dashboard.data.selection import MAX_URL_POINTS, decode_pairs, decode_points

    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(MAX_URL_POINTS + 50)]
    raw = ",".join(["bogus", "person:a:2020-01-01"] + [f"person:a:{d.isoformat()}" for d in days])
    got = decode_points(raw)
    assert len(got) == MAX_URL_POINTS and got[0] == PointKey("person", "a", days[0]) and got[-1].bucket == days[-51]
    pairs = decode_pairs(",".join(["x:x", "a:p0", "p0:a"] + [f"a:p{i}" for i in range(MAX_URL_POINTS + 50)]))
    assert len(pairs) == MAX_URL_POINTS and pairs[:2] == [PairKey("a", "p0"), PairKey("a", "p1")]
