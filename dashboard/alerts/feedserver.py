"""The Atom feed of alerts over HTTP, for feed readers: `newsmon dashboard` serves it beside the Streamlit server.

Takes the store's root, an address and a port; gives a small threaded HTTP server (the standard library's) that
answers `GET`/`HEAD FEED_PATH` with the store's ROOT/alerts/feed.atom as it is at that moment (read at every
request, never a copy), `Content-Type: application/atom+xml`, an ETag and Last-Modified so a reader polling every
few minutes gets `304 Not Modified` until an alert fires, and `Cache-Control: no-cache` so no proxy serves it
stale. Before the first alert it serves a valid feed with no entries, so a reader can subscribe at once. Any
other path is 404. Why beside Streamlit and not in it: Streamlit 1.67's own server has no route of ours (its
`server.enableStaticServing` serves only a `static/` folder beside the app, and files it does not know as
text/plain; custom routes need its experimental ASGI `st.App`, a different server for the whole dashboard).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Mapping
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from dashboard.alerts.deliver.atom import feed_id, feed_xml
from dashboard.alerts.state import AlertState

log = logging.getLogger("newsmon.alerts")
FEED_PATH = "/alerts/feed.atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def feed_bytes(root: Path) -> tuple[bytes, float | None]:
    """The feed as it is now, and its file's modification time (None: no alert yet, an empty feed)."""
    path = AlertState(root).feed_path
    try:
        with open(path, "rb") as fh:  # one open: the bytes and the time of the same file (renames replace it whole)
            return fh.read(), os.fstat(fh.fileno()).st_mtime
    except FileNotFoundError:
        return feed_xml([], feed_id(root)), None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    root: Path


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "newsmon"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        if urlsplit(self.path).path != FEED_PATH:
            self.send_error(404, f"not here: the feed is at {FEED_PATH}")
            return
        try:
            data, mtime = feed_bytes(self.server.root)
        except OSError as exc:
            self.send_error(503, f"the feed cannot be read: {exc.strerror}")
            return
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
        if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Cache-Control", "no-cache")
        if mtime is not None:
            self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, fmt: str, *args) -> None:
        log.debug("feed: " + fmt, *args)


class FeedServer:
    """The feed's HTTP server in a daemon thread; `close()` stops it. `port=0` picks a free one (tests)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        server_class = type("_Server6", (_Server,), {"address_family": socket.AF_INET6}) if ":" in host else _Server
        self.httpd = server_class((host, port), _Handler)
        self.httpd.root = Path(root)
        self.host, self.port = host, self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="newsmon-feed", daemon=True)
        self._thread.start()

    def url(self, host: str | None = None) -> str:
        h = host or ("localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "") else self.host)
        return feed_url(h, self.port)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def feed_url(host: str, port: int) -> str:
    """http://HOST:PORT/alerts/feed.atom (an IPv6 address in brackets)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{FEED_PATH}"


def feed_link(host_header: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The feed's URL as a browser that sent `Host: host_header` reaches it: $NEWSMON_FEED_URL if set (behind a
    proxy), else that host with the port `newsmon dashboard` serves the feed on ($NEWSMON_FEED_PORT); None if the
    feed is not served."""
    if environ.get("NEWSMON_FEED_URL"):
        return environ["NEWSMON_FEED_URL"]
    port = environ.get("NEWSMON_FEED_PORT", "")
    if not port.isdigit():
        return None
    try:
        host = urlsplit(f"//{host_header}").hostname if host_header else None
    except ValueError:  # a Host header that is no host: the page still shows a working URL from this machine
        host = None
    return feed_url(host or "localhost", int(port))
