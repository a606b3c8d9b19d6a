"""The article list behind a selection and the article view, shared by every page with a clickable chart.

A click on a timeline point, a co-mention cell or a per-source bar lists exactly its articles (sortable, paged,
exportable) on the page where it was made; a row opens the article: its title, source, date with where the date
comes from, and the cleaned text with its mentions highlighted. Every string from a page or a feed goes through
dashboard/escape.py (Markdown in captions and the article line; links only for http(s) addresses); table cells are
text. Thin: cached queries (dashboard/cache.py) and the pure builders, then drawing. No SQL here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cache, highlight, provenance
from dashboard.data.filters import SORTS
from dashboard.data.selection import PairKey, PointKey, SourceKey
from dashboard.escape import markdown_text, safe_url
from dashboard.shell import Context
from dashboard.urlstate import SORT_WORDS, UrlList, UrlSelection
from dashboard.views import make_manifest, table_exports

PAGE_SIZE = 50


def point_label(ctx: Context, p: PointKey) -> str:
    return f"{ctx.names.get((p.kind, p.entity_id))}, {ctx.filters.bucket} of {p.bucket.isoformat()}"


def source_label(ctx: Context, k: SourceKey) -> str:
    when = f", {ctx.filters.bucket} of {k.bucket.isoformat()}" if k.bucket else ", in the period"
    return f"{k.source}{when}" + (" mentioning the selection" if k.selected else "")


def _list_page(ctx: Context, points: list[PointKey], pairs: list[PairKey], sources: list[SourceKey], sort: str,
               desc: bool, limit: int | None, offset: int, cached: bool = True) -> pd.DataFrame:
    """One page of the list behind the selection (`limit` None: every row, read on an export's click)."""
    if sources:
        if cached:
            return cache.source_list(ctx.root, ctx.version, ctx.filters, sources[0], sort, desc, limit, offset)
        from dashboard.data import dispatch

        with cache.cursor(ctx.root) as con:
            return dispatch.source_list(con, ctx.filters, sources[0], sort, desc, limit, offset)
    if cached:
        return cache.drilldown(ctx.root, ctx.version, ctx.filters, tuple(points), tuple(pairs), sort, desc, limit,
                               offset)
    from dashboard.data import queries

    with cache.cursor(ctx.root) as con:
        return queries.drilldown(con, ctx.filters, list(points), list(pairs), sort, desc, limit, offset)


def drilldown_section(
    ctx: Context, key: str, points: list[PointKey] | None = None, pairs: list[PairKey] | None = None,
    series: pd.DataFrame | None = None, generation: int = 0, sources: list[SourceKey] | None = None,
) -> str | None:
    """Exactly the articles behind the selection (timeline points, co-mention cells, or one bar of a per-source
    chart), sortable and paged; returns the article id to open.

    The order and page are the URL's (`urlstate.UrlList`). A new `generation` draws the row selection and the
    "Open an article" box afresh (nothing chosen): the browser keeps a widget's value when only its server-side
    state is dropped."""
    points, pairs, sources = points or [], pairs or [], sources or []
    url = UrlList(key)  # the sort order and page live in the URL (`sort`, `page`)
    c1, c2, c3 = st.columns([2, 1, 1])
    sort = c1.selectbox("Sort by", SORTS, key=url.sort_key, on_change=url.changed,
                        format_func=lambda s: SORT_WORDS.get(s, s))
    desc = c2.toggle("Descending", key=url.desc_key, on_change=url.changed)
    # The page the URL asks for, read at once: each row carries the list's total (n_total), so one query gives both
    # (a click on a point asked twice before: one row for the total, then the page). Only a page beyond the end
    # (an old link) asks again, for the last one.
    want = max(1, url.view.page)
    try:
        df = _list_page(ctx, points, pairs, sources, sort, desc, PAGE_SIZE, (want - 1) * PAGE_SIZE)
        if df.empty and want > 1:
            first = _list_page(ctx, points, pairs, sources, sort, desc, 1, 0)
        else:
            first = df
    except Exception as exc:  # noqa: BLE001 - shown to the user, cache cleared
        from dashboard.shell import fail

        fail("The article list could not be read", exc)
        return None
    total = int(first["n_total"].iloc[0]) if not first.empty else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = url.page(pages)
    if page != want:
        df = _list_page(ctx, points, pairs, sources, sort, desc, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    c3.number_input(f"Page (of {pages})", min_value=1, max_value=pages, key=url.page_key, on_change=url.changed)
    if page < url.view.page:
        st.caption(f"The link asks for page {url.view.page:,}; this list has {pages:,}: showing the last one.")
    what = (
        source_label(ctx, sources[0]) if sources
        else point_label(ctx, points[0]) if len(points) == 1
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
    st.markdown(f"**{total:,} articles** behind {markdown_text(what)}{value}", help="Every article, not a sample.")
    if df.empty:
        return None
    view = pd.DataFrame({
        "published (UTC)": df["published_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "date": [provenance.flag(s) for s in df["published_source"]],
        "source": df["source"], "title": df["title"], "mentions": df["mentions"],
        "who / what": [", ".join(ctx.names.get(_kind(ctx, e), e) for e in ents) for ents in df["entities"]],
        "link": [safe_url(u) for u in df["url"]],
    })
    shown = f"{generation}-{sort}-{desc}-{page}"  # another page or order: a fresh table, with no row chosen
    sel = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun",
                       selection_mode="single-row", key=f"{key}-table-{shown}",
                       column_config=list_columns())

    def every_article() -> pd.DataFrame:  # read when a button is clicked: all rows, not just this page
        return _list_page(ctx, points, pairs, sources, sort, desc, None, 0, cached=False).drop(columns=["n_total"])

    m = make_manifest(ctx, f"articles behind {what}", total)
    table_exports(every_article, m, "newsmon-articles", f"{key}-dl")
    ids = list(df["id"])
    labels = {r.id: f"{r.published_at:%Y-%m-%d} {provenance.flag(r.published_source)}".strip()
                    + f" · {r.source} · {r.title}" for r in df.itertuples(index=False)}
    rows = sel.selection.rows if sel is not None and hasattr(sel, "selection") else []
    chosen = st.selectbox("Open an article", ids, index=None, format_func=labels.get, key=f"{key}-open-{shown}",
                          placeholder="Choose an article to read (or select a row above)")
    if rows:
        return ids[rows[0]]
    return chosen


# Column widths of an article list, in px: every column in view at 1440 px (the main area is ~978 px wide
# beside the sidebar, 34 px of it the row-selection boxes). Left to themselves the columns took their
# content's width and "mentions", "who / what" and "link" lay beyond the right edge. A long title or list of
# names is cut with an ellipsis; the row opens the article, and the CSV export holds every value.
LIST_WIDTHS = {"published (UTC)": 118, "date": 60, "source": 150, "title": 318, "mentions": 74,
               "who / what": 140, "link": 78}


def list_columns() -> dict:
    """The article list's column_config: fixed widths (LIST_WIDTHS), the link as a link."""
    cfg: dict = {c: st.column_config.Column(c, width=w) for c, w in LIST_WIDTHS.items()}
    cfg["mentions"] = st.column_config.NumberColumn("mentions", width=LIST_WIDTHS["mentions"])
    cfg["date"] = st.column_config.TextColumn("date", width=LIST_WIDTHS["date"], help=provenance.FLAG_HELP)
    cfg["link"] = st.column_config.LinkColumn("link", display_text="original ↗", width=LIST_WIDTHS["link"])
    return cfg


@st.fragment
def list_and_article(ctx: Context, url: UrlSelection, key: str, points: list[PointKey] | None = None,
                     pairs: list[PairKey] | None = None, sources: list[SourceKey] | None = None,
                     series: pd.DataFrame | None = None) -> None:
    """The list behind a selection (if any) and the open article: a fragment, so that picking a row, sorting or
    paging reruns only this part of the page. The chart above it reruns it with each new selection."""
    if points or pairs or sources:
        url.opened(drilldown_section(ctx, key, points=points, pairs=pairs, sources=sources, series=series,
                                     generation=url.generation))
    if opened := url.article():
        article_view(ctx, opened)


def _kind(ctx: Context, entity_id: str) -> tuple[str, str]:
    return ("person", entity_id) if ("person", entity_id) in ctx.names.names or entity_id in ctx.filters.people \
        else ("topic", entity_id)


def article_view(ctx: Context, article_id: str) -> None:
    """Title, source, date (UTC, the page's local time when it gave its offset) and where the date comes from,
    link, and the cleaned text with mentions highlighted."""
    row, mentions = cache.article(ctx.root, ctx.version, article_id)
    if row is None:
        st.info("That article is not in the store (any more).")
        return
    st.divider()
    when = row["published_at"]
    source = row.get("published_source")
    meta = [f"**{markdown_text(row['source'])}**",
            markdown_text(provenance.when(when if pd.notna(when) else None, source, row.get("published_offset_min")))]
    says = markdown_text(provenance.says(source))
    meta.append(f":orange[⚠ {says}]" if provenance.flag(source) else says)
    if row.get("language"):
        meta.append(f"language: {markdown_text(row['language'])}")
    authors = row.get("authors")
    if authors is not None and len(authors):
        meta.append("by " + markdown_text(", ".join(str(a) for a in authors)))
    st.markdown(" · ".join(meta))
    if link := safe_url(row["url"]):
        st.link_button("Open the original ↗", link)
    else:
        st.caption(f"Address of the original (not a web link): {markdown_text(row['url'])}")
    records = mentions.to_dict("records")
    st.html(highlight.article_html(row["title"] or "", row["text"] or "", records, ctx.names))
    if records:
        legend = mentions.assign(name=[ctx.names.get((k, e)) for k, e in zip(mentions["kind"], mentions["entity_id"],
                                                                                 strict=False)])
        st.caption("Highlights: yellow = person, blue = topic; hover a highlight for who or what and which rule.")
        st.dataframe(legend.groupby(["name", "kind", "field", "rule"], as_index=False).size()
                     .rename(columns={"size": "matches"}), hide_index=True)
