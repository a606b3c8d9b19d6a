"""Real-browser test of dashboard/afterchart.py: on opening, the Overview's timeline is drawn before its top sources
and top terms are even sent; they follow on their own, with no click; a later run draws them at once.

Fixtures and helpers: tests/browserkit.py.
"""

from __future__ import annotations

import pytest

from tests.browserkit import require_chromium, settled

pytestmark = pytest.mark.browser

require_chromium()

# When each part first showed: the timeline's traces, the waiting caption, the terms' heading, Top sources' chart;
# and when the message with the terms' heading came from the server.
SEEN_JS = """(() => {
  window.__seen = {};
  const mark = (k, ok) => { if (!window.__seen[k] && ok) window.__seen[k] = performance.now(); };
  const heading = t => Array.from(document.querySelectorAll('h3')).some(h => h.textContent.includes(t));
  const tick = () => {
    mark('chart', document.querySelector('.stPlotlyChart .js-plotly-plot .main-svg .scatterlayer .trace'));
    mark('caption', document.body && document.body.innerText.includes('come once the timeline is drawn'));
    mark('terms', heading('Top co-occurring terms'));
    mark('sources', document.querySelectorAll('.stPlotlyChart').length > 1);  // Top sources' chart, the second
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // when the server's message holding the terms' heading arrived (the page's websocket, watched)
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ev => {
        if (window.__seen.sent || !(ev.data instanceof ArrayBuffer)) return;
        if (new TextDecoder().decode(ev.data).includes('Top co-occurring terms')) window.__seen.sent = performance.now();
      });
    }
  };
})();"""


def test_the_overview_draws_its_timeline_before_the_rest_then_the_rest_on_its_own(dashboard, page):
    page.add_init_script(SEEN_JS)
    page.goto(f"{dashboard.url}/?people=alice-example,bob-sample")
    page.get_by_role("heading", name="Top co-occurring terms").wait_for(timeout=30_000)  # no click, no scroll
    page.get_by_role("heading", name="Top sources").wait_for()
    seen = page.evaluate("window.__seen")
    assert {"chart", "caption", "terms", "sources", "sent"} <= set(seen), seen
    # the rest was sent only once the timeline had drawn its traces (before, it came in the same run as the
    # timeline, while plotly.js was still loading, and its data grid and second chart were drawn beside it)
    assert seen["chart"] < seen["sent"] <= seen["terms"] and seen["chart"] < seen["sources"], seen
    settled(page)
    assert page.get_by_text("come once the timeline is drawn").count() == 0  # the caption made way
    assert page.locator("[data-testid=stException]").count() == 0

    # a later run of the page (a filter changed) draws the rest with the timeline, with no caption in between
    page.evaluate("window.__seen = {}")
    page.get_by_role("combobox", name="Per").click()
    page.get_by_role("option", name="month").click()
    page.wait_for_url("**bucket=month**")
    settled(page)
    assert page.get_by_role("heading", name="Top co-occurring terms").count() == 1
    assert "caption" not in page.evaluate("window.__seen")
    assert page.locator("[data-testid=stException]").count() == 0
