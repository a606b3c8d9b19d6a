"""Figure builders: keys in custom_data, gaps as breaks, coverage underneath, no streamlit."""

import sys
from datetime import date

import pandas as pd

from dashboard import charts
from dashboard.data import series
from dashboard.data.filters import Filters


def _series(f):
    counts = pd.DataFrame({"bucket": pd.to_datetime(["2024-01-01", "2024-01-15"]), "kind": "person",
                           "entity_id": "a", "articles": [2, 5], "mentions": [3, 9]})
    cov = pd.DataFrame({"bucket": pd.to_datetime(["2024-01-01", "2024-01-15"]), "total": [10, 20]})
    return series.assemble(counts, cov, f, date(2024, 1, 1), date(2024, 1, 21))


def test_timeline_traces_carry_keys_and_break_at_gaps():
    f = Filters(people=("a",), topics=("t",), bucket="week")
    s = _series(f)
    fig = charts.timeline_figure(s, {("person", "a"): "Anna"}, f, title="T")
    lines = [t for t in fig.data if t.type == "scatter"]
    assert [t.name for t in lines] == ["Anna", "t"]
    assert lines[0].mode == "lines+markers" and lines[0].connectgaps is False
    assert [list(c[:3]) for c in lines[0].customdata] == [
        ["person", "a", "2024-01-01"], ["person", "a", "2024-01-08"], ["person", "a", "2024-01-15"]]
    ys = list(lines[0].y)
    assert ys[0] == 2 and pd.isna(ys[1]) and ys[2] == 5  # the week of the 8th: nothing stored
    assert list(lines[1].y)[0] == 0  # stored articles, no mention: a real zero
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 1 and list(bars[0].y) == [10, 0, 20] and bars[0].customdata[0][0] == "coverage"
    assert any(sh.type == "rect" for sh in fig.layout.shapes)  # the gap is shaded


def test_share_axis_and_annotations_and_spikes():
    f = Filters(people=("a",), scale="share")
    s = _series(f)
    ann = pd.DataFrame({"day": [date(2024, 1, 10)], "label": ["<Summit>"]})
    spikes = s[s["value"] == s["value"].max()]
    fig = charts.timeline_figure(s, {}, f, spikes=spikes, annotations=ann)
    assert fig.layout.yaxis.tickformat == ".1%"
    assert any(t.name == "Spike" for t in fig.data)
    assert any("&lt;Summit&gt;" in a.text for a in fig.layout.annotations)


def test_co_mentions_matrix_is_symmetric_with_pair_keys():
    pairs = pd.DataFrame({"a": ["x", "x"], "b": ["y", "z"], "articles": [4, 1]})
    fig = charts.co_mentions_figure(pairs, {("person", "x"): "Xena"})
    cd = [tuple(c[:2]) for c in fig.data[0].customdata]
    assert ("x", "y") in cd and ("y", "x") in cd and len(cd) == 4
    assert "Xena" in fig.data[0].x


def test_charts_module_does_not_import_streamlit():
    import dashboard.charts  # noqa: F401
    import dashboard.data.queries  # noqa: F401

    src = open(charts.__file__).read() + open(sys.modules["dashboard.data.queries"].__file__).read()
    assert "import streamlit" not in src
