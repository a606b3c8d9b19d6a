"""HostQueue: the earliest ready host first, equally ready hosts in turn, a full host skipped until a fetch ends."""

from __future__ import annotations

import math

from ingest.fetch.politeness import PoliteFetcher
from ingest.fetch.schedule import HostQueue, interleave
from ingest.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fetcher_on(clock: Clock, monkeypatch, **settings) -> PoliteFetcher:
    import ingest.fetch.politeness as politeness
    import ingest.fetch.schedule as schedule

    monkeypatch.setattr(politeness.time, "monotonic", clock)
    monkeypatch.setattr(schedule.time, "monotonic", clock)
    return PoliteFetcher(None, Settings(**settings))


def test_hosts_take_turns_and_each_keeps_its_delay(monkeypatch) -> None:
    clock = Clock()
    fetcher = fetcher_on(clock, monkeypatch, per_host=2, host_delay=1.0)
    items = [f"http://a.example/{i}" for i in range(3)] + [f"http://b.example/{i}" for i in range(3)] + ["file"]
    queue = HostQueue(fetcher, items, lambda u: "" if u == "file" else u.rsplit("/", 1)[0])
    got = [queue.take(), queue.take(), queue.take()]
    assert [g[0] for g in got] == ["file", "http://a.example/0", "http://b.example/0"]  # one of each host first
    assert queue.take() == 1.0  # both hosts turned: the next turn is a second away
    clock.now += 1.0
    assert [queue.take()[0], queue.take()[0]] == ["http://a.example/1", "http://b.example/1"]
    assert len(queue) == 2


def test_a_host_at_its_limit_waits_for_a_fetch_to_end(monkeypatch) -> None:
    clock = Clock()
    fetcher = fetcher_on(clock, monkeypatch, per_host=1, host_delay=0.0)
    items = ["http://a.example/0", "http://a.example/1", "http://b.example/0"]
    queue = HostQueue(fetcher, items, lambda u: u.rsplit("/", 1)[0])
    first, turn = queue.take()
    assert first == "http://a.example/0"
    assert queue.take()[0] == "http://b.example/0"
    assert queue.take() <= 0.05  # a.example's one slot is taken: look again soon, or on `done`
    fetcher._release(turn)
    queue.done(first)
    assert queue.take()[0] == "http://a.example/1"
    assert queue.take() == math.inf and len(queue) == 0


def test_a_turn_not_used_goes_back_to_its_host(monkeypatch) -> None:
    """A page robots.txt refuses makes no request: its booked start is free for the next page."""
    clock = Clock()
    fetcher = fetcher_on(clock, monkeypatch, per_host=2, host_delay=1.0)
    turn = fetcher.reserve("http://a.example")
    assert fetcher.ready_at("http://a.example") == 101.0
    fetcher._release(turn)
    assert fetcher.ready_at("http://a.example") == 100.0


def test_source_policy_and_crawl_delay(monkeypatch) -> None:
    clock = Clock()
    fetcher = fetcher_on(clock, monkeypatch, per_host=2, host_delay=1.0)
    fetcher.set_policy("http://a.example", per_host=4, host_delay=0.2)
    fetcher.set_policy("http://a.example", host_delay=0.5)  # a second source on the host: the stricter delay
    assert fetcher.limits("http://a.example") == (4, 0.5)
    assert fetcher.limits("http://b.example") == (2, 1.0)


def test_interleave() -> None:
    items = ["a1", "a2", "a3", "b1", "c1", "c2"]
    assert interleave(items, lambda s: s[0]) == ["a1", "b1", "c1", "a2", "c2", "a3"]
