"""The local HTTP server the ingest benchmarks fetch from (benchmarks/ingest_speed.py, ingest_hosts.py, ingest_soak.py).

`FeedServer` listens on a port of its own on 127.0.0.1 (so each server is its own host to the ingest), answers each
GET after `latency` seconds with what its subclass's `route(path, query)` gives, 404 where that is None, and counts
the CPU its request threads use (`cpu`), to tell the server's share of a run from the ingest's. `rss` writes the
feeds they serve.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FeedServer:
    """A threading HTTP/1.1 server on 127.0.0.1, started at once; `route` is the subclass's."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.cpu = 0.0  # seconds of CPU its request handlers used (thread time)
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one_request(self) -> None:
                start = time.thread_time()
                try:
                    super().handle_one_request()
                finally:
                    with lock:
                        outer.cpu += time.thread_time() - start

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                time.sleep(outer.latency)
                parts = urlsplit(self.path)
                found = outer.route(parts.path, parse_qs(parts.query))
                if found is None:
                    self.send_error(404)
                    return
                body, ctype = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
        """The body and content type of a GET of `path` (`query`: its parsed query string); None: 404."""
        raise NotImplementedError

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss(title: str, items: Iterable[tuple[object, str]], published: datetime | None = None) -> bytes:
    """An RSS 2.0 feed of the (title, link) items, each dated `published` when given."""
    date = f"<pubDate>{format_datetime(published)}</pubDate>" if published else ""
    items = "".join(f"<item><title>{name}</title><link>{link}</link>{date}</item>" for name, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'.encode()
