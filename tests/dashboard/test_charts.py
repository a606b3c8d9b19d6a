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


def test_timeline_title_says_what_is_counted():
    """The title names what one point counts, in the same words as the axis (it said "Mentions over time" while
    the axis said "Articles per week")."""
    assert charts.timeline_title(Filters(people=("a",))) == "Articles mentioning each person, per week"
    assert charts.timeline_title(Filters(topics=("t",), bucket="month")) == "Articles mentioning each topic, per month"
    both = Filters(people=("a",), topics=("t",), measure="mentions", rolling=4)
    assert charts.timeline_title(both) == ("Mentions of each person or topic (every match in a title or text), "
                                           "per week, 4-week rolling average")
    assert charts.timeline_title(Filters(people=("a",), scale="share", bucket="day")) == (
        "Share of all articles stored that mention each person, per day")
    f = Filters(people=("a",))
    fig = charts.timeline_figure(_series(f), {}, f, title=charts.timeline_title(f))
    assert fig.layout.title.text.startswith("Articles") and fig.layout.yaxis.title.text == "Articles per week"


def test_partial_first_and_last_buckets_of_a_period():
    # Thursday 4 January to Wednesday 20 March: 4 days of the first week, 3 of the last; months: both partial.
    first, last = date(2024, 1, 4), date(2024, 3, 20)
    assert charts.partial_buckets(first, last, "week") == {
        date(2024, 1, 1): (date(2024, 1, 4), date(2024, 1, 7)), date(2024, 3, 18): (date(2024, 3, 18), last)}
    assert charts.partial_buckets(first, last, "month") == {
        date(2024, 1, 1): (first, date(2024, 1, 31)), date(2024, 3, 1): (date(2024, 3, 1), last)}
    assert charts.partial_buckets(date(2024, 1, 1), date(2024, 1, 21), "week") == {}  # whole weeks
    assert charts.partial_buckets(first, last, "day") == {}
    assert charts.partial_buckets(date(2024, 1, 2), date(2024, 1, 3), "week") == {
        date(2024, 1, 1): (date(2024, 1, 2), date(2024, 1, 3))}  # one bucket, partial at both ends: once


def test_partial_buckets_are_marked_on_the_timeline():
    f = Filters(people=("a",), bucket="week", start=date(2024, 1, 4), end=date(2024, 1, 17), preset="custom")
    s = _series(f)
    fig = charts.timeline_figure(s, {("person", "a"): "Anna"}, f, period=(f.start, f.end))
    line = fig.data[0]
    hollow = next(t for t in fig.data if t.name == "Partial")  # weeks of 1 and 15 January, not of 8 January
    assert [pd.Timestamp(x).date() for x in hollow.x] == [date(2024, 1, 1), date(2024, 1, 15)]
    assert hollow.hoverinfo == "skip" and list(hollow.marker.line.color) == [line.line.color] * 2
    assert "partial week: 4 days" in line.customdata[0][5] and line.customdata[1][5] == ""
    assert [a.text for a in fig.layout.annotations if a.text == "partial"] == ["partial", "partial"]
    whole = charts.timeline_figure(s, {}, f, period=(date(2024, 1, 1), date(2024, 1, 21)))
    assert not any(t.name == "Partial" for t in whole.data)
    assert not any(a.text == "partial" for a in whole.layout.annotations)


def test_the_lines_keep_one_marker_style_for_all_points():
    """Per-point marker arrays on every line made the browser style each point apart at every redraw (the
    Overview's person change went from 0.59 s to 1.03 s median at 1M): the partial points are a trace of their own."""
    f = Filters(people=("a", "b"), bucket="week", start=date(2024, 1, 4), end=date(2024, 1, 17), preset="custom")
    s = pd.concat([_series(f), _series(f).assign(entity_id="b")])
    fig = charts.timeline_figure(s, {("person", "a"): "Anna"}, f, period=(f.start, f.end))
    lines = [t for t in fig.data if t.type == "scatter" and t.customdata is not None and t.name != "Spike"]
    assert len(lines) == 2
    for t in lines:
        assert isinstance(t.marker.size, (int, float)) and not isinstance(t.marker.symbol, (list, tuple))


def test_co_mentions_scale_starts_at_zero_shows_counts_and_fits_its_people():
    pairs = pd.DataFrame({"a": ["x", "x", "y"], "b": ["y", "z", "z"], "articles": [100, 85, 3]})
    fig = charts.co_mentions_figure(pairs, {})
    m = fig.data[0].marker
    assert m.cmin == 0 and m.cmax == 100  # 85 of 100 is dark, not the palest colour of the scale
    assert list(fig.data[0].text)[:2] == ["100", "100"] and "85" in fig.data[0].text and "3" in fig.data[0].text
    assert m.size == charts.CELL - 6  # every square fills its cell, whatever its count
    # sized to its people: three people take three cells a side, twelve take twelve
    three = fig.layout.width - charts.MATRIX_MARGIN["l"] - charts.MATRIX_MARGIN["r"]
    ids = [f"p{i:02d}" for i in range(12)]
    many = pd.DataFrame({"a": ids[:-1], "b": ids[1:], "articles": range(1, 12)})
    big = charts.co_mentions_figure(many, {})
    assert three == 3 * charts.CELL
    assert big.layout.width - charts.MATRIX_MARGIN["l"] - charts.MATRIX_MARGIN["r"] == 12 * charts.CELL
    assert big.layout.height - charts.MATRIX_MARGIN["t"] - charts.MATRIX_MARGIN["b"] == 12 * charts.CELL


def test_sources_legend_sits_below_the_chart_and_grows_it():
    rows = [{"bucket": date(2024, 1, 1), "source": f"Regional Broadcaster Number {i:02d} (fictional)", "articles": 3}
            for i in range(60)]
    fig = charts.stacked_figure(pd.DataFrame(rows), title="Articles stored per week and source")
    assert fig.layout.legend.yanchor == "top" and fig.layout.legend.y < 0
    assert fig.layout.height > 420  # the legend's rows add height instead of squeezing the bars
    assert fig.data[0].customdata[0] == ["Regional Broadcaster Number 00 (fictional)", "2024-01-01"]


def test_sources_chart_draws_the_top_sources_apart_and_sums_the_others():
    rows = [{"bucket": date(2024, 1, 1) + pd.Timedelta(weeks=w), "source": f"S{i:02d}", "articles": 100 - i}
            for i in range(60) for w in range(3)]
    fig = charts.stacked_figure(pd.DataFrame(rows))
    names = [t.name for t in fig.data]
    assert names == [f"S{i:02d}" for i in range(charts.TOP_SOURCES)] + ["52 other sources"]
    assert len({t.marker.color for t in fig.data}) == len(fig.data)  # no colour twice
    assert list(fig.data[-1].y) == [sum(100 - i for i in range(8, 60))] * 3  # every article still counted
    assert fig.data[-1].customdata is None  # the summed trace lists nothing: its bars are not one source
