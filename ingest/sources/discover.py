"""Sources of article candidates: RSS/Atom feeds, sitemaps, front pages, files of URLs, folders of saved HTML
pages, WARC files.

Each `discover_*` function returns the candidates it found and the failures it met; a bad feed or a bad
line is a Failure with a reason, and the run goes on. Feeds are fetched conditionally when `discover()` is
given a `FeedState`: a 304 is "nothing new" (no candidates, no failure, `not_modified=True`).
Every request goes through a `PoliteFetcher` (robots.txt, per-host limit and delay): pass the run's own so
that discovery and article fetches share them; a bare `httpx.Client` gets a fetcher of its own.
A source refused by robots.txt fails as `feed-robots-disallowed` (`sitemap-…`, `homepage-…`).
"""

from __future__ import annotations

import calendar
import html
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from ingest.fetch.http import FEED_TYPES, HTML_TYPES
from ingest.fetch.politeness import PoliteFetcher, polite
from ingest.records import Candidate, Failure
from ingest.settings import Settings
from ingest.sources.feedstate import FeedState
from ingest.sources.homepage import discover_homepage
from ingest.sources.sitemaps import MAX_URLS, capped_note, declares_entities, discover_sitemap
from ingest.sources.warc import discover_warc

log = logging.getLogger(__name__)

KINDS = ("feed", "sitemap", "homepage", "urls", "html-dir", "warc")


@dataclass(frozen=True)
class Source:
    """One place articles come from: kind is one of KINDS."""

    kind: str
    location: str  # a feed, sitemap or front-page URL; a file of URLs, a folder of .html files, a WARC file or folder
    name: str = ""  # display name of the outlet; derived from the feed or host when empty
    language: str | None = None  # ISO 639 code the sources file gives, if any
    per_host: int | None = None  # the source's own limits on its hosts (the settings' when None)
    host_delay: float | None = None


@dataclass
class Discovery:
    source: Source
    name: str
    candidates: list[Candidate]
    failures: list[Failure]
    not_modified: bool = False  # a conditional GET answered 304: nothing new, not a failure
    note: str = ""  # something worth telling the user, e.g. the feed an HTML page pointed to
    left: int = 0  # items the source listed beyond the cap (MAX_URLS), not taken
    cut: bool = False  # a feed over the size cap, read up to its last complete item before it


def discover(source: Source, fetcher: PoliteFetcher | httpx.Client, settings: Settings,
             state: FeedState | None = None) -> Discovery:
    """The candidates a source lists now; with `state`, feeds are fetched conditionally and `state` updated.
    Each candidate carries the source's declared language (the extraction weighs it against detection)."""
    found = _discover(source, fetcher, settings, state)
    if source.language:
        found.candidates = [replace(c, language=source.language) for c in found.candidates]
    return found


def _discover(source: Source, fetcher: PoliteFetcher | httpx.Client, settings: Settings,
              state: FeedState | None) -> Discovery:
    if source.kind in ("feed", "sitemap", "homepage"):
        fetcher = polite(fetcher, settings)
    if source.kind == "feed":
        return discover_feed(source, fetcher, settings, state)
    if source.kind == "urls":
        return discover_url_file(source)
    if source.kind == "html-dir":
        return discover_html_dir(source)
    name = source.name or _host(source.location) or Path(source.location).name
    if source.kind == "sitemap":
        candidates, failures, left = discover_sitemap(source.location, name, fetcher, settings)
        note = capped_note(len(candidates) + left, len(candidates), "URLs") if left else ""
        return Discovery(source, name, candidates, failures, note=note, left=left)
    if source.kind == "homepage":
        return Discovery(source, name, *discover_homepage(source.location, name, fetcher, settings))
    if source.kind == "warc":
        return Discovery(source, name, *discover_warc(Path(source.location), name))
    return Discovery(source, source.name or source.location, [], [Failure("bad-source", f"unknown kind {source.kind!r}")])


def discover_feed(source: Source, fetcher: PoliteFetcher | httpx.Client, settings: Settings,
                  state: FeedState | None = None) -> Discovery:
    fetcher = polite(fetcher, settings)
    headers = state.request_headers(source.location) if state is not None else None
    fetched = fetcher.get(source.location, accept=FEED_TYPES + HTML_TYPES + ("text/plain",), headers=headers,
                          truncate=True)
    name = source.name or _host(source.location)
    if isinstance(fetched, Failure):
        return Discovery(source, name, [], [Failure(f"feed-{fetched.reason}", fetched.detail)])
    if state is not None:
        state.remember(source.location, fetched)
    if fetched.status == 304:
        return Discovery(source, source.name or (state.title(source.location) if state else "") or name, [], [],
                         not_modified=True)
    found = parse_feed(source, fetched.body, name, truncated=fetched.truncated)
    if not found.candidates and fetched.content_type in HTML_TYPES:
        if state is not None:
            state.forget(source.location)  # validators of the page, not of the feed: never a 304 for it
        return _follow_alternate(source, fetched.body, fetched.final_url or source.location, name, fetcher, found)
    if state is not None:
        if found.candidates:
            state.set_title(source.location, found.name)
        else:
            state.forget(source.location)  # an empty or broken answer is not a version worth a 304 next time
    return found


_ALTERNATE = re.compile(rb"""<link\b[^>]*\btype=["']?application/(?:rss|atom)\+xml["']?[^>]*>""", re.IGNORECASE)


