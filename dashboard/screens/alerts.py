"""Alerts: the rules (the file in $NEWSMON_ALERTS, else the packaged one), the events fired, newest first, each
opening its view, and the delivery failures. Read from the store's alerts/ folder (docs/alerts.md)."""

import os

import streamlit as st

from dashboard import views
from dashboard.alerts import tables
from dashboard.alerts.feedserver import feed_link
from dashboard.alerts.rules import AlertsError, load_rules
from dashboard.alerts.state import AlertState

ctx = views.shell_context()
st.title("Alerts")
if ctx is not None:
    path = os.environ.get("NEWSMON_ALERTS") or None
    st.subheader("Rules")
    try:
        rules = load_rules(path, known=set(ctx.names.names) if ctx.names.names else None)
    except AlertsError as exc:
        st.warning(f"The rules file cannot be used: {exc}")
    else:
        st.caption(f"From `{rules.path}`. Checked after each `newsmon ingest --alerts FILE` run and by "
                   "`newsmon alerts check`; see docs/alerts.md.")
        if rules.rules:
            st.dataframe(tables.rules_table(rules, ctx.names), hide_index=True, width="stretch")
        else:
            st.info("The rules file holds no rule.")
    state = AlertState(ctx.root)
    records = state.events()
    st.subheader("Events fired")
    if not records:
        st.info("No alert has fired yet in this store: run `newsmon alerts check` (or ingest with `--alerts`).")
    else:
        n = tables.counts(records)
        st.caption(f"{len(records):,} events, newest first; deliveries: {n['delivered']:,} delivered, "
                   f"{n['pending']:,} pending, {n['failed']:,} failed. Click a view to open it.")
        st.dataframe(tables.events_table(records), hide_index=True, width="stretch", column_config={
            "view": st.column_config.LinkColumn("view", display_text="open"),
            "fired_at": st.column_config.DatetimeColumn("fired at (UTC)", format="YYYY-MM-DD HH:mm"),
        })
        if state.feed_path.exists():
            st.download_button("Atom feed of the alerts", state.feed_path.read_bytes(), "newsmon-alerts.atom",
                               "application/atom+xml", on_click="ignore",
                               help=f"The feed file is {state.feed_path}.")
        st.subheader("Delivery failures")
        failed = tables.failures_table(records)
        if failed.empty:
            st.info("No delivery has failed.")
        else:
            st.dataframe(failed, hide_index=True, width="stretch", column_config={
                "last_try": st.column_config.DatetimeColumn("last try (UTC)", format="YYYY-MM-DD HH:mm")})
    feed = feed_link(st.context.headers.get("Host"))
    if feed:
        st.markdown("**Follow the alerts in a feed reader** (Atom, the current feed at every request):")
        st.code(feed, language=None)
    else:
        st.caption("The alerts' Atom feed is served by `newsmon dashboard` (at http://HOST:PORT+1/alerts/feed.atom, "
                   "or `--feed-port`); this server was started without it.")
    st.subheader("Deliveries in the run log")
    try:
        log = tables.delivery_log(ctx.root)
    except Exception as exc:  # noqa: BLE001 - an unreadable run log must not hide the rest of the page
        st.warning(f"The run log cannot be read: {type(exc).__name__}: {exc}")
    else:
        if log.empty:
            st.info("No check has delivered anything yet.")
        else:
            st.caption(f"Each check's deliveries per channel, from the store's run log (`runs/`, source "
                       f"`alerts:<channel>`), newest first: {int((log['not_delivered'] > 0).sum()):,} of "
                       f"{len(log):,} rows with a failure.")
            st.dataframe(log, hide_index=True, width="stretch", column_config={
                "finished_at": st.column_config.DatetimeColumn("check (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                "not_delivered": st.column_config.NumberColumn("not delivered")})
