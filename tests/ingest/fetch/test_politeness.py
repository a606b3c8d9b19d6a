from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

from ingest.fetch.http import make_client
from ingest.fetch.politeness import PoliteFetcher, origin
from ingest.records import Failure, FetchResult
from ingest.settings import Settings
from tests.localserver import LocalServer, reply

PAGE = reply("<html><body><p>page</p></body></html>")
BASE = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0.0)


def test_robots_disallow_is_a_reason_and_never_fetched() -> None:
    robots = reply("User-agent: *\nDisallow: /private/\n", ctype="text/plain")
    with LocalServer({"/robots.txt": robots, "/private/a": PAGE, "/public/a": PAGE}) as srv, make_client(BASE) as c:
        f = PoliteFetcher(c, BASE)
        assert isinstance(f.get(srv.url + "/public/a"), FetchResult)
        res = f.get(srv.url + "/private/a")
        assert isinstance(res, Failure) and res.reason == "robots-disallowed"
        assert "/private/a" not in srv.hits and srv.hits["/robots.txt"] == 1


def test_robots_served_as_any_text_type_is_read() -> None:
    robots = reply("User-agent: *\nDisallow: /private/\n", ctype="text/x-robots; charset=utf-8")
    with LocalServer({"/robots.txt": robots, "/private/a": PAGE}) as srv, make_client(BASE) as c:
        res = PoliteFetcher(c, BASE).get(srv.url + "/private/a")
    assert isinstance(res, Failure) and res.reason == "robots-disallowed" and "/private/a" not in srv.hits


def test_missing_robots_allows_and_broken_robots_disallows() -> None:
    with LocalServer({"/a": PAGE}) as srv, make_client(BASE) as c:
        assert isinstance(PoliteFetcher(c, BASE).get(srv.url + "/a"), FetchResult)
    with LocalServer({"/robots.txt": reply("down", 500), "/a": PAGE}) as srv, make_client(BASE) as c:
        res = PoliteFetcher(c, BASE).get(srv.url + "/a")
        assert isinstance(res, Failure) and res.reason == "robots-unreachable" and "/a" not in srv.hits


def test_per_host_concurrency_is_bounded() -> None:
    active, peak = [0], [0]
    lock = threading.Lock()

    def slow(h: BaseHTTPRequestHandler) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        PAGE(h)

    settings = BASE.with_(per_host=2, respect_robots=False)
    with LocalServer({"/s": slow}) as srv, make_client(settings) as c:
        f = PoliteFetcher(c, settings)
        threads = [threading.Thread(target=f.get, args=(srv.url + "/s",)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert peak[0] == 2


def test_requests_to_one_host_are_spaced_by_host_delay(monkeypatch) -> None:
    """On a fake clock (no timing in the test): turns booked at one moment are host_delay apart, per host."""
    import ingest.fetch.politeness as politeness

    clock, sleeps = [100.0], []
    monkeypatch.setattr(politeness.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(politeness.time, "sleep", lambda s: sleeps.append(round(s, 6)))
    f = PoliteFetcher(None, BASE.with_(host_delay=0.5))
    for _ in range(3):
        f._wait_turn("http://a.example")
    f._wait_turn("http://b.example")
    assert sleeps == [0.5, 1.0]  # a: now, +0.5, +1.0; b: now (its own schedule)
    clock[0] += 5
    f._wait_turn("http://a.example")  # long after: no wait
    assert sleeps == [0.5, 1.0]


def test_crawl_delay_is_honoured_and_capped() -> None:
    from ingest.fetch.politeness import MAX_CRAWL_DELAY

    robots = reply("User-agent: *\nCrawl-delay: 0.3\n\nUser-agent: newsmon\nCrawl-delay: 0.4\nDisallow: /no\n",
                   ctype="text/plain")
    with LocalServer({"/robots.txt": robots, "/a": PAGE}) as srv, make_client(BASE) as c:
        f = PoliteFetcher(c, BASE)  # host_delay 0: only the Crawl-delay spaces the requests
        answered = []
        for _ in range(3):
            assert isinstance(f.get(srv.url + "/a"), FetchResult)
            answered.append(time.monotonic())
        assert f.limits(origin(srv.url))[1] == 0.4  # newsmon's own group, not *
    assert answered[2] - answered[0] >= 2 * 0.4 - 0.05
    with LocalServer({"/robots.txt": reply("User-agent: *\nCrawl-delay: 3600\n", ctype="text/plain"),
                      "/a": PAGE}) as srv, make_client(BASE) as c:
        f = PoliteFetcher(c, BASE)
        f.sitemaps(srv.url)  # reads robots.txt
        assert f.limits(origin(srv.url))[1] == MAX_CRAWL_DELAY
