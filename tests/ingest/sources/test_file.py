from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.sources.discover import Source
from ingest.sources.file import (
    SourceConfig,
    SourcesError,
    default_sources_path,
    due_sources,
    load_sources,
    parse_interval,
)

GOOD = """# my sources
[[source]]
name = "The Moscow Times"
kind = "feed"
url = "https://www.themoscowtimes.com/rss/news"
language = "en"
interval = "15m"

[[source]]
name = "Saved pages"
kind = "html-dir"
path = "saved"
enabled = false

[[source]]
name = "Crawl"
kind = "warc"
path = "/abs/crawl.warc.gz"
interval = "1h30m"
"""


def test_good_file(tmp_path: Path) -> None:
    f = tmp_path / "sources.toml"
    f.write_text(GOOD)
    configs = load_sources(f)
    assert configs == [
        SourceConfig("The Moscow Times", "feed", "https://www.themoscowtimes.com/rss/news", "en", 900, True),
        SourceConfig("Saved pages", "html-dir", str(tmp_path / "saved"), None, 3600, False),
        SourceConfig("Crawl", "warc", "/abs/crawl.warc.gz", None, 5400, True),
    ]
    assert configs[0].to_source() == Source("feed", "https://www.themoscowtimes.com/rss/news", "The Moscow Times", "en")


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("1h", 3600), ("1h30m", 5400), ("90s", 90), ("1d", 86400),
                                               (" 2 h ", 7200)])
def test_parse_interval(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1w", "0m", "15 minutes", "-5m"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "warc"', 'kind = "podcast"'), ":17: source 3, field 'kind': 'podcast' is not one of feed, sitemap"),
        (('interval = "15m"', 'interval = "soon"'), ":7: source 1, field 'interval': 'soon' is not a duration"),
        (('language = "en"', 'language = "English"'), ":6: source 1, field 'language': 'English' is not an ISO 639"),
        (('enabled = false', 'enabled = "no"'), ":13: source 2, field 'enabled': must be true or false"),
        (('url = "https://www.themoscowtimes.com/rss/news"', 'url = "ftp://x"'), ":5: source 1, field 'url': missing or not"),
        (('path = "saved"', 'url = "https://x.example/"'), ":12: source 2, field 'url': a html-dir source takes path"),
        (('name = "Crawl"', 'name = "Saved pages"'), ":16: source 3: name 'Saved pages' already used by source 2"),
        (('name = "Crawl"', 'name = ""'), ":16: source 3, field 'name': missing or empty"),
        (('name = "Crawl"', 'name = "Alerts: x"'), ":16: source 3, field 'name': 'Alerts: x': names starting with "),
        (('language = "en"', 'langauge = "en"'), ":6: source 1, field 'langauge': unknown field"),
        (('interval = "1h30m"', "interval = 90"), ":19: source 3, field 'interval': must be a string, not int"),
    ],
)
def test_bad_entries_name_file_line_and_field(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    f = tmp_path / "sources.toml"
    f.write_text(GOOD.replace(*change))
    with pytest.raises(SourcesError) as err:
        load_sources(f)
    assert str(err.value).startswith(str(f) + message)


def test_bad_files(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(f)
    f.write_text('[[source]]\nname = "x"\nkind = \n')
    with pytest.raises(SourcesError, match=r"s\.toml: not valid TOML: .*line 3"):
        load_sources(f)
    f.write_text("# nothing\n")
    with pytest.raises(SourcesError, match="no \\[\\[source\\]\\] entries"):
        load_sources(f)
    f.write_text('[feeds]\nurl = "x"\n')
    with pytest.raises(SourcesError, match="unknown table or key 'feeds'"):
        load_sources(f)


def test_packaged_default_list() -> None:
    configs = load_sources(default_sources_path())
    by_name = {c.name: c for c in configs}
    assert by_name["The Moscow Times"].location == "https://www.themoscowtimes.com/rss/news"
    assert len(configs) >= 10
    assert all(c.kind == "feed" and c.location.startswith("https://") and c.enabled for c in configs)
    assert len({c.location for c in configs}) == len(configs)


def test_due_sources_follow_each_interval() -> None:
    now = datetime(2024, 8, 13, 12, 0, tzinfo=UTC)
    fast = SourceConfig("Fast", "feed", "https://a.example/rss", interval=900)
    slow = SourceConfig("Slow", "feed", "https://b.example/rss", interval=3600)
    off = SourceConfig("Off", "feed", "https://c.example/rss", interval=60, enabled=False)
    last = {"Fast": now - timedelta(minutes=14, seconds=30), "Slow": now - timedelta(minutes=30)}
    assert due_sources([fast, slow, off], last, now) == [fast]  # 14m30s is within 10% of 15m
    assert due_sources([fast, slow, off], {"Fast": now - timedelta(minutes=5)}, now) == [slow]  # never run
    assert due_sources([fast, slow], last, now, slack=0) == []


def test_per_source_politeness_and_allow_hosts(tmp_path: Path) -> None:
    from ingest.sources.file import load_sources_file

    path = tmp_path / "s.toml"
    path.write_text('allow_hosts = ["10.20.0.0/16", "127.0.0.1:8765"]\n\n[[source]]\nname = "Slow"\nkind = "feed"\n'
                    'url = "https://slow.example/rss"\nper_host = 1\nhost_delay = 5\n\n[[source]]\nname = "Plain"\n'
                    'kind = "sitemap"\nurl = "https://plain.example/"\n', encoding="utf-8")
    listed = load_sources_file(path)
    assert listed.allow_hosts == ("10.20.0.0/16", "127.0.0.1:8765")
    slow, plain = listed.sources
    assert (slow.per_host, slow.host_delay) == (1, 5.0) and (plain.per_host, plain.host_delay) == (None, None)
    assert slow.to_source() == Source("feed", "https://slow.example/rss", "Slow", None, 1, 5.0)


@pytest.mark.parametrize(("entry", "field", "message"), [
    ("per_host = 0", "per_host", "1 or more"),
    ('per_host = "2"', "per_host", "whole number"),
    ("host_delay = -1", "host_delay", "between 0 and 3600"),
    ("host_delay = true", "host_delay", "seconds"),
])
def test_bad_politeness_fields_name_the_line_and_field(tmp_path: Path, entry: str, field: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'[[source]]\nname = "A"\nkind = "feed"\nurl = "https://a.example/rss"\n{entry}\n', encoding="utf-8")
    with pytest.raises(SourcesError, match=f"s.toml:5: source 1, field '{field}': .*{message}"):
        load_sources(path)


def test_bad_allow_hosts_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('# comment\nallow_hosts = ["10.0.0.0/8", "not a host"]\n\n[[source]]\nname = "A"\nkind = "feed"\n'
                    'url = "https://a.example/rss"\n', encoding="utf-8")
    with pytest.raises(SourcesError, match="s.toml:2: allow_hosts: 'not a host'"):
        load_sources(path)
