"""The alerts' state in the store: each fired event with its message and its deliveries, and each rule's watermark.

Layout (beside the store's tables; read by the Alerts page and `newsmon alerts status`)::

    ROOT/alerts/events/<key>.json   one file per event: the event, its rendered message, one entry per channel
                                    {"status": "pending" | "delivered" | "failed", "attempts", "last_error", ...}
    ROOT/alerts/rules.json          per rule: the time it was last evaluated (its watermark) and its fingerprint
    ROOT/alerts/feed.atom           the Atom feed of the newest events (deliver/atom.py)
    ROOT/alerts/.lock               held by the one process that evaluates and delivers

Every file is written whole under a temporary name, fsynced, renamed over the old one, and the directory
fsynced: a kill at any moment leaves the old file or the new one, never half of one.

The order that makes "fired once, never lost": an event is recorded as pending (its file written) before
anything is sent; the watermark moves only after every event of the evaluation is recorded; a channel is
marked delivered only after the receiver took the message. So a kill before the record re-evaluates the same
buckets and finds the same keys; a kill after it finds the event pending and sends it. An event whose file
exists is never recorded again (its key is its file name).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ingest.store.atomic import replace_atomic
from ingest.store.parquet import REPLICA_MARK

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class AlertsBusy(Exception):
    """Another process is evaluating or delivering the alerts of this store."""


def save_json(path: Path, obj) -> None:
    """Write `obj` as JSON to `path`, whole or not at all (ingest/store/atomic.py `replace_atomic`)."""
    data = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode("utf-8")
    replace_atomic(path, lambda fh: fh.write(data))


class AlertState:
    """The alerts folder of one store."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.dir = self.root / "alerts"
        self.events_dir = self.dir / "events"
        self.feed_path = self.dir / "feed.atom"

    def exists(self) -> bool:
        return self.events_dir.is_dir()

    @contextmanager
    def lock(self) -> Iterator[AlertState]:
        """Hold the alerts lock (not the store's writer lock: an ingest may run meanwhile); clean up what a killed
        process left (temporary files)."""
        if (self.root / REPLICA_MARK).exists():
            raise AlertsBusy(f"{self.root} is a read-only replica: evaluate alerts on the original store")
        self.events_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise AlertsBusy(f"another process is checking the alerts of {self.root} "
                                 f"(lock {self.dir / '.lock'})") from exc
            for d in (self.dir, self.events_dir):
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
            yield self
        finally:
            os.close(fd)

    # --- watermarks ------------------------------------------------------------------------------------------

    def watermarks(self) -> dict[str, dict]:
        """rule id -> {"evaluated_at": ISO time, "fingerprint": ...}."""
        path = self.dir / "rules.json"
        if not path.exists():
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

    def watermark(self, rule_id: str, fingerprint: str) -> datetime | None:
        """When the rule was last evaluated, unless it has changed since (then it starts afresh)."""
        mark = self.watermarks().get(rule_id)
        if not mark or mark.get("fingerprint") != fingerprint:
            return None
        return datetime.fromisoformat(mark["evaluated_at"])

    def set_watermarks(self, marks: dict[str, dict]) -> None:
        current = self.watermarks()
        current.update(marks)
        save_json(self.dir / "rules.json", current)

    # --- events ----------------------------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        if not key.startswith("ev-") or not key[3:].isalnum():
            raise ValueError(f"not an event key: {key!r}")
        return self.events_dir / f"{key}.json"

    def has(self, key: str) -> bool:
        return self.path(key).exists()

    def record(self, record: dict) -> bool:
        """Record a new event as pending on each of its channels; False if it was recorded before (no change)."""
        path = self.path(record["key"])
        if path.exists():
            return False
        record = dict(record)
        record.setdefault("fired_at", datetime.now(UTC).isoformat(timespec="seconds"))
        record["deliveries"] = {c: {"status": PENDING, "attempts": 0, "last_error": "", "last_try": None,
                                    "delivered_at": None} for c in record.get("channels", [])}
        save_json(path, record)
        return True

    def save(self, record: dict) -> None:
        save_json(self.path(record["key"]), record)

    def load(self, key: str) -> dict:
        return json.loads(self.path(key).read_text(encoding="utf-8"))

    def events(self) -> list[dict]:
        """Every recorded event, newest first (by the time its bucket starts, then by when it fired)."""
        if not self.events_dir.is_dir():
            return []
        out = []
        for p in self.events_dir.glob("ev-*.json"):
            try:
                out.append(json.loads(p.read_text(encoding="utf-8")))
            except (OSError, ValueError):  # never half a file (atomic writes); a hand-edited one is skipped
                continue
        out.sort(key=lambda r: (r.get("start", ""), r.get("fired_at", ""), r["key"]), reverse=True)
        return out

    def pending(self) -> list[dict]:
        """Events with a channel still pending, oldest first (they are sent in the order they fired)."""
        return sorted((r for r in self.events() if any(d["status"] == PENDING for d in r["deliveries"].values())),
                      key=lambda r: (r.get("fired_at", ""), r.get("start", ""), r["key"]))


def mark(record: dict, channel: str, ok: bool, error: str = "", max_attempts: int = 8) -> None:
    """Note one delivery attempt on `record` (in memory; the caller saves it)."""
    d = record["deliveries"][channel]
    d["attempts"] += 1
    d["last_try"] = datetime.now(UTC).isoformat(timespec="seconds")
    if ok:
        d["status"], d["delivered_at"], d["last_error"] = DELIVERED, d["last_try"], ""
    else:
        d["last_error"] = error[:500]
        if d["attempts"] >= max_attempts:
            d["status"] = FAILED
