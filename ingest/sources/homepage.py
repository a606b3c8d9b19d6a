"""A site's front page as a source: the links on it that look like articles.

The heuristic (docs/sources.md repeats it) keeps a link when it
  1. stays on the site: same host, ignoring "www.", or a subdomain of it (edition.example.com on example.com);
  2. is not furniture or a listing: no path segment names a tag, topic, category, section, author, video,
     gallery, podcast, newsletter, search, account, subscription, feed, contact or legal page (some German,
     French and Spanish names too), no share/print/replytocom parameter, and it is not a file (image, PDF,
     audio, video) or the front page itself;
  3. and carries at least one mark of an article:
     - a date in the path followed by more than the date: /2024/08/13/slug, /2024/08/slug.html,
       /20240813/story, /2024-08-13-summit (a bare /2024/08/ or /2024/08/13/ is an archive page);
     - a long slug: a last path segment of at least four words joined by - or _ (and 20+ letters),
       "putin-meets-xi-in-beijing" rather than "world" or "europe-news";
     - a numeric id of five or more digits in the last two segments: /news/world-68123456, /a/1234567.html,
       ?id=123456 (query ids only under the name id, p, story or article).
Section pages (/world, /news/europe), pagination (/page/2) and share links (other hosts) fail these tests.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import lxml.html
from lxml import etree

from ingest.fetch.http import HTML_TYPES
from ingest.fetch.politeness import PoliteFetcher, polite
from ingest.records import Candidate, Failure
from ingest.settings import Settings
from ingest.sources.urls import canonical_url

MAX_LINKS = 500  # article links kept per front page

NOT_ARTICLE = {
    "tag", "tags", "topic", "topics", "category", "categories", "section", "sections", "author", "authors",
    "byline", "people", "person", "profile", "profiles", "contributor", "contributors", "video", "videos",
    "watch", "tv", "gallery", "galleries", "photos", "photo", "pictures", "podcast", "podcasts", "audio",
    "newsletter", "newsletters", "search", "login", "signin", "register", "account", "subscribe",
    "subscription", "subscriptions", "donate", "shop", "jobs", "careers", "about", "about-us", "contact",
    "contact-us", "privacy", "privacy-policy", "terms", "cookies", "cookie-policy", "rss", "feed", "feeds",
    "page", "archive", "archives", "sitemap", "weather", "horoscope", "crosswords", "games", "puzzles",
    "comment-page", "impressum", "kontakt", "datenschutz", "agb", "abo", "mentions-legales", "contacto",
    "aviso-legal", "redaktion", "ueber-uns", "qui-sommes-nous",
}
NOT_ARTICLE_PARAMS = {"share", "replytocom", "print", "output", "format"}
FILE_EXT = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|mp3|mp4|m4a|mov|avi|zip|xml|rss|json|css|js|ico)$", re.IGNORECASE)
DATE_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)|/(19|20)\d\d(0[1-9]|1[0-2])[0-3]\d(/|$)|/(19|20)\d\d-[01]\d-[0-3]\d")
LONG_ID = re.compile(r"(?<![0-9])\d{5,}(?![0-9])")
ID_PARAMS = {"id", "p", "story", "article", "articleid", "story_id"}
WORD_SPLIT = re.compile(r"[-_]+")


def site_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def looks_like_article(url: str, site: str) -> bool:
    """Whether a link on the front page of `site` (its host without "www.") looks like an article."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host != site and not host.endswith("." + site):
        return False
    segments = [s for s in parts.path.lower().split("/") if s]
    if not segments or FILE_EXT.search(parts.path):
        return False
    if any(s in NOT_ARTICLE for s in segments):
        return False
    query = parse_qsl(parts.query)
    if any(k.lower() in NOT_ARTICLE_PARAMS for k, _ in query):
        return False
    if DATE_PATH.search(parts.path) and not segments[-1].isdigit():  # /2024/08/ alone is a month's archive
        return True
    last = re.sub(r"\.s?html?$|\.php$|\.aspx?$", "", segments[-1])
    words = [w for w in WORD_SPLIT.split(last) if w]
    if len(words) >= 4 and sum(len(w) for w in words if not w.isdigit()) >= 20:
        return True
    if any(LONG_ID.search(s) for s in segments[-2:]):
        return True
    return any(k.lower() in ID_PARAMS and v.isdigit() and len(v) >= 5 for k, v in query)


def article_links(body: bytes, base_url: str, limit: int = MAX_LINKS) -> list[tuple[str, str]]:
    """(URL, link text) of each article-like link on a page, in page order, one per canonical URL."""
    try:
        doc = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    site = site_host(base_url)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urljoin(base_url, href).split("#")[0]
        if not looks_like_article(url, site):
            continue
        key = canonical_url(url)
        if key in seen:
            continue
        seen.add(key)
        out.append((url, " ".join(a.text_content().split())[:300]))
        if len(out) >= limit:
            break
    return out


def discover_homepage(url: str, name: str, fetcher: PoliteFetcher | httpx.Client,
                      settings: Settings) -> tuple[list[Candidate], list[Failure]]:
    """Fetch a front page (robots.txt and the host's limits permitting) and list its article-like links."""
    fetched = polite(fetcher, settings).get(url, accept=HTML_TYPES)
    if isinstance(fetched, Failure):
        return [], [Failure(f"homepage-{fetched.reason}", fetched.detail)]
    links = article_links(fetched.body, fetched.final_url or url)
    if not links:
        return [], [Failure("homepage-no-articles", f"no article-like links on {url}")]
    return [Candidate(url=link, source=name, feed_title=text) for link, text in links], []
