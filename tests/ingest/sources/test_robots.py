"""robots.txt governs discovery too: feeds, sitemaps (nested, gzipped, on other hosts), front pages and the feed
an HTML page announces. The local server's request log proves what was never asked for."""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from ingest.cli.sources import sources
from ingest.fetch.http import make_client
from ingest.fetch.politeness import PoliteFetcher
from ingest.pipeline import format_summary, run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source, discover
from tests.ingest.sources.test_sitemaps import index, urlset
from tests.localserver import LocalServer, reply
from tests.pages import article_html, rss

SETTINGS = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0, progress=False)
ROBOTS = reply("User-agent: *\nDisallow: /private/\nDisallow: /*.xml.gz$\n", ctype="text/plain")
FEED = rss("https://news.example", [("One", "/2024/08/13/one", datetime(2024, 8, 13, tzinfo=UTC))])
FRONT = '<html><body><a href="/2024/08/13/talks-resume-in-doha">Talks</a></body></html>'


def test_disallowed_feed_homepage_and_sitemap_are_never_fetched() -> None:
    routes = {"/robots.txt": ROBOTS, "/private/rss": reply(FEED, ctype="application/rss+xml"),
              "/private/front": reply(FRONT), "/private/sitemap.xml": reply(urlset(["https://a.example/x"]), ctype="text/xml"),
              "/rss": reply(FEED, ctype="application/rss+xml")}
    with LocalServer(routes) as srv, make_client(SETTINGS) as client:
        fetcher = PoliteFetcher(client, SETTINGS)
        feed = discover(Source("feed", srv.url + "/private/rss", "Feed"), fetcher, SETTINGS)
        front = discover(Source("homepage", srv.url + "/private/front", "Front"), fetcher, SETTINGS)
        smap = discover(Source("sitemap", srv.url + "/private/sitemap.xml", "Map"), fetcher, SETTINGS)
        allowed = discover(Source("feed", srv.url + "/rss", "Allowed"), fetcher, SETTINGS)
    assert [f.reason for f in feed.failures] == ["feed-robots-disallowed"] and not feed.candidates
    assert [f.reason for f in front.failures] == ["homepage-robots-disallowed"]
    assert [f.reason for f in smap.failures] == ["sitemap-robots-disallowed"]
    assert len(allowed.candidates) == 1 and not allowed.failures
    assert srv.hits == {"/robots.txt": 1, "/rss": 1}  # one robots.txt for the host, nothing disallowed asked for


def test_nested_and_gzipped_sitemaps_on_another_host_ask_that_hosts_robots() -> None:
    other_routes = {"/robots.txt": ROBOTS,
                    "/day1.xml": reply(urlset(["https://b.example/1"]), ctype="text/xml"),
                    "/private/day2.xml": reply(urlset(["https://b.example/2"]), ctype="text/xml"),
                    "/day3.xml.gz": reply(gzip.compress(urlset(["https://b.example/3"]).encode()), ctype="application/gzip")}
    with LocalServer(other_routes) as other, LocalServer({}) as home, make_client(SETTINGS) as client:
        inner = index([(f"{other.url}/day1.xml", "2024-08-01"), (f"{other.url}/private/day2.xml", "2024-08-02"),
                       (f"{other.url}/day3.xml.gz", "2024-08-03")])
        home.routes["/index.xml"] = reply(index([(f"{home.url}/inner.xml", "2024-08-03")]), ctype="text/xml")
        home.routes["/inner.xml"] = reply(inner, ctype="text/xml")
        found = discover(Source("sitemap", home.url + "/index.xml", "Map"), client, SETTINGS)
    assert [c.url for c in found.candidates] == ["https://b.example/1"]
    assert sorted(f.reason for f in found.failures) == ["sitemap-robots-disallowed", "sitemap-robots-disallowed"]
    assert other.hits == {"/robots.txt": 1, "/day1.xml": 1}
    assert home.hits == {"/robots.txt": 1, "/index.xml": 1, "/inner.xml": 1}  # 404: no rules, all allowed


