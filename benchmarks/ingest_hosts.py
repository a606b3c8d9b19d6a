"""The realistic row of `make bench-ingest`: many outlets, one feed each, every host polite.

HOSTS local servers (one port each, so each is its own host to the ingest), each with a feed of its own pages
and a robots.txt, answering every request after LATENCY seconds. The ingest runs with the default politeness
(`per_host` 2, `host_delay` 1 s: one request a second per host), so the run cannot beat HOSTS pages a second,
nor the extraction's pace on the machine's cores; the target is 0.9 × the smaller of the two, both measured
in the same run. The old order (`fetch_order="listed"`: candidates feed by feed) is run beside it.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script too: the repo's packages first

from ingest.pipeline import RunSummary, run_ingest  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sources.discover import Source  # noqa: E402

FEED_DATE = datetime(2025, 1, 1, tzinfo=UTC)
ROBOTS = b"User-agent: *\nAllow: /\n"


class Outlet:
    """One host: /robots.txt, /rss?n=N (its first N pages), /a/<i> (page number `first + i` of the cycle)."""

    def __init__(self, page: Callable[[int], bytes], first: int, latency: float) -> None:
        outer = self
        self.page, self.first, self.latency = page, first, latency

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                time.sleep(outer.latency)
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt":
                    body, ctype = ROBOTS, "text/plain"
                elif parts.path == "/rss":
                    body, ctype = outer.feed(int(parse_qs(parts.query)["n"][0])), "application/rss+xml"
                elif parts.path.startswith("/a/"):
                    body, ctype = outer.page(outer.first + int(parts.path[3:])), "text/html"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def feed(self, n: int) -> bytes:
        when = format_datetime(FEED_DATE)
        items = "".join(f"<item><title>{i}</title><link>{self.url}/a/{i}</link><pubDate>{when}</pubDate></item>"
                        for i in range(n))
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>outlet {self.first}</title>{items}'
                f"</channel></rss>").encode()


def outlets(page: Callable[[int], bytes], hosts: int, spacing: int, latency: float) -> list[Outlet]:
    """`hosts` outlets; outlet k serves pages k * spacing, k * spacing + 1, ... (distinct articles)."""
    return [Outlet(page, k * spacing, latency) for k in range(hosts)]


def ingest(servers: list[Outlet], per_outlet: int, order: str, processes: int) -> RunSummary:
    """One run over every outlet's feed of `per_outlet` pages, into a fresh store, with default politeness."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store=Path(tmp) / "store", allow_hosts=tuple(s.url.removeprefix("http://")
                                                                          for s in servers),
                            processes=processes, progress=False, fetch_order=order)
        sources = [Source("feed", f"{s.url}/rss?n={per_outlet}", f"Outlet {k}") for k, s in enumerate(servers)]
        return run_ingest(sources, settings)


def ceiling(hosts: int) -> float:
    """Pages a second the default politeness allows across `hosts` hosts."""
    defaults = Settings()
    return hosts / defaults.host_delay if defaults.host_delay > 0 else float("inf")


