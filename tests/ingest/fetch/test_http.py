from __future__ import annotations

import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest

from ingest.fetch.http import check_address, fetch_url, make_client
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


PUBLIC_IP = "93.184.216.34"  # stands for a public host; connects to it are rewritten to the test server


@pytest.fixture
def rebinding_network(monkeypatch):
    """A resolver whose hosts answer from a script of addresses, one answer per call, and a connect that only
    reaches the test server: (PUBLIC_IP, 80) is rewritten to it, any other target is logged and raises."""
    state = {"port": None, "answers": {}, "calls": [], "refused": []}
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def fake_getaddrinfo(host, port, *args, **kwargs):
        state["calls"].append(host)
        if host in state["answers"]:
            script = state["answers"][host]
            ips = script.pop(0) if len(script) > 1 else script[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 80)) for ip in ips]
        if host == "127.0.0.1":
            return real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(f"test resolver: unknown host {host}")

    def guarded_connect(sock, address):
        if address[:2] == (PUBLIC_IP, 80):
            return real_connect(sock, ("127.0.0.1", state["port"]))
        if address[:2] == ("127.0.0.1", state["port"]):
            return real_connect(sock, address)
        state["refused"].append(address)
        raise OSError(f"test network guard: connect to {address} refused")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return state


@pytest.mark.parametrize("private_ip", ["127.0.0.1", "10.0.0.5", "169.254.169.254"])
def test_dns_rebinding_is_refused_at_connect(rebinding_network, private_ip: str) -> None:
    """First answer public, second private: each connection resolves once, checks, and connects to what it
    checked, so the second connection is refused and nothing is sent to the private address."""
    strict = Settings(allow_private=False, connect_timeout=2, read_timeout=2, deadline=5)
    with LocalServer({"/a": reply("<p>public</p>"), "/b": reply("<p>private</p>")}) as srv:
        rebinding_network["port"] = srv.httpd.server_address[1]
        rebinding_network["answers"]["rebind.test"] = [[PUBLIC_IP], [private_ip]]
        with make_client(strict) as client:
            first = fetch_url(client, "http://rebind.test/a", strict)
            second = fetch_url(client, "http://rebind.test/b", strict)  # the server closed the first connection
    assert isinstance(first, FetchResult) and b"public" in first.body
    assert second == Failure("private-address", f"rebind.test resolves to {private_ip}")
    assert rebinding_network["calls"] == ["rebind.test", "rebind.test"]  # once per connection, no second lookup
    assert rebinding_network["refused"] == [] and "/b" not in srv.hits


def test_every_address_of_an_answer_is_checked(rebinding_network) -> None:
    strict = Settings(allow_private=False, connect_timeout=2, read_timeout=2, deadline=5)
    rebinding_network["answers"]["mixed.test"] = [[PUBLIC_IP, "10.1.2.3"]]
    rebinding_network["answers"]["mapped.test"] = [["::ffff:127.0.0.1"]]
    with make_client(strict) as client:
        mixed = fetch_url(client, "http://mixed.test/", strict)
        mapped = fetch_url(client, "http://mapped.test/", strict)
        nowhere = fetch_url(client, "http://unknown.test/", strict)
    assert mapped == Failure("private-address", "mapped.test resolves to 127.0.0.1")
    assert mixed == Failure("private-address", "mixed.test resolves to 10.1.2.3")
    assert nowhere.reason == "dns"
    assert rebinding_network["refused"] == []


def test_allow_private_still_reaches_loopback_names(rebinding_network) -> None:
    with LocalServer({"/a": reply("<p>local</p>")}) as srv:
        port = srv.httpd.server_address[1]
        rebinding_network["port"] = port
        rebinding_network["answers"]["local.test"] = [["127.0.0.1"]]
        with make_client(SETTINGS) as client:
            res = fetch_url(client, f"http://local.test:{port}/a", SETTINGS)
    assert isinstance(res, FetchResult) and b"local" in res.body


