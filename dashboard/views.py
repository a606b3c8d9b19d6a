"""Page sections shared by several pages: timeline, export buttons, why the spike, annotations (the article list
and the article view: dashboard/lists.py).

Thin: each section calls cached queries and the pure builders, then draws. No SQL here.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import cache, charts, export
from dashboard.data.selection import PointKey, selected_points
from dashboard.data.series import export_frame
from dashboard.escape import markdown_text
from dashboard.explain import why_inputs  # in explain.py: the alerts use it too
from dashboard.ownforms import OwnForms, own_forms
from dashboard.shell import Context, context, note_chart


def shell_context() -> Context | None:
    """The context `app.py` built for this run (None when the store is missing: app.py said so)."""
    return context()


def no_data(ctx: Context) -> bool:
    """Say why there is nothing to show, if so (a sentence, never an empty chart)."""
    if ctx.empty:
        st.info("The store has no articles yet: run `newsmon ingest` (or `newsmon demo`) and reload this page.")
        return True
    if not ctx.filters.entities:
        st.info("Pick at least one person or topic in the sidebar to draw the timeline.")
        return True
    return False


def span(ctx: Context):
    f, s = ctx.filters, ctx.summary
    first = f.start or s["first"]
    last = f.end or s["last"]
    return first, last


def make_manifest(ctx: Context, what: str, rows: int | None = None) -> dict:
    first, last = span(ctx)
    return export.manifest(what, ctx.filters.describe(), ctx.names.version, first, last, rows=rows, store=str(ctx.root))


def timeline_series(ctx: Context) -> pd.DataFrame:
    first, last = span(ctx)
    return cache.timeline(ctx.root, ctx.version, ctx.filters, first, last)


def timeline_figure(ctx: Context, spikes: bool = False) -> go.Figure:
    """The timeline's figure, from the cache that all sessions share (dashboard/cache.py): not to be changed."""
    return cache.timeline_figure(ctx.root, ctx.version, ctx.filters, *span(ctx), ctx.names, spikes)


def plotly_chart(fig, **kwargs):
    """`st.plotly_chart`, noted as a chart of this run (dashboard/shell.py draws the first run's filters after it)."""
    note_chart()
    return st.plotly_chart(fig, **kwargs)


def chart_exports(fig: go.Figure, m: dict, table: pd.DataFrame | None, name: str, key: str) -> None:
    """Download buttons; each file is built only when its button is clicked."""
    cols = st.columns(6)
    opts = {"on_click": "ignore", "width": "stretch"}
    if problem := export.image_problem():  # no Chromium: say what to install; the other formats still work
        for col, label in zip(cols[:3], ("PNG", "SVG", "PDF"), strict=True):
            col.button(label, key=f"{key}-{label.lower()}", disabled=True, width="stretch", help=problem)
    else:
        cols[0].download_button("PNG", lambda: export.png(fig, m), f"{name}.png", "image/png", key=f"{key}-png", **opts)
        cols[1].download_button("SVG", lambda: export.svg(fig, m), f"{name}.svg", "image/svg+xml", key=f"{key}-svg",
                                **opts)
        cols[2].download_button("PDF", lambda: export.pdf(fig, m), f"{name}.pdf", "application/pdf", key=f"{key}-pdf",
                                **opts)
    cols[3].download_button("HTML", lambda: export.html(fig, m), f"{name}.html", "text/html", key=f"{key}-html", **opts)
    if table is not None:
        table_exports(table, m, name, key, cols[4:6])
    if problem:
        st.caption(problem)


def table_exports(table, m: dict, name: str, key: str, cols=None) -> None:
    """CSV (zip with manifest) and Parquet buttons; `table` is a DataFrame or a function that reads it on click."""
    cols = cols or st.columns(6)[:2]
    opts = {"on_click": "ignore", "width": "stretch"}

    def frame() -> pd.DataFrame:
        return table() if callable(table) else table

    cols[0].download_button("CSV", lambda: export.csv_zip(frame(), m, name), f"{name}.csv.zip", "application/zip",
                            key=f"{key}-csv", help="The table as CSV, with its manifest.json, in a zip", **opts)
    cols[1].download_button("Parquet", lambda: export.parquet(frame(), m), f"{name}.parquet",
                            "application/vnd.apache.parquet", key=f"{key}-parquet", **opts)


def charted(series: pd.DataFrame) -> bool:
    """Whether `timeline_section` draws a chart for `series`: not when no article in it counts."""
    return bool(series["count"].fillna(0).sum())


def timeline_section(ctx: Context, key: str, spikes: bool = False) -> tuple[pd.DataFrame, list[PointKey]]:
    """The clickable timeline (with its spike markers if `spikes`) and its exports; returns the series and the
    selected points."""
    series = timeline_series(ctx)
    if not charted(series):
        st.info("No article in this period mentions the selected people or topics (with these filters).")
        return series, []
    fig = timeline_figure(ctx, spikes)
    event = plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points", "box"),
                            width="stretch", theme=None, config={"displaylogo": False})
    gaps = int(series.drop_duplicates("bucket")["gap"].sum())
    note = f" Shaded: {gaps} {ctx.filters.bucket}(s) with no article stored at all (gaps, not zeros)." if gaps else ""
    if partial := charts.partial_buckets(*span(ctx), ctx.filters.bucket):
        b = ctx.filters.bucket
        which = " and ".join(f"the {b} of {k.isoformat()} ({(d1 - d0).days + 1} days)"
                             for k, (d0, d1) in sorted(partial.items()))
        note += (f" Partial: {which} only partly in the period, marked \"partial\" with a hollow point: "
                 "a lower value there is not a dip.")
    st.caption("Click a point, or pick Box Select in the chart toolbar and drag over several, to list exactly "
               "the articles behind them. Grey bars: articles stored "
               f"per {ctx.filters.bucket}.{note}")
    table = export_frame(series, ctx.names, ctx.filters)
    chart_exports(fig, make_manifest(ctx, "timeline", len(table)), table, "newsmon-timeline", key)
    return series, selected_points(event)


