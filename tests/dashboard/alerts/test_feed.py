"""The Atom feed of alerts over HTTP (dashboard/alerts/feedserver.py): the current feed at every request with its
content type, 304 for a reader that has it, an empty feed before the first alert; served by a real
`newsmon dashboard` beside Streamlit; its URL on the Alerts page."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from dashboard.alerts.feedserver import FEED_PATH, FeedServer, feed_link
from dashboard.alerts.run import check
from dashboard.alerts.state import AlertState
from tests.dashboard.alerts.conftest import BUSY_RULE, NOW, free_port, rules_from
from tests.paths import REPO

NS = {"a": "http://www.w3.org/2005/Atom"}
RULES = BUSY_RULE


def _get(url: str, headers: dict | None = None, method: str = "GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _ids(body: bytes) -> list[str]:
    return [e.find("a:id", NS).text for e in ET.fromstring(body).findall("a:entry", NS)]


def test_the_feed_is_served_current_with_its_type_and_conditional_get(spike_store):
    feed = FeedServer(spike_store.root, "127.0.0.1", 0)
    try:
        url = feed.url()
        assert url == f"http://localhost:{feed.port}{FEED_PATH}"
        url = url.replace("localhost", "127.0.0.1")
        # before the first alert: a valid feed with no entry, so a reader can subscribe now
        status, headers, body = _get(url)
        assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert ET.fromstring(body).tag == "{http://www.w3.org/2005/Atom}feed" and _ids(body) == []
        check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW,
              since=datetime(2024, 3, 17, tzinfo=UTC), env={})
        status, headers, body = _get(url)
        state = AlertState(spike_store.root)
        first = len(state.events())
        assert status == 200 and body == state.feed_path.read_bytes() and len(_ids(body)) == first == 3
        assert headers["Cache-Control"] == "no-cache" and headers["Last-Modified"].endswith("GMT")
        # a reader that has this version gets 304, no body
        status, again, body304 = _get(url, {"If-None-Match": headers["ETag"]})
        assert status == 304 and body304 == b"" and again["ETag"] == headers["ETag"]
        # a new alert: the next request has it (read at every request, never a copy)
        check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW,
              since=datetime(2024, 3, 3, tzinfo=UTC), env={})
        status, newer, body = _get(url, {"If-None-Match": headers["ETag"]})
        assert status == 200 and newer["ETag"] != headers["ETag"] and len(_ids(body)) == len(state.events()) > first
        assert body == state.feed_path.read_bytes()
        status, head, empty = _get(url, method="HEAD")
        assert status == 200 and empty == b"" and int(head["Content-Length"]) == len(body)
        assert _get(url.replace(FEED_PATH, "/alerts/events/"))[0] == 404
        assert _get(url.replace(FEED_PATH, "/../rules.json"))[0] == 404
    finally:
        feed.close()


def test_the_feed_link_the_page_shows():
    assert feed_link("news.example.org:8501", {"NEWSMON_FEED_PORT": "8502"}) == \
        f"http://news.example.org:8502{FEED_PATH}"
    assert feed_link(None, {"NEWSMON_FEED_PORT": "8502"}) == f"http://localhost:8502{FEED_PATH}"
    assert feed_link("[::1]:8501", {"NEWSMON_FEED_PORT": "9"}) == f"http://[::1]:9{FEED_PATH}"
    assert feed_link("x", {"NEWSMON_FEED_URL": "https://proxy.example/feed.atom", "NEWSMON_FEED_PORT": "1"}) == \
        "https://proxy.example/feed.atom"
    assert feed_link("news.example.org", {}) is None


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="stops the server's process group")
def test_newsmon_dashboard_serves_the_feed_beside_streamlit(spike_store, tmp_path):
    check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=datetime(2024, 3, 17, tzinfo=UTC),
          env={})
    port, feed_port = free_port(), free_port()
    env = dict(os.environ, NEWSMON_DASHBOARD_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "dashboard", "--store", str(spike_store.root),
                             "--port", str(port), "--feed-port", str(feed_port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(f"http://127.0.0.1:{port}/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.3)
        status, headers, body = _get(f"http://127.0.0.1:{feed_port}{FEED_PATH}")
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
        assert body == AlertState(spike_store.root).feed_path.read_bytes() and len(_ids(body)) == 3
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert f"Atom feed of the alerts on http://localhost:{feed_port}{FEED_PATH}" in out.decode()


def test_a_feed_port_already_taken_is_a_warning_not_an_error(spike_store, capsys):
    import socket

    from dashboard.cli import _start_feed

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert _start_feed(spike_store.root, "127.0.0.1", port) is None
    assert f"warning: the alerts' feed is not served: port {port}: " in capsys.readouterr().err
    assert _start_feed(spike_store.root, "127.0.0.1", 0) is None  # --feed-port 0: not served
    assert _start_feed(spike_store.root, "127.0.0.1", 65536) is None  # --port 65535: no port after it
