"""Crash safety, tested by killing: `newsmon alerts check` is SIGKILLed again and again (while it starts, evaluates
and records, and between recording an event and the receiver's answer), then run to the end. Every event is
recorded once and acknowledged by the receiver exactly once; the state files stay whole.

The one window no sender can close (the receiver took the message, the sender is killed before it notes that)
is tested apart: the resend carries the same idempotency key (test_a_kill_after_the_receivers_answer_...).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest

from dashboard.alerts.evaluate import evaluate
from dashboard.alerts.state import AlertState
from dashboard.data import queries
from tests.dashboard.alerts.conftest import NOW, rules_from
from tests.paths import REPO

RULES = """
[webhooks.plain]
format = "generic"
[[rule]]
id = "spike"
trigger = "spike"
people = ["alice-example"]
bucket = "week"
webhooks = ["plain"]
[[rule]]
id = "weekly"
trigger = "threshold"
people = ["alice-example"]
bucket = "week"
min_articles = 1
webhooks = ["plain"]
[[rule]]
id = "outlets"
trigger = "first-seen"
people = ["alice-example", "bob-sample"]
webhooks = ["plain"]
[[rule]]
id = "pair"
trigger = "together"
people = ["alice-example", "bob-sample"]
bucket = "week"
min_articles = 2
webhooks = ["plain"]
"""
SINCE = "2024-01-01"


def _command(store, rules_file) -> list[str]:
    return [sys.executable, "-m", "dashboard.cli", "alerts", "check", "--store", str(store), "--alerts",
            str(rules_file), "--watchlist", str(store.parent / "watchlist.toml"), "--since", SINCE]


def _expected(store) -> set[str]:
    rules = rules_from(RULES)
    con = queries.connect(store)
    return {e.key for e in evaluate(con, rules.rules, NOW, since=datetime.fromisoformat(SINCE).replace(tzinfo=UTC))}


def run_with_kills(spike_store, webhook, tmp_path, kills_wanted: int, timed_share: float, max_kill_at: int,
                   seed: int = 7, index: bool = False) -> int:
    """Run the check again and again, killing it (SIGKILL) until `kills_wanted` kills, then once to the end.

    A round kills either at a random moment before its first request would go out (`timed_share` of the rounds:
    start, evaluation, records, watermarks) or when the receiver gets its n-th request (n ≤ `max_kill_at`), before
    answering it. Bounded: at most 4 × `kills_wanted` + 10 rounds. `index`: through the alerts' DuckDB index (as
    by default), which the kills then also hit while it is brought up to date."""
    rules_file = tmp_path / "alerts.toml"
    rules_file.write_text(RULES)
    env = dict(os.environ, NEWSMON_WEBHOOK_PLAIN_URL=f"{webhook.url}/hook", NEWSMON_ALERTS_INDEX="1" if index else "0",
               NEWSMON_DASHBOARD_CACHE=str(tmp_path / "index-cache"), PYTHONPATH=str(REPO))
    rng = random.Random(seed)
    proc: list[subprocess.Popen] = []
    kill_at: list[int] = []  # the n-th request of the current run kills the sender before it is answered
    first_request = [1.5]  # seconds from start to the first request, as last seen (bounds the timed kills)
    started = [0.0]
    seen_in_run = [0]

    def on_request(_r) -> bool:
        seen_in_run[0] += 1
        if seen_in_run[0] == 1:
            first_request[0] = time.monotonic() - started[0]
        if kill_at and seen_in_run[0] == kill_at[0]:
            os.kill(proc[-1].pid, signal.SIGKILL)
            proc[-1].wait()
            return True
        return False

    webhook.on_request = on_request
    kills = 0
    for _ in range(4 * kills_wanted + 10):
        mode = "clean" if kills >= kills_wanted else ("timed" if rng.random() < timed_share else "receiver")
        seen_in_run[0] = 0
        kill_at[:] = [rng.randint(1, max_kill_at)] if mode == "receiver" else []
        started[0] = time.monotonic()
        proc.append(subprocess.Popen(_command(spike_store.root, rules_file), env=env, cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        if mode == "timed":
            try:
                proc[-1].wait(timeout=rng.uniform(0.2, max(0.3, first_request[0])))
            except subprocess.TimeoutExpired:
                proc[-1].send_signal(signal.SIGKILL)
        _, err = proc[-1].communicate(timeout=120)
        if proc[-1].returncode == -signal.SIGKILL:
            kills += 1
            continue
        assert proc[-1].returncode == 0, err.decode()
        if mode == "clean":
            return kills
    raise AssertionError(f"no clean run after {kills} kills")


def _check_exactly_once(spike_store, webhook, expected: set[str]) -> None:
    state = AlertState(spike_store.root)
    records = state.events()
    assert {r["key"] for r in records} == expected
    assert all(d["status"] == "delivered" for r in records for d in r["deliveries"].values())
    acked = Counter(r.headers["Idempotency-Key"] for r in webhook.acknowledged)
    assert set(acked) == expected and set(acked.values()) == {1}, acked.most_common(3)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.find("a:id", ns).text for e in ET.fromstring(state.feed_path.read_bytes()).findall("a:entry", ns)]
    assert sorted(ids) == sorted(f"urn:newsmon:alert:{k}" for k in expected)
    assert not list(state.dir.rglob(".*.tmp"))
    # the run log reads, and each alerts row is whole: every delivery it counts was delivered or not; no delivery
    # is counted as delivered in two rows (a killed check logs nothing, never half)
    rows = duckdb.execute("SELECT source, found, stored, failed FROM read_parquet(?) WHERE starts_with(source, "
                          "'alerts:')", [str(spike_store.root / "runs" / "*.parquet")]).fetchall()
    assert rows and all(found == stored + failed for _, found, stored, failed in rows)
    assert sum(stored for source, _, stored, _ in rows if source == "alerts:webhook:plain") <= len(expected)


def test_killed_checks_deliver_every_event_exactly_once(spike_store, webhook, tmp_path):
    expected = _expected(spike_store.root)
    assert len(expected) >= 15
    kills = run_with_kills(spike_store, webhook, tmp_path, kills_wanted=4, timed_share=0.25, max_kill_at=4)
    assert kills == 4 and len(webhook.received) - len(webhook.acknowledged) >= 1  # a kill while a request waited
    _check_exactly_once(spike_store, webhook, expected)


@pytest.mark.slow
def test_killed_checks_deliver_every_event_exactly_once_many_kills(spike_store, webhook, tmp_path):
    expected = _expected(spike_store.root)
    # at most the second request of a run: most kills land while deliveries are still pending
    kills = run_with_kills(spike_store, webhook, tmp_path, kills_wanted=24, timed_share=0.3, max_kill_at=2, seed=11,
                           index=True)
    assert kills == 24 and len(webhook.received) - len(webhook.acknowledged) >= 12  # kills while a request waited
    _check_exactly_once(spike_store, webhook, expected)


def test_a_kill_after_the_receivers_answer_resends_with_the_same_key(spike_store, webhook, tmp_path):
    """The receiver answers 200, then the sender is killed before it notes the delivery: the next check sends
    that event again, with the same Idempotency-Key, so a receiver that keeps keys drops it. No other event is
    sent twice."""
    rules_file = tmp_path / "alerts.toml"
    rules_file.write_text(RULES)
    env = dict(os.environ, NEWSMON_WEBHOOK_PLAIN_URL=f"{webhook.url}/hook", NEWSMON_ALERTS_INDEX="0",
               PYTHONPATH=str(REPO))
    proc: list[subprocess.Popen] = []

    def after_answer(_r) -> bool:
        if len(webhook.received) == 3:
            # Stop the sender while it waits for the answer, then answer 200 (this returns False): the receiver
            # has taken the message, the sender will never read that it did.
            os.kill(proc[-1].pid, signal.SIGSTOP)
        return False

    webhook.on_request = after_answer
    proc.append(subprocess.Popen(_command(spike_store.root, rules_file), env=env, cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    deadline = time.monotonic() + 60
    while len(webhook.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    os.kill(proc[-1].pid, signal.SIGKILL)
    proc[-1].wait()
    webhook.on_request = None
    subprocess.run(_command(spike_store.root, rules_file), env=env, cwd=REPO, check=True, capture_output=True)
    keys = Counter(r.headers["Idempotency-Key"] for r in webhook.acknowledged)
    expected = _expected(spike_store.root)
    assert set(keys) == expected
    third = webhook.received[2].headers["Idempotency-Key"]
    assert keys[third] == 2 and all(n == 1 for k, n in keys.items() if k != third)
