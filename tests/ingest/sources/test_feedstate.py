from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.records import FetchResult
from ingest.sources.feedstate import FeedState, is_retryable, load_feed_state, save_feed_state, state_path

URL = "https://news.example/rss"


def result(status: int = 200, etag: str | None = '"v1"', last_modified: str | None = "Tue, 13 Aug 2024 15:05:00 GMT"):
    return FetchResult(URL, URL, status, "application/rss+xml", b"", None, datetime(2024, 8, 13, tzinfo=UTC),
                       etag, last_modified)


def test_headers_follow_what_the_server_sent() -> None:
    state = FeedState()
    assert state.request_headers(URL) == {} and not state.changed
    state.remember(URL, result())
    assert state.request_headers(URL) == {"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 13 Aug 2024 15:05:00 GMT"}
    state.remember(URL, result(etag=None))
    assert state.request_headers(URL) == {"If-Modified-Since": "Tue, 13 Aug 2024 15:05:00 GMT"}
    state.remember(URL, result(status=304, etag=None, last_modified=None))  # a 304 keeps the validators
    assert state.request_headers(URL) == {"If-Modified-Since": "Tue, 13 Aug 2024 15:05:00 GMT"}
    state.forget(URL)
    assert state.request_headers(URL) == {}


def test_save_and_load_round_trip_atomically(tmp_path: Path) -> None:
    state = FeedState()
    save_feed_state(tmp_path, state)
    assert not state_path(tmp_path).exists()  # nothing changed, nothing written
    state.remember(URL, result())
    state.set_title(URL, "News Example")
    save_feed_state(tmp_path, state)
    assert not state.changed
    assert sorted(p.name for p in state_path(tmp_path).parent.iterdir()) == ["feeds.json"]  # no temporary left
    again = load_feed_state(tmp_path)
    assert again.request_headers(URL) == state.request_headers(URL)
    assert again.title(URL) == "News Example"
    assert json.loads(state_path(tmp_path).read_text())["version"] == 1


def test_missing_or_broken_state_is_empty(tmp_path: Path) -> None:
    assert load_feed_state(tmp_path).feeds == {}
    state_path(tmp_path).parent.mkdir(parents=True)
    for broken in ("{not json", '{"feeds": []}', "[]", '{"version": 1}'):
        state_path(tmp_path).write_text(broken)
        assert load_feed_state(tmp_path).feeds == {}
    state_path(tmp_path).write_text(json.dumps({"feeds": {URL: {"etag": '"x"', "junk": 1}, "bad": 3}}))
    assert load_feed_state(tmp_path).feeds == {URL: {"etag": '"x"'}}


def test_a_retryable_page_failure_drops_the_validators() -> None:
    state = FeedState()
    state.remember(URL, result())
    assert not state.forget_if_retryable(URL, ["http-404", "no-article"])  # permanent: the 304 stays useful
    assert state.request_headers(URL)
    assert state.forget_if_retryable(URL, ["http-404", "timeout"])
    assert state.request_headers(URL) == {}
    assert [is_retryable(r) for r in ("http-503", "http-429", "connection", "http-410", "too-large")] == [
        True, True, True, False, False]
