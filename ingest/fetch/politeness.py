"""Being a good guest: robots.txt, at most N requests at once per host, and a delay between them.

`PoliteFetcher.get()` wraps `fetch.fetch_url` for every request newsmon makes for a source: feeds, sitemaps
(nested indexes and `.xml.gz` included), front pages, the feed an HTML page announces, and article pages. One
fetcher per run is shared by discovery and the fetch threads, so robots.txt is fetched once per host and the
per-host limit and delay count every request. robots.txt follows RFC 9309 (`ingest.fetch.robots`): a 4xx means no
rules; a 5xx, a 429 or an unreachable file means "disallow all" for that host during this run (the RFC's
rule; it lets 429 be treated like 4xx, but a host that asks us to slow down is not one to crawl), reported as
`robots-unreachable`. The robots.txt request itself takes a per-host slot and a turn like any other.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import httpx

from ingest.fetch.http import HTML_TYPES, fetch_url
from ingest.fetch.robots import RobotsRules, parse_robots
from ingest.records import Failure, FetchResult
from ingest.settings import Settings

# RFC 9309 parses whatever the file is; only a body that is clearly not text (an image, JSON, ...) is refused,
# which makes the host "unreachable" for the run.
ROBOTS_TYPES = ("text/", "application/octet-stream")


class PoliteFetcher:
    def __init__(self, client: httpx.Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_at: dict[str, float] = {}
        self._robots: dict[str, RobotsRules | Failure | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    def get(self, url: str, accept: tuple[str, ...] = HTML_TYPES, headers: dict[str, str] | None = None,
            retries: int = 2) -> FetchResult | Failure:
        """`fetch_url` after asking the host's robots.txt, within the host's slots and delay."""
        host = origin(url)
        if self.settings.respect_robots and host:
            verdict = self._robots_verdict(host, url)
            if verdict is not None:
                return verdict
        return self._get(host, url, accept, headers, retries)

    def sitemaps(self, url: str) -> list[str]:
        """The Sitemap: lines of the robots.txt of `url`'s host (fetched once per run, shared with `get`)."""
        host = origin(url)
        rules = self._rules(host) if host else None
        return list(rules.sitemaps) if isinstance(rules, RobotsRules) else []

    def _get(self, host: str, url: str, accept: tuple[str, ...], headers: dict[str, str] | None,
             retries: int) -> FetchResult | Failure:
        with self._slot(host):
            self._wait_turn(host)
            return fetch_url(self.client, url, self.settings, accept=accept, headers=headers, retries=retries)

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            if host not in self._slots:
                self._slots[host] = threading.BoundedSemaphore(self.settings.per_host)
            return self._slots[host]

    def _wait_turn(self, host: str) -> None:
        """Space requests to one host by host_delay seconds (each thread books the next free moment)."""
        if self.settings.host_delay <= 0:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next_at.get(host, 0.0))
            self._next_at[host] = at + self.settings.host_delay
        if at > now:
            time.sleep(at - now)

    def _rules(self, host: str) -> RobotsRules | Failure | None:
        with self._lock:
            lock = self._robots_locks.setdefault(host, threading.Lock())
        with lock:  # one fetch of robots.txt per host, the other threads wait for it
            if host not in self._robots:
                self._robots[host] = self._load_robots(host)
        return self._robots[host]

    def _robots_verdict(self, host: str, url: str) -> Failure | None:
        rules = self._rules(host)
        if isinstance(rules, Failure):
            return rules
        if rules is not None and not rules.can_fetch(self.settings.user_agent, url):
            return Failure("robots-disallowed", url)
        return None

    def _load_robots(self, host: str) -> RobotsRules | Failure | None:
        res = self._get(host, host + "/robots.txt", ROBOTS_TYPES, None, 1)
        if isinstance(res, Failure):
            if res.reason.startswith("http-4") and res.reason != "http-429":
                return None  # no robots.txt (or not for us to read): everything is allowed
            if res.reason in ("private-address", "bad-scheme", "bad-url", "dns"):
                return res  # the page fetch would fail the same way; say why once
            return Failure("robots-unreachable", f"{host}/robots.txt: {res.reason}")
        return parse_robots(res.body)


def origin(url: str) -> str:
    """"https://Example.com:8443/a?b" -> "https://example.com:8443": the unit robots.txt and the limits apply to;
    "" for anything but http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def polite(fetcher: PoliteFetcher | httpx.Client, settings: Settings) -> PoliteFetcher:
    """The fetcher to send a source's requests through: the run's own, or a new one around a bare client
    (a caller that has no run-wide fetcher still honours robots.txt and the per-host limits)."""
    return fetcher if isinstance(fetcher, PoliteFetcher) else PoliteFetcher(fetcher, settings)
