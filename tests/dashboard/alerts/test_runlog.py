"""Delivery failures in the store's run log (`runs/`, source `alerts:<channel>`): written by every check that tried
a delivery, spooled while an ingest holds the store's lock and moved in by the next writer, left out of the
per-source health, shown on the Alerts page, and whole or absent when the check is SIGKILLed while writing them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import pytest

from dashboard.alerts import run as alerts_run
from dashboard.alerts import tables
from dashboard.alerts.run import check
from dashboard.data import health as dhealth
from dashboard.data import queries
from ingest.store import health
from ingest.store.parquet import Store
from ingest.store.runlog import RUN_SPOOL
from tests.dashboard.alerts.conftest import BUSY_RULE, NOW, SPIKE_RULE, rules_from
from tests.paths import REPO

SINCE = datetime(2024, 3, 20, tzinfo=UTC)
RULES = '[webhooks.desk]\nformat = "generic"' + SPIKE_RULE + 'webhooks = ["desk"]' + BUSY_RULE + 'webhooks = ["desk"]\n'


def _alert_rows(root) -> list[dict]:
    rows = duckdb.execute("SELECT * FROM read_parquet(?, union_by_name = true) WHERE starts_with(source, 'alerts:')"
                          " ORDER BY finished_at, source", [Store(root).glob("runs")]).df()
    return rows.to_dict("records")


def test_a_check_logs_each_channels_deliveries_and_failures_in_the_run_log(spike_store, webhook):
    webhook.statuses = [500] * 3  # the first event's three tries fail; the other two go through
    env = {"NEWSMON_WEBHOOK_DESK_URL": f"{webhook.url}/desk"}
    report = check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=SINCE, env=env,
                   sleep=lambda s: None)
    assert len(report.new) == 3 and report.log_error == ""
    rows = {r["source"]: r for r in _alert_rows(spike_store.root)}
    assert set(rows) == {"alerts:atom", "alerts:webhook:desk"}
    desk = rows["alerts:webhook:desk"]
    assert (desk["found"], desk["fetched"], desk["stored"], desk["failed"]) == (3, 5, 2, 1)
    assert dict(desk["failures"]) == {"webhook desk: HTTP 500 'ok'": 1}
    atom = rows["alerts:atom"]
    assert (atom["found"], atom["stored"], atom["failed"]) == (3, 3, 0)
    assert desk["run_id"] == atom["run_id"] and desk["run_id"].startswith("alerts-")
    # the alerts' rows are not sources: the per-source health of ingest and of the dashboard leave them out
    assert [h.source for h in health.source_health(Store(spike_store.root))] == []
    con = queries.connect(spike_store.root)
    assert not dhealth.source_health(con)["source"].str.startswith("alerts:").any()
    # the Alerts page's table of the run log
    log = tables.delivery_log(spike_store.root)
    assert list(log["channel"]) == ["atom", "webhook:desk"]
    assert log.set_index("channel").loc["webhook:desk", "reasons"] == "webhook desk: HTTP 500 'ok' (1)"

    # a check that tried nothing writes no row
    report = check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, env={}, sleep=lambda s: None,
                   retries=0)
    assert report.pending == 1 and len(_alert_rows(spike_store.root)) == 2


def test_a_channel_given_up_is_logged_as_such(spike_store, monkeypatch):
    monkeypatch.setattr(alerts_run, "MAX_ATTEMPTS", 2)
    rules = rules_from(RULES.replace('id = "busy"', 'id = "busy"\natom = false').replace(
        'id = "alice-spike"', 'id = "alice-spike"\natom = false'))
    for _ in range(2):
        check(spike_store.root, rules, spike_store.names, now=NOW, since=SINCE, env={}, sleep=lambda s: None,
              retries=1)
    rows = _alert_rows(spike_store.root)
    assert [r["source"] for r in rows] == ["alerts:webhook:desk"] * 2
    assert dict(rows[0]["failures"]) == {"NEWSMON_WEBHOOK_DESK_URL is not set": 3}
    assert dict(rows[1]["failures"]) == {"gave up after 2 tries: NEWSMON_WEBHOOK_DESK_URL is not set": 3}


def test_while_an_ingest_holds_the_lock_the_rows_are_spooled_then_moved_in_once(spike_store):
    store = Store(spike_store.root)
    with store.writer():  # an ingest is running
        report = check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=SINCE, env={},
                       sleep=lambda s: None, retries=1)
        assert report.errors and report.log_error == ""
        spooled = list((spike_store.root / RUN_SPOOL).glob("run-*.parquet"))
        assert len(spooled) == 1 and _alert_rows(spike_store.root) == []
        # the Alerts page shows them already
        assert set(tables.delivery_log(spike_store.root)["channel"]) == {"atom", "webhook:desk"}
    with store.writer():  # the next writer moves them into the run log
        pass
    assert not list((spike_store.root / RUN_SPOOL).iterdir())
    assert sorted(r["source"] for r in _alert_rows(spike_store.root)) == ["alerts:atom", "alerts:webhook:desk"]
    with store.writer():
        pass
    assert len(_alert_rows(spike_store.root)) == 2  # moved once, never twice
    assert len(tables.delivery_log(spike_store.root)) == 2


def test_a_run_log_that_cannot_be_written_does_not_stop_the_check(spike_store, monkeypatch):
    from ingest.store.atomic import StoreError

    def refuse(self, rows):
        raise StoreError("cannot write runs: No space left on device")

    monkeypatch.setattr(Store, "log_run", refuse)
    report = check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=SINCE, env={},
                   sleep=lambda s: None, retries=1)
    assert len(report.new) == 3 and report.log_error.endswith("No space left on device")


# The check in a child process that SIGKILLs itself inside the run log's write: after the temporary file is written
# (before its rename) or after the rename (before the folder's fsync). BACKOFF 0: the retries do not wait.
CHILD = """
import os, signal, sys
import dashboard.alerts.run as run
import ingest.store.parquet as parquet
run.BACKOFF = 0.0
real = parquet.write_atomic
def killing(table, path):
    if path.name.startswith("run-") and os.environ["KILL_AT"] == "before-rename":
        import pyarrow.parquet as pq
        pq.write_table(table, path.with_name(f".{path.name}.x.tmp"))
        os.kill(os.getpid(), signal.SIGKILL)
    real(table, path)
    if path.name.startswith("run-") and os.environ["KILL_AT"] == "after-rename":
        os.kill(os.getpid(), signal.SIGKILL)
