"""Fetching pages and feeds over HTTP: bounded in time and size, refusing what it should not reach.

`fetch_url()` returns a `FetchResult` or a `Failure` with a countable reason; it never raises for a bad URL
or a bad server. Redirects are followed by hand so that every hop is checked (scheme, address, count).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.records import Failure, FetchResult
from ingest.settings import Settings

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
RETRY_STATUS = {429, 502, 503, 504}


def make_client(settings: Settings) -> httpx.Client:
    """One client per run (connection reuse); redirects are followed by `fetch_url`, not by httpx."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(max_connections=settings.fetch_threads * 2, max_keepalive_connections=settings.fetch_threads)
    return httpx.Client(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        headers={"User-Agent": settings.user_agent, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"},
        trust_env=False,
    )


def check_address(url: str, allow_private: bool) -> Failure | None:
    """Refuse non-http(s) schemes and, unless allowed, hosts that resolve to private/loopback/link-local addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return Failure("bad-scheme", f"{parts.scheme or 'no'} scheme: {url}")
    if not parts.hostname:
        return Failure("bad-url", url)
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return Failure("dns", f"{parts.hostname}: {exc}")
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            return Failure("private-address", f"{parts.hostname} resolves to {ip}")
    return None


def fetch_url(client: httpx.Client, url: str, settings: Settings, accept: tuple[str, ...] = HTML_TYPES,
              headers: dict[str, str] | None = None, retries: int = 2) -> FetchResult | Failure:
    """GET one URL within the settings' limits; a Failure says why not."""
    started = time.monotonic()
    attempt = 0
    while True:
        result = _fetch_once(client, url, settings, accept, headers or {}, started)
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
                headers: dict[str, str], started: float) -> FetchResult | Failure | _Retry:
    current = url
    for _hop in range(settings.max_redirects + 1):
        refused = check_address(current, settings.allow_private)
        if refused:
            return refused
        try:
            with client.stream("GET", current, headers=headers) as resp:
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
                if declared and declared.isdigit() and int(declared) > settings.max_bytes:
                    return Failure("too-large", f"{declared} bytes declared: {current}")
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > settings.max_bytes:
                        return Failure("too-large", f"over {settings.max_bytes} bytes: {current}")
                    if time.monotonic() - started > settings.deadline:
                        return Failure("deadline", f"over {settings.deadline:.0f}s: {current}")
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
                )
        except httpx.TimeoutException as exc:
            return _Retry(Failure("timeout", f"{type(exc).__name__}: {current}"), None)
        except httpx.DecodingError as exc:
            return Failure("bad-encoding", f"{exc}: {current}")
        except (httpx.TransportError, httpx.InvalidURL, ValueError) as exc:
            return _Retry(Failure("connection", f"{type(exc).__name__}: {current}"), None)
    return Failure("redirect-loop", f"more than {settings.max_redirects} redirects: {url}")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
