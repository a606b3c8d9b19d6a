"""newsmon dashboard entry point: `streamlit run dashboard/app.py` (or `newsmon dashboard`).

Reads the store at $NEWSMON_STORE (default data/store) and display names from $NEWSMON_WATCHLIST.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the repo root
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import cache, countpool, export, shell  # noqa: E402

st.set_page_config(page_title="newsmon", page_icon="📰", layout="wide")

if not shell.gate():
    st.stop()

# The browser fetches and starts Streamlit's chart code (plotly.js, 4.7 MB) only when a page first shows a chart.
# An empty chart here, gone once the sidebar is drawn, makes it do that while the server still computes the page:
# on the demo store the first chart came in 7.9 s instead of 11.3 s (median of 4 fresh starts each, machine at
# load ~17; benchmarks/first_chart.py), the chart code being ready ~1.5 s before the chart's data arrived.
warm = st.empty()
warm.plotly_chart({"data": [{"type": "scatter", "x": [], "y": []}], "layout": {"height": 10}}, theme=None,
                  key="_warm_plotly", config={"staticPlot": True, "displayModeBar": False})

_PAGES = Path(__file__).resolve().parent / "screens"  # not pages/: see screens/__init__.py
pages = [
    st.Page(_PAGES / "overview.py", title="Overview", icon=":material/newspaper:", default=True),
    st.Page(_PAGES / "explore.py", title="Explore", icon=":material/travel_explore:"),
    st.Page(_PAGES / "entities.py", title="People & topics", icon=":material/groups:"),
    st.Page(_PAGES / "health.py", title="Sources & health", icon=":material/monitor_heart:"),
    st.Page(_PAGES / "alerts.py", title="Alerts", icon=":material/notifications:"),
]
page = st.navigation(pages, position="hidden")  # the sidebar draws the menu: its links keep the filters
ctx = shell.sidebar(pages)
warm.empty()
if ctx is None:
    st.stop()
try:
    page.run()
finally:  # the session's first run draws the filters after its page (and its chart)
    shell.filters_after_page()
# What waits for the first page to be drawn, so as not to share the CPU with it: a first build of the store's
# index (pages read the files meanwhile: dashboard/data/index.py), and the image renderer (kaleido's Chromium),
# started in the background so the first PNG/SVG/PDF export does not wait for it (~2-5 s), and the processes that
# count the words of "why the spike?" (dashboard/countpool.py, ~0.2 s to start).
cache.page_drawn()
export.warm_up()
countpool.warm_up()
