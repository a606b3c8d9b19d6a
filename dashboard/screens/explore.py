"""Explore: the timeline, exactly the articles behind a clicked point, and the article text.

The selection (`sel`) and the open article (`article`) live in the URL, so each is a browser history
entry: Back from an article returns to the same list, and a copied link reopens both. The chart's and the
list's own widget states only count when they change in this run (a new click, a new row); otherwise the
URL wins, which is what the browser's Back and Forward change.
"""

import streamlit as st

from dashboard import shell, views
from dashboard.selection import decode_points, encode_points

ctx = views.shell_context()
st.title("Explore")
if ctx is not None and not views.no_data(ctx):
    ss = st.session_state
    gen = ss.setdefault("_explore_gen", 0)  # bumped to draw the list's choosers empty
    if "article" not in st.query_params and ss.get("_explore_open"):
        gen = ss["_explore_gen"] = gen + 1  # Back from an article: nothing stays chosen in the list
        ss["_explore_open"] = None
    if ss.get("_explore_event") and encode_points(ss["_explore_event"]) != st.query_params.get("sel", ""):
        # Back/Forward moved the URL off the chart's own selection: draw the chart afresh (nothing selected),
        # so that it shows no stale selection and a click on any point, even the one selected before, counts.
        ss["_explore_chart"] = ss.get("_explore_chart", 0) + 1
        ss["_explore_event"] = []
    chart_key = "explore-timeline" + (f"-{ss['_explore_chart']}" if ss.get("_explore_chart") else "")
    series, clicked = views.timeline_section(ctx, key=chart_key)
    if clicked != ss.get("_explore_event", []):
        ss["_explore_event"] = clicked
        if clicked:  # a new click or box in this run: a new history entry, with no article open
            ss.pop("explore-list-page", None)
            gen = ss["_explore_gen"] = gen + 1
            ss["_explore_open"] = None
            shell.set_page_params(sel=encode_points(clicked), article=None)
    points = [p for p in decode_points(st.query_params.get("sel")) if (p.kind, p.entity_id) in ctx.filters.entities]
    if points:
        st.subheader("Articles")
        chosen = views.drilldown_section(ctx, "explore-list", points=points, series=series, generation=gen)
        if chosen != ss.get("_explore_open"):
            ss["_explore_open"] = chosen
            if chosen:
                shell.set_page_params(article=chosen)
    opened = st.query_params.get("article")
    if opened:
        views.article_view(ctx, opened)
