"""Overview: headline figures, the timeline with spike markers, why a spike, top sources and terms.

A click on the timeline explains the selected points ("why the spike?") and lists their articles right
here; a click on a bar of "Top sources" lists that source's articles mentioning the selection. The selected
points (`sel`) or bar (`src`), the open article and the list's order and page live in the URL
(dashboard/urlstate.py), as on Explore: Back returns to the selection before, and a copied link shows the
same explanation and list again.
"""

import streamlit as st

from dashboard import afterchart, cache, charts, explain, lists, shell, views
from dashboard.data.selection import (
    decode_points,
    decode_sources,
    encode_points,
    encode_sources,
    selected_sources,
)
from dashboard.urlstate import UrlSelection

ctx = views.shell_context()
st.title("Overview")


@st.fragment
def timeline() -> bool:
    """The timeline, why its selected points stand out, and their articles: a click reruns this part only.
    Whether a chart was drawn (none when no article in the period mentions the selection)."""
    f = ctx.filters
    url = UrlSelection("overview", "sel", encode_points, decode_points, clears=("src",))
    series, clicked = views.timeline_section(ctx, key=url.chart_key("overview-timeline"), spikes=True)
    had_bar = "src" in st.query_params
    points = [p for p in url.selected(clicked) if (p.kind, p.entity_id) in f.entities]
    if had_bar and "src" not in st.query_params:
        st.rerun()  # the click replaced a bar's list further down the page: draw the whole page again
    if points:
        why = st.container()  # above the list, filled after it: the list does not wait for the texts' statistics
        st.subheader("Articles")
        lists.list_and_article(ctx, url, "overview-list", points=points, series=series)
        with why:
            views.why_section(ctx, points)
    else:
        marks = explain.spikes(series)  # (drawn by the cached figure; counted here for the caption, after the chart)
        if not marks.empty:
            st.caption(f"{len(marks)} spike(s) marked ▲ (value above the mean of the previous "
                       f"{explain.SPIKE_WINDOW} {f.bucket}s by more than {explain.SPIKE_Z:g} standard deviations). "
                       "Click one to see why.")
        st.caption("Click a point of the timeline, or a bar of Top sources, to list the articles behind it here.")
    return views.charted(series)


@st.fragment
def top_sources(below) -> None:
    """Top sources, and the articles of a clicked bar (in `below`, under both columns, at the page's width):
    a click reruns this part only."""
    f = ctx.filters
    url = UrlSelection("overview-src", "src", encode_sources, decode_sources, clears=("sel",))
    st.subheader("Top sources")
    top = cache.query(ctx.root, ctx.version, "top_sources", f, n=10)
    bars = []
    if top.empty:
        st.info("No source has an article mentioning the selection in this period.")
    else:
        fig = charts.bars_figure(top, "articles", "source", title="Articles mentioning the selection, by source",
                                 keys="source")
        event = views.plotly_chart(fig, theme=None, key=url.chart_key("top-sources"), on_select="rerun",
                                selection_mode=("points",))
        views.chart_exports(fig, views.make_manifest(ctx, "top sources", len(top)), top, "newsmon-top-sources",
                            "top-src")
        bars = selected_sources(event, selected=True)
    had_points = "sel" in st.query_params
    chosen = [k for k in url.selected(bars) if k.source in ctx.summary["sources"]]
    if had_points and "sel" not in st.query_params:
        st.rerun()  # the click replaced the timeline's selection and its list: draw the whole page again
    with below:  # written on every run of the fragment, full runs included: Streamlit keeps its place then
        area = st.container()
    if chosen and "sel" not in st.query_params:
        with area:
            st.subheader("Articles")  # no source name in a heading: headings render Markdown
            lists.list_and_article(ctx, url, "overview-src-list", sources=chosen)


def headline(f) -> None:
    first, last = views.span(ctx)
    in_period = cache.query(ctx.root, ctx.version, "count_articles", f, selected=False)
    mentioning = cache.query(ctx.root, ctx.version, "count_articles", f, selected=True)
    c = st.columns(4)
    c[0].metric("Articles in the period", f"{in_period:,}")
    c[1].metric("Mentioning the selection", f"{mentioning:,}",
                help="Articles that mention at least one selected person or topic")
    c[2].metric("Sources", f"{len(ctx.summary['sources']):,}")
    c[3].metric("Days", f"{(last - first).days + 1:,}" if first and last else "–",
                help=f"{first:%d %b %Y} to {last:%d %b %Y}, UTC" if first and last else None)
    if first and last:
        st.caption(f"Period: {first:%d %B %Y} to {last:%d %B %Y} (UTC).")


def lower(f) -> None:
    """Annotations, top sources and top terms: below the timeline."""
    views.annotations_section(ctx)
    left, right = st.columns(2)
    bar_list = st.container()  # Top sources writes the list of its clicked bar here, at the page's width
    with left:
        top_sources(bar_list)
    with right:
        st.subheader("Top co-occurring terms")
        cap = 1000
        terms, n_t, n_b = cache.top_terms(ctx.root, ctx.version, f, cap, views.exclude_terms(ctx, f.entities))
        st.caption(f"In the newest {n_t:,} articles mentioning the selection, against the newest {n_b:,} articles "
                   f"of the period (at most {cap:,} each).")
        if terms.empty:
            st.info("No word or phrase stands out.")
        else:
            st.dataframe(terms, hide_index=True, width="stretch")
            views.table_exports(terms, views.make_manifest(ctx, "top co-occurring terms", len(terms)),
                                "newsmon-top-terms", "top-terms")


if ctx is not None and not views.no_data(ctx):
    f = ctx.filters
    figures = st.container()  # the headline figures, counted after the timeline is drawn (two counts at 1M)
    charted = timeline()
    with figures:
        headline(f)
    if "src" in st.query_params or not charted:  # a link to a source's list is what the visitor came for
        lower(f)
    else:  # on opening, drawn once the timeline is (dashboard/afterchart.py): the first chart comes ~0.7 s sooner
        afterchart.deferred("overview", lambda: lower(f), "Top sources and co-occurring terms come once the "
                            "timeline is drawn.", app_rerun_coming=shell.filters_pending())