parquet.write_atomic = killing
from dashboard.cli import main
sys.argv = ["newsmon"] + sys.argv[1:]
main()
"""


@pytest.mark.parametrize("spool", [False, True], ids=["direct", "spooled"])
def test_a_check_killed_while_it_writes_the_run_log_leaves_the_rows_whole_or_absent(spike_store, tmp_path, spool):
    rules_file = tmp_path / "alerts.toml"
    rules_file.write_text(RULES)
    env = dict(os.environ, NEWSMON_ALERTS_INDEX="0", PYTHONPATH=str(REPO))
    env.pop("NEWSMON_WEBHOOK_DESK_URL", None)  # the desk channel fails: a failure to log
    argv = [sys.executable, "-c", CHILD, "alerts", "check", "--store", str(spike_store.root), "--alerts",
            str(rules_file), "--watchlist", str(spike_store.watchlist), "--since", "2024-03-20"]
    store = Store(spike_store.root)
    logged = []
    # four checks of three tries: the fourth gives up on the desk (MAX_ATTEMPTS 12)
    for kill_at in ("before-rename", "after-rename", "before-rename", "none"):
        if spool:
            ctx = store.writer()
            ctx.__enter__()  # an ingest holds the lock: the rows go to the spool
        try:
            p = subprocess.run(argv, env=dict(env, KILL_AT=kill_at), cwd=REPO, capture_output=True, timeout=120)
        finally:
            if spool:
                ctx.__exit__(None, None, None)
        assert p.returncode == (0 if kill_at == "none" else -signal.SIGKILL), p.stderr.decode()
        if kill_at != "before-rename":
            logged.append(kill_at)
        rows = duckdb.execute("SELECT count(*) FROM read_parquet(?)", [store.glob("runs")]).fetchone()
        assert rows is not None  # the run log reads after every kill
    with store.writer():  # the next writer: temporary files gone, spooled rows moved in
        pass
    assert not list(store.runs_dir.glob(".*.tmp"))
    rows = _alert_rows(spike_store.root)
    # each check that got past the rename logged its two channels once; a kill before it logged nothing
    assert len({r["run_id"] for r in rows}) == len(logged) == 2
    desk = [r for r in rows if r["source"] == "alerts:webhook:desk"]
    assert len(desk) == 2 and {r["source"] for r in rows} <= {"alerts:webhook:desk", "alerts:atom"}
    assert [dict(r["failures"]) for r in desk] == [{"NEWSMON_WEBHOOK_DESK_URL is not set": 3},
                                                   {"gave up after 12 tries: NEWSMON_WEBHOOK_DESK_URL is not set": 3}]
    assert not list((spike_store.root / RUN_SPOOL).glob("run-*.parquet")) if spool else True
