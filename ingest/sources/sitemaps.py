"""Sitemaps as a source: sitemap indexes, urlsets, Google News sitemaps, plain-text lists, `.xml.gz`.

Everything a sitemap makes us do is bounded: child sitemaps followed (newest first; every request, children on
other hosts included, goes through the `PoliteFetcher`: robots.txt, per-host limit, `host_delay`), URLs kept
(newest first), index depth, and the size of a gzipped sitemap once decompressed. A site's root URL (or its
robots.txt) stands for the sitemaps its robots.txt lists, else `/sitemap.xml`. A gzip bomb or an XML entity bomb is a
Failure with a reason, never a memory blow-up: gzip is inflated with a `max_length`, and the XML parser
neither loads DTDs nor resolves entities nor reaches the network (a DOCTYPE that declares entities is
refused outright, as defusedxml does).
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from lxml import etree

from ingest.fetch.http import FEED_TYPES
from ingest.fetch.politeness import PoliteFetcher, origin, polite
from ingest.records import Candidate, Failure
from ingest.settings import Settings

log = logging.getLogger(__name__)

MAX_CHILD_SITEMAPS = 50  # child sitemaps followed per source; news sites list one per day or month
MAX_URLS = 5000  # article URLs kept per source, newest first (feeds too: discover.py)
MAX_DEPTH = 2  # an index of indexes is allowed; deeper nesting is not followed
GZIP_TYPES = ("application/x-gzip", "application/gzip", "application/x-gzip-compressed", "application/octet-stream")
SITEMAP_TYPES = FEED_TYPES + GZIP_TYPES + ("text/plain",)
_ENTITY_DECL = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None  # when the page (or child sitemap) last changed
    published: datetime | None = None  # news:publication_date, Google News sitemaps only
    title: str = ""  # news:title


@dataclass(frozen=True)
class ParsedSitemap:
    kind: str  # urlset | index
    entries: list[SitemapEntry]


def declares_entities(body: bytes) -> bool:
    """Whether an XML document's DOCTYPE declares entities (the stuff of "billion laughs"); feeds and sitemaps
    never need them."""
    return _ENTITY_DECL.search(body) is not None


def inflate(body: bytes, limit: int) -> bytes | Failure:
    """Un-gzip a body that starts with the gzip magic, refusing to produce more than `limit` bytes."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    out, data = [], body
    size = 0
    try:
        while data:
            d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            chunk = d.decompress(data, limit + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > limit or d.unconsumed_tail:
                return Failure("sitemap-too-large", f"over {limit} bytes once decompressed")
            data = d.unused_data  # a gzip file may hold several members
            if not d.eof:
                return Failure("sitemap-bad-gzip", "truncated gzip data")
    except zlib.error as exc:
        return Failure("sitemap-bad-gzip", str(exc))
    return b"".join(out)


def parse_sitemap(body: bytes) -> ParsedSitemap | Failure:
    """A sitemap document's entries: an index's child sitemaps or a urlset's pages (XML or plain text)."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return _parse_text(head)
    if declares_entities(body):
        return Failure("sitemap-entities", "the document declares XML entities (refused)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(head, parser)
    except etree.XMLSyntaxError as exc:
        return Failure("sitemap-malformed", str(exc)[:200])
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        return Failure("sitemap-malformed", f"root element <{kind}> is neither urlset nor sitemapindex")
    child = "url" if kind == "urlset" else "sitemap"
    entries = []
    for el in root:
        if not isinstance(el.tag, str) or etree.QName(el).localname != child:
            continue
        fields = _fields(el)
        loc = fields.get("loc", "")
        if loc:
            entries.append(SitemapEntry(loc, _w3c_date(fields.get("lastmod", "")),
                                        _w3c_date(fields.get("publication_date", "")), fields.get("title", "")))
    return ParsedSitemap("urlset" if kind == "urlset" else "index", entries)


def _fields(el: etree._Element) -> dict[str, str]:
    """Text of an entry's descendants by local name (loc, lastmod, news:publication_date, news:title)."""
    out: dict[str, str] = {}
    for sub in el.iter():
        if sub is el or not isinstance(sub.tag, str):
            continue
        name = etree.QName(sub).localname
        if name in ("loc", "lastmod", "publication_date", "title") and name not in out:
            out[name] = (sub.text or "").strip()
    return out


_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(https?://\S+)", re.IGNORECASE | re.MULTILINE)


def _parse_text(body: bytes) -> ParsedSitemap | Failure:
    """A plain-text sitemap (one URL a line), or a robots.txt whose Sitemap: lines act as an index."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Failure("sitemap-malformed", "neither XML nor UTF-8 text")
    listed = _ROBOTS_SITEMAP.findall(text)
    if listed:
        return ParsedSitemap("index", [SitemapEntry(u) for u in listed])
    urls = [line.strip() for line in text.splitlines() if line.strip().startswith(("http://", "https://"))]
    if not urls:
        return Failure("sitemap-malformed", "neither XML nor a text list of URLs")
    return ParsedSitemap("urlset", [SitemapEntry(u) for u in urls])


def _w3c_date(text: str) -> datetime | None:
    """W3C datetime ("2024-08-13", "2024-08-13T15:05:00+03:00", "...Z") in UTC; naive means UTC."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _newest_first(entries: list[SitemapEntry]) -> list[SitemapEntry]:
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: e.published or e.lastmod or floor, reverse=True)


def capped_note(listed: int, kept: int, what: str) -> str:
    """What a capped list tells the user: how many it listed, how many were kept and left."""
    return f"lists {listed:,} {what}; kept the newest {kept:,}, left {listed - kept:,}"


def discover_sitemap(url: str, name: str, fetcher: PoliteFetcher | httpx.Client, settings: Settings,
                     max_children: int = MAX_CHILD_SITEMAPS, max_urls: int = MAX_URLS,
                     ) -> tuple[list[Candidate], list[Failure], int]:
    """Candidates of a sitemap (following an index's children), newest first, within the caps; and how many
    URLs the cap left out."""
    fetcher = polite(fetcher, settings)
    pages: list[SitemapEntry] = []
    failures: list[Failure] = []
    queue, followed = _start(url, fetcher, max_children)
    seen: set[str] = set()
    while queue:
        current, depth = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        parsed = _fetch_sitemap(fetcher, current, settings)
        if isinstance(parsed, Failure):
            failures.append(Failure(parsed.reason, f"{parsed.detail} ({current})"[:300]))
            continue
        if parsed is None:  # 304: nothing new
            continue
        if parsed.kind == "urlset":
            pages.extend(parsed.entries)
            continue
        if depth >= MAX_DEPTH:
            failures.append(Failure("sitemap-too-deep", f"index nested deeper than {MAX_DEPTH}: {current}"))
            continue
        children = [e for e in _newest_first(parsed.entries)
                    if e.url.startswith(("http://", "https://")) and e.url not in seen]
        room = max(0, max_children - followed)
        if len(children) > room:
            log.warning("sitemap %s lists %d child sitemaps; following the newest %d", current, len(children), room)
        for entry in children[:room]:
            queue.append((entry.url, depth + 1))
        followed += min(room, len(children))
    unique: dict[str, SitemapEntry] = {}
    for entry in pages:
        if entry.url.startswith(("http://", "https://")):
            unique.setdefault(entry.url, entry)
        else:
            failures.append(Failure("sitemap-bad-link", entry.url[:200]))
    kept = _newest_first(list(unique.values()))
    if len(kept) > max_urls:
        log.warning("sitemap %s %s", url, capped_note(len(kept), max_urls, "URLs"))
    candidates = [Candidate(url=e.url, source=name, feed_title=e.title, feed_published=e.published)
                  for e in kept[:max_urls]]
    return candidates, failures, max(0, len(kept) - max_urls)


def _start(url: str, fetcher: PoliteFetcher, max_children: int) -> tuple[list[tuple[str, int]], int]:
    """The first sitemaps to fetch (URL, depth) and how many count as followed children. A site's root or its
    robots.txt means the sitemaps robots.txt lists (read from the fetcher's copy: no extra request), taken as
    the children of an index; without any, the conventional /sitemap.xml."""
    path = urlsplit(url).path
    site = origin(url)
    if not site or path not in ("", "/", "/robots.txt"):
        return [(url, 0)], 0
    listed = list(dict.fromkeys(fetcher.sitemaps(url)))
    if not listed:
        return [(site + "/sitemap.xml", 0)], 0
    if len(listed) > max_children:
        log.warning("robots.txt of %s lists %d sitemaps; following the first %d", site, len(listed), max_children)
    return [(u, 1) for u in listed[:max_children]], min(len(listed), max_children)


def _fetch_sitemap(fetcher: PoliteFetcher, url: str, settings: Settings) -> ParsedSitemap | Failure | None:
    fetched = fetcher.get(url, accept=SITEMAP_TYPES)
    if isinstance(fetched, Failure):
        return Failure(f"sitemap-{fetched.reason}", fetched.detail)
    if fetched.status == 304:
        return None
    body = inflate(fetched.body, settings.max_bytes)
    if isinstance(body, Failure):
        return body
    return parse_sitemap(body)
