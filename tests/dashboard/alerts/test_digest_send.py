"""`newsmon digest` sent: by e-mail through a real SMTP server (aiosmtpd on 127.0.0.1), and to webhooks in every
format through the alerts' delivery code. Checked exactly: recipients, subject, the PDF attached, and page text
(`<b>x</b> **y** $z$` in an article's sentence) arriving as text in every part and format."""

from __future__ import annotations

import email
import shutil
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.alerts import run as alerts_run
from dashboard.cli import main
from tests.dashboard.alerts.conftest import EVERY_WEBHOOK_FORMAT, SPIKE_WEEK, article, write_store

HOSTILE = "<b>x</b> **y** $z$"
ESCAPED = "&lt;b&gt;x&lt;/b&gt; **y** $z$"
DAY = SPIKE_WEEK.isoformat()
RULES = EVERY_WEBHOOK_FORMAT


@pytest.fixture
def digest_store(spike_store):
    """The spike store, and on the spike's day two articles quoting a name not on the watchlist next to page text
    that looks like HTML and Markdown."""
    when = datetime.combine(SPIKE_WEEK, datetime.min.time(), UTC) + timedelta(hours=7)
    extra = [article(900 + i, when + timedelta(minutes=i), f"Trade talks ({i})",
                     f"Minister Carol Newname said {HOSTILE} about the ceasefire plan. Alice Example agreed.")
             for i in range(2)]
    write_store(spike_store.root, extra)
    return spike_store


def _invoke(store, tmp_path: Path, *extra: str, no_pdf: bool = True):
    rules = tmp_path / "alerts.toml"
    rules.write_text(RULES)
    args = ["digest", "--store", str(store.root), "--period", "day", "--to", DAY, "--out", str(tmp_path / "out"),
            "--alerts", str(rules), "--watchlist", str(store.watchlist), *(["--no-pdf"] if no_pdf else []), *extra]
    return CliRunner().invoke(main, args)


@pytest.mark.skipif(not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(),
                    reason="the digest's PDF needs chromium (kaleido)")
def test_the_digest_by_email_with_recipients_subject_pdf_and_page_text_as_text(digest_store, tmp_path, smtp_server,
                                                                               monkeypatch):
    controller, handler = smtp_server
    for k, v in {"NEWSMON_SMTP_HOST": "127.0.0.1", "NEWSMON_SMTP_PORT": str(controller.port),
                 "NEWSMON_SMTP_SECURITY": "none", "NEWSMON_SMTP_FROM": "digest@newsroom.example",
                 "NEWSMON_ALERTS_INDEX": "0"}.items():
        monkeypatch.setenv(k, v)
    result = _invoke(digest_store, tmp_path, "--email", "desk@example.org", "--email", "chief@example.org",
                     no_pdf=False)
    assert result.exit_code == 0, result.output
    assert "sent to desk@example.org, chief@example.org" in result.output
    [envelope] = handler.messages
    assert envelope.mail_from == "digest@newsroom.example"
    assert envelope.rcpt_tos == ["desk@example.org", "chief@example.org"]
    mail = email.message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == f"newsmon daily digest: {DAY}"
    assert mail["To"] == "desk@example.org, chief@example.org"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP's line ends
    page = mail.get_body(("html",)).get_content().replace("\r\n", "\n")
    out = tmp_path / "out" / f"digest-day-{DAY}"
    assert text == out.with_suffix(".txt").read_text() and page == out.with_suffix(".html").read_text()
    assert "Carol Newname" in text and HOSTILE in text  # the text part carries it as it is
    assert ESCAPED in page and "<b>x</b>" not in page  # the HTML part escapes it
    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"digest-day-{DAY}.pdf"
    assert pdf.get_content() == out.with_suffix(".pdf").read_bytes() and pdf.get_content()[:5] == b"%PDF-"
    assert [(r["source"], r["found"], r["fetched"], r["stored"], r["failed"]) for r in _digest_rows(digest_store.root)] \
        == [("alerts:digest:email", 1, 1, 1, 0)]


