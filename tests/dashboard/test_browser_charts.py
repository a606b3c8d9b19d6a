"""Figures as a browser lays them out (plotly.js in Debian's chromium, no server): what only a drawn chart shows.

The legend of "Articles stored per source" must not cover the chart's title (with 60 sources it took three rows
and grew into it); the co-mentions squares fill their cells and show their counts.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard import charts
from tests.browserkit import require_chromium

pytestmark = pytest.mark.browser

require_chromium()


def _draw(page, fig) -> None:
    page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
    page.wait_for_selector(".js-plotly-plot .legend, .js-plotly-plot .scatterlayer", state="attached")
    page.wait_for_timeout(300)


def _box(page, selector: str) -> dict:
    return page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return {x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}; }", selector)


def _overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


@pytest.mark.parametrize("n_sources", [4, 60])
def test_sources_legend_covers_neither_title_nor_bars(page, n_sources):
    rows = [{"bucket": date(2024, 1, 1) + timedelta(weeks=w), "source": f"Regional Broadcaster {i:02d} (fictional)",
             "articles": 1 + (i * w) % 7} for i in range(n_sources) for w in range(20)]
    fig = charts.stacked_figure(pd.DataFrame(rows), title="Articles stored per week and source")
    fig.update_layout(width=980)  # the page's width at 1440 px beside the sidebar
    _draw(page, fig)
    legend, title, plot = _box(page, ".legend"), _box(page, ".gtitle"), _box(page, ".nsewdrag")
    assert not _overlap(legend, title), (legend, title)
    assert not _overlap(legend, plot), (legend, plot)
    assert plot["y1"] - plot["y0"] > 250  # the bars keep their height however many rows the legend takes


@pytest.mark.parametrize("n_people", [1, 3, 19])
def test_timeline_legend_covers_neither_title_nor_lines(page, n_people):
    from dashboard.data import series
    from dashboard.data.filters import Filters

    people = tuple(f"p{i:02d}" for i in range(n_people))
    names = {("person", p): f"Somebody With A Long Name {p}" for p in people}
    f = Filters(people=people)
    counts = pd.DataFrame([{"bucket": pd.Timestamp(date(2024, 1, 1) + timedelta(weeks=w)), "kind": "person",
                            "entity_id": p, "articles": 1 + w % 5, "mentions": 2} for p in people for w in range(20)])
    cov = pd.DataFrame({"bucket": pd.to_datetime([date(2024, 1, 1) + timedelta(weeks=w) for w in range(20)]),
                        "total": 50})
    s = series.assemble(counts, cov, f, date(2024, 1, 1), date(2024, 5, 19))
    fig = charts.timeline_figure(s, names, f, title=charts.timeline_title(f))
    fig.update_layout(width=980)
    _draw(page, fig)
    legend, title, plot = _box(page, ".legend"), _box(page, ".gtitle"), _box(page, ".nsewdrag")
    assert not _overlap(legend, title), (legend, title)
    assert not _overlap(legend, plot), (legend, plot)


def test_co_mention_squares_fill_their_cells_and_show_counts(page):
    ids = [f"p{i}" for i in range(6)]
    pairs = pd.DataFrame([(a, b, 10 * (i + j) + 5) for i, a in enumerate(ids) for j, b in enumerate(ids) if a < b],
                         columns=["a", "b", "articles"])
    fig = charts.co_mentions_figure(pairs, {("person", i): f"Person {i}" for i in ids})
    _draw(page, fig)
    squares = page.evaluate("""() => Array.from(document.querySelectorAll('.scatterlayer path.point')).map(p => {
        const r = p.getBoundingClientRect(); return {x: r.left, w: r.width, h: r.height}; })""")
    assert len(squares) == 2 * len(pairs)
    xs = sorted({round(s["x"]) for s in squares})
    step = min(b - a for a, b in zip(xs, xs[1:], strict=False))
    assert abs(step - charts.CELL) <= 2  # one cell per person, CELL px apart
    assert all(charts.CELL - 10 <= s["w"] <= charts.CELL for s in squares)  # each square fills its cell
    shown = page.evaluate("() => Array.from(document.querySelectorAll('.scatterlayer .textpoint text'))"
                          ".map(t => t.textContent)")
    assert sorted(shown) == sorted(str(v) for v in pairs["articles"] for _ in range(2))
