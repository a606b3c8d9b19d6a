"""Being a good guest: robots.txt, at most N requests at once per host, and a delay between them.

`PoliteFetcher.get()` wraps `fetch.fetch_url` for every request newsmon makes for a source: feeds, sitemaps
(nested indexes and `.xml.gz` included), front pages, the feed an HTML page announces, and article pages. One
fetcher per run is shared by discovery and the fetch threads, so robots.txt is fetched once per host and the
per-host limit and delay count every request. robots.txt follows RFC 9309 (`ingest.fetch.robots`): a 4xx means no
rules; a 5xx, a 429 or an unreachable file means "disallow all" for that host during this run (the RFC's
rule; it lets 429 be treated like 4xx, but a host that asks us to slow down is not one to crawl), reported as
`robots-unreachable`. The robots.txt request takes a turn like any other; it needs no slot, as no other request
to the host can be in flight before its answer.

Each host has a limit of requests at once and a delay between two of their starts: the settings' `per_host`
and `host_delay`, a source's own (`set_policy`, the strictest of the sources that use a host), and the
`Crawl-delay` its robots.txt asks for (up to MAX_CRAWL_DELAY). A caller that schedules many hosts (the run's
`HostQueue`, ingest/fetch/schedule.py) asks `ready_at(host)` and books a slot and a start time with `reserve`,
then passes that `Turn` to `get`, so no fetch thread ever sleeps on a host's delay while another host is ready.
Without a turn, `get` blocks for a slot and waits for the host's next free moment itself.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ingest.fetch.http import HTML_TYPES, fetch_url
from ingest.fetch.robots import RobotsRules, parse_robots
from ingest.records import Failure, FetchResult
from ingest.settings import Settings

# RFC 9309 parses whatever the file is; only a body that is clearly not text (an image, JSON, ...) is refused,
# which makes the host "unreachable" for the run.
ROBOTS_TYPES = ("text/", "application/octet-stream")
# The longest Crawl-delay honoured: a host asking for more gets this (120 requests an hour). Bing, which reads
# the field, caps it the same way; a larger value is more often a typo (minutes for seconds) than a wish.
MAX_CRAWL_DELAY = 30.0
READY_SLACK = 0.005  # a host whose next turn is this close counts as ready (the thread sleeps the rest)


@dataclass
class _Host:
    limit: int  # requests at once
    base_delay: float  # seconds between two request starts: the settings' or the sources'
    crawl_delay: float = 0.0  # ... or robots.txt's Crawl-delay, if longer (capped)
    in_use: int = 0
    next_at: float = 0.0  # time.monotonic() from which the next request may start

    @property
    def delay(self) -> float:
        return max(self.base_delay, self.crawl_delay)


class Turn:
    """A slot and a start time booked on one host by `PoliteFetcher.reserve`, for one `get`."""

    def __init__(self, host: str, at: float) -> None:
        self.host, self.at, self.used = host, at, False


class PoliteFetcher:
    def __init__(self, client: httpx.Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._hosts: dict[str, _Host] = {}
        self._policy: dict[str, tuple[int | None, float | None]] = {}  # host -> (per_host, host_delay) of sources
        self._robots: dict[str, RobotsRules | Failure | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    def set_policy(self, host: str, per_host: int | None = None, host_delay: float | None = None) -> None:
        """A source's own limit and delay for `host` (in place of the settings'); when several sources give
        one, the strictest holds (fewest at once, longest delay)."""
        if not host or (per_host is None and host_delay is None):
            return
        with self._lock:
            old_limit, old_delay = self._policy.get(host, (None, None))
            limit = per_host if old_limit is None else old_limit if per_host is None else min(per_host, old_limit)
            delay = host_delay if old_delay is None else old_delay if host_delay is None else max(host_delay, old_delay)
            self._policy[host] = (limit, delay)
            if host in self._hosts:
                h = self._hosts[host]
                h.limit = self.settings.per_host if limit is None else limit
                h.base_delay = self.settings.host_delay if delay is None else delay

    def limits(self, host: str) -> tuple[int, float]:
        """(requests at once, seconds between two starts) for `host`, as they stand."""
        with self._lock:
            h = self._host(host)
            return h.limit, h.delay

    def ready_at(self, host: str) -> float:
        """When a request to `host` could start (time.monotonic()); inf while all its slots are taken."""
        with self._lock:
            h = self._host(host)
            return math.inf if h.in_use >= h.limit else h.next_at

    def reserve(self, host: str) -> Turn | None:
        """Book a slot on `host` and its next start time if that is now; None if the host is not ready."""
        with self._lock:
            h = self._host(host)
            now = time.monotonic()
            if h.in_use >= h.limit or h.next_at > now + READY_SLACK:
                return None
            h.in_use += 1
            at = max(now, h.next_at)
            h.next_at = at + h.delay
            return Turn(host, at)

    def get(self, url: str, accept: tuple[str, ...] = HTML_TYPES, headers: dict[str, str] | None = None,
            retries: int = 2, turn: Turn | None = None, truncate: bool = False) -> FetchResult | Failure:
        """`fetch_url` after asking the host's robots.txt, within the host's slots and delay (or on `turn`)."""
        host = origin(url)
        try:
            if self.settings.respect_robots and host:
                verdict = self._robots_verdict(host, url, turn)
                if verdict is not None:
                    return verdict
            if turn is not None:
                self._take_turn(host, turn)
                return fetch_url(self.client, url, self.settings, accept=accept, headers=headers, retries=retries,
                                 truncate=truncate)
            return self._get(host, url, accept, headers, retries, truncate)
        finally:
            if turn is not None:
                self._release(turn)

    def sitemaps(self, url: str) -> list[str]:
        """The Sitemap: lines of the robots.txt of `url`'s host (fetched once per run, shared with `get`)."""
        host = origin(url)
        rules = self._rules(host) if host else None
        return list(rules.sitemaps) if isinstance(rules, RobotsRules) else []

    def _host(self, host: str) -> _Host:
        """The host's state (under the lock), made with the settings' or its sources' limits."""
        h = self._hosts.get(host)
        if h is None:
            limit, delay = self._policy.get(host, (None, None))
            h = self._hosts[host] = _Host(self.settings.per_host if limit is None else limit,
                                          self.settings.host_delay if delay is None else delay)
        return h

    def _get(self, host: str, url: str, accept: tuple[str, ...], headers: dict[str, str] | None,
             retries: int, truncate: bool = False) -> FetchResult | Failure:
        with self._freed:
            h = self._host(host)
            while h.in_use >= h.limit:
                self._freed.wait()
            h.in_use += 1
        try:
            self._wait_turn(host)
            return fetch_url(self.client, url, self.settings, accept=accept, headers=headers, retries=retries,
                             truncate=truncate)
        finally:
            with self._freed:
                h.in_use -= 1
                self._freed.notify_all()

    def _release(self, turn: Turn) -> None:
        with self._freed:
            h = self._host(turn.host)
            h.in_use -= 1
            if not turn.used and h.next_at == turn.at + h.delay:
                h.next_at = turn.at  # no request was made on it (robots.txt said no): the turn goes back
            self._freed.notify_all()

    def _take_turn(self, host: str, turn: Turn | None) -> None:
        """Wait for the booked start of an unused turn, else for the host's next free moment."""
        if turn is None or turn.used:
            self._wait_turn(host)
            return
        turn.used = True
        now = time.monotonic()
        if turn.at > now:
            time.sleep(turn.at - now)
        elif now - turn.at > READY_SLACK:  # started late (a busy machine): later turns keep their distance
            with self._lock:
                h = self._host(host)
                h.next_at = max(h.next_at, now + h.delay)

    def _wait_turn(self, host: str) -> None:
        """Space requests to one host by its delay (each thread books the next free moment)."""
        with self._lock:
            h = self._host(host)
            if h.delay <= 0:
                return
            now = time.monotonic()
            at = max(now, h.next_at)
            h.next_at = at + h.delay
        if at > now:
            time.sleep(at - now)

    def _rules(self, host: str, turn: Turn | None = None) -> RobotsRules | Failure | None:
        with self._lock:
            lock = self._robots_locks.setdefault(host, threading.Lock())
        with lock:  # one fetch of robots.txt per host, the other threads wait for it
            if host not in self._robots:
                self._robots[host] = self._load_robots(host, turn)
        return self._robots[host]

    def _robots_verdict(self, host: str, url: str, turn: Turn | None = None) -> Failure | None:
        rules = self._rules(host, turn)
        if isinstance(rules, Failure):
            return rules
        if rules is not None and not rules.can_fetch(self.settings.user_agent, url):
            return Failure("robots-disallowed", url)
        return None

    def _load_robots(self, host: str, turn: Turn | None) -> RobotsRules | Failure | None:
        self._take_turn(host, turn)
        res = fetch_url(self.client, host + "/robots.txt", self.settings, accept=ROBOTS_TYPES, retries=1)
        if isinstance(res, Failure):
            if res.reason.startswith("http-4") and res.reason != "http-429":
                return None  # no robots.txt (or not for us to read): everything is allowed
            if res.reason in ("private-address", "bad-scheme", "bad-url", "dns"):
                return res  # the page fetch would fail the same way; say why once
            return Failure("robots-unreachable", f"{host}/robots.txt: {res.reason}")
        rules = parse_robots(res.body)
        asked = rules.crawl_delay(self.settings.user_agent)
        if asked is not None:
            with self._lock:
                self._host(host).crawl_delay = min(asked, MAX_CRAWL_DELAY)
        return rules


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
