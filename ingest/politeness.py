"""Being a good guest: robots.txt, at most N requests at once per host, and a delay between them.

`PoliteFetcher.get()` wraps `fetch.fetch_url` for article pages; it is shared by the fetch threads.
robots.txt follows RFC 9309: a 4xx means no rules; a 5xx or an unreachable file means "disallow all" for
that host during this run (the RFC's rule), reported as `robots-unreachable`.
"""

from __future__ import annotations

import threading
import time
from urllib import robotparser
from urllib.parse import urlsplit

import httpx

from ingest.fetch import fetch_url
from ingest.records import Failure, FetchResult
from ingest.settings import Settings

ROBOTS_TYPES = ("text/plain", "text/html", "application/octet-stream")


class PoliteFetcher:
    def __init__(self, client: httpx.Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_at: dict[str, float] = {}
        self._robots: dict[str, robotparser.RobotFileParser | Failure | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    def get(self, url: str) -> FetchResult | Failure:
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}".lower()
        if self.settings.respect_robots and parts.scheme in ("http", "https"):
            verdict = self._robots_verdict(host, url)
            if verdict is not None:
                return verdict
        with self._slot(host):
            self._wait_turn(host)
            return fetch_url(self.client, url, self.settings)

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

    def _robots_verdict(self, host: str, url: str) -> Failure | None:
        with self._lock:
            lock = self._robots_locks.setdefault(host, threading.Lock())
        with lock:  # one fetch of robots.txt per host, the other threads wait for it
            if host not in self._robots:
                self._robots[host] = self._load_robots(host)
        rules = self._robots[host]
        if isinstance(rules, Failure):
            return rules
        if rules is not None and not rules.can_fetch(self.settings.user_agent, url):
            return Failure("robots-disallowed", url)
        return None

    def _load_robots(self, host: str) -> robotparser.RobotFileParser | Failure | None:
        res = fetch_url(self.client, host + "/robots.txt", self.settings, accept=ROBOTS_TYPES, retries=1)
        if isinstance(res, Failure):
            if res.reason.startswith("http-4"):
                return None  # no robots.txt: everything is allowed
            if res.reason in ("private-address", "bad-scheme", "bad-url", "dns"):
                return res  # the page fetch would fail the same way; say why once
            return Failure("robots-unreachable", f"{host}/robots.txt: {res.reason}")
        parser = robotparser.RobotFileParser()
        parser.parse(res.body.decode("utf-8", "replace").splitlines())
        return parser