def _dicts(obj) -> list[dict]:
    """Every dict in a JSON tree."""
    if isinstance(obj, dict):
        return [obj] + [x for v in obj.values() for x in _dicts(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _dicts(v)]
    return []


def test_the_digest_to_every_webhook_format_with_page_text_as_text(digest_store, tmp_path, webhook, monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", "0")
    for n in ("PLAIN", "SLACK", "TEAMS"):
        monkeypatch.setenv(f"NEWSMON_WEBHOOK_{n}_URL", f"{webhook.url}/{n.lower()}")
    monkeypatch.setenv("NEWSMON_WEBHOOK_MATRIX_URL", f"{webhook.url}/_matrix/client/v3/rooms/!r:x/send/m.room.message")
    result = _invoke(digest_store, tmp_path, *[a for n in ("plain", "slack", "teams", "matrix")
                                                for a in ("--webhook", n)])
    assert result.exit_code == 0, result.output
    key = f"digest-day-{DAY}"
    got = {r.path.split("/")[1] if not r.path.startswith("/_matrix") else "matrix": r for r in webhook.received}
    assert set(got) == {"plain", "slack", "teams", "matrix"}
    assert all(r.headers["Idempotency-Key"] == key for r in got.values())
    assert got["matrix"].method == "PUT" and got["matrix"].path.endswith(f"/send/m.room.message/{key}")
    plain = got["plain"].body
    assert plain["sections"][3]["lines"] == [{"text": "Carol Newname: 2 mentions in 2 articles. Minister Carol "
                                              f"Newname said {HOSTILE} about the ceasefire plan.", "url": None}]
    assert plain["id"] == key and plain["subject"] == f"newsmon daily digest: {DAY}"
    assert [s["heading"] for s in plain["sections"]][2:] == ["Spikes", "Names found that are not on the watchlist"]
    assert plain["text"] == (tmp_path / "out" / f"{key}.txt").read_text()
    # Slack: page text only in plain_text objects, the fallback text escaped, never Markdown
    slack = got["slack"].body
    assert slack["mrkdwn"] is False and slack["text"] == f"newsmon daily digest: {DAY}"
    holders = [d for d in _dicts(slack["blocks"]) if isinstance(d.get("text"), str) and HOSTILE in d["text"]]
    assert holders and all(d["type"] == "plain_text" for d in holders)
    assert any(b.get("accessory", {}).get("url", "").startswith("http") for b in slack["blocks"])  # a spike's link
    # Teams: in TextRuns, which take no Markdown
    runs = [i for b in got["teams"].body["attachments"][0]["content"]["body"] for i in b["inlines"]]
    assert all(r["type"] == "TextRun" for r in runs) and any(HOSTILE in r["text"] for r in runs)
    # Matrix: plain body as it is, the HTML escaped
    matrix = got["matrix"].body
    assert HOSTILE in matrix["body"] and ESCAPED in matrix["formatted_body"]
    assert "<b>x</b>" not in matrix["formatted_body"]


def test_a_webhook_that_fails_is_retried_then_reported_and_the_files_stay(digest_store, tmp_path, webhook,
                                                                         monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", "0")
    monkeypatch.setenv("NEWSMON_WEBHOOK_PLAIN_URL", f"{webhook.url}/plain")
    monkeypatch.setattr(alerts_run, "BACKOFF", 0.0)
    webhook.statuses = [500, 500, 500]
    result = _invoke(digest_store, tmp_path, "--webhook", "plain")
    assert result.exit_code == 1 and len(webhook.received) == 3
    assert "Error: written, but not sent: webhook plain: HTTP 500 'ok'" in result.output
    assert (tmp_path / "out" / f"digest-day-{DAY}.txt").exists()
    webhook.statuses = [503]  # one failure, then the retry goes through
    assert _invoke(digest_store, tmp_path, "--webhook", "plain").exit_code == 0 and len(webhook.received) == 5
    # both sends are in the store's run log, as an alerts check's deliveries are: the failure with its reason
    rows = _digest_rows(digest_store.root)
    assert [(r["source"], r["found"], r["fetched"], r["stored"], r["failed"], r["failures"]) for r in rows] == [
        ("alerts:digest:webhook:plain", 1, 3, 0, 1, [("webhook plain: HTTP 500 'ok'", 1)]),
        ("alerts:digest:webhook:plain", 1, 2, 1, 0, []),
    ]
    assert rows[0]["run_id"] != rows[1]["run_id"]


def test_a_digest_that_sends_nothing_writes_no_run_log_row(digest_store, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", "0")
    assert _invoke(digest_store, tmp_path).exit_code == 0
    assert _digest_rows(digest_store.root) == []


def _digest_rows(root: Path) -> list[dict]:
    """The run log's rows of digests, oldest first (their failures as (reason, count) pairs)."""
    import duckdb

    from ingest.store.parquet import Store

    df = duckdb.execute("SELECT * FROM read_parquet(?, union_by_name = true) WHERE starts_with(source, 'alerts:digest:')"
                        " ORDER BY finished_at", [Store(root).glob("runs")]).df()
    return [{**r, "failures": sorted(r["failures"].items())} for r in df.to_dict("records")]


def test_an_unknown_webhook_is_a_usage_error_before_anything_is_written(digest_store, tmp_path):
    result = _invoke(digest_store, tmp_path, "--webhook", "nope")
    assert result.exit_code == 2 and "'nope' is not a webhook of" in result.output
    assert "(it has: matrix, plain, slack, teams)" in result.output
    assert not (tmp_path / "out").exists()
