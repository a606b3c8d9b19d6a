"""`streamlit_command(preload=True)` (dashboard/serve.py): Streamlit's own server, started after importing the first
page's libraries, so that the first page does not import them."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.serve import APP, streamlit_command


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pandas_loaded_before_any_page(preload: bool, tmp_path: Path) -> bool:
    """Start the server, wait until healthy (no page opened), tell whether pandas' compiled code is mapped."""
    port = _port()
    argv = streamlit_command("127.0.0.1", port, preload=preload)
    env = dict(os.environ, NEWSMON_STORE=str(tmp_path / "no-store"), NEWSMON_DASHBOARD_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > end:
                    pytest.fail(f"the server did not start: {argv}")
                time.sleep(0.1)
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        return "/pandas/_libs/" in maps
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_preloading_command_is_streamlits_run_after_the_imports():
    argv = streamlit_command(port=8600, preload=True)
    assert argv[1:5] == ["-m", "dashboard.serve", "run", str(APP)]
    assert argv[3:] == streamlit_command(port=8600)[3:]  # the same app and flags as the plain command


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the server's memory map in /proc")
def test_the_server_imports_pandas_at_start_only_when_preloading(tmp_path):
    assert _pandas_loaded_before_any_page(True, tmp_path)
    assert not _pandas_loaded_before_any_page(False, tmp_path)


def test_newsmon_dashboard_starts_the_preloading_server(tmp_path, monkeypatch):
    """`newsmon dashboard` (and `newsmon demo`) run the server through dashboard.serve, with the imports done."""
    from dashboard import cli

    started = []

    class Proc:
        def __init__(self, argv, env):
            started.append((argv, env))

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", Proc)
    cli.serve_dashboard(tmp_path, None, "127.0.0.1", 8600)
    (argv, env), = started
    assert argv == streamlit_command("127.0.0.1", 8600, preload=True)
    assert argv[1:4] == ["-m", "dashboard.serve", "run"] and env["NEWSMON_STORE"] == str(tmp_path.resolve())
