"""People & topics: the watchlist with its counts under the filters, and who is mentioned with whom.

The co-mention cell selected (`pair`), the open article (`article`) and the list's order and page (`sort`, `page`)
live in the URL (dashboard/urlstate.py): Back from an article returns to the same cell's list at the same page,
and a copied link reopens all of it.
"""

import pandas as pd
import streamlit as st

from dashboard import cache, charts, lists, views
from dashboard.data.selection import decode_pairs, encode_pairs, selected_pairs
from dashboard.urlstate import UrlSelection

ctx = views.shell_context()
st.title("People & topics")


@st.fragment
def co_mentions() -> None:
    """The matrix and the list of a clicked cell: a click reruns this fragment only."""
    f = ctx.filters
    url = UrlSelection("entities", "pair", encode_pairs, decode_pairs)
    pairs = cache.query(ctx.root, ctx.version, "co_mentions", f, n=12)
    clicked = []
    if pairs.empty:
        st.info("No two people are mentioned in the same article under these filters.")
    else:
        scope = "the selected people" if len(f.people) >= 2 else "the 12 most-mentioned people"
        fig = charts.co_mentions_figure(pairs, ctx.names, title=f"Articles mentioning both ({scope})")
        event = views.plotly_chart(fig, key=url.chart_key("co-mentions"), on_select="rerun",
                                selection_mode=("points",), theme=None, width="content")
        views.chart_exports(fig, views.make_manifest(ctx, "co-mentions", len(pairs)), pairs, "newsmon-co-mentions",
                            "co")
        clicked = selected_pairs(event)
    chosen = url.selected(clicked)
    if not chosen and not pairs.empty:
        st.caption("Click a cell to list the articles that mention both people.")
    lists.list_and_article(ctx, url, "co-list", pairs=chosen)

if ctx is not None and not (ctx.empty and views.no_data(ctx)):
    f = ctx.filters
    totals = cache.query(ctx.root, ctx.version, "entity_totals", f)
    known = pd.DataFrame(
        [{"kind": k, "entity_id": e, "name": n} for (k, e), n in ctx.names.names.items()],
        columns=["kind", "entity_id", "name"],
    )
    table = known.merge(totals, on=["kind", "entity_id"], how="outer")
    table["name"] = [n if isinstance(n, str) else ctx.names.get((k, e))
                     for n, k, e in zip(table["name"], table["kind"], table["entity_id"], strict=False)]
    for col in ("articles", "mentions", "in_titles"):
        table[col] = table[col].fillna(0).astype(int)
    table = table.sort_values(["kind", "articles", "name"], ascending=[True, False, True])
    version = ctx.names.version or "unknown"
    st.caption(f"Watchlist version {version}. Counts under the current filters (period, sources, language, search); "
               "entries with no mention show 0.")
    tabs = st.tabs(["People", "Topics"])
    for tab, kind in zip(tabs, ("person", "topic"), strict=True):
        with tab:
            t = table[table["kind"] == kind].drop(columns=["kind"])
            st.dataframe(t, hide_index=True, width="stretch",
                         column_config={"articles": st.column_config.ProgressColumn(
                             "articles", min_value=0, max_value=max(1, int(t["articles"].max() or 1)), format="%d")})
            views.table_exports(t, views.make_manifest(ctx, f"{kind} counts", len(t)), f"newsmon-{kind}-counts",
                                f"ent-{kind}")

    st.subheader("Mentioned together")
    co_mentions()
