"""Explore: the timeline, exactly the articles behind a clicked point, and the article text.

The selection (`sel`), the open article (`article`) and the list's order and page (`sort`, `page`) live in the URL
(dashboard/urlstate.py), so each is a browser history entry: Back from an article returns to the same list at the
same page, and a copied link reopens all of it.
"""

import streamlit as st

from dashboard import lists, views
from dashboard.data.selection import decode_points, encode_points
from dashboard.urlstate import UrlSelection

ctx = views.shell_context()
st.title("Explore")


@st.fragment
def timeline_and_list() -> None:
    """A click on the chart reruns this fragment only (not the sidebar, not the page around it)."""
    url = UrlSelection("explore", "sel", encode_points, decode_points)
    series, clicked = views.timeline_section(ctx, key=url.chart_key("explore-timeline"))
    points = [p for p in url.selected(clicked) if (p.kind, p.entity_id) in ctx.filters.entities]
    if points:
        st.subheader("Articles")
    lists.list_and_article(ctx, url, "explore-list", points=points, series=series)


if ctx is not None and not views.no_data(ctx):
    timeline_and_list()
