"""On the demo store (18 months through the real ingest), `newsmon alerts check --dry-run` lists exactly the spikes
the dashboard marks on its timeline (explain.spikes over the dashboard's series), per day, week and month."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from dashboard import explain
from dashboard.cli import main
from dashboard.data import dispatch, queries
from dashboard.data.filters import Filters
from dashboard.data.names import load_names
from dashboard.data.series import assemble

LINE = re.compile(r"^  (\d{4}-\d\d-\d\d)  (day|week|month)\s+spike\s+spike-\w+: (.+) \((\d+) articles\)  \[would fire\]$")


def dashboard_marks(con, people, topics, bucket) -> set[tuple]:
    """What the Overview draws as ▲ for these entities, period "all" (dashboard/cache.py's timeline, uncached)."""
    summary = queries.store_summary(con)
    f = Filters(people=people, topics=topics, bucket=bucket)
    series = assemble(dispatch.timeline_counts(con, f), queries.coverage(con, f), f, summary["first"], summary["last"])
    names = load_names(None)
    return {(r.bucket.isoformat(), bucket, names.get((r.kind, r.entity_id)), int(r.count))
            for r in explain.spikes(series).itertuples(index=False)}


def test_dry_run_lists_the_spikes_the_dashboard_marks(demo_store, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", "0")
    con = queries.connect(demo_store)
    ents = queries.entity_counts(con)
    people = tuple(ents.loc[ents["kind"] == "person", "entity_id"])
    topics = tuple(ents.loc[ents["kind"] == "topic", "entity_id"])
    first = queries.store_summary(con)["first"]
    rules = tmp_path / "alerts.toml"
    rules.write_text("".join(
        f'[[rule]]\nid = "spike-{b}"\ntrigger = "spike"\nbucket = "{b}"\npeople = {list(people)!r}\n'
        f"topics = {list(topics)!r}\n".replace("'", '"') for b in ("day", "week", "month")))
    result = CliRunner().invoke(main, ["alerts", "check", "--store", str(demo_store), "--alerts", str(rules),
                                       "--since", first.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    listed = {m.groups()[:3] + (int(m.group(4)),) for m in map(LINE.match, lines[1:]) if m}
    assert len(listed) == len(lines) - 1  # every line is a spike line
    want = set()
    for b in ("day", "week", "month"):
        want |= dashboard_marks(con, people, topics, b)
    assert len(want) > 100 and {b for _, b, _, _ in want} == {"day", "week", "month"}
    assert listed == want
    assert lines[0] == f"3 rules checked; {len(want)} events would fire"
    assert not (demo_store / "alerts").exists()  # a dry run writes nothing


def test_a_later_start_reads_less_history_and_marks_the_same(demo_store):
    """From a later watermark only the buckets before it that a spike needs are read (evaluate.rule_series):
    the marks after it are exactly the dashboard's, which reads the whole history."""
    from datetime import UTC, date, datetime

    from dashboard.alerts.evaluate import evaluate
    from dashboard.alerts.rules import Rule
    from dashboard.data.buckets import bucket_end

    con = queries.connect(demo_store)
    ents = queries.entity_counts(con)
    people = tuple(ents.loc[ents["kind"] == "person", "entity_id"])
    topics = tuple(ents.loc[ents["kind"] == "topic", "entity_id"])
    names = load_names(None)
    for bucket in ("day", "week", "month"):
        marks = dashboard_marks(con, people, topics, bucket)
        rules = [Rule(id=f"{k}-{e}", trigger="spike", bucket=bucket, people=(e,) if k == "person" else (),
                      topics=(e,) if k == "topic" else ()) for k, e in zip(ents["kind"], ents["entity_id"],
                                                                           strict=True)]
        for since in (date(2026, 3, 1), date(2026, 8, 15)):
            events = evaluate(con, rules, datetime(2026, 11, 1, tzinfo=UTC),
                              since=datetime.combine(since, datetime.min.time(), UTC))
            got = {(e.start.isoformat(), bucket, names.get(e.entities[0]), e.count) for e in events}
            want = {m for m in marks if bucket_end(date.fromisoformat(m[0]), bucket) > since}
            assert got == want and want, (bucket, since)
