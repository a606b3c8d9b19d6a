"""Page sections shared by several pages: timeline, drill-down list, article view, export buttons.

Thin: each section calls cached queries and the pure builders, then draws. No SQL here.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import cache, charts, export, highlight
from dashboard.data.filters import SORTS
from dashboard.data.selection import PairKey, PointKey, selected_points
from dashboard.data.series import export_frame
from dashboard.explain import why_inputs  # in explain.py: the alerts use it too
from dashboard.shell import Context, context
from dashboard.urlstate import SORT_WORDS, UrlList

PAGE_SIZE = 50
GUESSED = {"fetched": "date guessed: time of fetching", "url": "date from the URL: time unknown", "": "date source unknown"}


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


def timeline_figure(ctx: Context, series: pd.DataFrame, spikes: pd.DataFrame | None = None) -> go.Figure:
    ann = cache.query(ctx.root, ctx.version, "annotations")
    return charts.timeline_figure(series, ctx.names, ctx.filters, spikes=spikes, annotations=ann,
                                  title="Mentions over time")


def chart_exports(fig: go.Figure, m: dict, table: pd.DataFrame | None, name: str, key: str) -> None:
    """Download buttons; each file is built only when its button is clicked."""
    cols = st.columns(6)
    opts = {"on_click": "ignore", "width": "stretch"}
    cols[0].download_button("PNG", lambda: export.png(fig, m), f"{name}.png", "image/png", key=f"{key}-png", **opts)
    cols[1].download_button("SVG", lambda: export.svg(fig, m), f"{name}.svg", "image/svg+xml", key=f"{key}-svg", **opts)
    cols[2].download_button("PDF", lambda: export.pdf(fig, m), f"{name}.pdf", "application/pdf", key=f"{key}-pdf", **opts)
    cols[3].download_button("HTML", lambda: export.html(fig, m), f"{name}.html", "text/html", key=f"{key}-html", **opts)
    if table is not None:
        table_exports(table, m, name, key, cols[4:6])


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


def timeline_section(ctx: Context, key: str, spikes: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[PointKey]]:
    """The clickable timeline with its exports; returns the series and the selected points."""
    series = timeline_series(ctx)
    if series["count"].fillna(0).sum() == 0:
        st.info("No article in this period mentions the selected people or topics (with these filters).")
        return series, []
    fig = timeline_figure(ctx, series, spikes)
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points", "box"),
                            width="stretch", theme=None, config={"displaylogo": False})
    gaps = int(series.drop_duplicates("bucket")["gap"].sum())
    note = f" Shaded: {gaps} {ctx.filters.bucket}(s) with no article stored at all (gaps, not zeros)." if gaps else ""
    st.caption("Click a point, or pick Box Select in the chart toolbar and drag over several, to list exactly "
               "the articles behind them. Grey bars: articles stored "
               f"per {ctx.filters.bucket}.{note}")
    table = export_frame(series, ctx.names, ctx.filters)
    chart_exports(fig, make_manifest(ctx, "timeline", len(table)), table, "newsmon-timeline", key)
    return series, selected_points(event)


def point_label(ctx: Context, p: PointKey) -> str:
    return f"{ctx.names.get((p.kind, p.entity_id))}, {ctx.filters.bucket} of {p.bucket.isoformat()}"


def drilldown_section(
    ctx: Context, key: str, points: list[PointKey] | None = None, pairs: list[PairKey] | None = None,
    series: pd.DataFrame | None = None, generation: int = 0,
) -> str | None:
    """Exactly the articles behind the selection, sortable and paged; returns the article id to open.

    The order and page are the URL's (`urlstate.UrlList`). A new `generation` draws the row selection and the
    "Open an article" box afresh (nothing chosen): the browser keeps a widget's value when only its server-side
    state is dropped."""
    points, pairs = points or [], pairs or []
    url = UrlList(key)  # the sort order and page live in the URL (`sort`, `page`)
    c1, c2, c3 = st.columns([2, 1, 1])
    sort = c1.selectbox("Sort by", SORTS, key=url.sort_key, on_change=url.changed,
                        format_func=lambda s: SORT_WORDS.get(s, s))
    desc = c2.toggle("Descending", key=url.desc_key, on_change=url.changed)
    try:
        first = cache.drilldown(ctx.root, ctx.version, ctx.filters, tuple(points), tuple(pairs), sort, desc, 1, 0)
    except Exception as exc:  # noqa: BLE001 - shown to the user, cache cleared
        from dashboard.shell import fail

        fail("The article list could not be read", exc)
        return None
    total = int(first["n_total"].iloc[0]) if not first.empty else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = url.page(pages)
    c3.number_input(f"Page (of {pages})", min_value=1, max_value=pages, key=url.page_key, on_change=url.changed)
    if page < url.view.page:
        st.caption(f"The link asks for page {url.view.page:,}; this list has {pages:,}: showing the last one.")
    what = (
        point_label(ctx, points[0]) if len(points) == 1
        else f"{len(points)} selected points" if points
        else " & ".join(f"{ctx.names.get(('person', p.a))} with {ctx.names.get(('person', p.b))}" for p in pairs)
    )
    value = ""
    if len(points) == 1 and series is not None:
        p = points[0]
        row = series[(series["kind"] == p.kind) & (series["entity_id"] == p.entity_id)
                     & (pd.to_datetime(series["bucket"]) == pd.Timestamp(p.bucket))]
        if not row.empty and not pd.isna(row["count"].iloc[0]):
            value = f" · the point's {ctx.filters.measure} count is {int(row['count'].iloc[0]):,}"
    st.markdown(f"**{total:,} articles** behind {what}{value}", help="Every article, not a sample.")
    df = cache.drilldown(ctx.root, ctx.version, ctx.filters, tuple(points), tuple(pairs), sort, desc,
                         PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if df.empty:
        return None
    view = pd.DataFrame({
        "published (UTC)": df["published_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "date": [GUESSED.get(s or "", "") if (s or "") in GUESSED else "" for s in df["published_source"]],
        "source": df["source"], "title": df["title"], "mentions": df["mentions"],
        "who / what": [", ".join(ctx.names.get(_kind(ctx, e), e) for e in ents) for ents in df["entities"]],
        "link": df["url"],
    })
    shown = f"{generation}-{sort}-{desc}-{page}"  # another page or order: a fresh table, with no row chosen
    sel = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun",
                       selection_mode="single-row", key=f"{key}-table-{shown}",
                       column_config={"link": st.column_config.LinkColumn("link", display_text="original ↗")})
    f = ctx.filters

    def every_article() -> pd.DataFrame:  # read when a button is clicked: all rows, not just this page
        from dashboard.data import queries

        with cache.cursor(ctx.root) as con:
            full = queries.drilldown(con, f, list(points), list(pairs), sort, desc, None, 0)
        return full.drop(columns=["n_total"])

    m = make_manifest(ctx, f"articles behind {what}", total)
    table_exports(every_article, m, "newsmon-articles", f"{key}-dl")
    ids = list(df["id"])
    labels = {r.id: f"{r.published_at:%Y-%m-%d} · {r.source} · {r.title}" for r in df.itertuples(index=False)}
    rows = sel.selection.rows if sel is not None and hasattr(sel, "selection") else []
    chosen = st.selectbox("Open an article", ids, index=None, format_func=labels.get, key=f"{key}-open-{shown}",
                          placeholder="Choose an article to read (or select a row above)")
    if rows:
        return ids[rows[0]]
    return chosen


def _kind(ctx: Context, entity_id: str) -> tuple[str, str]:
    return ("person", entity_id) if ("person", entity_id) in ctx.names.names or entity_id in ctx.filters.people \
        else ("topic", entity_id)


def article_view(ctx: Context, article_id: str) -> None:
    """Title, source, date (flagged when guessed), link, and the cleaned text with mentions highlighted."""
    row, mentions = cache.article(ctx.root, ctx.version, article_id)
    if row is None:
        st.info("That article is not in the store (any more).")
        return
    st.divider()
    when = row["published_at"]
    flag = GUESSED.get(row.get("published_source") or "", "")
    meta = [f"**{row['source']}**", f"{when:%Y-%m-%d %H:%M} UTC" if pd.notna(when) else "no date"]
    if flag:
        meta.append(f":orange[⚠ {flag}]")
    if row.get("language"):
        meta.append(f"language: {row['language']}")
    authors = row.get("authors")
    if authors is not None and len(authors):
        meta.append("by " + ", ".join(str(a) for a in authors))
    st.markdown(" · ".join(meta))
    st.link_button("Open the original ↗", row["url"])
    records = mentions.to_dict("records")
    st.html(highlight.article_html(row["title"] or "", row["text"] or "", records, ctx.names))
    if records:
        legend = mentions.assign(name=[ctx.names.get((k, e)) for k, e in zip(mentions["kind"], mentions["entity_id"],
                                                                                 strict=False)])
        st.caption("Highlights: yellow = person, blue = topic; hover a highlight for who or what and which rule.")
        st.dataframe(legend.groupby(["name", "kind", "field", "rule"], as_index=False).size()
                     .rename(columns={"size": "matches"}), hide_index=True)


def exclude_terms(ctx: Context, keys) -> tuple[str, ...]:
    """The selected entities' own names: a person's name is not news in the person's own spike."""
    words: list[str] = []
    for kind, eid in keys:
        words += [eid, *ctx.names.get((kind, eid)).split()]
    return tuple(words)


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
        f"**Why the spike?** {len(points)} selected point{'s' if len(points) > 1 else ''}: {covered(ctx, points)}. "
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
