"""Plotly figure builders: DataFrames in, figures out. No streamlit, no SQL.

Every clickable point carries its key in custom_data (kind, entity id, bucket day), which
`selection.selected_points` reads back; x/y are never used as keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.data.buckets import bucket_end, bucket_start
from dashboard.data.filters import Filters
from dashboard.escape import figure_text

# Distinct in print and for the common colour-vision deficiencies (Okabe–Ito, darkened for white paper).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#332288"]
INK, GRID, COVERAGE = "#1a1a1a", "#e7e2d8", "#9e9a91"
PARTIAL = "#f2e6c4"  # the band behind a partial bucket: warm, lighter than a gap's grey
FONT = "Source Sans Pro, Helvetica Neue, Arial, sans-serif"

Names = Mapping[tuple[str, str], str]


def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": figure_text(title or ""), "x": 0, "xanchor": "left", "font": {"size": 18}},
        font={"family": FONT, "color": INK, "size": 13},
        height=height,
        margin={"l": 56, "r": 24, "t": 72 if title else 40, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        hovermode="closest",
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    fig.update_xaxes(gridcolor=GRID, linecolor=INK, ticks="outside")
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, rangemode="tozero")
    return fig


def legend_rows(labels: list[str], width: int = 900) -> int:
    """How many rows a horizontal legend of `labels` takes at `width` px (the page's width at 1440 px, less the
    axis): about 7 px a character and 40 px for an entry's symbol and gap (13 px font), entries packed in rows.
    Overestimating costs a little white space; underestimating lets the legend overlap."""
    rows, used = 1, 0
    for label in labels:
        w = 7 * len(label) + 40
        if used and used + w > width:
            rows, used = rows + 1, 0
        used += w
    return rows


def timeline_title(f: Filters) -> str:
    """The timeline's title: what one point counts, in words ("Articles mentioning each person, per week")."""
    kinds = {k for k, _ in f.entities}
    who = {frozenset({"person"}): "person", frozenset({"topic"}): "topic"}.get(frozenset(kinds), "person or topic")
    if f.measure == "articles":
        what = (f"Share of all articles stored that mention each {who}" if f.scale == "share"
                else f"Articles mentioning each {who}")
    else:
        what = (f"Mentions of each {who} per article stored" if f.scale == "share"
                else f"Mentions of each {who} (every match in a title or text)")
    roll = f", {f.rolling}-{f.bucket} rolling average" if f.rolling > 1 else ""
    return f"{what}, per {f.bucket}{roll}"


def partial_buckets(first: date | None, last: date | None, bucket: str) -> dict[date, tuple[date, date]]:
    """The buckets that the period [first, last] (inclusive days) covers only in part: the first one if the
    period starts after its first day, the last one if the period ends before its last day.

    Bucket start -> the days of it that the period covers (first, last inclusive). Such a bucket counts fewer
    days than the others, so a low value there is not a dip (Google Trends and Media Cloud mark it too)."""
    out: dict[date, tuple[date, date]] = {}
    if first is None or last is None or bucket == "day" or last < first:
        return out
    b0, b1 = bucket_start(first, bucket), bucket_start(last, bucket)
    if first > b0:
        out[b0] = (first, min(last, bucket_end(b0, bucket) - timedelta(days=1)))
    if last < bucket_end(b1, bucket) - timedelta(days=1):
        out[b1] = (max(first, b1), last)
    return out


def _measure_label(f: Filters) -> str:
    what = "Articles" if f.measure == "articles" else "Mentions"
    if f.scale == "share":
        what = f"{what} / all articles"
    roll = f", {f.rolling}-{f.bucket} average" if f.rolling > 1 else ""
    return f"{what} per {f.bucket}{roll}"


