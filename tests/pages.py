"""Plain article pages and feeds generated for pipeline tests (seeded, no network)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

PEOPLE = ["Vladimir Putin", "Volodymyr Zelensky", "Mahmoud Abbas", "Emmanuel Macron", "Xi Jinping"]
PLACES = ["Geneva", "Ankara", "Doha", "Brussels", "Cairo", "Oslo"]
SUBJECTS = ["the ceasefire", "grain exports", "prisoner exchanges", "energy prices", "sanctions relief"]


def article_html(i: int, rng: random.Random, published: datetime) -> tuple[str, str, list[str]]:
    """(title, html, paragraphs) of a plain news page with some furniture."""
    a, b = rng.sample(PEOPLE, 2)
    title = f"{a} and {b} hold talks in {rng.choice(PLACES)} (report {i})"
    paragraphs = [
        f"{a} met {b} in {rng.choice(PLACES)} on {published:%A} to discuss {rng.choice(SUBJECTS)}, "
        f"officials from both sides said in statements released after the meeting number {i}."
    ] + [
        f"Delegations are expected to continue talks on {rng.choice(SUBJECTS)} next week, and analysts said "
        f"the outcome would depend on {rng.choice(SUBJECTS)} and on regional mediators, item {i}.{k}."
        for k in range(rng.randint(3, 6))
    ]
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta property="og:title" content="{escape(title)}">
<meta property="article:published_time" content="{published.isoformat()}">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/about">About</a></nav>
<article><h1>{escape(title)}</h1><div class="byline">By Test Writer</div>
{body}</article>
<aside><h3>Read more</h3><ul><li><a href="/x">Other story</a></li></ul></aside>
<footer>© Test Daily, all rights reserved. Privacy policy.</footer></body></html>"""
    return title, html, paragraphs


def rss(base: str, items: list[tuple[str, str, datetime]]) -> str:
    entries = "\n".join(
        f"<item><title>{escape(t)}</title><link>{escape(base + p)}</link>"
        f"<pubDate>{format_datetime(d)}</pubDate></item>"
        for t, p, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test Daily</title>{entries}</channel></rss>'


def site(n: int, seed: int = 7) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, datetime]]]:
    """n article pages: {path: (content type, body)} and the feed items (title, path, published)."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    pages, items = {}, []
    for i in range(n):
        published = start + timedelta(hours=7 * i)
        title, html, _ = article_html(i, rng, published)
        path = f"/world/{published:%Y/%m/%d}/story-{i}"
        pages[path] = ("text/html; charset=utf-8", html)
        items.append((title, path, published))
    return pages, items
