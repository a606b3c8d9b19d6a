from __future__ import annotations

import pytest

from ingest.fetch.robots import normalise, parse_robots, product_token

UA = "newsmon/0.1.0 (self-hosted news monitor; +https://pypi.org/project/newsmon/)"

ROBOTS = b"""# comment
User-agent: *
Disallow: /
Allow: /news/
Allow: /live$
Disallow: /news/*/print
Disallow: /*.pdf$
Disallow: /search?
Allow: /search?q=public

User-agent: OtherBot
User-agent: newsmon
Disallow: /private/   # a comment after a rule
Allow: /private/ok
Disallow:

user-agent: NEWSMON
disallow: /also-private

Sitemap: https://example.org/news-sitemap.xml
sitemap:https://example.org/sitemap.xml.gz
"""


@pytest.mark.parametrize(("agent", "path", "allowed"), [
    # the * group: Disallow / and the longer Allow /news/ -> the longest match wins (not the first)
    ("somebot/1.0", "/news/2024/story", True),
    ("somebot/1.0", "/about", False),
    ("somebot/1.0", "/live", True),          # $ anchors the end
    ("somebot/1.0", "/live/blog", False),
    ("somebot/1.0", "/news/2024/print", False),  # * spans path segments
    ("somebot/1.0", "/news/report.pdf", False),
    ("somebot/1.0", "/news/report.pdf?x=1", True),  # $ after .pdf: a query makes it not match
    ("somebot/1.0", "/search?q=x", False),
    ("somebot/1.0", "/search?q=public", True),
    ("somebot/1.0", "/robots.txt", True),     # always allowed
    # newsmon's own group (two groups naming it are merged; the * group does not apply to it)
    (UA, "/about", True),
    (UA, "/private/x", False),
    (UA, "/private/ok/x", True),
    (UA, "/also-private", False),
    ("OtherBot", "/also-private", True),      # the merged second group names newsmon only
    ("OtherBot", "/private/x", False),
])
def test_rfc9309_matching(agent: str, path: str, allowed: bool) -> None:
    rules = parse_robots(ROBOTS)
    assert rules.can_fetch(agent, "https://example.org" + path) is allowed


def test_allow_wins_a_tie_and_percent_encoding_is_normalised() -> None:
    rules = parse_robots(b"User-agent: *\nDisallow: /page\nAllow: /page\nDisallow: /caf%c3%a9\n")
    assert rules.can_fetch("x", "https://a.example/page")
    assert not rules.can_fetch("x", "https://a.example/café")
    assert not rules.can_fetch("x", "https://a.example/caf%C3%A9/menu")
    assert normalise("/a b") == "/a%20b"


def test_sitemaps_and_degenerate_files() -> None:
    rules = parse_robots(ROBOTS)
    assert rules.sitemaps == ["https://example.org/news-sitemap.xml", "https://example.org/sitemap.xml.gz"]
    assert parse_robots(b"").can_fetch(UA, "https://a.example/x")
    assert parse_robots(b"Disallow: /\n").can_fetch(UA, "https://a.example/x")  # a rule outside any group
    assert not parse_robots(b"\xef\xbb\xbfUser-agent: *\nDisallow: /\n").can_fetch(UA, "https://a.example/x")
    assert parse_robots(b"User-agent: *\nDisallow:\n").can_fetch(UA, "https://a.example/x")
    assert product_token(UA) == "newsmon"
