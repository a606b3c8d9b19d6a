from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from ingest.fetch import check_address, fetch_url, make_client
from ingest.records import Failure, FetchResult
from ingest.settings import Settings
from tests.localserver import LocalServer, redirect, reply

SETTINGS = Settings(allow_private=True, connect_timeout=2, read_timeout=2, deadline=5, max_bytes=100_000)


def flaky_429() -> callable:
    calls = {"n": 0}

    def route(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            reply("slow down", 429, headers={"Retry-After": "0"})(h)
        else:
            reply("<html><body><p>ok after retry</p></body></html>")(h)

    return route


@pytest.fixture(scope="module")
def server():
    routes = {
        "/ok": reply("<html><body><p>hello</p></body></html>"),
        "/gone": reply("gone", 410),
        "/boom": reply("boom", 500),
        "/hop": redirect("/ok"),
        "/loop": redirect("/loop"),
        "/file": redirect("file:///etc/passwd"),
        "/big": reply("x" * 200_000),
        "/binary": reply(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, ctype="image/png"),
        "/retry": flaky_429(),
    }
    with LocalServer(routes) as srv:
        yield srv


def test_ok_and_redirect(server) -> None:
    with make_client(SETTINGS) as client:
        res = fetch_url(client, server.url + "/hop", SETTINGS)
    assert isinstance(res, FetchResult) and res.status == 200 and b"hello" in res.body
    assert res.final_url.endswith("/ok") and res.url.endswith("/hop")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "http-404"),
        ("/gone", "http-410"),
        ("/loop", "redirect-loop"),
        ("/file", "bad-scheme"),
        ("/big", "too-large"),
        ("/binary", "content-type"),
    ],
)
def test_failures_have_reasons(server, path: str, reason: str) -> None:
    with make_client(SETTINGS) as client:
        res = fetch_url(client, server.url + path, SETTINGS)
    assert isinstance(res, Failure) and res.reason == reason


def test_server_error_is_retried_then_reported(server) -> None:
    with make_client(SETTINGS) as client:
        res = fetch_url(client, server.url + "/boom", SETTINGS, retries=1)
    assert res == Failure("http-500", server.url + "/boom")


def test_429_retry_after_is_honoured(server) -> None:
    with make_client(SETTINGS) as client:
        res = fetch_url(client, server.url + "/retry", SETTINGS)
    assert isinstance(res, FetchResult) and b"ok after retry" in res.body
    assert server.hits["/retry"] == 2


def test_loopback_is_refused_unless_allowed(server) -> None:
    strict = Settings(allow_private=False)
    with make_client(strict) as client:
        res = fetch_url(client, server.url + "/ok", strict)
    assert isinstance(res, Failure) and res.reason == "private-address"
    # the refused request never reached the server
    before = dict(server.hits)
    with make_client(strict) as client:
        fetch_url(client, server.url + "/gone", strict)
    assert server.hits.get("/gone", 0) == before.get("/gone", 0)


@pytest.mark.parametrize(
    ("url", "reason"),
    [("ftp://example.org/x", "bad-scheme"), ("file:///etc/passwd", "bad-scheme"), ("http:///nohost", "bad-url"),
     ("http://169.254.169.254/latest", "private-address"), ("http://10.0.0.1/", "private-address")],
)
def test_check_address(url: str, reason: str) -> None:
    res = check_address(url, allow_private=False)
    assert res is not None and res.reason == reason
