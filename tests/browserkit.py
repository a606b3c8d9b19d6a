"""What the browser tests share: Debian's chromium, a `streamlit run` server on a free port, fixtures, chart helpers.

Used by tests/dashboard/test_browser.py (charts, clicks, drill-down, escaping, exports), tests/dashboard/test_browser_urlstate.py (the
URL as the view's record: Back, Forward, copied links) and tests/dashboard/test_browser_access.py (sign-in gates). The
fixtures `browser` and `dashboard` are session-wide (tests/conftest.py imports them): one chromium and one server
on the tiny store for every module.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    """Skip the calling test module (call it at module level) without Playwright or Debian's chromium."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dashboard:
    """`streamlit run dashboard/app.py` on a free port, started from an unrelated working directory."""

    def __init__(self, store: Path, workdir: Path, extra_env: dict | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, NEWSMON_STORE=str(store), NEWSMON_DASHBOARD_CACHE=str(workdir / "dashboard-cache"),
                   **(extra_env or {}))
        if "NEWSMON_PASSWORD" not in (extra_env or {}):
            env.pop("NEWSMON_PASSWORD", None)
        self.log = open(workdir / f"streamlit-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        from dashboard.serve import streamlit_command

        self.proc = subprocess.Popen(
            streamlit_command("127.0.0.1", self.port), cwd=workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"dashboard did not start; log: {(workdir / f'streamlit-{self.port}.log').read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def launch_browser() -> Iterator:
    """A headless Debian chromium for a module's tests (never a downloaded browser build)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless chromium for every browser test."""
    yield from launch_browser()


@pytest.fixture(scope="session")
def dashboard(tiny_store_session, tmp_path_factory) -> Iterator[Dashboard]:
    """The dashboard on the session's tiny store, with its watchlist (shared: tests only read the store)."""
    d = Dashboard(tiny_store_session.root, tmp_path_factory.mktemp("cwd"),
                  {"NEWSMON_WATCHLIST": str(tiny_store_session.watchlist)})
    yield d
    d.stop()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, no session) and its page."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def wait_chart(page) -> None:
    """The page's chart drawn, and the sidebar's filters with it: a session's first run draws them by a rerun of
    the app once its chart is drawn (dashboard/shell.py, `filters_after_page`)."""
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace path.point", state="attached")
    page.wait_for_selector("[data-testid=stSidebar] [data-testid=stMultiSelect]", state="attached")
    page.wait_for_timeout(500)  # let plotly finish its layout before reading positions


def settled(page) -> None:
    """Wait until the app's script run is over (Streamlit marks it on its root element), and a moment more for
    the browser to draw what it sent."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached")
    page.wait_for_timeout(300)


def websocket_frames(pg) -> list[str]:
    """Every websocket frame the page receives from now on, as text (to prove what the server sent)."""
    frames: list[str] = []
    pg.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, str) else payload.decode("latin-1"))))
    return frames


POINTS_JS = """(traceIndex) => {
  const gd = document.querySelector('.js-plotly-plot');
  const traces = gd.querySelectorAll('.scatterlayer .trace');
  return Array.from(traces[traceIndex].querySelectorAll('path.point')).map(p => {
    const r = p.getBoundingClientRect(); const d = p.__data__;
    return {x: r.x + r.width / 2, y: r.y + r.height / 2, value: d.y, custom: gd.data[traceIndex].customdata[d.i]};
  });
}"""


def week_count(tiny, kind: str, entity: str, bucket: str) -> int:
    """Articles of the week starting `bucket` that mention the entity: ground truth from the records themselves,
    not from the dashboard's queries."""
    start = date.fromisoformat(bucket)
    return sum(
        1 for a in tiny.charted
        if start <= a.published_at.date() < start + timedelta(days=7)
        and any(m.kind == kind and m.entity_id == entity for m in a.mentions)
    )


def menu_options(page, name: str, tries: int = 4) -> list[str]:
    """Open the select box or multiselect labelled `name` and return its options' texts (a click alone did not
    always open the menu; the arrow key does, as in `open_first_article`). Escape closes it again.

    A menu that has not opened 10 s after the click and the arrow key is opened again, up to `tries` times: at load
    average ~11 on 2 cores, the Sources menu of the Sources & health page stayed shut once for the whole minute a
    single wait allowed (a fresh-clone CI run), though the same test passed alone. A menu that shut again between
    the wait and the read (its options read as [] in a CI run of stop 21, just after its expander was opened) is
    opened again too."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    option = page.get_by_role("option").first
    for attempt in range(tries):
        settled(page)
        combo = page.get_by_role("combobox", name=name)
        combo.click()
        if not option.is_visible():
            combo.press("ArrowDown")
        try:
            option.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            continue
        texts = page.get_by_role("option").all_inner_texts()
        if texts or attempt == tries - 1:
            return texts
        page.keyboard.press("Escape")  # it shut again between the wait and the read: open it again
    return []


def open_first_article(page) -> None:
    """Choose the first article in the list's "Open an article" box and wait for its text.

    Waits for the app's run to end first, as Streamlit's own browser tests do before each interaction: without
    it the article did not open in 2 of 3 full browser runs at load average 14-26 on 2 cores (never in the
    single runs of the same tests)."""
    settled(page)
    combo = page.get_by_role("combobox", name="Open an article")
    combo.click()
    if not page.get_by_role("option").first.is_visible():
        combo.press("ArrowDown")
    page.get_by_role("option").first.click()
    page.locator(".nm-body").wait_for()


def traces(page) -> list[dict]:
    return page.evaluate("""() => document.querySelector('.js-plotly-plot')._fullData
        .filter(t => t.type === 'scatter' && t.name !== 'Spike')
        .map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y), custom: t.customdata}))""")


def click_custom(page, want) -> None:
    """Click the point of the page's first chart whose custom data starts with `want`."""
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    wait_chart(page)
    p = next(p for p in page.evaluate(POINTS_JS, 0) if p["custom"][:len(want)] == list(want))
    page.mouse.click(p["x"], p["y"])
