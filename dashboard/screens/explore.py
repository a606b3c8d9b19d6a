"""Explore: the timeline, exactly the articles behind a clicked point, and the article text.

The selection (`sel`), the open article (`article`) and the list's order and page (`sort`, `page`) live in the URL
(dashboard/urlstate.py), so each is a browser history entry: Back from an article returns to the same list at the
same page, and a copied link reopens all of it.
"""

import streamlit as st

from dashboard import views
from dashboard.data.selection import decode_points, encode_points
from dashboard.urlstate import UrlSelection

ctx = views.shell_context()
st.title("Explore")
if ctx is not None and not views.no_data(ctx):
    url = UrlSelection("explore", "sel", encode_points, decode_points)
    series, clicked = views.timeline_section(ctx, key=url.chart_key("explore-timeline"))
    points = [p for p in url.selected(clicked)
              if (p.kind, p.entity_id) in ctx.filters.entities]
    if points:
        st.subheader("Articles")
        url.opened(views.drilldown_section(ctx, "explore-list", points=points, series=series,
                                           generation=url.generation))
    if opened := url.article():
        views.article_view(ctx, opened)
