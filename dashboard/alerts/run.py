"""One alerts check: evaluate the rules, record the new events, deliver what is pending, with retries.

Takes the store's root, a `RuleSet` and the watchlist's names; gives a `CheckReport`. The steps, in the order
that makes a kill at any moment safe (state.py): evaluate → record each new event as pending → move the rules'
watermarks → deliver every pending channel (new events and those a killed or failed run left), marking each
delivered as soon as the receiver took it. A failed delivery is retried with exponential backoff
(`RETRIES` tries in this run, `BACKOFF` seconds doubling), then left pending for the next check, and marked
failed after `MAX_ATTEMPTS` tries in all. Nothing here raises for a failed delivery: an ingest goes on.

Every check that tried a delivery writes one row per channel into the store's run log (`runs/`, source
`alerts:<channel>`; `log_deliveries`): what was due, tried, delivered and not, and the reasons counted, a channel
given up on as `gave up after 12 tries: <reason>`. The Alerts page reads them there.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dashboard.alerts.deliver import atom, smtp, webhook
from dashboard.alerts.deliver.errors import DeliveryError
from dashboard.alerts.evaluate import Event, evaluate
from dashboard.alerts.message import build_message
from dashboard.alerts.rules import Rule, RuleSet
from dashboard.alerts.state import FAILED, PENDING, AlertState, mark
from dashboard.data.names import Names
from ingest.store.atomic import StoreError
from ingest.store.parquet import Store
from ingest.store.runlog import ALERTS_SOURCE

log = logging.getLogger("newsmon.alerts")
RETRIES = 3  # tries per channel in one check; then the next check tries again
BACKOFF = 2.0  # seconds before the second try, doubling: 2 s, 4 s (a receiver's brief hiccup, not an outage)
MAX_ATTEMPTS = 12  # tries in all (four checks of three) before a channel is marked failed and shown as such


@dataclass
class ChannelLog:
    """One channel's deliveries in one check: its row of the run log."""

    due: int = 0  # deliveries pending when the check came to this channel
    tries: int = 0  # attempts, retries included
    delivered: int = 0
    failed: int = 0  # not delivered by this check: left pending, or given up
    reasons: Counter = field(default_factory=Counter)  # reason -> deliveries that ended this check on it


@dataclass
class CheckReport:
    rules: int = 0
    events: list[Event] = field(default_factory=list)  # everything the evaluation found (new or not)
    new: list[str] = field(default_factory=list)  # keys recorded by this check
    delivered: list[tuple[str, str]] = field(default_factory=list)  # (key, channel)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (key, channel, reason), last try of this check
    pending: int = 0  # channels still pending after this check
    channels: dict[str, ChannelLog] = field(default_factory=dict)  # this check's deliveries, per channel
    log_error: str = ""  # the run log could not be written (the deliveries are recorded with their events)


def index_path(root: Path) -> Path:
    """The alerts' own DuckDB index of the store (beside the dashboard's; a running dashboard holds its own)."""
    from dashboard.data.index import default_index_path

    p = default_index_path(root)
    return p.with_name(p.stem.replace("index-", "alerts-index-") + p.suffix)


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """The store through the dashboard's connection: its index (no text index) unless NEWSMON_ALERTS_INDEX=0."""
    from dashboard.data.queries import connect as _connect

    use_index = os.environ.get("NEWSMON_ALERTS_INDEX", "1") != "0"
    if not use_index:
        return _connect(root)
    from dashboard.data.index import connect as _index_connect

    return _index_connect(root, index_path=index_path(root), text_index=False)


def event_record(e: Event, rule: Rule, msg: dict) -> dict:
    return {"key": e.key, "rule_id": e.rule_id, "trigger": e.trigger, "entities": [list(x) for x in e.entities],
            "bucket": e.bucket, "start": e.start.isoformat(), "count": e.count, "value": e.value,
            "detail": e.detail, "channels": list(rule.channels()), "email": list(rule.email), "message": msg}


def check(root: Path, rules: RuleSet, names: Names, now: datetime | None = None, since: datetime | None = None,
          dry_run: bool = False, con: duckdb.DuckDBPyConnection | None = None,
          env: dict | None = None, sleep: Callable[[float], None] = time.sleep, retries: int | None = None,
          backoff: float | None = None) -> CheckReport:
    """Evaluate, record, deliver (see the module's docstring). `dry_run`: evaluate only, write nothing."""
    started = datetime.now(UTC)
    now = now or started
    state = AlertState(root)
    report = CheckReport(rules=len(rules.rules))
    by_id = {r.id: r for r in rules.rules}
    if dry_run:
        own = con or connect(root)
        marks = {r.id: state.watermark(r.id, r.fingerprint()) for r in rules.rules}
        report.events = evaluate(own, rules.rules, now, marks, since)
        return report
    with state.lock():
        own = con or connect(root)
        try:
            marks = {r.id: state.watermark(r.id, r.fingerprint()) for r in rules.rules}
            report.events = evaluate(own, rules.rules, now, marks, since)
            for e in report.events:
                if state.has(e.key):
                    continue
                rule = by_id[e.rule_id]
                if state.record(event_record(e, rule, build_message(own, e, rule, names, rules.dashboard_url))):
                    report.new.append(e.key)
            state.set_watermarks({r.id: {"evaluated_at": now.isoformat(), "fingerprint": r.fingerprint()}
                                  for r in rules.rules})
        finally:
            if con is None:
                own.close()
        try:
            deliver_pending(state, rules, report, env, sleep, retries, backoff)
        finally:  # a check stopped by an error still logs what it tried
            log_deliveries(root, report, started)
    return report


