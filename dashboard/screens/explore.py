"""Explore: the timeline, exactly the articles behind a clicked point, and the article text."""

import streamlit as st

from dashboard import views

ctx = views.shell_context()
st.title("Explore")
if ctx is not None and not views.no_data(ctx):
    series, points = views.timeline_section(ctx, key="explore-timeline")
    if points and points != st.session_state.get("explore_points"):
        st.session_state["explore_points"] = points  # kept when the user reads an article and comes back
        for k in ("explore-list-open", "explore-list-table", "explore-list-page"):
            st.session_state.pop(k, None)
        if "article" in st.query_params:
            del st.query_params["article"]
    kept = [p for p in st.session_state.get("explore_points", []) if (p.kind, p.entity_id) in ctx.filters.entities]
    points = points or kept
    if points:
        st.subheader("Articles")
        opened = views.drilldown_section(ctx, "explore-list", points=points, series=series)
        if opened:
            st.query_params["article"] = opened
        elif "article" in st.query_params:
            opened = st.query_params["article"]
        if opened:
            views.article_view(ctx, opened)
    elif "article" in st.query_params:
        views.article_view(ctx, st.query_params["article"])
