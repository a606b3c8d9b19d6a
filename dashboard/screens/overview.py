"""Overview: headline figures, the timeline with spike markers, why a spike, top sources and terms.

A click on the timeline explains the selected points ("why the spike?") and lists their articles right
here; a click on a bar of "Top sources" lists that source's articles mentioning the selection. The selected
points (`sel`) or bar (`src`), the open article and the list's order and page live in the URL
(dashboard/urlstate.py), as on Explore: Back returns to the selection before, and a copied link shows the
same explanation and list again.
"""

import streamlit as st

from dashboard import cache, charts, explain, views
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
if ctx is not None and not views.no_data(ctx):
    f = ctx.filters
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
    series = views.timeline_series(ctx)
    marks = explain.spikes(series)
    url = UrlSelection("overview", "sel", encode_points, decode_points, clears=("src",))
    series, clicked = views.timeline_section(ctx, key=url.chart_key("overview-timeline"), spikes=marks)
    url.selected(clicked)
    src_url = UrlSelection("overview-src", "src", encode_sources, decode_sources, clears=("sel",))
    # Filled once both charts' clicks are known (a click on a bar of Top sources, further down, replaces the
    # timeline's selection in this same run), so the page never shows the selection before the click.
    below_timeline = st.container()
    views.annotations_section(ctx)
    left, right = st.columns(2)
    bars = []
    with left:
        st.subheader("Top sources")
        top = cache.query(ctx.root, ctx.version, "top_sources", f, n=10)
        if top.empty:
            st.info("No source has an article mentioning the selection in this period.")
        else:
            fig = charts.bars_figure(top, "articles", "source", title="Articles mentioning the selection, by source",
                                     keys="source")
            event = st.plotly_chart(fig, theme=None, key=src_url.chart_key("top-sources"), on_select="rerun",
                                    selection_mode=("points",))
            views.chart_exports(fig, views.make_manifest(ctx, "top sources", len(top)), top, "newsmon-top-sources",
                                "top-src")
            bars = selected_sources(event, selected=True)
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
    chosen = [k for k in src_url.selected(bars) if k.source in ctx.summary["sources"]]
    points = [p for p in decode_points(st.query_params.get("sel")) if (p.kind, p.entity_id) in f.entities]
    with below_timeline:
        if points:
            views.why_section(ctx, points)
            st.subheader("Articles")
            url.opened(views.drilldown_section(ctx, "overview-list", points=points, series=series,
                                               generation=url.generation))
            if opened := url.article():
                views.article_view(ctx, opened)
        elif not marks.empty:
            st.caption(f"{len(marks)} spike(s) marked ▲ (value above the mean of the previous "
                       f"{explain.SPIKE_WINDOW} {f.bucket}s by more than {explain.SPIKE_Z:g} standard deviations). "
                       "Click one to see why.")
    if chosen and not points:
        st.subheader(f"Articles from {chosen[0].source}")
        src_url.opened(views.drilldown_section(ctx, "overview-src-list", sources=chosen,
                                               generation=src_url.generation))
        if opened := src_url.article():
            views.article_view(ctx, opened)
    elif not points:
        st.caption("Click a point of the timeline, or a bar of Top sources, to list the articles behind it here.")