def _follow_alternate(source: Source, body: bytes, base: str, name: str, fetcher: PoliteFetcher,
                      found: Discovery) -> Discovery:
    """An HTML page given as a feed: follow the first feed it announces (<link rel="alternate" type=rss/atom>)."""
    for tag in _ALTERNATE.findall(body[:262144]):
        href = re.search(rb"""\bhref=["']?([^"'\s>]+)""", tag, re.IGNORECASE)
        if not href or b"alternate" not in tag.lower():
            continue
        url = urljoin(base, html.unescape(href.group(1).decode("utf-8", "replace")))
        fetched = fetcher.get(url, accept=FEED_TYPES + ("text/plain",), truncate=True)
        if isinstance(fetched, Failure):
            return Discovery(source, name, [], [Failure(f"feed-{fetched.reason}", f"{fetched.detail} (announced by {base})")])
        followed = parse_feed(source, fetched.body, name, truncated=fetched.truncated)
        followed.note = "; ".join(filter(None, [f"an HTML page; used the feed it announces: {url}", followed.note]))
        return followed
    return Discovery(source, name, [], [Failure("feed-is-html", f"an HTML page that announces no feed: {base}")])


_LAST_ITEM = re.compile(rb"</(?:[\w-]+:)?(?:item|entry)\s*>", re.IGNORECASE)


def close_truncated(body: bytes) -> bytes:
    """A feed cut at the size cap, ended after its last complete item and closed, so its items parse."""
    ends = list(_LAST_ITEM.finditer(body))
    if not ends:
        return body
    head = body[:2048].lower()
    closing = b"</feed>" if b"<feed" in head else b"</rdf:RDF>" if b"<rdf:rdf" in head else b"</channel></rss>"
    return body[:ends[-1].end()] + closing


def parse_feed(source: Source, body: bytes, name: str, truncated: bool = False,
               max_items: int = MAX_URLS) -> Discovery:
    """A feed's items as candidates: the newest `max_items` (a note says how many more it listed), a feed cut
    at the size cap read up to its last complete item."""
    # feedparser resolves no external entity; a document that declares entities is refused before it gets
    # there (an entity bomb otherwise costs seconds in feedparser's fallback parser).
    if declares_entities(body):
        return Discovery(source, name, [], [Failure("feed-entities", "the feed declares XML entities (refused)")])
    if truncated:
        body = close_truncated(body)
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        reason = "feed-malformed" if parsed.get("bozo") else "feed-empty"
        detail = str(parsed.get("bozo_exception", "")) or source.location
        return Discovery(source, name, [], [Failure(reason, detail[:200])])
    name = source.name or parsed.feed.get("title") or name
    candidates, failures = [], []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link.startswith(("http://", "https://")):
            failures.append(Failure("feed-bad-link", link[:200] or "entry without a link"))
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
        candidates.append(Candidate(url=link, source=name, feed_title=entry.get("title", ""), feed_published=published))
    notes = [f"over the size cap: read its first {len(parsed.entries):,} items"] if truncated else []
    left = max(0, len(candidates) - max_items)
    if left:
        floor = datetime.min.replace(tzinfo=UTC)
        candidates = sorted(candidates, key=lambda c: c.feed_published or floor, reverse=True)[:max_items]
        notes.append(capped_note(len(candidates) + left, max_items, "items"))
        log.warning("feed %s %s", source.location, notes[-1])
    return Discovery(source, name, candidates, failures, note="; ".join(notes), left=left, cut=truncated)


def discover_url_file(source: Source) -> Discovery:
    path = Path(source.location)
    name = source.name or path.stem
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return Discovery(source, name, [], [Failure("urls-unreadable", f"{path}: {exc}")])
    candidates, failures = [], []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(("http://", "https://")):
            failures.append(Failure("bad-url", f"{path}:{number}: {line[:200]}"))
            continue
        candidates.append(Candidate(url=line, source=source.name or _host(line)))
    return Discovery(source, name, candidates, failures)


_CANONICAL = re.compile(rb"""<link[^>]+rel=["']?canonical["']?[^>]*>""", re.IGNORECASE)
_OG_URL = re.compile(rb"""<meta[^>]+property=["']og:url["'][^>]*>""", re.IGNORECASE)
_SITE_NAME = re.compile(rb"""<meta[^>]+property=["']og:site_name["'][^>]*>""", re.IGNORECASE)
_HREF = re.compile(rb"""(?:href|content)=["']([^"']+)["']""", re.IGNORECASE)


def discover_html_dir(source: Source) -> Discovery:
    """Saved pages: their URL comes from rel=canonical or og:url, else a file:// URL of the file itself."""
    root = Path(source.location)
    name = source.name or root.name
    if not root.is_dir():
        return Discovery(source, name, [], [Failure("html-dir-missing", str(root))])
    candidates = []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in (".html", ".htm") and p.is_file()):
        url, site = page_identity(path)
        outlet = source.name or site or _host(url) or name
        candidates.append(Candidate(url=url, source=outlet, html_path=str(path)))
    return Discovery(source, name, candidates, [])


def page_identity(path: Path) -> tuple[str, str]:
    """The URL a saved page says it has (canonical link or og:url, else its file:// URL) and its og:site_name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return path.resolve().as_uri(), ""
    url = path.resolve().as_uri()
    for pattern in (_CANONICAL, _OG_URL):
        tag = pattern.search(head)
        href = _HREF.search(tag.group(0)) if tag else None
        if href and href.group(1).startswith((b"http://", b"https://")):
            url = href.group(1).decode("utf-8", "replace")
            break
    tag = _SITE_NAME.search(head)
    site = _HREF.search(tag.group(0)) if tag else None
    return url, html.unescape(site.group(1).decode("utf-8", "replace")).strip() if site else ""


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
