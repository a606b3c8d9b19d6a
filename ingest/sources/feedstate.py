"""Conditional GET for feeds: the ETag and Last-Modified each feed sent last time, kept in the store.

    ROOT/state/feeds.json   {"version": 1, "feeds": {URL: {"etag", "last_modified", "checked_at", "title"}}}

The file is small and replaced whole (written beside it, fsynced, `os.replace`d), so a reader sees the old
state or the new one. Save it only after the run's last batch is committed: if a run dies between reading
a feed and storing its articles, the next run must not be told "304 Not Modified" for items it never stored.
A missing or unreadable file is an empty state (every feed is fetched in full), never an error.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.records import FetchResult

log = logging.getLogger(__name__)

STATE_FILE = Path("state") / "feeds.json"
# Page failures that may go away on their own. A feed whose article failed for one of these reasons must be
# fetched in full next time, or a 304 would hide the article for good (it is not stored, so it would be retried).
RETRYABLE = ("timeout", "connection", "deadline", "dns", "http-408", "http-429", "http-5", "robots-unreachable")


def is_retryable(reason: str) -> bool:
    return reason.startswith(RETRYABLE)


@dataclass
class FeedState:
    """Validators per feed URL; `changed` says whether there is anything to save."""

    feeds: dict[str, dict[str, str]] = field(default_factory=dict)
    changed: bool = False

    def request_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a feed seen before; empty for a new one."""
        known = self.feeds.get(url, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def remember(self, url: str, result: FetchResult) -> None:
        """Keep the validators of a 200 response; a 304 only refreshes the time it was checked."""
        now = (result.fetched_at or datetime.now(UTC)).isoformat()
        if result.status == 304:
            if url in self.feeds:
                self.feeds[url]["checked_at"] = now
                self.changed = True
            return
        entry = {"checked_at": now}
        if self.feeds.get(url, {}).get("title"):
            entry["title"] = self.feeds[url]["title"]
        if result.etag:
            entry["etag"] = result.etag
        if result.last_modified:
            entry["last_modified"] = result.last_modified
        self.feeds[url] = entry
        self.changed = True

    def title(self, url: str) -> str:
        return self.feeds.get(url, {}).get("title", "")

    def set_title(self, url: str, title: str) -> None:
        """The feed's own name, so a 304 run reports under the same source name as a full one."""
        if url in self.feeds and title and self.feeds[url].get("title") != title:
            self.feeds[url]["title"] = title
            self.changed = True

    def forget_if_retryable(self, url: str, reasons: Iterable[str]) -> bool:
        """Drop a feed's validators when one of its articles failed for a reason that may go away."""
        if any(is_retryable(r) for r in reasons):
            self.forget(url)
            return True
        return False

    def forget(self, url: str) -> None:
        """Drop a feed's validators (its next fetch is unconditional)."""
        if self.feeds.pop(url, None) is not None:
            self.changed = True


def state_path(root: Path) -> Path:
    return Path(root) / STATE_FILE


def load_feed_state(root: Path) -> FeedState:
    path = state_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        feeds = data["feeds"]
        if not isinstance(feeds, dict):
            raise TypeError("feeds is not an object")
    except FileNotFoundError:
        return FeedState()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable feed state %s: %s", path, exc)
        return FeedState()
    clean = {url: {k: str(v) for k, v in entry.items() if k in ("etag", "last_modified", "checked_at", "title")}
             for url, entry in feeds.items() if isinstance(url, str) and isinstance(entry, dict)}
    return FeedState(clean)


def save_feed_state(root: Path, state: FeedState) -> None:
    """Replace the state file atomically; does nothing when nothing changed."""
    if not state.changed:
        return
    path = state_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "feeds": state.feeds}, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)
    state.changed = False