def timeline_figure(
    series: pd.DataFrame,
    names: Names,
    f: Filters,
    spikes: pd.DataFrame | None = None,
    annotations: pd.DataFrame | None = None,
    title: str | None = None,
    height: int = 560,
    period: tuple[date | None, date | None] | None = None,
) -> go.Figure:
    """Lines with markers per entity, gaps shaded and broken, coverage (articles stored) drawn underneath.

    `period` (first, last day shown): a bucket it covers only in part is marked "partial" (an open marker,
    a light band labelled "partial", and its days in the hover), so its lower count is not read as a dip."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.06)
    share = f.scale == "share"
    partial = partial_buckets(*(period or (None, None)), f.bucket)
    hollow: list[tuple] = []  # (x, y, colour) of the points of partial buckets
    for i, ((kind, eid), g) in enumerate(series.groupby(["kind", "entity_id"], sort=False)):
        name = figure_text(names.get((kind, eid), eid))
        x = pd.to_datetime(g["bucket"])
        days = [pd.Timestamp(b).date() for b in g["bucket"]]
        custom = [
            [kind, eid, d.isoformat(), _int(c), _int(t), _partial_note(partial.get(d), f.bucket)]
            for d, c, t in zip(days, g["count"], g["total"], strict=False)
        ]
        colour = PALETTE[i % len(PALETTE)]
        hollow += [(xv, yv, colour) for d, xv, yv in zip(days, x, g["value"], strict=False)
                   if d in partial and pd.notna(yv)]
        fig.add_trace(
            go.Scatter(
                x=x, y=g["value"], mode="lines+markers", name=name, customdata=custom,
                line={"color": colour, "width": 2},
                marker={"size": 7},  # one style for every point: see the "Partial" trace below
                connectgaps=False,
                hovertemplate=(
                    f"<b>{name}</b><br>%{{customdata[2]}}%{{customdata[5]}}<br>"
                    + ("share %{y:.2%}" if share else "%{y:,.4~g}")
                    + "<br>%{customdata[3]} of %{customdata[4]} articles stored<extra></extra>"
                ),
            ),
            row=1, col=1,
        )
    cov = series.drop_duplicates("bucket")[["bucket", "total", "gap"]] if not series.empty else None
    if cov is not None:
        fig.add_trace(
            go.Bar(
                x=pd.to_datetime(cov["bucket"]), y=cov["total"], name="Articles stored",
                marker={"color": COVERAGE}, showlegend=False,
                customdata=[["coverage", pd.Timestamp(b).date().isoformat()] for b in cov["bucket"]],
                hovertemplate="%{customdata[1]}: %{y:,} articles stored<extra>coverage</extra>",
            ),
            row=2, col=1,
        )
        for b in cov.loc[cov["gap"], "bucket"][:300]:  # shade gaps; 300 is plenty for a readable chart
            b0 = pd.Timestamp(b).date()
            fig.add_vrect(x0=b0, x1=bucket_end(b0, f.bucket), fillcolor="#d9d4c7", opacity=0.45,
                          line_width=0, layer="below", row=1, col=1)
    for b0, (d0, d1) in partial.items():
        fig.add_vrect(x0=b0, x1=bucket_end(b0, f.bucket), fillcolor=PARTIAL, opacity=0.35, line_width=0,
                      layer="below", row=1, col=1)
        fig.add_annotation(x=pd.Timestamp(b0).to_pydatetime(), y=1, xref="x", yref="y domain", text="partial",
                           hovertext=f"{f.bucket} of {b0.isoformat()}: only {d0.isoformat()} to {d1.isoformat()} "
                                     "are in the period", showarrow=False, xanchor="left", yanchor="bottom",
                           font={"size": 11, "color": "#5b4a1f"})
    if hollow:
        # The points of partial buckets, hollow: drawn over the lines' own points by a trace of their own, so the
        # lines keep one marker style for all points. Per-point marker arrays on every line made the browser
        # style each point apart at every redraw: ~0.2 s more main-thread work per person change on the 1M
        # Overview (480 points), 1.03 s against 0.59 s median under load (docs/dashboard.md). Not hoverable nor
        # clickable ("skip"): hover and click reach the line's point underneath, with its key and partial note.
        hx, hy, hc = zip(*hollow, strict=True)
        fig.add_trace(
            go.Scatter(x=list(hx), y=list(hy), mode="markers", name="Partial", showlegend=False, hoverinfo="skip",
                       marker={"symbol": "circle", "size": 9, "color": "white", "line": {"color": list(hc), "width": 2}}),
            row=1, col=1,
        )
    if spikes is not None and not spikes.empty:
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(spikes["bucket"]), y=spikes["value"], mode="markers", name="Spike",
                marker={"symbol": "triangle-up", "size": 14, "color": "rgba(0,0,0,0)",
                        "line": {"color": "#b3261e", "width": 2}},
                customdata=[
                    [k, e, pd.Timestamp(b).date().isoformat(), _int(c), _int(t)]
                    for k, e, b, c, t in zip(spikes["kind"], spikes["entity_id"], spikes["bucket"],
                                             spikes["count"], spikes["total"], strict=False)
                ],
                hovertemplate="Spike: %{customdata[1]} %{customdata[2]}<extra></extra>",
            ),
            row=1, col=1,
        )
    if annotations is not None:
        for a in annotations.itertuples(index=False):
            day = pd.Timestamp(a.day).to_pydatetime()
            fig.add_shape(type="line", x0=day, x1=day, y0=0, y1=1, yref="y domain", xref="x",
                          line={"color": "#6b6b6b", "dash": "dot", "width": 1})
            fig.add_annotation(x=day, y=1, yref="y domain", xref="x", text=figure_text(a.label), showarrow=False,
                               xanchor="left", yanchor="top", font={"size": 11, "color": "#444"},
                               bgcolor="rgba(255,255,255,0.8)")
    # The legend sits above the lines, under the title: the top margin is made for both, so that a legend of
    # several rows (many people) does not grow into the title as the legend's own margin push would.
    rows = legend_rows([names.get(k, k[1]) for k in f.entities])
    _layout(fig, title, height + 22 * (rows - 1))
    fig.update_layout(margin={"t": (50 if title else 8) + 24 * rows},
                      title={"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}})
    fig.update_yaxes(title_text=_measure_label(f), row=1, col=1, tickformat=".1%" if share else None)
    fig.update_yaxes(title_text="stored", row=2, col=1)
    return fig


CELL = 64  # px per person in the co-mentions matrix: room for a 6-digit count in a square that reads at a glance
MATRIX_MARGIN = {"l": 150, "r": 110, "t": 72, "b": 120}  # names on the left and below, the colour bar on the right


def co_mentions_figure(pairs: pd.DataFrame, names: Names, title: str | None = None) -> go.Figure:
    """A symmetric matrix of people mentioned together, drawn as square markers so each cell is clickable.

    The colour scale starts at zero (a cell's shade is its share of the largest count, so 85 of 100 reads as
    dark, not as empty); each cell shows its count; the figure is sized to its people: CELL pixels a person,
    each square filling its cell (draw it at its own width: `st.plotly_chart(..., width="content")`)."""
    ids = sorted(set(pairs["a"]) | set(pairs["b"])) if not pairs.empty else []
    order = sorted(ids, key=lambda i: names.get(("person", i), i))
    label = {i: figure_text(names.get(("person", i), i)) for i in order}
    xs, ys, n, custom = [], [], [], []
    for r in pairs.itertuples(index=False):
        for a, b in ((r.a, r.b), (r.b, r.a)):
            xs.append(label[a])
            ys.append(label[b])
            n.append(int(r.articles))
            custom.append([a, b, int(r.articles)])
    top = max(n) if n else 1
    fig = go.Figure(
        go.Scatter(
            x=xs, y=ys, mode="markers+text", customdata=custom, text=[f"{v:,}" for v in n],
            textposition="middle center",
            textfont={"size": 12 if top < 10_000 else 10,
                      "color": ["white" if v > 0.55 * top else INK for v in n]},
            marker={"symbol": "square", "size": CELL - 6, "color": n, "cmin": 0, "cmax": top,
                    "colorscale": [[0, "#fdf3ec"], [0.25, "#f6c3a6"], [1, "#8c1c13"]], "showscale": True,
                    "line": {"width": 0}, "colorbar": {"title": {"text": "articles"}, "thickness": 14}},
            hovertemplate="%{x} & %{y}: %{customdata[2]:,} articles<extra></extra>",
        )
    )
    side = CELL * max(len(order), 1)
    m = MATRIX_MARGIN
    _layout(fig, title, side + m["t"] + m["b"])
    fig.update_layout(width=side + m["l"] + m["r"], margin=m, showlegend=False)
    cats = [label[i] for i in order]
    # A category axis puts each person in the middle of a unit: the range [-0.5, n - 0.5] makes a unit CELL px.
    fig.update_xaxes(categoryorder="array", categoryarray=cats, tickangle=-35, range=[-0.5, len(cats) - 0.5],
                     showgrid=False, fixedrange=True)
    fig.update_yaxes(categoryorder="array", categoryarray=cats, rangemode=None, range=[-0.5, len(cats) - 0.5],
                     showgrid=False, fixedrange=True)
    return fig


def bars_figure(df: pd.DataFrame, x: str, y: str, title: str | None = None, height: int = 360,
                keys: str | None = None) -> go.Figure:
    """A horizontal bar chart of one numeric column by one label column, largest on top.

    `keys`: a column whose value each bar carries as its custom data (what a click selects)."""
    d = df.sort_values(x, ascending=True)
    custom = [[str(v)] for v in d[keys]] if keys else None  # the raw value: a click selects it, nothing draws it
    fig = go.Figure(go.Bar(x=d[x], y=[figure_text(v) for v in d[y]], orientation="h", marker={"color": PALETTE[0]},
                           customdata=custom, hovertemplate="%{y}: %{x:,}<extra></extra>"))
    _layout(fig, title, height)
    fig.update_layout(showlegend=False)
    return fig


TOP_SOURCES = len(PALETTE)  # sources drawn apart in "Articles stored per source": one colour each, no repeat
OTHER = "#b9b3a7"


def stacked_figure(df: pd.DataFrame, title: str | None = None, height: int = 420,
                   top: int = TOP_SOURCES) -> go.Figure:
    """Articles per source and bucket, stacked (the Sources & health page).

    The `top` sources with the most articles each get a colour of their own and a clickable bar (custom data:
    source, bucket day); the others are summed in one grey trace, "N other sources". (Sixty sources drew sixty
    traces in eight repeating colours: no source could be told apart, and the browser took ~1 s to draw them.)"""
    fig = go.Figure()
    totals = df.groupby("source")["articles"].sum().sort_values(ascending=False) if not df.empty else pd.Series()
    shown = sorted(str(x) for x in totals.index[:top])
    rest = df[~df["source"].astype(str).isin(shown)] if not df.empty else df
    n_rest = len(totals) - len(shown)
    other = f"{n_rest} other source{'s' if n_rest > 1 else ''}"
    height += 22 * (legend_rows(shown + ([other] if n_rest else [])) - 1)  # grow by the legend's rows
    for i, source in enumerate(shown):
        g = df[df["source"].astype(str) == source]
        # The legend and hover show the escaped name; the custom data (what a click selects) keeps the raw one.
        fig.add_trace(go.Bar(x=pd.to_datetime(g["bucket"]), y=g["articles"], name=figure_text(source),
                             marker={"color": PALETTE[i % len(PALETTE)]},
                             customdata=[[source, pd.Timestamp(b).date().isoformat()] for b in g["bucket"]]))
    if n_rest:
        r = rest.groupby("bucket", as_index=False)["articles"].sum()
        fig.add_trace(go.Bar(x=pd.to_datetime(r["bucket"]), y=r["articles"], name=other, marker={"color": OTHER},
                             hovertemplate=f"%{{x}}: %{{y:,}} articles of {other}<extra></extra>"))
    _layout(fig, title, height)
    # The legend goes under the chart: above it, three rows of source names grew into the title (the legend
    # pushes the top margin, the title does not move). Below, each row grows the bottom margin instead.
    fig.update_layout(barmode="stack", legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0,
                                               "xanchor": "left"}, margin={"t": 56 if title else 24})
    return fig


def _partial_note(days: tuple[date, date] | None, bucket: str) -> str:
    """The hover line of a partial bucket's point (empty for a whole one)."""
    if days is None:
        return ""
    n = (days[1] - days[0]).days + 1
    return f"<br><i>partial {bucket}: {n} day{'s' if n > 1 else ''} in the period ({days[0]:%d %b} to {days[1]:%d %b})</i>"


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