def test_redirect_hop_to_a_rebinding_host_is_refused(rebinding_network) -> None:
    strict = Settings(allow_private=False, connect_timeout=2, read_timeout=2, deadline=5)
    with LocalServer({"/go": redirect("http://evil.test/admin"), "/admin": reply("secret")}) as srv:
        rebinding_network["port"] = srv.httpd.server_address[1]
        rebinding_network["answers"]["news.test"] = [[PUBLIC_IP]]
        rebinding_network["answers"]["evil.test"] = [["169.254.169.254"]]
        with make_client(strict) as client:
            res = fetch_url(client, "http://news.test/go", strict)
    assert res == Failure("private-address", "evil.test resolves to 169.254.169.254")
    assert "/admin" not in srv.hits and rebinding_network["refused"] == []


def test_tls_and_host_header_keep_the_name_while_connecting_to_the_checked_address(rebinding_network, tmp_path,
                                                                                  monkeypatch) -> None:
    """https://secure.test/ resolves to PUBLIC_IP (rewritten to a local TLS server): the server sees SNI and
    Host "secure.test", and the certificate issued to secure.test verifies."""
    import shutil
    import ssl
    import subprocess

    import ingest.fetch.http as fetch

    if not shutil.which("openssl"):
        pytest.skip("openssl command not found (needed to make a test certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=secure.test", "-addext", "subjectAltName=DNS:secure.test"],
                   check=True, capture_output=True)
    seen = {"sni": [], "host": []}

    def page(h) -> None:
        seen["host"].append(h.headers.get("Host"))
        reply("<p>over tls</p>")(h)

    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    monkeypatch.setattr(fetch.httpx, "create_ssl_context", lambda **kw: ssl.create_default_context(cafile=str(cert)))
    strict = Settings(allow_private=False, connect_timeout=2, read_timeout=2, deadline=5)
    srv = LocalServer({"/": page})
    srv.httpd.socket = server_ctx.wrap_socket(srv.httpd.socket, server_side=True)
    with srv:
        rebinding_network["port"] = srv.httpd.server_address[1]
        rebinding_network["answers"]["secure.test"] = [[PUBLIC_IP]]
        with make_client(strict) as client:
            # port 80 is what the test network rewrites; the scheme is https all the same
            res = fetch_url(client, "https://secure.test:80/", strict)
    assert isinstance(res, FetchResult) and b"over tls" in res.body, res
    assert seen == {"sni": ["secure.test"], "host": ["secure.test:80"]}
    assert rebinding_network["calls"] == ["secure.test"] and rebinding_network["refused"] == []


