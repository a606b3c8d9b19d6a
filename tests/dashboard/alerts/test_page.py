"""The Alerts page (AppTest): the rules, the events fired newest first with their views, the delivery failures."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.alerts.run import check
from tests.dashboard.alerts.conftest import BUSY_RULE, HOSTILE_TITLE, NOW, SPIKE_RULE, rules_from
from tests.dashboard.test_app import run

RULES = ('dashboard_url = "http://dash.example"\n[webhooks.desk]\nformat = "generic"' + SPIKE_RULE
         + 'name = "Alice spikes"\nwebhooks = ["desk"]' + BUSY_RULE)


def test_the_page_lists_rules_events_and_failures(monkeypatch, spike_store, tmp_path):
    rules_file = tmp_path / "alerts.toml"
    rules_file.write_text(RULES)
    check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=datetime(2024, 3, 10, tzinfo=UTC),
          env={}, sleep=lambda s: None)  # no webhook URL set: the desk channel fails and stays pending
    monkeypatch.setenv("NEWSMON_ALERTS", str(rules_file))
    monkeypatch.setenv("NEWSMON_FEED_PORT", "8765")  # as `newsmon dashboard` sets it
    at = run(monkeypatch, spike_store.root, "screens/alerts.py", watchlist=spike_store.watchlist)
    assert not at.exception, at.exception
    assert at.title[0].value == "Alerts"
    assert [c.value for c in at.code] == ["http://localhost:8765/alerts/feed.atom"]
    rules, events, failures, log = (d.value for d in at.dataframe)
    assert list(rules["rule"]) == ["alice-spike", "busy"] and rules["watches"].tolist() == ["Alice Example"] * 2
    assert list(events["bucket"]) == ["2024-03-25", "2024-03-25", "2024-03-18", "2024-03-11", "2024-03-04"]  # newest 1st
    spike = events[events["trigger"] == "spike"].iloc[0]
    assert spike["alert"] == "Alice Example spiked: 9 articles in the week of 2024-03-25"
    assert spike["view"] == ("/?people=alice-example&start=2023-09-25&end=2024-03-31&preset=custom"
                             "&sel=person%3Aalice-example%3A2024-03-25")
    assert spike["delivery"] == "atom: delivered, webhook:desk: pending"
    assert events[events["trigger"] == "threshold"]["view"].str.startswith("/explore?").all()
    assert list(failures["channel"]) == ["webhook:desk"]
    assert failures["last_error"].iloc[0] == "NEWSMON_WEBHOOK_DESK_URL is not set"
    # the check's deliveries as the store's run log holds them
    assert list(log["channel"]) == ["atom", "webhook:desk"]
    desk = log.set_index("channel").loc["webhook:desk"]
    assert (desk["due"], desk["delivered"], desk["not_delivered"]) == (1, 0, 1)
    assert desk["reasons"] == "NEWSMON_WEBHOOK_DESK_URL is not set (1)"
    assert HOSTILE_TITLE not in str(events)  # titles are in the messages, not in this table
    assert [b.proto.label for b in at.get("download_button")] == ["Atom feed of the alerts"]


def test_a_bad_rules_file_is_a_warning_and_events_still_show(monkeypatch, spike_store, tmp_path):
    bad = tmp_path / "alerts.toml"
    bad.write_text('[[rule]]\nid = "x"\ntrigger = "spike"\npeople = ["nobody"]\n')
    monkeypatch.setenv("NEWSMON_ALERTS", str(bad))
    at = run(monkeypatch, spike_store.root, "screens/alerts.py", watchlist=spike_store.watchlist)
    assert not at.exception
    assert at.warning[0].value == (f"The rules file cannot be used: {bad}: rule 'x', field 'people': 'nobody' is not "
                                   "a person of the watchlist")
    assert any("No alert has fired yet" in i.value for i in at.info)
