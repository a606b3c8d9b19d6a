"""Sources & health: articles per source over time, last successful fetch, failures by reason, the run log.

A click on a bar of "Articles stored per source" lists that source's articles of that bucket right under the
chart (`src` in the URL, with the open article and the list's order and page: dashboard/urlstate.py).
"""

from dataclasses import replace

import streamlit as st

from dashboard import cache, charts, lists, views
from dashboard.data.selection import decode_sources, encode_sources, selected_sources
from dashboard.urlstate import UrlSelection

ctx = views.shell_context()
st.title("Sources & health")


@st.fragment
def per_source() -> None:
    """The chart of articles stored per source, and the list of a clicked bar: a click reruns this part only."""
    f = ctx.filters
    per = cache.query(ctx.root, ctx.version, "articles_per_source", f)
    if per.empty:
        return
    url = UrlSelection("health", "src", encode_sources, decode_sources)
    fig = charts.stacked_figure(per, title=f"Articles stored per {f.bucket} and source")
    event = views.plotly_chart(fig, key=url.chart_key("per-source"), theme=None, on_select="rerun",
                            selection_mode=("points",))
    views.chart_exports(fig, views.make_manifest(ctx, "articles per source", len(per)), per,
                        "newsmon-articles-per-source", "per")
    chosen = [k for k in url.selected(selected_sources(event, selected=False))
              if k.source in ctx.summary["sources"] and k.bucket is not None and not k.selected]
    if chosen:
        st.subheader("Articles")  # no source name in a heading: headings render Markdown
    else:
        st.caption("Click a bar to list that source's articles of that " + f.bucket + ".")
    # The chart counts every article stored, whatever the search box says: so does its list.
    lists.list_and_article(replace(ctx, filters=f.with_(search="")), url, "health-list", sources=chosen)

if ctx is not None:
    f = ctx.filters
    health = cache.query(ctx.root, ctx.version, "source_health")
    if health.empty:
        st.info("The store has no articles yet and no run has been logged: run `newsmon ingest` "
                "(or `newsmon demo`) and reload this page.")
    else:
        st.subheader("Sources")
        st.dataframe(health, hide_index=True, width="stretch", column_config={
            "last_ok_run": st.column_config.DatetimeColumn("last successful run", format="YYYY-MM-DD HH:mm"),
            "last_run": st.column_config.DatetimeColumn("last run", format="YYYY-MM-DD HH:mm"),
            "newest_article": st.column_config.DatetimeColumn("newest article", format="YYYY-MM-DD HH:mm"),
            "last_fetched": st.column_config.DatetimeColumn("last fetched", format="YYYY-MM-DD HH:mm"),
        })
        views.table_exports(health, views.make_manifest(ctx, "sources", len(health)), "newsmon-sources", "src")
        per_source()
        st.subheader("Failures by reason")
        fails = cache.query(ctx.root, ctx.version, "failures")
        if fails.empty:
            st.info("No failure in the run log.")
        else:
            st.dataframe(fails, hide_index=True, width="stretch")
        st.subheader("Runs")
        runs = cache.query(ctx.root, ctx.version, "runs", limit=500)
        if runs.empty:
            st.info("No run logged yet.")
        else:
            st.caption("The newest 500 rows of the run log (one row per run and source).")
            st.dataframe(runs, hide_index=True, width="stretch")
