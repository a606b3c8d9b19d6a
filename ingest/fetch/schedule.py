"""Which page to fetch next: one queue per host, served by the earliest ready host, as crawlers keep every
polite host busy (Scrapy's downloader slots, Heritrix's per-host queues).

The run's candidates come feed by feed, so the first 8 of a list all belong to one host. Handed to 8 fetch
threads in that order, they wait on that host's 2 slots and 1 s delay while every other host idles: the run
goes at one host's pace. `HostQueue` keeps a queue per host and a heap of hosts by the time their next
request may start (`PoliteFetcher.ready_at`); `take()` hands out a candidate of a host that is ready now,
with its `Turn` booked, or says how long until one is. Hosts equally ready take turns (round-robin), a host
whose slots are all taken waits until one of its fetches is `done`. Items without a host (saved pages, read
from disk) go first, they wait for nobody.

Takes any items and a function giving each one's host (`origin(url)`, "" for none); gives items with turns.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from ingest.fetch.politeness import PoliteFetcher, Turn

T = TypeVar("T")

POLL = 0.05  # seconds between two looks at hosts whose slots are all taken, should no `done` come


class HostQueue(Generic[T]):
    def __init__(self, fetcher: PoliteFetcher, items: Iterable[T], host_of: Callable[[T], str]) -> None:
        self.fetcher = fetcher
        self.host_of = host_of
        self._local: deque[T] = deque()
        self._queues: dict[str, deque[T]] = {}
        for item in items:
            host = host_of(item)
            if host:
                self._queues.setdefault(host, deque()).append(item)
            else:
                self._local.append(item)
        self._order = itertools.count()  # ties in ready time go to the host that waited longest
        self._heap: list[tuple[float, int, str]] = []
        self._entry: dict[str, int] = {}  # host -> its live heap entry; older entries of the host are skipped
        for host in self._queues:
            self._push(host, 0.0)
        self._full: set[str] = set()  # hosts waiting for a slot: back in the heap on `done`
        self._size = sum(map(len, self._queues.values())) + len(self._local)

    def __len__(self) -> int:
        return self._size

    def take(self) -> tuple[T, Turn | None] | float:
        """A candidate ready now and its turn, or the seconds until one may be (inf when the queue is empty)."""
        if self._local:
            self._size -= 1
            return self._local.popleft(), None
        now = time.monotonic()
        while self._heap:
            ready, entry, host = self._heap[0]
            if self._entry.get(host) != entry:
                heapq.heappop(self._heap)  # superseded
                continue
            if ready > now:
                return ready - now
            heapq.heappop(self._heap)
            del self._entry[host]
            self._full.discard(host)
            turn = self.fetcher.reserve(host)
            if turn is None:  # its estimate was early (a Crawl-delay learnt, a slot taken): look again
                self._requeue(host)
                continue
            queue = self._queues[host]
            item = queue.popleft()
            self._size -= 1
            if queue:
                self._requeue(host)
            else:
                del self._queues[host]
            return item, turn
        if self._full:  # every host left is at its limit: wait for a `done`, and look again meanwhile
            for host in self._full:
                self._push(host, now + POLL)
            return POLL
        return math.inf

    def done(self, item: T) -> None:
        """A fetch of `item` ended: its host has a free slot again."""
        host = self.host_of(item)
        if host in self._full:
            self._full.discard(host)
            self._requeue(host)

    def _requeue(self, host: str) -> None:
        ready = self.fetcher.ready_at(host)
        if ready == math.inf:
            self._full.add(host)
        else:
            self._push(host, ready)

    def _push(self, host: str, ready: float) -> None:
        entry = self._entry[host] = next(self._order)
        heapq.heappush(self._heap, (ready, entry, host))


def interleave(items: Iterable[T], host_of: Callable[[T], str]) -> list[T]:
    """The items one host at a time in turn (a, b, c, a, b, c, ...): an order that keeps many hosts busy for a
    fetcher that takes items in order (the cluster's workers, each with its own politeness state)."""
    queues: dict[str, deque[T]] = {}
    for item in items:
        queues.setdefault(host_of(item), deque()).append(item)
    out: list[T] = []
    while queues:
        for host in list(queues):
            out.append(queues[host].popleft())
            if not queues[host]:
                del queues[host]
    return out
