"""Plotly figure builders: DataFrames in, figures out. No streamlit, no SQL.

Every clickable point carries its key in custom_data (kind, entity id, bucket day), which
`selection.selected_points` reads back; x/y are never used as keys.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.data.filters import Filters
from dashboard.data.queries import bucket_end
from dashboard.escape import figure_text

# Distinct in print and for the common colour-vision deficiencies (Okabe–Ito, darkened for white paper).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#332288"]
INK, GRID, COVERAGE = "#1a1a1a", "#e7e2d8", "#9e9a91"
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
) -> go.Figure:
    """Lines with markers per entity, gaps shaded and broken, coverage (articles stored) drawn underneath."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.06)
    share = f.scale == "share"
    for i, ((kind, eid), g) in enumerate(series.groupby(["kind", "entity_id"], sort=False)):
        name = figure_text(names.get((kind, eid), eid))
        x = pd.to_datetime(g["bucket"])
        custom = [
            [kind, eid, pd.Timestamp(b).date().isoformat(), _int(c), _int(t)]
            for b, c, t in zip(g["bucket"], g["count"], g["total"], strict=False)
        ]
        fig.add_trace(
            go.Scatter(
                x=x, y=g["value"], mode="lines+markers", name=name, customdata=custom,
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                marker={"size": 7}, connectgaps=False,
                hovertemplate=(
                    f"<b>{name}</b><br>%{{customdata[2]}}<br>"
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
    _layout(fig, title, height)
    fig.update_yaxes(title_text=_measure_label(f), row=1, col=1, tickformat=".1%" if share else None)
    fig.update_yaxes(title_text="stored", row=2, col=1)
    return fig


def co_mentions_figure(pairs: pd.DataFrame, names: Names, title: str | None = None) -> go.Figure:
    """A symmetric matrix of people mentioned together, drawn as square markers so each cell is clickable."""
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
            x=xs, y=ys, mode="markers", customdata=custom,
            marker={"symbol": "square", "size": [10 + 26 * (v / top) ** 0.5 for v in n], "color": n,
                    "colorscale": [[0, "#fde2d4"], [1, "#8c1c13"]], "showscale": True,
                    "colorbar": {"title": {"text": "articles"}}},
            hovertemplate="%{x} & %{y}: %{customdata[2]:,} articles<extra></extra>",
        )
    )
    _layout(fig, title, max(360, 48 * len(order) + 140))
    fig.update_xaxes(categoryorder="array", categoryarray=[label[i] for i in order], tickangle=-35)
    fig.update_yaxes(categoryorder="array", categoryarray=[label[i] for i in order], rangemode=None)
    return fig


def bars_figure(df: pd.DataFrame, x: str, y: str, title: str | None = None, height: int = 360) -> go.Figure:
    """A horizontal bar chart of one numeric column by one label column, largest on top."""
    d = df.sort_values(x, ascending=True)
    fig = go.Figure(go.Bar(x=d[x], y=[figure_text(v) for v in d[y]], orientation="h", marker={"color": PALETTE[0]},
                           hovertemplate="%{y}: %{x:,}<extra></extra>"))
    _layout(fig, title, height)
    fig.update_layout(showlegend=False)
    return fig


def stacked_figure(df: pd.DataFrame, title: str | None = None, height: int = 420) -> go.Figure:
    """Articles per source and bucket, stacked (the Sources & health page)."""
    fig = go.Figure()
    for i, (source, g) in enumerate(df.groupby("source", sort=True)):
        fig.add_trace(go.Bar(x=pd.to_datetime(g["bucket"]), y=g["articles"], name=figure_text(source),
                             marker={"color": PALETTE[i % len(PALETTE)]}))
    _layout(fig, title, height)
    fig.update_layout(barmode="stack")
    return fig


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


