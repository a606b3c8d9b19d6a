"""Overview: headline figures, the timeline with spike markers, why a spike, top sources and terms.

The selected points (`sel`) live in the URL (dashboard/urlstate.py), as on Explore: Back returns to the
selection before, and a copied link shows the same "why the spike?" again.
"""

import streamlit as st

from dashboard import cache, charts, explain, views
from dashboard.data.selection import decode_points, encode_points
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
    url = UrlSelection("overview", "sel", encode_points, decode_points)
    series, clicked = views.timeline_section(ctx, key=url.chart_key("overview-timeline"), spikes=marks)
    points = [p for p in url.selected(clicked) if (p.kind, p.entity_id) in f.entities]
    if points:
        views.why_section(ctx, points)
        if st.button(f"List the articles behind {len(points)} selected point(s) in Explore", type="primary"):
            st.switch_page("screens/explore.py",
                           query_params={**f.to_query_params(), "sel": encode_points(points)})
    elif not marks.empty:
        st.caption(f"{len(marks)} spike(s) marked ▲ (value above the mean of the previous {explain.SPIKE_WINDOW} "
                   f"{f.bucket}s by more than {explain.SPIKE_Z:g} standard deviations). Click one to see why.")
    views.annotations_section(ctx)
    left, right = st.columns(2)
    with left:
        st.subheader("Top sources")
        top = cache.query(ctx.root, ctx.version, "top_sources", f, n=10)
        if top.empty:
            st.info("No source has an article mentioning the selection in this period.")
        else:
            fig = charts.bars_figure(top, "articles", "source", title="Articles mentioning the selection, by source")
            st.plotly_chart(fig, theme=None, key="top-sources")
            views.chart_exports(fig, views.make_manifest(ctx, "top sources", len(top)), top, "newsmon-top-sources",
                                "top-src")
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