def drip_headers(h: BaseHTTPRequestHandler) -> None:
    """A status line and headers sent one byte every 0.2 s (for at most ~12 s): no read ever waits long."""
    try:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 40:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def drip_body(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    try:
        for _ in range(60):
            h.wfile.write(b"<p>")
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


@pytest.mark.parametrize("route", [drip_headers, drip_body])
def test_deadline_covers_headers_and_body_whatever_the_server_sends(route) -> None:
    """A server that sends its headers (or body) a byte at a time never trips the read timeout; the page
    deadline ends the request all the same, and says so."""
    settings = Settings(allow_private=True, connect_timeout=2, read_timeout=1.0, deadline=1.5)
    with LocalServer({"/drip": route}) as srv, make_client(settings) as client:
        t = time.monotonic()
        got = fetch_url(client, srv.url + "/drip", settings)
        took = time.monotonic() - t
    assert isinstance(got, Failure) and got.reason == "deadline", got
    assert took < settings.deadline + 0.5


def test_deadline_bounds_a_name_lookup_that_never_answers(monkeypatch) -> None:
    def stuck(*args, **kwargs):
        time.sleep(5)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    settings = Settings(connect_timeout=10, read_timeout=10, deadline=1.0)
    with make_client(settings) as client:
        t = time.monotonic()
        got = fetch_url(client, "http://slow-dns.example/", settings)
    assert isinstance(got, Failure) and got.reason == "deadline", got
    assert time.monotonic() - t < 2.0


@pytest.mark.parametrize(
    ("entry", "network", "name", "port"),
    [("127.0.0.1:8765", "127.0.0.1/32", None, 8765), ("10.20.0.0/16", "10.20.0.0/16", None, None),
     ("[::1]:8080", "::1/128", None, 8080), ("fd00::/8", "fd00::/8", None, None), ("::1", "::1/128", None, None),
     ("Intranet.Example:8080", None, "intranet.example", 8080), ("localhost", None, "localhost", None),
     ("10.0.0.0/8:3000", "10.0.0.0/8", None, 3000)],
)
def test_parse_allowed(entry: str, network: str | None, name: str | None, port: int | None) -> None:
    from ingest.fetch.http import parse_allowed

    got = parse_allowed(entry)
    assert (str(got.network) if got.network else None, got.name, got.port) == (network, name, port)


@pytest.mark.parametrize("entry", ["", "127.0.0.1:99999", "[::1", "a b", "10.0.0.0/40", "http://x/"])
def test_parse_allowed_refuses(entry: str) -> None:
    from ingest.fetch.http import parse_allowed

    with pytest.raises(ValueError):
        parse_allowed(entry)


def test_allow_list_admits_its_host_and_port_only_redirects_included() -> None:
    """--allow-host 127.0.0.1:PORT reaches that server; another port of 127.0.0.1 stays refused, also when
    the allowed server redirects there (all-or-nothing --allow-private turned the guard off for both)."""
    with LocalServer({"/secret": reply("<p>secret</p>")}) as other, \
            LocalServer({"/a": reply("<p>allowed</p>"), "/go": redirect(other.url + "/secret")}) as srv:
        settings = Settings(allow_hosts=(srv.url.removeprefix("http://"),), connect_timeout=2, read_timeout=2,
                            deadline=5)
        with make_client(settings) as client:
            ok = fetch_url(client, srv.url + "/a", settings)
            hop = fetch_url(client, srv.url + "/go", settings)
            direct = fetch_url(client, other.url + "/secret", settings)
    assert isinstance(ok, FetchResult) and b"allowed" in ok.body
    assert hop.reason == "private-address" and direct.reason == "private-address"
    assert "/secret" not in other.hits


def test_allowed_name_is_pinned_to_the_address_it_was_checked_at(rebinding_network) -> None:
    """An allowed host name reaches its private address; the connection goes to the address that was checked
    (one lookup), and another name resolving to the same address is refused."""
    with LocalServer({"/a": reply("<p>intranet</p>")}) as srv:
        port = srv.httpd.server_address[1]
        rebinding_network["port"] = port
        rebinding_network["answers"]["intranet.test"] = [["127.0.0.1"]]
        rebinding_network["answers"]["other.test"] = [["127.0.0.1"]]
        settings = Settings(allow_hosts=(f"intranet.test:{port}",), connect_timeout=2, read_timeout=2, deadline=5)
        with make_client(settings) as client:
            ok = fetch_url(client, f"http://intranet.test:{port}/a", settings)
            refused = fetch_url(client, f"http://other.test:{port}/a", settings)
    assert isinstance(ok, FetchResult) and b"intranet" in ok.body
    assert refused == Failure("private-address", "other.test resolves to 127.0.0.1")
    assert rebinding_network["calls"].count("intranet.test") == 1


def test_check_address_with_an_allow_list() -> None:
    from ingest.fetch.http import parse_allowed

    allowed = (parse_allowed("10.20.0.0/16"), parse_allowed("127.0.0.1:8765"))
    assert check_address("http://10.20.3.4/x", False, allowed) is None
    assert check_address("http://127.0.0.1:8765/x", False, allowed) is None
    assert check_address("http://127.0.0.1:8766/x", False, allowed).reason == "private-address"
    assert check_address("http://10.21.0.1/x", False, allowed).reason == "private-address"
