"""Fetching pages and feeds over HTTP: bounded in time and size, refusing what it should not reach.

`fetch_url()` returns a `FetchResult` or a `Failure` with a countable reason; it never raises for a bad URL
or a bad server. Redirects are followed by hand so that every hop is checked (scheme, count).

The private-address guard lives at the connection layer (`GuardedBackend`): each new connection resolves its
host once, refuses it if any address is private, loopback, link-local, reserved, multicast or unspecified,
and connects to one of the addresses it checked. Checking first and letting the HTTP library resolve again
would let a DNS-rebinding host answer a public address to the check and a private one to the connect.

An allow-list (`allow_hosts`: `--allow-host`, or `allow_hosts` in a sources file) lets chosen private
addresses through and keeps the guard for everything else, redirects included: an entry is an address or a
CIDR network, or a host name, each with an optional port (`127.0.0.1:8765`, `10.20.0.0/16`, `[::1]:8080`,
`intranet.example:8080`). `allow_private` turns the guard off altogether (tests, the demo).

The page deadline (`deadline` seconds for a URL, redirects and retries included) bounds every step, whatever
the server does: the name lookup, the connect, TLS, each read of the headers and of the body. httpx's own
timeouts are per operation (a server that sends one byte of its headers every 2 s never trips a 20 s read
timeout), so `fetch_url` sets the URL's deadline for its thread and the connection's stream (`_DeadlineStream`)
shortens each operation's timeout to the time left; past it the reason is `deadline`.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

# httpcore's stream over a connected socket; it has no public name, and `connect_tcp` must return one.
from httpcore._backends.sync import SyncStream

from ingest.records import Failure, FetchResult
from ingest.settings import Settings

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
RETRY_STATUS = {429, 502, 503, 504}


class PrivateAddressError(httpcore.ConnectError):
    """A host resolved to an address the guard refuses; httpx re-raises it as ConnectError `from` this."""


class ResolveError(httpcore.ConnectError):
    """A host did not resolve."""


def refused_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address itself when it is one newsmon must not reach by default (private, loopback, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return ip
    return None


_deadline = threading.local()  # .at: the monotonic time the current thread's URL must be done by


@contextmanager
def deadline_at(at: float) -> Iterator[None]:
    """Every network operation of this thread inside the block ends by `at` (time.monotonic())."""
    previous = getattr(_deadline, "at", None)
    _deadline.at = at
    try:
        yield
    finally:
        _deadline.at = previous


def _time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` shortened to the time left before the thread's deadline; `expired` raised once it has passed."""
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(SyncStream):
    """httpcore's socket stream, each read, write and TLS handshake bounded by the thread's deadline."""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return super().read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        super().write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        stream = super().start_tls(ssl_context, server_hostname, _time_left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream._sock) if type(stream) is SyncStream else stream


def _resolve(host: str, port: int, timeout: float | None) -> list[tuple]:
    """getaddrinfo, given up after `timeout` seconds (a lookup cannot be interrupted: it finishes in a thread)."""
    if timeout is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    answer: list = []

    def lookup() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            answer.append(exc)

    thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not answer:
        raise httpcore.ConnectTimeout(f"{host}: no DNS answer within {timeout:.1f}s")
    if isinstance(answer[0], BaseException):
        raise answer[0]
    return answer[0]


