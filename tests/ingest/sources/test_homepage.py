from __future__ import annotations

import pytest

from ingest.fetch.http import make_client
from ingest.settings import Settings
from ingest.sources.discover import Source, discover
from ingest.sources.homepage import article_links, looks_like_article
from tests.localserver import LocalServer, redirect, reply

SITE = "news.example"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # dated paths
        ("https://www.news.example/2024/08/13/kremlin-talks", True),
        ("https://news.example/world/2024/08/ceasefire", True),
        ("https://news.example/news/20240813/story", True),
        ("https://news.example/2024-08-13-summit-ends", True),
        # long slugs
        ("https://news.example/world/putin-meets-xi-in-beijing-to-discuss-trade", True),
        ("https://news.example/politics/zelensky_visits_front_line_town.html", True),
        # numeric ids
        ("https://news.example/news/world-europe-68123456", True),
        ("https://news.example/a/1234567.html", True),
        ("https://news.example/article.php?id=987654", True),
        ("https://edition.news.example/2024/08/13/sub-domain-story", True),
        # sections, listings, furniture
        ("https://news.example/", False),
        ("https://news.example/world", False),
        ("https://news.example/news/europe", False),
        ("https://news.example/tag/vladimir-putin-and-the-war-in-ukraine", False),
        ("https://news.example/author/jane-doe-senior-foreign-correspondent", False),
        ("https://news.example/video/2024/08/13/watch-the-summit", False),
        ("https://news.example/topics/israel-gaza-war-latest-news", False),
        ("https://news.example/page/2", False),
        ("https://news.example/2024/08/13/chart.png", False),
        ("https://news.example/about-us", False),
        ("https://news.example/newsletters/sign-up-for-the-morning-briefing", False),
        ("https://news.example/europe-news", False),
        ("https://news.example/search?q=1234567", False),
        ("https://news.example/2015/07/", False),  # a month's archive
        ("https://news.example/2024/08/13/", False),  # a day's archive
        ("https://news.example/2020/01/05/scherenschnitt-3/?share=facebook", False),
        ("https://news.example/kontakt/anschriften-und-telefonnummern-23414896", False),
        ("https://news.example/impressum", False),
        # other sites, other schemes
        ("https://other.example/2024/08/13/kremlin-talks", False),
        ("https://twitter.com/intent/tweet?url=https://news.example/2024/08/13/x", False),
        ("ftp://news.example/2024/08/13/kremlin-talks", False),
        ("https://news.example.evil.example/2024/08/13/x", False),
    ],
)
def test_looks_like_article(url: str, expected: bool) -> None:
    assert looks_like_article(url, SITE) is expected


FRONT = """<html><head><title>News Example</title></head><body>
<nav><a href="/world">World</a> <a href="/news/europe">Europe</a> <a href="/video">Video</a></nav>
<a href="/2024/08/13/kremlin-talks">  Kremlin   talks resume </a>
<a href="https://news.example/2024/08/13/kremlin-talks?utm_source=home#comments">Comments</a>
<a href="/world/putin-meets-xi-in-beijing-to-discuss-trade">Putin meets Xi</a>
<a href="https://twitter.com/share?u=/2024/08/13/kremlin-talks">Share</a>
<a href="javascript:void(0)">Menu</a><a href="#top">Top</a>
<a href="/tag/ukraine">Ukraine</a>
</body></html>"""


def test_article_links_in_page_order_one_per_canonical_url() -> None:
    links = article_links(FRONT.encode(), "https://news.example/")
    assert links == [
        ("https://news.example/2024/08/13/kremlin-talks", "Kremlin talks resume"),
        ("https://news.example/world/putin-meets-xi-in-beijing-to-discuss-trade", "Putin meets Xi"),
    ]
    assert article_links(b"", "https://news.example/") == []
    assert len(article_links(("".join(f'<a href="/a/{100000 + i}">x</a>' for i in range(900))).encode(),
                             "https://news.example/")) == 500


def test_homepage_source_over_http_follows_redirect_and_reports_failures() -> None:
    settings = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0)
    routes = {
        "/": redirect("/home"),
        "/home": reply(FRONT.replace("https://news.example", "")),
        "/empty": reply("<html><body><a href='/world'>World</a></body></html>"),
        "/pdf": reply(b"%PDF-1.4", ctype="application/pdf"),
    }
    with LocalServer(routes) as srv, make_client(settings) as client:
        ok = discover(Source("homepage", srv.url + "/", "Example"), client, settings)
        empty = discover(Source("homepage", srv.url + "/empty"), client, settings)
        pdf = discover(Source("homepage", srv.url + "/pdf"), client, settings)
    assert [c.url for c in ok.candidates] == [
        srv.url + "/2024/08/13/kremlin-talks", srv.url + "/world/putin-meets-xi-in-beijing-to-discuss-trade",
    ]
    assert ok.candidates[0].feed_title == "Kremlin talks resume" and ok.candidates[0].source == "Example"
    assert [f.reason for f in empty.failures] == ["homepage-no-articles"]
    assert [f.reason for f in pdf.failures] == ["homepage-content-type"]
