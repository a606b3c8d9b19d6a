"""Fixtures of the alert tests: a store with one clear spike (and a hostile title in it), a webhook receiver and an
SMTP server on 127.0.0.1, the demo store (built once per session through the real ingest)."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dashboard.alerts.rules import parse_rules
from dashboard.data.names import load_names
from ingest.records import Article
from ingest.store.parquet import Store, article_id, content_hash
from tests.conftest import _mentions, write_tiny_watchlist

HOSTILE_TITLE = "<b>x</b> **y** $z$ Alice Example"
WEEK0 = date(2024, 1, 1)  # a Monday
SPIKE_WEEK = date(2024, 3, 25)  # week 12: 9 articles against 2 a week before
NOW = datetime(2024, 3, 28, 12, 0, tzinfo=UTC)

# Rules-file parts that several tests build their rules from (a test adds its own keys after a rule's lines):
EVERY_WEBHOOK_FORMAT = """
[webhooks.plain]
format = "generic"
[webhooks.slack]
format = "slack"
[webhooks.teams]
format = "teams"
[webhooks.matrix]
format = "matrix"
"""
SPIKE_RULE = """
[[rule]]
id = "alice-spike"
trigger = "spike"
people = ["alice-example"]
bucket = "week"
"""  # fires on the spike store's SPIKE_WEEK
BUSY_RULE = """
[[rule]]
id = "busy"
trigger = "threshold"
people = ["alice-example"]
bucket = "week"
min_articles = 2
"""  # fires on every week of the spike store with two articles or more


def article(n: int, when: datetime, title: str, text: str, source: str = "Daily Fiction",
            language: str = "en") -> Article:
    url = f"https://news.example/a/{n:04d}"
    return Article(id=article_id(url), url=url, source=source, title=title, text=text,
                   content_hash=content_hash(text), fetched_at=when, published_at=when, published_source="meta",
                   authors=(), language=language, mentions=_mentions(title, text))


def spike_articles() -> list[Article]:
    """Alice Example: 2 articles a week for 12 weeks, then 9 in SPIKE_WEEK (one with a hostile title); Bob Sample
    and Alice together in 3 of the spike week's."""
    out = []
    n = 0
    for w in range(12):
        for k in range(2):
            when = datetime.combine(WEEK0 + timedelta(days=7 * w + 2 * k), datetime.min.time(), UTC) + timedelta(
                hours=9)
            out.append(article(n, when, f"Alice Example visits Oslo ({w}.{k})",
                               "Alice Example met officials in Oslo about trade."))
            n += 1
    for k in range(9):
        when = datetime.combine(SPIKE_WEEK, datetime.min.time(), UTC) + timedelta(hours=8 + 5 * k)
        title = HOSTILE_TITLE if k == 8 else f"Alice Example announces a ceasefire plan ({k})"
        text = ("Alice Example announced a ceasefire plan in Geneva. Observers called the ceasefire plan bold."
                + (" Bob Sample agreed." if k < 3 else ""))
        out.append(article(n, when, title, text, source="The Sample Times" if k % 2 else "Daily Fiction"))
        n += 1
    return out


@dataclass
class SpikeStore:
    root: Path
    watchlist: Path

    @property
    def names(self):
        return load_names(str(self.watchlist))


def write_store(root: Path, articles: list[Article]) -> None:
    with Store(root).writer() as w:
        w.write_batch(articles, watchlist_version="test")


@pytest.fixture
def spike_store(tmp_path: Path) -> SpikeStore:
    root = tmp_path / "store"
    write_store(root, spike_articles())
    return SpikeStore(root, write_tiny_watchlist(tmp_path / "watchlist.toml"))


def rules_from(text: str, path: Path | None = None, **kw):
    import tomllib

    return parse_rules(tomllib.loads(text), path or Path("alerts.toml"), **kw)


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: dict


@dataclass
class WebhookReceiver:
    """Takes POST and PUT on any path; answers `statuses` in turn (then 200). `on_request` runs first (a kill)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    on_request: object = None
    acknowledged: list[Received] = field(default_factory=list)


@pytest.fixture
def webhook():
    rec = WebhookReceiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _take(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
            r = Received(self.command, self.path, dict(self.headers), body)
            with lock:
                rec.received.append(r)
                if rec.on_request is not None and rec.on_request(r):
                    return  # the sender was killed: no answer
                status = rec.statuses.pop(0) if rec.statuses else 200
                if 200 <= status < 300:
                    rec.acknowledged.append(r)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = do_PUT = _take  # noqa: N815 - http.server's naming

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    rec.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield rec
    httpd.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) on 127.0.0.1 that keeps every envelope it receives: (controller, handler)."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            self.messages.append(envelope)
            return "250 OK"

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (1,500 articles over 18 months) built through the real ingest, once per session (~30 s)."""
    from ingest.demo.build import build_demo_store

    root = tmp_path_factory.mktemp("demo") / "store"
    build_demo_store(root, progress=False, say=lambda s: None)
    return root


@pytest.fixture(autouse=True)
def _own_index_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The alerts' DuckDB index goes under the test's own folder, never ~/.cache."""
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tmp_path / "index-cache"))
