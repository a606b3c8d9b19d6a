"""Sources & health: articles per source over time, last successful fetch, failures by reason, the run log."""

import streamlit as st

from dashboard import cache, charts, views

ctx = views.shell_context()
st.title("Sources & health")
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
        per = cache.query(ctx.root, ctx.version, "articles_per_source", f)
        if not per.empty:
            fig = charts.stacked_figure(per, title=f"Articles stored per {f.bucket} and source")
            st.plotly_chart(fig, key="per-source", theme=None)
            views.chart_exports(fig, views.make_manifest(ctx, "articles per source", len(per)), per,
                                "newsmon-articles-per-source", "per")
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
