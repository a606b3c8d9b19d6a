"""What the browser tests share: Debian's chromium, a `streamlit run` server on a free port, chart helpers.

Used by tests/test_browser.py (charts, drill-down, exports) and tests/test_browser_access.py (sign-in gates).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


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


def wait_chart(page) -> None:
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace path.point", state="attached")
    page.wait_for_timeout(500)  # let plotly finish its layout before reading positions


def websocket_frames(pg) -> list[str]:
    """Every websocket frame the page receives from now on, as text (to prove what the server sent)."""
    frames: list[str] = []
    pg.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, str) else payload.decode("latin-1"))))
    return frames
