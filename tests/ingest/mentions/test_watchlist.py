"""The watchlist file: the packaged default, the format's rules, and errors that name file, entry, field and line."""

from __future__ import annotations

import pickle

import pytest

from ingest.mentions.watchlist import (
    PERSON_FIELDS,
    TOPIC_FIELDS,
    WatchlistError,
    load_watchlist,
    parse_watchlist,
)
from tests.paths import REPO

ROOT = REPO

GOOD = """
[meta]
as_of = "2025-10-31"

[[people]]
id = "putin"
name = "Vladimir Putin"
aliases = ["Putin"]

[[people]]
id = "abbas"
name = "Mahmoud Abbas"
short = ["Abbas"]
titles = ["President"]
cues = ["Palestinian"]

[[topics]]
id = "gaza-war"
label = "Israel–Gaza war"
any = ["Gaza war"]
all = [["Israel", "Israeli"], "Gaza"]
not = ["video game"]
"""


def test_default_watchlist_loads_with_the_seed_people():
    w = load_watchlist()
    ids = {p.id for p in w.people}
    assert {"putin", "abbas", "haniyeh", "trump", "xi", "modi", "zelensky", "netanyahu"} <= ids
    assert {"palestinian-statehood", "israel-gaza-war", "russia-ukraine-war"} <= {t.id for t in w.topics}
    assert w.as_of, "the default watchlist must say when its people were last checked"
    assert len(w.version) == 12 and int(w.version, 16) >= 0
    assert w.path.endswith("watchlist.toml")
    assert w.entity("abbas").name == "Mahmoud Abbas"


def test_name_is_always_an_alias_and_all_groups_parse(tmp_path):
    w = parse_watchlist(GOOD, "good.toml")
    assert w.people[1].aliases == ("Mahmoud Abbas",)
    assert w.people[1].label == "Mahmoud Abbas"
    assert w.topics[0].all_of == (("Israel", "Israeli"), ("Gaza",))
    assert w.topics[0].none_of == ("video game",)
    assert pickle.loads(pickle.dumps(w)) == w


def test_version_ignores_comments_and_layout_but_not_content():
    a = parse_watchlist(GOOD).version
    assert parse_watchlist("# a comment\n" + GOOD.replace("\n\n", "\n\n\n")).version == a
    assert parse_watchlist(GOOD.replace('"Gaza war"', '"Gaza war", "war in Gaza"')).version != a


def test_path_and_none_read_the_same_default():
    assert load_watchlist(ROOT / "ingest" / "data" / "watchlist.toml").version == load_watchlist().version


BAD = [
    # (replace this, with this, message must contain)
    ('id = "abbas"', 'id = "Abbas!"', ["people[1]", "field 'id'", "line 11"]),
    ('id = "abbas"', 'id = "Bad Id"', ["field 'id': id 'Bad Id' must be lowercase letters, digits and hyphens"]),
    ('id = "abbas"', "", ["people[1]", "field 'id': is missing"]),
    ('name = "Mahmoud Abbas"', "", ["people[1] id=\"abbas\"", "field 'name': is missing"]),
    ('name = "Mahmoud Abbas"', "name = 3", ["field 'name': must be a string (got 3)"]),
    ('name = "Mahmoud Abbas"', 'name = "Mahmoud Abbas"\nfamily = ["Abu"]', ["field 'family'", "'Abu' is not part"]),
    ("[meta]", "[meta]\nnamed_after = 1", ["field 'meta.named_after'", "true or false"]),
    ("[meta]", "[meta]\nnamed = true", ["field 'meta.named'", "unknown field"]),
    ('name = "Mahmoud Abbas"', 'name = ""', ['people[1] id="abbas"', "field 'name'", "line 12"]),
    ('short = ["Abbas"]', 'short = "Abbas", 3', ["not valid TOML", "line 13"]),
    (
        'cues = ["Palestinian"]',
        "cues = [1]",
        ['people[1] id="abbas"', "field 'cues'", "list of strings", "line 15"],
    ),
    (
        'cues = ["Palestinian"]',
        'cue = ["Palestinian"]',
        ['people[1] id="abbas"', "field 'cue'", "unknown field"],
    ),
    (
        'aliases = ["Putin"]',
        'aliases = ["Putin", "Mahmoud Abbas"]',
        ['people[1] id="abbas"', "'aliases'", 'id="putin"'],
    ),
    (
        'short = ["Abbas"]',
        'short = ["Mahmoud Abbas"]',
        ['people[1] id="abbas"', "field 'short'", "also an alias"],
    ),
    ('short = ["Abbas"]', "short = []", ['people[1] id="abbas"', "field 'titles'", "no 'short'"]),
    ('id = "abbas"', 'id = "putin"', ['people[1] id="putin"', "duplicate id"]),
    ('any = ["Gaza war"]', "any = []", ['topics[0] id="gaza-war"', "field 'any'", "at least one", "line 20"]),
    ('all = [["Israel", "Israeli"], "Gaza"]', "all = [[]]", ['topics[0] id="gaza-war"', "field 'all'"]),
    ('aliases = ["Putin"]', 'aliases = ["--"]', ['people[0] id="putin"', "no letters or digits"]),
    ("[meta]", "[metadata]", ["'metadata'", "unknown table"]),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD, ids=[b[1][:30] for b in BAD])
def test_bad_file_names_file_entry_field_and_line(tmp_path, old, new, expected):
    path = tmp_path / "mine.toml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(WatchlistError) as err:
        load_watchlist(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for part in expected:
        assert part in message, message


def test_missing_file_is_a_watchlist_error(tmp_path):
    with pytest.raises(WatchlistError, match="cannot read the watchlist"):
        load_watchlist(tmp_path / "nope.toml")


def test_docs_describe_every_field():
    docs = (ROOT / "docs" / "watchlist.md").read_text(encoding="utf-8")
    for field in (*PERSON_FIELDS, *TOPIC_FIELDS, "as_of"):
        assert f"`{field}`" in docs, f"docs/watchlist.md does not describe `{field}`"
