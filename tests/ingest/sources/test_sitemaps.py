from __future__ import annotations

import gzip
import time

import pytest

from ingest.fetch.http import make_client
from ingest.records import Failure
from ingest.settings import Settings
from ingest.sources.discover import Source, discover
from ingest.sources.sitemaps import ParsedSitemap, discover_sitemap, inflate, parse_sitemap
from tests.localserver import LocalServer, reply

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/2024/08/12/older</loc>
    <news:news><news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-08-12T09:00:00+02:00</news:publication_date><news:title>Older story</news:title></news:news>
  </url>
  <url><loc>https://news.example/2024/08/13/newer</loc>
    <news:news><news:publication_date>2024-08-13</news:publication_date><news:title>Newer story</news:title></news:news>
  </url>
  <url><loc>https://news.example/undated</loc><lastmod>2020-01-01</lastmod></url>
</urlset>"""

# "billion laughs": nine levels of ten references each, 10**9 copies of "lol" if expanded
_LEVELS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
ENTITY_BOMB = f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY l0 "lol">{_LEVELS}]><urlset><url><loc>&l9;</loc></url></urlset>'


def urlset(urls: list[str]) -> str:
    items = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


def index(children: list[tuple[str, str]]) -> str:
    items = "".join(f"<sitemap><loc>{u}</loc><lastmod>{d}</lastmod></sitemap>" for u, d in children)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'


def test_news_sitemap_dates_titles_newest_first() -> None:
    parsed = parse_sitemap(NEWS.encode())
    assert isinstance(parsed, ParsedSitemap) and parsed.kind == "urlset"
    assert [e.title for e in parsed.entries] == ["Older story", "Newer story", ""]
    assert parsed.entries[0].published.isoformat() == "2024-08-12T07:00:00+00:00"
    assert parsed.entries[1].published.isoformat() == "2024-08-13T00:00:00+00:00"
    assert parsed.entries[2].published is None and parsed.entries[2].lastmod.year == 2020


def test_plain_text_sitemap_and_malformed_documents() -> None:
    parsed = parse_sitemap(b"\xef\xbb\xbfhttps://a.example/one\n\nhttps://a.example/two\n")
    assert [e.url for e in parsed.entries] == ["https://a.example/one", "https://a.example/two"]
    assert parse_sitemap(b"<urlset><url><loc>x</loc>").reason == "sitemap-malformed"
    assert parse_sitemap(b"<html><body>hello</body></html>").reason == "sitemap-malformed"
    assert parse_sitemap(b"\x00\xff binary").reason == "sitemap-malformed"


def test_entity_bomb_is_a_reason_not_a_blowup() -> None:
    bomb = ENTITY_BOMB
    result = parse_sitemap(bomb.encode())  # refused by its declarations, before any expansion
    assert isinstance(result, Failure) and result.reason == "sitemap-entities"
    padded = bomb.replace("<!ENTITY l0", "<!-- " + "x" * 100_000 + " --><!ENTITY l0")
    assert parse_sitemap(padded.encode()).reason == "sitemap-entities"


def test_external_entity_is_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("https://leak.example/secret")
    # No internal subset (so the declaration check does not fire): an external DTD must not be loaded either.
    doc = f'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "file://{secret}"><urlset><url><loc>https://a.example/x</loc></url></urlset>'
    parsed = parse_sitemap(doc.encode())
    assert [e.url for e in parsed.entries] == ["https://a.example/x"]


def test_inflate_caps_decompressed_size() -> None:
    assert inflate(b"<urlset/>", 100) == b"<urlset/>"
    assert inflate(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"
    assert inflate(gzip.compress(b"a") + gzip.compress(b"b"), 100) == b"ab"  # multi-member gzip
    bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    result = inflate(bomb, 1_000_000)
    assert isinstance(result, Failure) and result.reason == "sitemap-too-large"
    assert inflate(gzip.compress(bytes(range(256)) * 40)[:-30], 100_000).reason == "sitemap-bad-gzip"
    assert inflate(b"\x1f\x8b not gzip at all", 100).reason == "sitemap-bad-gzip"


@pytest.fixture
def settings() -> Settings:
    return Settings(allow_private=True, read_timeout=2, deadline=5, max_bytes=1_000_000, host_delay=0)


def test_index_with_gzipped_children_loop_and_caps(settings: Settings) -> None:
    routes = {}
    with LocalServer(routes) as srv:
        u = srv.url
        routes["/sitemap.xml"] = reply(index([
            (f"{u}/day1.xml.gz", "2024-08-01"),
            (f"{u}/day3.xml", "2024-08-03"),
            (f"{u}/day2.xml.gz", "2024-08-02"),
            (f"{u}/sitemap.xml", "2024-08-04"),  # a loop back to the index itself
            (f"{u}/gone.xml", "2024-07-01"),
        ]), ctype="application/xml")
        routes["/day1.xml.gz"] = reply(gzip.compress(urlset([f"{u}/a/{i}" for i in range(5)]).encode()),
                                       ctype="application/x-gzip")
        routes["/day2.xml.gz"] = reply(gzip.compress(urlset([f"{u}/b/{i}" for i in range(5)]).encode()),
                                       ctype="application/octet-stream")
        routes["/day3.xml"] = reply(urlset([f"{u}/c/{i}" for i in range(5)] + [f"{u}/a/0"]), ctype="text/xml")
        with make_client(settings) as client:
            candidates, failures, _ = discover_sitemap(f"{u}/sitemap.xml", "Example", client, settings)
            capped, _, left = discover_sitemap(f"{u}/sitemap.xml", "Example", client, settings, max_children=2, max_urls=7)
        assert srv.hits["/sitemap.xml"] == 2  # once per discovery: the loop is not followed
    urls = {c.url for c in candidates}
    assert len(candidates) == 15 and len(urls) == 15  # a/0 listed twice is one candidate
    assert {c.source for c in candidates} == {"Example"}
    assert [f.reason for f in failures] == ["sitemap-http-404"]
    # capped: only the two newest children not seen yet (day3, day2), then the first 7 URLs
    assert len(capped) == 7 and left == 11 - 7  # day3 (6 URLs) and day2 (5) listed 11
    assert {c.url.rsplit("/", 2)[-2] for c in capped} <= {"c", "b"} | {"a"}
    assert not any(c.url.endswith(("/a/1", "/a/2", "/a/3", "/a/4")) for c in capped)


def test_gzip_bomb_and_entity_bomb_over_http_are_failures(settings: Settings) -> None:
    bomb = gzip.compress(b"<" * 30_000_000, compresslevel=9)
    xbomb = ENTITY_BOMB
    routes = {"/bomb.xml.gz": reply(bomb, ctype="application/gzip"), "/xbomb.xml": reply(xbomb, ctype="application/xml")}
    with LocalServer(routes) as srv, make_client(settings) as client:
        gz = discover(Source("sitemap", srv.url + "/bomb.xml.gz", "Bombs"), client, settings)
        xml = discover(Source("sitemap", srv.url + "/xbomb.xml", "Bombs"), client, settings)
    assert not gz.candidates and [f.reason for f in gz.failures] == ["sitemap-too-large"]
    assert not xml.candidates and [f.reason for f in xml.failures] == ["sitemap-entities"]
    assert gz.name == "Bombs"


def test_news_sitemap_source_gives_titles_and_dates(settings: Settings) -> None:
    with LocalServer({"/news.xml": reply(NEWS, ctype="application/xml")}) as srv, make_client(settings) as client:
        found = discover(Source("sitemap", srv.url + "/news.xml"), client, settings)
    assert [c.url for c in found.candidates] == [
        "https://news.example/2024/08/13/newer", "https://news.example/2024/08/12/older", "https://news.example/undated",
    ]
    assert found.candidates[0].feed_title == "Newer story"
    assert found.candidates[0].feed_published.isoformat() == "2024-08-13T00:00:00+00:00"
    assert found.name == "127.0.0.1"


def test_children_are_fetched_host_delay_apart() -> None:
    settings = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0.3)
    routes = {}
    with LocalServer(routes) as srv:
        routes["/index.xml"] = reply(index([(f"{srv.url}/{d}.xml", f"2024-08-0{d}") for d in (1, 2)]), ctype="text/xml")
        for d in (1, 2):
            routes[f"/{d}.xml"] = reply(urlset([f"{srv.url}/a/{d}"]), ctype="text/xml")
        started = time.monotonic()
        with make_client(settings) as client:
            candidates, _, _ = discover_sitemap(srv.url + "/index.xml", "Example", client, settings)
        took = time.monotonic() - started
    assert len(candidates) == 2
    assert took >= 0.6  # three requests to one host: two waits of 0.3 s (a lower bound: sleeps guarantee it)


def test_robots_txt_sitemap_lines_act_as_an_index(settings: Settings) -> None:
    routes = {}
    with LocalServer(routes) as srv:
        routes["/robots.txt"] = reply(f"User-agent: *\nDisallow: /admin\n\nSitemap: {srv.url}/news.xml\n"
                                      f"sitemap:{srv.url}/more.xml\n", ctype="text/plain")
        routes["/news.xml"] = reply(urlset([f"{srv.url}/a/1"]), ctype="application/xml")
        routes["/more.xml"] = reply(urlset([f"{srv.url}/a/2"]), ctype="application/xml")
        with make_client(settings) as client:
            found = discover(Source("sitemap", srv.url + "/robots.txt", "Site"), client, settings)
    assert sorted(c.url for c in found.candidates) == [f"{srv.url}/a/1", f"{srv.url}/a/2"] and not found.failures
    assert parse_sitemap(b"User-agent: *\nDisallow: /\n").reason == "sitemap-malformed"
