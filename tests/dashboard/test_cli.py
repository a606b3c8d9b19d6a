"""`newsmon dashboard` stops its Streamlit server whatever stops it: SIGTERM (systemd, Docker) and SIGHUP too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browserkit import free_port
from tests.paths import REPO


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(tiny_store, tmp_path, sighup=signal.SIG_DFL) -> tuple[subprocess.Popen, int, list[int]]:
    """`newsmon dashboard` started with SIGHUP as given (SIG_IGN: as `nohup` starts it), once it answers: (its
    process, its port, its children). The disposition is set, not inherited: a test run under nohup ignores SIGHUP."""
    port = free_port()
    env = dict(os.environ, NEWSMON_DASHBOARD_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "dashboard", "--store", str(tiny_store.root),
                             "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, sighup))
    deadline = time.monotonic() + 90
    while not _answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the dashboard did not start")
        time.sleep(0.3)
    children = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    return proc, port, children


def _kill_all(proc: subprocess.Popen, children: list[int]) -> None:
    for pid in [proc.pid, *children]:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree in /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_stops_the_streamlit_server_too(sig, tiny_store, tmp_path):
    proc, port, children = _start(tiny_store, tmp_path)
    try:
        assert children, "newsmon dashboard runs its server as a child process"
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        assert proc.returncode == -sig  # it ends by the signal it was sent, as a supervisor expects
        deadline = time.monotonic() + 5
        while any(map(_alive, children)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, children)), "the Streamlit server outlived newsmon dashboard"
        assert not _answers(port)
    finally:
        _kill_all(proc, children)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree in /proc")
def test_under_nohup_a_hangup_leaves_the_dashboard_running(tiny_store, tmp_path):
    """`nohup newsmon dashboard &` is asked to outlive its terminal: a SIGHUP it was started ignoring stays
    ignored (it stopped the server, and then ended the process with 0, before); SIGTERM still stops both."""
    proc, port, children = _start(tiny_store, tmp_path, sighup=signal.SIG_IGN)
    try:
        os.kill(proc.pid, signal.SIGHUP)
        time.sleep(2)
        assert proc.poll() is None and _answers(port) and all(map(_alive, children))
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGTERM
        deadline = time.monotonic() + 5
        while any(map(_alive, children)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, children)) and not _answers(port)
    finally:
        _kill_all(proc, children)
