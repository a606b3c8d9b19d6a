"""RSS 2.0 and Atom feeds of the fictional outlets; each lists every item it is given, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from ingest.demo.corpus import ArticleInfo, Outlet

Items = Sequence[tuple[str, "ArticleInfo"]]  # (link path, possibly with a query; the article behind it)


def render_rss(outlet: Outlet, items: Items, origin: str, label: str) -> str:
    """An RSS 2.0 channel; pubDate in RFC 822 with the outlet's own offset, as real feeds write it."""
    site = f"{origin}/{outlet.slug}/"
    entries = []
    for link, art in items:
        url = origin + link
        lede = art.paragraphs[0] if art.paragraphs else art.title
        authors = "".join(f"<dc:creator>{escape(a)}</dc:creator>" for a in art.authors)
        entries.append(
            f"<item><title>{escape(art.title)}</title><link>{escape(url)}</link>"
            f'<guid isPermaLink="true">{escape(url)}</guid><pubDate>{format_datetime(art.published)}</pubDate>'
            f"{authors}<description>{escape(lede)}</description></item>")
    newest = format_datetime(items[0][1].published) if items else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel><title>{escape(outlet.name)}</title><link>{escape(site)}</link>"
        f"<description>{escape(label)}</description><language>en</language>"
        f"<lastBuildDate>{newest}</lastBuildDate>"
        f'<atom:link href={quoteattr(origin + outlet.feed_path)} rel="self" type="application/rss+xml"/>\n'
        + "\n".join(entries) + "\n</channel></rss>\n")


def render_atom(outlet: Outlet, items: Items, origin: str, label: str) -> str:
    """An Atom feed; timestamps in RFC 3339 with the outlet's offset."""
    entries = []
    for link, art in items:
        url = origin + link
        lede = art.paragraphs[0] if art.paragraphs else art.title
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in art.authors)
        stamp = art.published.isoformat()
        entries.append(
            f"<entry><title>{escape(art.title)}</title><link rel=\"alternate\" href={quoteattr(url)}/>"
            f"<id>{escape(url)}</id><published>{stamp}</published><updated>{stamp}</updated>{authors}"
            f'<summary type="text">{escape(lede)}</summary></entry>')
    updated = items[0][1].published.astimezone(UTC).isoformat() if items else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{escape(outlet.name)}</title><subtitle>{escape(label)}</subtitle>"
        f"<id>{escape(origin)}/{outlet.slug}/</id><updated>{updated}</updated>"
        f'<link rel="self" href={quoteattr(origin + outlet.feed_path)}/>'
        f'<link rel="alternate" href={quoteattr(origin + "/" + outlet.slug + "/")}/>\n'
        + "\n".join(entries) + "\n</feed>\n")
