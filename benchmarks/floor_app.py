"""The opening's floor: the timeline's figure alone on a Streamlit page, served with the dashboard's settings.

    streamlit run benchmarks/floor_app.py    # with NEWSMON_FLOOR_FIGURE=FILE; benchmarks/interaction.py starts it

Takes the figure (plotly JSON, as the dashboard's page held it: `interaction.FIGURE_JS`) from the file in
$NEWSMON_FLOOR_FIGURE; gives a page with that one chart and nothing else, drawn by `st.plotly_chart` with the
timeline's own options (clickable, wide layout, the dashboard's theme passed by benchmarks/interaction_harness.py).
What a user waits for before this page shows its chart is what Streamlit and plotly.js cost on this machine
before any of newsmon's own page: benchmarks/interaction.py times it beside the dashboards (`--floor`).
"""

import json
import os
import sys
from pathlib import Path

FIGURE = os.environ.get("NEWSMON_FLOOR_FIGURE")

if FIGURE is None or "--help" in sys.argv:  # run as a script, not by `streamlit run`: say what it is
    print(__doc__)
else:
    import plotly.io as pio
    import streamlit as st

    st.set_page_config(page_title="newsmon", page_icon="📰", layout="wide")  # as dashboard/app.py
    figure = pio.from_json(json.dumps(json.loads(Path(FIGURE).read_text())), skip_invalid=True)
    st.plotly_chart(figure, key="floor", on_select="rerun", selection_mode=("points", "box"), width="stretch",
                    theme=None, config={"displaylogo": False})
