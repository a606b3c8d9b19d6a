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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script too: the repo's packages first

from benchmarks.feed_server import FeedServer, rss  # noqa: E402
from ingest.pipeline import RunSummary, run_ingest  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sources.discover import Source  # noqa: E402

FEED_DATE = datetime(2025, 1, 1, tzinfo=UTC)
ROBOTS = b"User-agent: *\nAllow: /\n"


class Outlet(FeedServer):
    """One host: /robots.txt, /rss?n=N (its first N pages), /a/<i> (page number `first + i` of the cycle)."""

    def __init__(self, page: Callable[[int], bytes], first: int, latency: float) -> None:
        self.page, self.first = page, first
        super().__init__(latency)

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
        if path == "/robots.txt":
            return ROBOTS, "text/plain"
        if path == "/rss":
            return self.feed(int(query["n"][0])), "application/rss+xml"
        if path.startswith("/a/"):
            return self.page(self.first + int(path[3:])), "text/html"
        return None

    def feed(self, n: int) -> bytes:
        return rss(f"outlet {self.first}", ((i, f"{self.url}/a/{i}") for i in range(n)), FEED_DATE)


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


