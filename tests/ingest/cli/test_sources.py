from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ingest.cli.sources import sources
from tests.ingest.sources.test_discover import RSS
from tests.localserver import LocalServer, reply

SITEMAP = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/2024/08/13/a</loc><news:news><news:publication_date>2024-08-13T10:00:00Z</news:publication_date></news:news></url>
<url><loc>https://news.example/2024/08/14/b</loc><news:news><news:publication_date>2024-08-14T09:30:00+02:00</news:publication_date></news:news></url>
</urlset>"""
FRONT = '<html><body><a href="/world">World</a><a href="/2024/08/13/talks-resume-in-doha">Talks</a></body></html>'


def sources_toml(url: str, tmp_path: Path) -> Path:
    (tmp_path / "urls.txt").write_text("https://news.example/one\nnot a url\n")
    f = tmp_path / "sources.toml"
    f.write_text(f"""
[[source]]
name = "Daily"
kind = "feed"
url = "{url}/rss"

[[source]]
name = "Gone"
kind = "feed"
url = "{url}/gone"

[[source]]
name = "News map"
kind = "sitemap"
url = "{url}/sitemap.xml"

[[source]]
name = "Front"
kind = "homepage"
url = "{url}/"

[[source]]
name = "List"
kind = "urls"
path = "urls.txt"

[[source]]
name = "Paused"
kind = "feed"
url = "{url}/rss"
enabled = false
""")
    return f


def test_check_prints_one_line_per_source_and_fails_when_one_fails(tmp_path: Path) -> None:
    routes = {"/rss": reply(RSS, ctype="application/rss+xml"), "/sitemap.xml": reply(SITEMAP, ctype="application/xml"),
              "/": reply(FRONT)}
    with LocalServer(routes) as srv:
        f = sources_toml(srv.url, tmp_path)
        result = CliRunner().invoke(sources, ["check", "--sources", str(f), "--allow-private", "--timeout", "5"])
    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output
    assert lines[0] == f"checking 6 sources from {f}"
    assert lines[1].startswith("ok    Daily") and "2 articles, newest 2024-08-13 15:05 UTC; skipped 2 feed-bad-link" in lines[1]
    assert lines[2].startswith("FAIL  Gone") and f"feed-http-404: {srv.url}/gone" in lines[2]
    assert lines[3].startswith("ok    News map") and lines[3].endswith("2 articles, newest 2024-08-14 07:30 UTC")
    assert lines[4].startswith("ok    Front") and lines[4].endswith("1 article")
    assert lines[5].startswith("ok    List") and lines[5].endswith("1 article; skipped 1 bad-url")
    assert lines[6].startswith("off   Paused") and lines[6].endswith("disabled")
    assert lines[7] == "5 tried: 4 ok, 1 failed; 1 disabled"
    assert srv.hits.get("/rss") == 1  # the disabled copy was not fetched


def test_private_addresses_are_refused_without_the_flag(tmp_path: Path) -> None:
    with LocalServer({"/rss": reply(RSS, ctype="application/rss+xml")}) as srv:
        f = tmp_path / "s.toml"
        f.write_text(f'[[source]]\nname = "Local"\nkind = "feed"\nurl = "{srv.url}/rss"\n')
        result = CliRunner().invoke(sources, ["check", "--sources", str(f)])
        assert srv.hits == {}
    assert result.exit_code == 1
    assert "FAIL  Local" in result.output and "feed-private-address: 127.0.0.1 resolves to 127.0.0.1" in result.output


def test_bad_sources_file_is_one_line(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[[source]]\nname = "X"\nkind = "radio"\nurl = "https://x.example/"\n')
    result = CliRunner().invoke(sources, ["check", "--sources", str(f)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {f}:3: source 1, field 'kind': 'radio' is not one of feed, sitemap, homepage, urls, html-dir, warc"


def test_list_prints_the_packaged_sources() -> None:
    result = CliRunner().invoke(sources, ["list"])
    assert result.exit_code == 0
    first = result.output.splitlines()[0].split()
    assert first[:4] == ["on", "The", "Moscow", "Times"]
    assert first[-3:] == ["every", "15m", "https://www.themoscowtimes.com/rss/news"]


def test_format_interval_inverts_parse_interval() -> None:
    from ingest.cli.sources import format_interval
    from ingest.sources.file import parse_interval

    for text in ("15m", "1h", "1h30m", "1d", "90s", "1m30s", "2d3h"):
        assert format_interval(parse_interval(text)) == (text if text != "90s" else "1m30s")
