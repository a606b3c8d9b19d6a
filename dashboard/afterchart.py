"""Part of a page drawn once the page's first chart is: `deferred(key, draw, note)`.

Takes a key, a function that draws part of a page, and a caption to show meanwhile; gives nothing.

Why: when a session opens the app, the browser is still fetching and evaluating plotly.js (4.7 MB) when the
script's elements arrive, and it draws every element sent with the first chart beside it: the Overview's "Top
sources" (a second chart) and "Top co-occurring terms" (a data grid that brings ~1.3 MB of JavaScript of its own)
held the timeline back ~0.7 s at a million articles (docs/benchmarks.md, "Issue 15, stop 24").

How: on a page's first run in a session, the part is a caption and a small custom component (Streamlit
components v2: inline JavaScript in the page, no iframe, nothing drawn) inside a fragment. The component waits
until a plotly chart on the page has drawn its traces, or `FALLBACK_S` seconds, then sends a trigger: the fragment
reruns alone and draws the part. Every later run of the page draws it at once (the browser has plotly.js then).
Streamlit's own `run_every` timer was tried first: it fired before plotly.js had loaded and gained nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

FALLBACK_S = 15.0  # draw the part anyway this long after the component mounts (a chart that never draws;
# long enough for a loaded machine, where the chart itself can take several seconds)
NAME = "newsmon_after_first_chart"
_JS = """export default function (component) {
  const { setTriggerValue } = component;
  const started = performance.now();
  let done = false;
  const check = () => {
    if (done) return;
    const drawn = document.querySelector('.stPlotlyChart .js-plotly-plot .main-svg .trace');
    if (drawn || performance.now() - started > FALLBACK_MS) {
      done = true;
      requestAnimationFrame(() => setTriggerValue('drawn', true));  // after the frame that shows the chart
      return;
    }
    setTimeout(check, 50);
  };
  check();
  return () => { done = true; };
}""".replace("FALLBACK_MS", str(int(FALLBACK_S * 1000)))


@functools.cache
def _component():
    """The component, registered once per process."""
    return st.components.v2.component(NAME, js=_JS)


def _ignore() -> None:
    """The trigger's callback: the fragment's rerun reads the trigger itself."""


def seen_key(key: str) -> str:
    return f"_after_chart_{key}"


def deferred(key: str, draw: Callable[[], None], note: str, app_rerun_coming: bool = False) -> None:
    """Call `draw` now, unless this is the page's first run in this session: then once its first chart is
    drawn, in a fragment that reruns alone. With `app_rerun_coming` (the session's first run, whose filters
    rerun the whole app once the chart is drawn: dashboard/shell.py), only the note: that rerun draws the part."""
    if st.session_state.get(seen_key(key)):
        draw()
        return
    st.session_state[seen_key(key)] = True  # any later run of the page draws the part at once
    if app_rerun_coming:
        st.caption(note)
        return

    @st.fragment
    def part() -> None:
        result = _component()(key=f"after-chart-{key}", on_drawn_change=_ignore)
        if getattr(result, "drawn", None):
            draw()
        else:
            st.caption(note)

    part()
