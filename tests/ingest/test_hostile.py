"""A hostile server on 127.0.0.1: every bad response becomes a counted reason, every good page is stored.

Nothing leaves 127.0.0.1: the resolver is patched so that test host names resolve to chosen addresses, and
socket connects are patched so that only the test server can be reached — the "public" test host is
rewritten to it, and any other target raises, so a missing address guard fails the test instead of
sending traffic anywhere.
"""

from __future__ import annotations

import gzip
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from ingest.pipeline import format_summary, run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source
from ingest.sources.sitemaps import MAX_URLS
from ingest.store.parquet import Store
from tests.localserver import LocalServer, redirect, reply
from tests.pages import article_html, rss

PUBLIC_IP = "93.184.216.34"  # stands for a public host; connections to it are rewritten to the test server
RESOLVE = {
    "news.test": PUBLIC_IP,
    "internal.test": "10.0.0.5",
    "loopback.test": "127.0.0.1",
    "metadata.test": "169.254.169.254",
}


@pytest.fixture
def sealed_network(monkeypatch):
    """Patch the resolver and connect so that only the test server on 127.0.0.1 can be reached."""
    state = {"port": None, "scripted": {}, "lookups": []}  # scripted: host -> answers, one per lookup (last repeats)
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def fake_getaddrinfo(host, port, *args, **kwargs):
        state["lookups"].append(host)
        if host in state["scripted"]:
            script = state["scripted"][host]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (script.pop(0) if len(script) > 1 else script[0], port or 80))]
        if host in RESOLVE:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (RESOLVE[host], port or 80))]
        if host in ("127.0.0.1", "localhost"):
            return real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(f"test resolver: unknown host {host}")

    def guarded_connect(sock, address):
        host, port = address[0], address[1]
        if host == PUBLIC_IP and port == 80:
            return real_connect(sock, ("127.0.0.1", state["port"]))
        if host == "127.0.0.1" and port == state["port"]:
            return real_connect(sock, address)
        raise OSError(f"test network guard: connect to {address} refused")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return state


def trickle(h: BaseHTTPRequestHandler) -> None:
    """A response that never ends: a byte every 0.2 s."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    try:
        for _ in range(200):
            h.wfile.write(b"<p>.")
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def drip_headers(h: BaseHTTPRequestHandler) -> None:
    """A status line and headers a byte every 0.2 s (~10 s in all): no read waits long enough to time out."""
    try:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 12 + b"\r\n\r\n<p>late</p>":
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def huge_chunked(h: BaseHTTPRequestHandler) -> None:
    """50 MB of HTML without a Content-Length."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    block = b"<p>" + b"x" * 1_048_573
    try:
        for _ in range(50):
            h.wfile.write(block)
    except OSError:
        pass


BOMB = gzip.compress(b"\0" * 200_000_000, compresslevel=9)  # ~200 KB that inflates to 200 MB

ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>http://news.test/good/0</link></item></channel></rss>"""


def build_routes() -> tuple[dict, list[str]]:
    rng = random.Random(5)
    good, routes = [], {}
    for i in range(6):
        _, html, _ = article_html(i, rng, datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=i))
        routes[f"/good/{i}"] = reply(html)
        good.append(f"/good/{i}")
    cyrillic = "<html><head><title>Новости</title></head><body><article>" + "".join(
        f"<p>Президент Владимир Путин встретился с делегацией в Москве, сообщили официальные лица, пункт {k}.</p>"
        for k in range(6)) + "</article></body></html>"
    routes.update({
        "/malformed": reply("<html><body><div><p>Unclosed <b>tags <div><table><tr><td>cell</p></div>"),
        "/wrong-charset": reply(cyrillic.encode("cp1251"), ctype="text/html; charset=utf-8"),
        "/no-charset": reply(cyrillic.encode("cp1251"), ctype="text/html"),
        "/binary": reply(bytes(random.Random(1).randrange(256) for _ in range(40_000)), ctype="text/html"),
        "/huge-declared": reply(b"<p>" + b"x" * 50_000_000),
        "/huge-chunked": huge_chunked,
        "/gzip-bomb": reply(BOMB, headers={"Content-Encoding": "gzip"}),
        "/never-ends": trickle,
        "/drip-headers": drip_headers,
        "/gone": reply("gone", 410),
        "/error": reply("boom", 500),
        "/busy": reply("slow down", 429, headers={"Retry-After": "1"}),
        "/loop": redirect("http://news.test/loop"),
        "/to-file": redirect("file:///etc/passwd"),
        "/to-internal": redirect("http://internal.test/admin"),
        "/to-loopback": redirect("http://loopback.test:8080/"),
        "/to-metadata": redirect("http://metadata.test/latest/meta-data/"),
        "/bomb.xml": reply(ENTITY_BOMB, ctype="application/rss+xml"),
    })
    return routes, good