@dataclass(frozen=True)
class Allowed:
    """One entry of the allow-list: a network or a host name, and a port (None: any port)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    name: str | None
    port: int | None

    def admits(self, host: str, port: int, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if self.port is not None and port != self.port:
            return False
        if self.network is not None:
            return ip in self.network
        return host.lower().rstrip(".") == self.name


_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>\d+))?$")


def parse_allowed(entry: str) -> Allowed:
    """`127.0.0.1:8765`, `10.0.0.0/8`, `[::1]:8080`, `fd00::/8`, `intranet.example:8080` -> Allowed.
    ValueError says what is wrong."""
    text = entry.strip()
    if not text:
        raise ValueError("an empty entry")
    try:  # a bare IPv6 address or network (its colons are not a port)
        return Allowed(ipaddress.ip_network(text, strict=False), None, None)
    except ValueError:
        pass
    m = _HOST_PORT.match(text)
    if not m:
        raise ValueError(f"{entry!r} is not an address, a network (CIDR) or a host name, with an optional :PORT")
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{entry!r}: port {port} is out of range")
    where = m["v6"] or m["host"]
    try:
        return Allowed(ipaddress.ip_network(where, strict=False), None, port)
    except ValueError:
        if m["v6"] or not re.fullmatch(r"[A-Za-z0-9.-]+", where):
            raise ValueError(f"{entry!r} is not an address, a network (CIDR) or a host name") from None
        return Allowed(None, where.lower().rstrip("."), port)


def admitted(allowed: Iterable[Allowed], host: str, port: int,
             ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(rule.admits(host, port, ip) for rule in allowed)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the address guard: resolve once, check every address, connect to a
    checked one. TLS still uses the host name (httpcore passes it to `start_tls` as the SNI name), and the
    Host header is the URL's."""

    def __init__(self, allow_private: bool, allowed: tuple[Allowed, ...] = ()) -> None:
        self.allow_private = allow_private
        self.allowed = allowed

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[tuple] | None = None) -> SyncStream:
        timeout = _time_left(timeout, httpcore.ConnectTimeout)
        try:
            infos = _resolve(host, port, timeout)
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolveError(f"{host}: {exc}") from exc
        if not self.allow_private:
            for info in infos:
                ip = refused_ip(info[4][0])
                if ip is not None and not admitted(self.allowed, host, port, ip):
                    raise PrivateAddressError(f"{host} resolves to {ip}")
        error: httpcore.ConnectError | httpcore.ConnectTimeout = httpcore.ConnectError(f"{host}: no address")
        for family, kind, proto, _, sockaddr in infos:  # the checked addresses, in the resolver's order
            left = _time_left(timeout, httpcore.ConnectTimeout)
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(left)
                if local_address is not None:
                    sock.bind((local_address, 0))
                for option in socket_options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as httpcore's own backend does
                sock.connect(sockaddr)
            except TimeoutError as exc:
                sock.close()
                error = httpcore.ConnectTimeout(f"{host} ({sockaddr[0]}): {exc}")
            except OSError as exc:
                sock.close()
                error = httpcore.ConnectError(f"{host} ({sockaddr[0]}): {exc}")
            else:
                return _DeadlineStream(sock)
        raise error


def make_client(settings: Settings) -> httpx.Client:
    """One client per run (connection reuse); redirects are followed by `fetch_url`, not by httpx. Every new
    connection goes through `GuardedBackend` (robots.txt, feeds, sitemaps, pages and each redirect hop alike)."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(max_connections=settings.fetch_threads * 2, max_keepalive_connections=settings.fetch_threads)
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    # httpx 0.28 has no network_backend option: give its transport a pool built like its own, plus the guard.
    # (`_pool` is the attribute `HTTPTransport.handle_request` sends through; tests/ingest/fetch/test_http.py fails if not.)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(settings.allow_private, allowed_of(settings)),
    )
    return httpx.Client(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": settings.user_agent, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"},
        trust_env=False,
    )


def allowed_of(settings: Settings) -> tuple[Allowed, ...]:
    """The settings' allow-list, parsed (the CLI and the sources file have checked each entry already)."""
    return _parsed(tuple(settings.allow_hosts))


@functools.lru_cache(maxsize=16)
def _parsed(entries: tuple[str, ...]) -> tuple[Allowed, ...]:
    return tuple(parse_allowed(entry) for entry in entries)


