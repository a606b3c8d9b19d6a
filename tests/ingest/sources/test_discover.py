from __future__ import annotations

from pathlib import Path

from ingest.fetch.http import make_client
from ingest.settings import Settings
from ingest.sources.discover import Source, discover, parse_feed
from ingest.sources.feedstate import FeedState
from tests.localserver import LocalServer, reply

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Example Daily</title>
<item><title>One</title><link>https://example.org/one</link><pubDate>Tue, 13 Aug 2024 18:05:00 +0300</pubDate></item>
<item><title>Two</title><link>https://example.org/two?utm_source=rss</link></item>
<item><title>No link</title></item>
<item><title>Bad scheme</title><link>javascript:alert(1)</link></item>
</channel></rss>"""


def test_feed_entries_become_candidates_and_bad_entries_reasons() -> None:
    found = parse_feed(Source("feed", "https://example.org/rss"), RSS.encode(), "example.org")
    assert found.name == "Example Daily"
    assert [c.url for c in found.candidates] == ["https://example.org/one", "https://example.org/two?utm_source=rss"]
    assert found.candidates[0].feed_published.isoformat() == "2024-08-13T15:05:00+00:00"
    assert found.candidates[0].source == "Example Daily"
    assert [f.reason for f in found.failures] == ["feed-bad-link", "feed-bad-link"]


def test_feed_over_http_and_its_failures() -> None:
    settings = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0)
    routes = {"/rss": reply(RSS, ctype="application/rss+xml"), "/junk": reply("<html>not a feed</html>")}
    with LocalServer(routes) as srv, make_client(settings) as client:
        ok = discover(Source("feed", srv.url + "/rss"), client, settings)
        missing = discover(Source("feed", srv.url + "/nope"), client, settings)
        junk = discover(Source("feed", srv.url + "/junk"), client, settings)
    assert len(ok.candidates) == 2
    assert [f.reason for f in missing.failures] == ["feed-http-404"]
    assert not junk.candidates and [f.reason for f in junk.failures] == ["feed-is-html"]


def test_url_file_counts_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "urls.txt"
    f.write_text("# my list\nhttps://example.org/a\n\nnot a url\nhttp://example.org/b\n")
    found = discover(Source("urls", str(f)), None, Settings())
    assert [c.url for c in found.candidates] == ["https://example.org/a", "http://example.org/b"]
    assert [(x.reason, x.detail) for x in found.failures] == [("bad-url", f"{f}:4: not a url")]


def test_html_dir_reads_canonical_and_site_name(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<html><head><link rel="canonical" href="https://news.example/a-1">'
        '<meta property="og:site_name" content="News &amp; Views"></head><body></body></html>'
    )
    (tmp_path / "b.htm").write_text("<html><body>no head</body></html>")
    (tmp_path / "notes.txt").write_text("ignored")
    found = discover(Source("html-dir", str(tmp_path)), None, Settings())
    assert [(c.url, c.source) for c in found.candidates] == [
        ("https://news.example/a-1", "News & Views"),
        ((tmp_path / "b.htm").resolve().as_uri(), tmp_path.name),
    ]
    assert all(c.html_path for c in found.candidates)


def conditional_feed(body: str, etag: str, last_modified: str):
    """A feed route that answers 304 when the client sends back its validators."""

    def route(h) -> None:
        if h.headers.get("If-None-Match") == etag or h.headers.get("If-Modified-Since") == last_modified:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        data = body.encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("ETag", etag)
        h.send_header("Last-Modified", last_modified)
        h.end_headers()
        h.wfile.write(data)

    return route


def test_conditional_get_304_is_nothing_new_not_a_failure(tmp_path: Path) -> None:
    from ingest.sources.feedstate import load_feed_state, save_feed_state

    settings = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0)
    stamp = "Tue, 13 Aug 2024 15:05:00 GMT"
    routes = {"/rss": conditional_feed(RSS, '"v1"', stamp), "/empty": reply("<rss><channel></channel></rss>",
                                                                            ctype="application/rss+xml")}
    with LocalServer(routes) as srv, make_client(settings) as client:
        state = load_feed_state(tmp_path)
        first = discover(Source("feed", srv.url + "/rss"), client, settings, state)
        save_feed_state(tmp_path, state)
        second = discover(Source("feed", srv.url + "/rss"), client, settings, load_feed_state(tmp_path))
        without_state = discover(Source("feed", srv.url + "/rss"), client, settings)
        empty_state = load_feed_state(tmp_path)
        discover(Source("feed", srv.url + "/empty"), client, settings, empty_state)
    assert len(first.candidates) == 2 and not first.not_modified
    assert second.candidates == [] and second.failures == [] and second.not_modified
    assert second.name == "Example Daily"  # the feed's own title, remembered from the full fetch
    assert len(without_state.candidates) == 2  # no state: an unconditional GET
    assert srv.url + "/empty" not in empty_state.feeds  # an empty answer is not remembered


def big_feed(n: int) -> bytes:
    """n items, item i published i minutes after 2025-01-01 (listed oldest first)."""
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    start = datetime(2025, 1, 1, tzinfo=UTC)
    items = "".join(f"<item><title>T{i}</title><link>https://example.org/{i}?utm_source=rss</link>"
                    f"<pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate></item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


def test_entity_bomb_feed_is_refused_quickly_and_big_feeds_are_capped_newest_first() -> None:
    """A feed is capped like a sitemap (MAX_URLS, the newest kept) and says how many it left; it had no cap,
    and 100,000 items all became candidates."""
    from ingest.sources.sitemaps import MAX_URLS
    from tests.ingest.sources.test_sitemaps import ENTITY_BOMB

    bomb = ENTITY_BOMB.replace("urlset", "rss")
    found = parse_feed(Source("feed", "https://example.org/rss"), bomb.encode(), "example.org")  # refused unexpanded
    assert not found.candidates and [f.reason for f in found.failures] == ["feed-entities"]
    found = parse_feed(Source("feed", "https://example.org/rss"), big_feed(MAX_URLS + 2_000), "example.org")
    assert len(found.candidates) == MAX_URLS and not found.failures and found.left == 2_000
    assert found.candidates[0].url.startswith(f"https://example.org/{MAX_URLS + 1_999}?")  # the newest first
    assert {int(c.url.rsplit("/", 1)[1].split("?")[0]) for c in found.candidates} == set(range(2_000, MAX_URLS + 2_000))
    assert "left 2,000" in found.note
    whole = parse_feed(Source("feed", "https://example.org/rss"), big_feed(300), "example.org")
    assert len(whole.candidates) == 300 and whole.left == 0 and not whole.note


def test_feed_over_the_size_cap_is_read_up_to_the_cap() -> None:
    """A feed over max_bytes was dropped whole (too-large); it is now read up to its last complete item."""
    settings = Settings(allow_private=True, read_timeout=5, deadline=20, host_delay=0, max_bytes=200_000)
    body = big_feed(4_000)  # ~540 KB
    assert len(body) > 2 * settings.max_bytes
    with LocalServer({"/rss": reply(body, ctype="application/rss+xml")}) as srv, make_client(settings) as client:
        found = discover(Source("feed", srv.url + "/rss", "Big"), client, settings)
    assert not found.failures, found.failures
    assert 500 < len(found.candidates) < 4_000
    assert [c.url for c in found.candidates] == [f"https://example.org/{i}?utm_source=rss"
                                                 for i in range(len(found.candidates))]
    assert "size cap" in found.note


def test_html_page_given_as_a_feed_leads_to_the_feed_it_announces() -> None:
    settings = Settings(allow_private=True, read_timeout=2, deadline=5, host_delay=0)
    page = ('<html><head><link rel="stylesheet" href="/s.css">'
            '<link rel="alternate" type="application/rss+xml" title="News" href="/feeds/all.rss"></head></html>')
    routes = {"/": reply(page, headers={"ETag": "\"p1\""}), "/feeds/all.rss": reply(RSS, ctype="application/rss+xml"),
              "/broken": reply(page.replace("/feeds/all.rss", "/nowhere"))}
    state = FeedState()
    with LocalServer(routes) as srv, make_client(settings) as client:
        found = discover(Source("feed", srv.url + "/"), client, settings, state)
        broken = discover(Source("feed", srv.url + "/broken"), client, settings)
    assert len(found.candidates) == 2 and found.note.endswith(srv.url + "/feeds/all.rss")
    assert state.feeds == {}  # the page's validators must never turn into a 304 that hides the feed
    assert [f.reason for f in broken.failures] == ["feed-http-404"]
