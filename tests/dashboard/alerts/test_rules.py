"""The rules file: every field checked, a bad one named with its file, rule and field (and no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.alerts.rules import DEFAULT_RULES, AlertsError, load_rules
from dashboard.cli import main
from dashboard.data.names import load_names

GOOD = """
dashboard_url = "https://news.example.org/monitor"
[webhooks.desk]
format = "slack"
[[rule]]
id = "alice-spike"
trigger = "spike"
people = ["alice-example"]
sources = ["Daily Fiction"]
email = ["desk@example.org"]
webhooks = ["desk"]
[[rule]]
id = "pair"
trigger = "together"
people = ["alice-example"]
topics = ["ceasefire"]
min_articles = 3
bucket = "week"
"""


def test_a_good_file_reads_into_rules(tmp_path: Path):
    p = tmp_path / "alerts.toml"
    p.write_text(GOOD)
    rs = load_rules(p, known={("person", "alice-example"), ("topic", "ceasefire")})
    assert rs.dashboard_url == "https://news.example.org/monitor"
    a, b = rs.rules
    assert (a.id, a.trigger, a.people, a.sources, a.bucket, a.min_articles) == (
        "alice-spike", "spike", ("alice-example",), ("Daily Fiction",), "day", 0)
    assert a.channels() == ("atom", "email", "webhook:desk") and rs.webhook_format("desk") == "slack"
    assert b.entities == (("person", "alice-example"), ("topic", "ceasefire")) and b.min_articles == 3
    assert a.filters().people == ("alice-example",) and a.filters().sources == ("Daily Fiction",)


def test_the_packaged_rules_load_against_the_packaged_watchlist():
    names = load_names(None)
    rs = load_rules(None, known=set(names.names))
    assert rs.path == DEFAULT_RULES and {r.trigger for r in rs.rules} == {"spike", "threshold", "first-seen",
                                                                          "together"}


RULE = '[[rule]]\nid = "r1"\ntrigger = "spike"\npeople = ["alice-example"]\n'


@pytest.mark.parametrize("text,where,why", [
    ('[[rule]]\ntrigger = "spike"\npeople = ["a"]\n', "rule #1, field 'id'", "needs an id"),
    (RULE.replace('"spike"', '"spiek"'), "rule 'r1', field 'trigger'", "must be one of spike"),
    (RULE.replace('people = ["alice-example"]', 'people = []'), "rule 'r1', field 'people'", "at least one"),
    (RULE.replace('people = ["alice-example"]', 'people = ["nobody"]'), "rule 'r1', field 'people'",
     "'nobody' is not a person of the watchlist"),
    (RULE + 'bucket = "hour"\n', "rule 'r1', field 'bucket'", "must be one of day, week, month"),
    (RULE + 'min_articles = 3\n', "rule 'r1', field 'min_articles'", "only for threshold and together"),
    (RULE.replace('"spike"', '"threshold"'), "rule 'r1', field 'min_articles'", "needs a whole number"),
    (RULE.replace('"spike"', '"together"') + "min_articles = 2\n", "rule 'r1', field 'people'", "exactly two"),
    (RULE + 'email = ["not an address"]\n', "rule 'r1', field 'email'", "is not an e-mail address"),
    (RULE + 'webhooks = ["desk"]\n', "rule 'r1', field 'webhooks'", "no [webhooks.desk] entry"),
    (RULE + 'colour = "red"\n', "rule 'r1', field 'colour'", "unknown field"),
    (RULE + RULE, "rule 'r1', field 'id'", "used by an earlier rule"),
    ('[webhooks.desk]\nformat = "irc"\n' + RULE, "webhook 'desk', field 'format'", "must be one of generic"),
    ('[webhooks.desk]\nurl = "https://hooks.example/x"\n' + RULE, "webhook 'desk', field 'url'",
     "the URL comes from the environment"),
    ('dashboard_url = "localhost"\n' + RULE, "field 'dashboard_url'", "http:// or https://"),
    ("rule = 3\n", "field 'rule'", "[[rule]] entries"),
    ("[[rule]\n", "not valid TOML", ""),
])
def test_a_bad_rule_names_the_file_the_rule_and_the_field(tmp_path: Path, text: str, where: str, why: str):
    p = tmp_path / "my-alerts.toml"
    p.write_text(text)
    with pytest.raises(AlertsError) as err:
        load_rules(p, known={("person", "alice-example")})
    assert str(err.value).startswith(f"{p}: {where}") and why in str(err.value)


def test_the_command_line_says_it_in_one_line_with_exit_code_1(tmp_path: Path):
    p = tmp_path / "my-alerts.toml"
    p.write_text(RULE.replace('"spike"', '"spiek"'))
    result = CliRunner().invoke(main, ["alerts", "check", "--store", str(tmp_path / "store"), "--alerts", str(p)])
    assert result.exit_code == 1
    assert result.output == (f"Error: {p}: rule 'r1', field 'trigger': must be one of spike, threshold, first-seen, "
                             "together, not 'spiek'\n")
    missing = CliRunner().invoke(main, ["alerts", "check", "--alerts", str(tmp_path / "none.toml")])
    assert missing.exit_code == 1 and "none.toml: no such rules file" in missing.output
    assert "Traceback" not in result.output + missing.output