def check_address(url: str, allow_private: bool, allowed: tuple[Allowed, ...] = ()) -> Failure | None:
    """Refuse non-http(s) schemes, URLs without a host and, unless allowed, literal private/loopback/link-local
    IP hosts. Host names are checked when connecting (`GuardedBackend`), against the addresses actually used."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return Failure("bad-scheme", f"{parts.scheme or 'no'} scheme: {url}")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return Failure("bad-url", url)  # a port that is not a number
    if not host:
        return Failure("bad-url", url)
    if allow_private:
        return None
    try:
        ip = refused_ip(host)
    except ValueError:
        return None  # a host name, not an address
    if ip is None or admitted(allowed, host, port, ip):
        return None
    return Failure("private-address", f"{host} resolves to {ip}")


def fetch_url(client: httpx.Client, url: str, settings: Settings, accept: tuple[str, ...] = HTML_TYPES,
              headers: dict[str, str] | None = None, retries: int = 2, truncate: bool = False) -> FetchResult | Failure:
    """GET one URL within the settings' limits; a Failure says why not. With `truncate`, a body over
    `max_bytes` is cut there (`FetchResult.truncated`) instead of refused: a feed is still worth its first
    items."""
    started = time.monotonic()
    attempt = 0
    with deadline_at(started + settings.deadline):
        while True:
            result = _fetch_once(client, url, settings, accept, headers or {}, started, truncate)
            if not isinstance(result, _Retry) or attempt >= retries:
                return result.failure if isinstance(result, _Retry) else result
            attempt += 1
            wait = min(result.wait if result.wait is not None else 0.5 * 2.0 ** attempt, 30.0)
            if time.monotonic() - started + wait > settings.deadline:
                return result.failure
            log.info("retrying %s in %.1fs (%s)", url, wait, result.failure.reason)
            time.sleep(wait)


class _Retry:
    def __init__(self, failure: Failure, wait: float | None) -> None:
        self.failure, self.wait = failure, wait


def _fetch_once(client: httpx.Client, url: str, settings: Settings, accept: tuple[str, ...],
                headers: dict[str, str], started: float, truncate: bool = False) -> FetchResult | Failure | _Retry:
    current = url
    for _hop in range(settings.max_redirects + 1):
        refused = check_address(current, settings.allow_private, allowed_of(settings))
        if refused:
            return refused
        try:
            with client.stream("GET", current, headers=headers, timeout=_request_timeout(settings, started)) as resp:
                if resp.status_code == 304:  # Not Modified (a conditional GET): no body, not a redirect
                    return FetchResult(url, str(resp.url), 304, "", b"", None, datetime.now(UTC),
                                       etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"))
                if resp.is_redirect:
                    location = resp.headers.get("location")
                    if not location:
                        return Failure("bad-redirect", f"{resp.status_code} without Location: {current}")
                    current = urljoin(current, location)
                    continue
                if resp.status_code in RETRY_STATUS:
                    return _Retry(Failure(f"http-{resp.status_code}", current), _retry_after(resp.headers.get("retry-after")))
                if resp.status_code >= 400:
                    return Failure(f"http-{resp.status_code}", current)
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype and not ctype.startswith(accept) and not (ctype == "text/plain" and accept != HTML_TYPES):
                    return Failure("content-type", f"{ctype}: {current}")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > settings.max_bytes and not truncate:
                    return Failure("too-large", f"{declared} bytes declared: {current}")
                chunks, size, cut = [], 0, False
                for chunk in resp.iter_bytes():
                    if time.monotonic() - started > settings.deadline:
                        return Failure("deadline", f"over {settings.deadline:.0f}s: {current}")
                    if size + len(chunk) > settings.max_bytes:
                        if not truncate:
                            return Failure("too-large", f"over {settings.max_bytes} bytes: {current}")
                        chunks.append(chunk[:settings.max_bytes - size])
                        cut = True
                        break
                    size += len(chunk)
                    chunks.append(chunk)
                return FetchResult(
                    url=url,
                    final_url=str(resp.url),
                    status=resp.status_code,
                    content_type=ctype,
                    body=b"".join(chunks),
                    encoding=resp.charset_encoding,
                    fetched_at=datetime.now(UTC),
                    etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"),
                    truncated=cut,
                )
        except httpx.TimeoutException as exc:
            if time.monotonic() - started >= settings.deadline - DEADLINE_SLACK:
                return Failure("deadline", f"over {settings.deadline:g}s ({type(exc).__name__}): {current}")
            return _Retry(Failure("timeout", f"{type(exc).__name__}: {current}"), None)
        except httpx.ConnectError as exc:
            if isinstance(exc.__cause__, PrivateAddressError):
                return Failure("private-address", str(exc.__cause__))
            if isinstance(exc.__cause__, ResolveError):
                return Failure("dns", str(exc.__cause__))
            return _Retry(Failure("connection", f"ConnectError: {current}"), None)
        except httpx.DecodingError as exc:
            return Failure("bad-encoding", f"{exc}: {current}")
        except (httpx.TransportError, httpx.InvalidURL, ValueError) as exc:
            return _Retry(Failure("connection", f"{type(exc).__name__}: {current}"), None)
    return Failure("redirect-loop", f"more than {settings.max_redirects} redirects: {url}")


# A timeout this close to the deadline is the deadline (the operation's timeout was cut to the time left).
DEADLINE_SLACK = 0.05


def _request_timeout(settings: Settings, started: float) -> httpx.Timeout:
    """The request's timeouts, none longer than the time left (this covers the wait for a pooled connection)."""
    left = max(0.001, settings.deadline - (time.monotonic() - started))
    return httpx.Timeout(min(settings.read_timeout, left), connect=min(settings.connect_timeout, left),
                         pool=left)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