def test_announced_feed_disallowed_and_unreachable_robots_are_reasons() -> None:
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/private/all.rss"></head></html>'
    with LocalServer({"/robots.txt": ROBOTS, "/": reply(page), "/private/all.rss": reply(FEED)}) as srv, \
            make_client(SETTINGS) as client:
        found = discover(Source("feed", srv.url + "/"), client, SETTINGS)
    assert [f.reason for f in found.failures] == ["feed-robots-disallowed"] and "/private/all.rss" not in srv.hits
    with LocalServer({"/robots.txt": reply("down", 503), "/rss": reply(FEED)}) as srv, make_client(SETTINGS) as client:
        found = discover(Source("feed", srv.url + "/rss"), client, SETTINGS.with_(deadline=2))
    assert [f.reason for f in found.failures] == ["feed-robots-unreachable"] and "/rss" not in srv.hits


def test_site_root_as_a_sitemap_source_uses_the_sitemaps_robots_lists() -> None:
    routes: dict = {}
    with LocalServer(routes) as srv, make_client(SETTINGS) as client:
        routes["/robots.txt"] = reply(f"User-agent: *\nDisallow: /private/\nSitemap: {srv.url}/news.xml\n"
                                      f"Sitemap: {srv.url}/private/old.xml\n", ctype="text/plain")
        routes["/news.xml"] = reply(urlset([f"{srv.url}/a/1"]), ctype="application/xml")
        found = discover(Source("sitemap", srv.url + "/", "Site"), client, SETTINGS)
        robots_url = discover(Source("sitemap", srv.url + "/robots.txt", "Site"), client, SETTINGS)
    assert [c.url for c in found.candidates] == [f"{srv.url}/a/1"]
    assert [f.reason for f in found.failures] == ["sitemap-robots-disallowed"]
    assert [c.url for c in robots_url.candidates] == [f"{srv.url}/a/1"]
    assert srv.hits["/robots.txt"] == 2  # once per discovery (each made its own fetcher), never as a sitemap too
    with LocalServer({"/sitemap.xml": reply(urlset(["https://c.example/1"]), ctype="text/xml")}) as srv, \
            make_client(SETTINGS) as client:
        fallback = discover(Source("sitemap", srv.url, "Site"), client, SETTINGS)
    assert [c.url for c in fallback.candidates] == ["https://c.example/1"]


def test_run_summary_counts_a_disallowed_feed(tmp_path: Path) -> None:
    _, page, _ = article_html(0, random.Random(3), datetime(2025, 6, 1, tzinfo=UTC))
    routes: dict = {"/robots.txt": ROBOTS, "/story": reply(page), "/private/story": reply(page)}
    with LocalServer(routes) as srv:
        routes["/rss"] = reply(rss(srv.url, [("S", "/story", datetime(2025, 6, 1, tzinfo=UTC)),
                                             ("P", "/private/story", datetime(2025, 6, 1, tzinfo=UTC))]),
                               ctype="application/rss+xml")
        routes["/private/rss"] = routes["/rss"]
        summary = run_ingest([Source("feed", srv.url + "/rss", "Open"), Source("feed", srv.url + "/private/rss", "Closed")],
                             SETTINGS.with_(store=tmp_path / "store", processes=0))
    report = format_summary(summary)
    assert summary.stats("Closed").failures == {"feed-robots-disallowed": 1}, report
    assert summary.stats("Open").stored == 1 and summary.stats("Open").failures == {"robots-disallowed": 1}, report
    assert "feed-robots-disallowed 1" in report and "robots-disallowed 1" in report
    assert "/private/rss" not in srv.hits and "/private/story" not in srv.hits


def test_sources_check_reports_the_refusal(tmp_path: Path) -> None:
    with LocalServer({"/robots.txt": ROBOTS, "/private/rss": reply(FEED, ctype="application/rss+xml")}) as srv:
        f = tmp_path / "s.toml"
        f.write_text(f'[[source]]\nname = "Closed"\nkind = "feed"\nurl = "{srv.url}/private/rss"\n')
        result = CliRunner().invoke(sources, ["check", "--sources", str(f), "--allow-private"])
    assert result.exit_code == 1
    assert f"FAIL  Closed  feed      feed-robots-disallowed: {srv.url}/private/rss" in result.output
    assert "/private/rss" not in srv.hits