def log_rows(report: CheckReport, started: datetime, finished: datetime) -> list[dict]:
    """The check's rows of the run log (RUNS_SCHEMA), one per channel it tried, in channel order."""
    run_id = f"alerts-{started:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    return [{"run_id": run_id, "source": ALERTS_SOURCE + channel, "started_at": started, "finished_at": finished,
             "found": c.due, "fetched": c.tries, "stored": c.delivered, "duplicate": 0, "failed": c.failed,
             "failures": sorted(c.reasons.items()), "watchlist_version": "", "language_disagrees": None}
            for channel, c in sorted(report.channels.items()) if c.tries]


def log_deliveries(root: Path, report: CheckReport, started: datetime) -> None:
    """Write the check's deliveries into the store's run log; a failure to do so is logged, never raised."""
    rows = log_rows(report, started, datetime.now(UTC))
    try:
        Store(Path(root)).log_run(rows)
    except (StoreError, OSError) as exc:
        report.log_error = f"the run log was not written: {exc}"
        log.warning("alerts: %s", report.log_error)


def deliver_pending(state: AlertState, rules: RuleSet, report: CheckReport, env: dict | None = None,
                    sleep: Callable[[float], None] = time.sleep, retries: int | None = None,
                    backoff: float | None = None) -> None:
    """Send every pending channel of every recorded event; the Atom feed once for all of them."""
    retries = RETRIES if retries is None else retries
    backoff = BACKOFF if backoff is None else backoff
    pending = state.pending()
    feed_keys = [r["key"] for r in pending if r["deliveries"].get("atom", {}).get("status") == PENDING]
    if feed_keys:
        c = report.channels.setdefault("atom", ChannelLog())
        c.due += len(feed_keys)
        c.tries += len(feed_keys)
        try:
            atom.write_feed(state.feed_path, state.events(), atom.feed_id(state.root), link=rules.dashboard_url)
        except OSError as exc:
            for key in feed_keys:
                _note(state, report, key, "atom", f"cannot write {state.feed_path}: {exc}")
        else:
            for key in feed_keys:
                record = state.load(key)
                mark(record, "atom", True)
                state.save(record)
                report.delivered.append((key, "atom"))
                c.delivered += 1
    for r in state.pending():
        for channel, d in r["deliveries"].items():
            if d["status"] != PENDING or channel == "atom":
                continue
            c = report.channels.setdefault(channel, ChannelLog())
            c.due += 1
            error, gave_up = "", False
            for attempt in range(retries):
                if attempt:
                    sleep(backoff * 2 ** (attempt - 1))
                c.tries += 1
                try:
                    _send(r, channel, rules, env)
                except DeliveryError as exc:
                    error = str(exc)
                    log.warning("alert %s: %s failed (try %d): %s", r["key"], channel, attempt + 1, error)
                    record = state.load(r["key"])
                    mark(record, channel, False, error, MAX_ATTEMPTS)
                    state.save(record)
                    if record["deliveries"][channel]["status"] == FAILED:
                        gave_up = True
                        break
                    continue
                record = state.load(r["key"])
                mark(record, channel, True)
                state.save(record)
                report.delivered.append((r["key"], channel))
                c.delivered += 1
                error = ""
                break
            if error:
                report.errors.append((r["key"], channel, error))
                c.failed += 1
                c.reasons[_reason(error, gave_up)] += 1
    report.pending = sum(d["status"] == PENDING for r in state.pending() for d in r["deliveries"].values())


def _note(state: AlertState, report: CheckReport, key: str, channel: str, error: str) -> None:
    log.warning("alert %s: %s failed: %s", key, channel, error)
    record = state.load(key)
    mark(record, channel, False, error, MAX_ATTEMPTS)
    state.save(record)
    report.errors.append((key, channel, error))
    c = report.channels.setdefault(channel, ChannelLog())
    c.failed += 1
    c.reasons[_reason(error, record["deliveries"][channel]["status"] == FAILED)] += 1


def _reason(error: str, gave_up: bool) -> str:
    """A run-log reason: the error, bounded (a webhook's answer is quoted in it), and whether it was the last try."""
    error = error[:300]
    return f"gave up after {MAX_ATTEMPTS} tries: {error}" if gave_up else error


def _send(record: dict, channel: str, rules: RuleSet, env: dict | None) -> None:
    msg, key = record["message"], record["key"]
    if channel == "email":
        smtp.send(msg, key, tuple(record.get("email", [])), env)
    elif channel.startswith("webhook:"):
        name = channel.split(":", 1)[1]
        event = {k: record[k] for k in ("rule_id", "trigger", "entities", "bucket", "start", "count", "value")}
        webhook.send(name, rules.webhook_format(name), msg, key, event, env)
    else:
        raise DeliveryError(f"unknown channel {channel!r}")