def exclude_terms(ctx: Context, keys) -> OwnForms:
    """The selected entities' own forms (names, possessives, derived forms, titles: dashboard/ownforms.py):
    a person's name is not news in the person's own spike."""
    return own_forms(ctx.names.forms, ctx.names.titles, keys)


def covered(ctx: Context, points: list[PointKey]) -> str:
    """Which entities and buckets a selection covers, in words: "Alice (weeks of 2024-01-08, 2024-01-15); …"."""
    from dashboard import explain

    parts = []
    for (kind, eid), buckets in explain.selected_entities(points).items():
        b = ctx.filters.bucket
        if len(buckets) == 1:
            when = f"{b} of {buckets[0].isoformat()}"
        elif len(buckets) <= 6:
            when = f"{b}s of " + ", ".join(d.isoformat() for d in buckets)
        else:
            when = f"{len(buckets)} {b}s from {buckets[0].isoformat()} to {buckets[-1].isoformat()}"
        parts.append(f"{ctx.names.get((kind, eid))} ({when})")
    return "; ".join(parts)


def why_section(ctx: Context, points: list[PointKey]) -> None:
    """Words and names over-represented in the selected points' articles against their entities' preceding weeks.

    Computed once per selection and kept in the session (the texts are read from the store, not cached)."""
    from dashboard import explain

    exclude = exclude_terms(ctx, list(explain.selected_entities(points)))
    key = (ctx.version, ctx.filters, tuple(points), exclude)
    memo = st.session_state.get("_newsmon_why")
    if memo is None or memo[0] != key:
        try:
            with cache.cursor(ctx.root) as con:
                target, base, n_sel, capped = why_inputs(con, ctx.filters, points)
        except Exception as exc:  # noqa: BLE001 - shown to the user, cache cleared
            from dashboard.shell import fail

            fail("The texts behind the selection could not be read", exc)
            return
        terms, n_read, n_base = explain.explain_selection(target, base, exclude=exclude)
        memo = (key, (terms, n_sel, n_read, n_base, capped))
        st.session_state["_newsmon_why"] = memo
    terms, n_sel, n_read, n_base, capped = memo[1]
    days = explain.BASELINE_DAYS[ctx.filters.bucket]
    kinds = {p.kind for p in points}
    who = ("person" if kinds == {"person"} else "topic" if kinds == {"topic"} else "person or topic")
    many = len(explain.selected_entities(points)) > 1
    read = f" (the newest {n_read:,} read)" if n_read < n_sel else ""
    st.markdown(
        f"**Why the spike?** {len(points)} selected point{'s' if len(points) > 1 else ''}: "
        f"{markdown_text(covered(ctx, points))}. "
        f"{n_sel:,} articles{read} compared with {n_base:,} articles mentioning the same "
        f"{who}{' (each)' if many else ''} in the {days} days before {'its' if not many else 'each one’s'} "
        f"first selected {ctx.filters.bucket}"
        + (f" (at most the newest {explain.BASELINE_CAP:,} per {who})" if capped else "") + ".",
        help="Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), "
             f"z ≥ {explain.TERM_Z}; several points are explained together (each article once); "
             "see docs/dashboard.md.")
    if terms.empty:
        st.info("No word or phrase stands out against the preceding weeks.")
    else:
        st.dataframe(terms, hide_index=True, width="stretch",
                     column_config={"z": st.column_config.ProgressColumn("z", min_value=0,
                                                                         max_value=float(terms["z"].max()),
                                                                         format="%.1f")})
        table_exports(terms, make_manifest(ctx, f"why the spike: {covered(ctx, points)}", len(terms)),
                      "newsmon-why-the-spike", "why")


def annotations_section(ctx: Context) -> None:
    """Add or delete event annotations; they are drawn on every timeline and in its exports."""
    from datetime import date as _date

    from dashboard.data import annotations

    current = cache.query(ctx.root, ctx.version, "annotations")
    with st.expander(f"Event annotations ({len(current)})"):
        with st.form("add-annotation", clear_on_submit=True):
            c1, c2 = st.columns([1, 3])
            day = c1.date_input("Day", value=ctx.summary["last"] or _date.today())
            label = c2.text_input("Label (drawn on the chart)", max_chars=annotations.MAX_LABEL)
            note = st.text_input("Note (optional)")
            if st.form_submit_button("Add annotation"):
                try:
                    annotations.add(ctx.root, annotations.Annotation(day=day, label=label, note=note))
                except (ValueError, OSError) as exc:
                    st.warning(f"Not added: {exc}")
                else:
                    cache.reset_connection()
                    cache.clear_data()
                    st.rerun()
        if not current.empty:
            st.dataframe(current.drop(columns=["id"]), hide_index=True, width="stretch")
            pick = st.selectbox("Delete an annotation", list(current["id"]), index=None,
                                format_func=lambda i: " · ".join(
                                    str(v) for v in current.loc[current["id"] == i, ["day", "label"]].iloc[0]))
            if pick and st.button("Delete", key="ann-delete"):
                row = current.loc[current["id"] == pick].iloc[0]
                annotations.delete(ctx.root, pick, pd.Timestamp(row["day"]).date(), row["label"])
                cache.reset_connection()
                cache.clear_data()
                st.rerun()
