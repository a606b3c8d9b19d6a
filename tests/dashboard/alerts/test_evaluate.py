"""The triggers, the watermark rule for late articles, and batching (the same events as rule by rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.alerts.evaluate import evaluate
from dashboard.alerts.run import check
from dashboard.alerts.state import AlertState
from dashboard.data import queries
from tests.dashboard.alerts.conftest import NOW, SPIKE_WEEK, WEEK0, article, rules_from, write_store

RULES = """
[[rule]]
id = "alice-spike"
trigger = "spike"
people = ["alice-example", "bob-sample"]
bucket = "week"
[[rule]]
id = "busy"
trigger = "threshold"
people = ["alice-example"]
bucket = "week"
min_articles = 5
[[rule]]
id = "new-outlet"
trigger = "first-seen"
people = ["bob-sample"]
[[rule]]
id = "pair"
trigger = "together"
people = ["alice-example", "bob-sample"]
bucket = "week"
min_articles = 3
"""


def _fired(events):
    return sorted((e.rule_id, e.entities, e.start.isoformat(), e.count, tuple(sorted(e.detail.items())))
                  for e in events if e.trigger != "spike") + sorted(
        (e.rule_id, e.entities, e.start.isoformat(), e.count) for e in events if e.trigger == "spike")


def test_each_trigger_fires_on_the_spike_week(spike_store):
    rs = rules_from(RULES)
    con = queries.connect(spike_store.root)
    # Never evaluated: each rule looks one bucket back. Bob's first day (Monday) ended two days before NOW.
    events = evaluate(con, rs.rules, NOW)
    got = sorted((e.rule_id, e.entities, e.start, e.count) for e in events)
    alice, bob = ("person", "alice-example"), ("person", "bob-sample")
    assert got == [
        ("alice-spike", (alice,), SPIKE_WEEK, 9),  # 9 against 2 a week: Bob (3, no history) is no spike
        ("busy", (alice,), SPIKE_WEEK, 9),
        ("pair", (alice, bob), SPIKE_WEEK, 3),
    ]
    events = evaluate(con, rs.rules, NOW, since=datetime(2024, 3, 20, tzinfo=UTC))
    assert len(events) == 6
    first = sorted((e.detail["dim"], e.detail["value"]) for e in events if e.trigger == "first-seen")
    assert first == [("language", "en"), ("source", "Daily Fiction"), ("source", "The Sample Times")]
    spike = next(e for e in events if e.trigger == "spike")
    assert spike.detail == {"mean": 2.0, "history": 8} and spike.value == 9.0
    assert len({e.key for e in events}) == len(events)


def test_batched_and_rule_by_rule_find_the_same_events(spike_store):
    rs = rules_from(RULES)
    con = queries.connect(spike_store.root)
    since = datetime(2024, 1, 1, tzinfo=UTC)
    assert _fired(evaluate(con, rs.rules, NOW, since=since)) == _fired(
        evaluate(con, rs.rules, NOW, since=since, batched=False))


def test_only_buckets_ending_after_the_watermark_are_looked_at(spike_store):
    rs = rules_from(RULES)
    con = queries.connect(spike_store.root)
    # last evaluated after the spike week ended: nothing in it fires again, however it changes
    later = datetime(2024, 4, 2, tzinfo=UTC)
    assert evaluate(con, rs.rules, later + timedelta(hours=1), {r.id: later for r in rs.rules}) == []
    # evaluated during the spike week: the week is still open, so it is looked at
    during = datetime(2024, 3, 27, tzinfo=UTC)
    assert {e.rule_id for e in evaluate(con, rs.rules, NOW, {r.id: during for r in rs.rules})} == {
        "alice-spike", "busy", "pair"}  # and not Bob's first day (Monday): that day had ended by then


def test_late_articles_filling_a_past_bucket_do_not_fire_an_old_spike(spike_store):
    rules = rules_from(RULES)
    names = spike_store.names
    first = check(spike_store.root, rules, names, now=NOW, since=datetime(2024, 3, 20, tzinfo=UTC))
    assert {e.rule_id for e in first.events} == {"alice-spike", "busy", "new-outlet", "pair"}
    # Late: 12 articles about Alice dated in week 5 (long closed), and one in a new source, arrive after the check.
    week5 = datetime.combine(WEEK0 + timedelta(days=35), datetime.min.time(), UTC)
    late = [article(900 + k, week5 + timedelta(hours=k), f"Alice Example and Bob Sample, late ({k})",
                    "Alice Example and Bob Sample met.", source="Late Gazette") for k in range(12)]
    write_store(spike_store.root, late)
    con = queries.connect(spike_store.root)
    whole = evaluate(con, rules.rules, NOW, since=datetime(2024, 1, 1, tzinfo=UTC))
    assert {(e.rule_id, e.start) for e in whole} >= {("alice-spike", week5.date()), ("busy", week5.date()),
                                                      ("pair", week5.date())}  # it is a spike, seen whole
    again = check(spike_store.root, rules, names, now=NOW + timedelta(hours=1))
    # ... but not a new one: week 5 had ended before the last check (the open spike week is found again, same keys)
    assert again.new == [] and week5.date() not in {e.start for e in again.events}
    assert {e.key for e in again.events} <= set(first.new)
    # an article in the open bucket still fires (Bob in a new source, this week)
    write_store(spike_store.root, [article(990, NOW + timedelta(hours=2), "Bob Sample in Oslo", "Bob Sample spoke.",
                                           source="Brand New Post")])
    fresh = check(spike_store.root, rules, names, now=NOW + timedelta(hours=3))
    assert [(e.rule_id, e.detail["value"]) for e in fresh.events if e.key in fresh.new] == [
        ("new-outlet", "Brand New Post")]
    assert len(fresh.new) == 1


def test_an_event_fires_once_and_a_changed_rule_starts_afresh(spike_store):
    rules = rules_from(RULES)
    names = spike_store.names
    a = check(spike_store.root, rules, names, now=NOW, since=datetime(2024, 3, 20, tzinfo=UTC))
    b = check(spike_store.root, rules, names, now=NOW + timedelta(minutes=5), since=datetime(2024, 3, 1, tzinfo=UTC))
    assert len(a.new) == 6 and b.new == [] and {e.key for e in b.events} == set(a.new)
    state = AlertState(spike_store.root)
    assert len(state.events()) == 6
    assert state.watermark("busy", rules.rules[1].fingerprint()) == NOW + timedelta(minutes=5)
    changed = rules_from(RULES.replace("min_articles = 5", "min_articles = 6"))
    assert state.watermark("busy", changed.rules[1].fingerprint()) is None