def test_hostile_server(tmp_path: Path, sealed_network) -> None:
    routes, good = build_routes()
    bad = ["/malformed", "/wrong-charset", "/no-charset", "/binary", "/huge-declared", "/huge-chunked",
           "/gzip-bomb", "/never-ends", "/drip-headers", "/missing", "/gone", "/error", "/busy", "/loop", "/to-file",
           "/to-internal", "/to-loopback", "/to-metadata"]
    # A feed of 10,000 items: the bad ones, and the good pages under thousands of tracking-parameter variants.
    # A feed is capped at its newest 5,000 items (all have one date here: the first 5,000 are kept).
    items = [(p, p, None) for p in bad]
    items += [(f"item {k}", f"{good[k % len(good)]}?utm_source=feed&utm_campaign=c{k}", None) for k in range(10_000 - len(bad))]
    feed = rss("http://news.test", [(t, p, datetime(2025, 6, 1, tzinfo=UTC)) for t, p, _ in items])
    routes["/rss"] = reply(feed, ctype="application/rss+xml")
    settings = Settings(store=tmp_path / "store", allow_private=False, host_delay=0.0, per_host=8, fetch_threads=8,
                        processes=0, progress=False, connect_timeout=2, read_timeout=2, deadline=4,
                        max_bytes=5_000_000, respect_robots=True)
    with LocalServer(routes) as srv:
        sealed_network["port"] = int(srv.url.rsplit(":", 1)[1])
        summary = run_ingest([Source("feed", "http://news.test/rss", "News Test"),
                              Source("feed", "http://news.test/bomb.xml", "Bomb Feed")], settings)
    report = format_summary(summary)
    total = summary.total()
    assert total.found == MAX_URLS and "left 5,000" in report, report
    assert total.stored >= len(good), report  # every good page still stored
    stored_urls = set(duckdb.execute(
        "select url from read_parquet(?)", [Store(tmp_path / "store").glob("articles")]).fetchall())
    assert {("http://news.test" + p,) for p in good} <= stored_urls
    reasons = total.failures
    for reason in ("http-404", "http-410", "http-500", "http-429", "redirect-loop", "bad-scheme", "private-address",
                   "too-large", "deadline"):
        assert reasons.get(reason, 0) >= 1, f"no {reason!r} in {dict(reasons)}\n{report}"
    assert reasons["private-address"] >= 3  # internal, loopback and link-local redirects
    assert reasons["deadline"] >= 2  # the body that never ends and the headers that drip
    assert reasons.get("binary", 0) + reasons.get("no-article", 0) + reasons.get("empty", 0) >= 1
    assert total.duplicate >= MAX_URLS - len(bad) - len(good)
    assert summary.stats("Bomb Feed").failed + summary.stats("Bomb Feed").found >= 1


@pytest.mark.parametrize("private_ip", ["127.0.0.1", "10.0.0.5", "169.254.169.254"])
def test_rebinding_host_in_a_feed_is_refused_and_counted(tmp_path: Path, sealed_network, private_ip: str) -> None:
    """A feed links to rebind.test, which answers a public address to its first lookup (the robots.txt request)
    and a private one to the next (the page): the page is refused as private-address, nothing reaches the
    private address (the sealed network would raise), and the good page of the feed is still stored."""
    _, good, _ = article_html(1, random.Random(9), datetime(2025, 6, 2, tzinfo=UTC))
    routes = {"/good": reply(good), "/secret": reply("<html><body><p>internal</p></body></html>")}
    routes["/rss"] = reply(rss("", [("good", "http://news.test/good", datetime(2025, 6, 2, tzinfo=UTC)),
                                     ("rebound", "http://rebind.test/secret", datetime(2025, 6, 2, tzinfo=UTC))]),
                           ctype="application/rss+xml")
    settings = Settings(store=tmp_path / "store", allow_private=False, host_delay=0.0, processes=0, progress=False,
                        connect_timeout=2, read_timeout=2, deadline=4)
    sealed_network["scripted"]["rebind.test"] = [PUBLIC_IP, private_ip]
    with LocalServer(routes) as srv:
        sealed_network["port"] = int(srv.url.rsplit(":", 1)[1])
        summary = run_ingest([Source("feed", "http://news.test/rss", "News Test")], settings)
    report = format_summary(summary)
    assert summary.total().failures == {"private-address": 1}, report
    assert summary.total().stored == 1 and "/secret" not in srv.hits, report
    # rebind.test: its robots.txt (the public answer; a 404, so no rules) and the page (the private answer)
    assert sealed_network["lookups"].count("rebind.test") == 2  # one lookup per connection, none in between
