"""`newsmon ingest --alerts FILE`: the check runs after the run through ingest's after-run hook, a delivery failure
never stops the ingest, a bad rules file stops it before it starts; `newsmon alerts check` prints what fired."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dashboard.alerts.state import AlertState
from dashboard.cli import main
from ingest.cli.main import AFTER_RUN
from tests.pages import article_html

RULES = """
[webhooks.desk]
format = "generic"
[[rule]]
id = "leaders-new"
trigger = "first-seen"
people = ["putin", "zelensky", "abbas", "macron", "xi"]
webhooks = ["desk"]
"""


def _pages(d: Path, n: int = 6) -> Path:
    d.mkdir()
    rng = random.Random(5)
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(n):
        _, html, _ = article_html(i, rng, now - timedelta(hours=2 + i))
        (d / f"page-{i}.html").write_text(html, encoding="utf-8")
    return d


@pytest.fixture(autouse=True)
def _no_hooks_left():
    yield
    AFTER_RUN.clear()


def test_ingest_with_alerts_checks_after_the_run_and_a_failing_webhook_does_not_stop_it(tmp_path, webhook,
                                                                                           monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", "0")
    monkeypatch.setenv("NEWSMON_WEBHOOK_DESK_URL", f"{webhook.url}/desk")
    monkeypatch.setattr("dashboard.alerts.run.BACKOFF", 0.0)
    rules = tmp_path / "alerts.toml"
    rules.write_text(RULES)
    webhook.statuses = [500] * 100  # the receiver is down
    store = tmp_path / "store"
    args = ["ingest", "--html-dir", str(_pages(tmp_path / "pages")), "--store", str(store), "--no-progress",
            "--processes", "0", "--alerts", str(rules)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    state = AlertState(store)
    events = state.events()
    assert events and all(e["rule_id"] == "leaders-new" for e in events)
    assert f"alerts: {len(events)} new events, {len(events)} delivered, {len(events)} pending, " \
           f"{len(events)} failed this time" in result.output  # delivered: the Atom feed; pending: the webhook
    assert "webhook:desk: webhook desk: HTTP 500" in result.output
    assert all(e["deliveries"]["webhook:desk"]["status"] == "pending" for e in events)
    # the failures are in the store's run log, beside the ingest's own rows
    log = duckdb.execute("SELECT source, found, failed, failures FROM read_parquet(?) ORDER BY source",
                         [str(store / "runs" / "*.parquet")]).fetchall()
    assert [r[0] for r in log][:2] == ["alerts:atom", "alerts:webhook:desk"] and len(log) == 3
    assert log[1][1:] == (len(events), len(events), {"webhook desk: HTTP 500 'ok'": len(events)})
    # the receiver is back: the next check sends them, once each
    webhook.statuses = []
    again = CliRunner().invoke(main, ["alerts", "check", "--store", str(store), "--alerts", str(rules)])
    assert again.exit_code == 0, again.output
    # the events of a day still open at the first check are found again, and are not new; a day that had closed
    # by then (pages published before midnight, UTC) is not looked at again
    mark = datetime.fromisoformat(state.watermarks()["leaders-new"]["evaluated_at"])
    today = sum(datetime.fromisoformat(e["start"]).replace(tzinfo=UTC) + timedelta(days=1) > mark for e in events)
    assert again.output.splitlines()[0] == f"1 rules checked; {today} events found (0 new, the others fired before)"
    assert again.output.count("[fired before]") == today
    assert f"delivered {len(events)}; 0 pending" in again.output
    assert sorted(r.headers["Idempotency-Key"] for r in webhook.acknowledged) == sorted(e["key"] for e in events)
    # `alerts check` outside an ingest logs its deliveries in the run log too
    log = duckdb.execute("SELECT found, stored, failed FROM read_parquet(?) WHERE source = 'alerts:webhook:desk'"
                         " ORDER BY finished_at", [str(store / "runs" / "*.parquet")]).fetchall()
    assert log == [(len(events), 0, len(events)), (len(events), len(events), 0)]


def test_ingest_with_a_bad_rules_file_stops_before_it_ingests(tmp_path):
    rules = tmp_path / "alerts.toml"
    rules.write_text(RULES.replace('"first-seen"', '"first_seen"'))
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["ingest", "--html-dir", str(_pages(tmp_path / "pages")), "--store",
                                       str(store), "--no-progress", "--processes", "0", "--alerts", str(rules)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {rules}: rule 'leaders-new', field 'trigger': must be one of")
    assert not store.exists()


def test_ingest_without_alerts_runs_no_check(tmp_path):
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["ingest", "--html-dir", str(_pages(tmp_path / "pages", 2)), "--store",
                                       str(store), "--no-progress", "--processes", "0"])
    assert result.exit_code == 0 and "alerts:" not in result.output and not (store / "alerts").exists()


def test_check_on_a_missing_store_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["alerts", "check", "--store", str(tmp_path / "none")])
    assert result.exit_code == 1 and result.output == (
        f"Error: no store at {tmp_path / 'none'}: run `newsmon ingest` (or `newsmon demo`) first\n")
    bad = CliRunner().invoke(main, ["alerts", "check", "--store", str(tmp_path), "--since", "yesterday"])
    assert bad.exit_code == 2 and "'yesterday' is not a date" in bad.output


@pytest.mark.parametrize("command", [["alerts"], ["alerts", "check"], ["digest"]])
def test_every_alerts_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output) > 200
    ingest = CliRunner().invoke(main, ["ingest", "--help"])
    assert "--alerts FILE" in ingest.output
