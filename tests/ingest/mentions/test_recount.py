"""Recount: mentions recomputed from stored text with a new watchlist, swapped in atomically, with its version."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from ingest.cli.mentions import mentions
from ingest.mentions.matcher import RULE_HELP, Matcher
from ingest.mentions.recount import articles_files, recount
from ingest.mentions.watchlist import parse_watchlist
from ingest.store.parquet import Store, StoreError, StoreLocked

WATCHLIST = """
[[people]]
id = "alice-example"
name = "Alice Example"

[[people]]
id = "bob-sample"
name = "Bob Sample"

[[topics]]
id = "ceasefire"
label = "Ceasefire"
any = ["ceasefire"]
"""


def _mentions(store: Store) -> list[dict]:
    return ds.dataset(store.mentions_dir, format="parquet").to_table().to_pylist()


def test_recount_matches_the_matcher_and_stores_the_version(tiny_store):
    wl = parse_watchlist(WATCHLIST, "wl.toml")
    report = recount(tiny_store.root, wl, processes=0)
    assert report.articles == len(tiny_store.articles)
    assert report.files == len(articles_files(tiny_store.store)) == 2
    rows = _mentions(tiny_store.store)
    assert report.mentions == len(rows)
    assert {r["watchlist_version"] for r in rows} == {wl.version}
    matcher = Matcher(wl)
    by_id = {a.id: a for a in tiny_store.articles}
    expected = sorted(
        (a.id, m.entity_id, m.field, m.start, m.end, m.matched, m.rule)
        for a in tiny_store.articles
        for m in matcher.find(a.title, a.text)
    )
    got = sorted(
        (r["article_id"], r["entity_id"], r["field"], r["start"], r["end"], r["matched"], r["rule"])
        for r in rows
    )
    assert got == expected
    assert {r["entity_id"] for r in rows} == {
        "alice-example",
        "bob-sample",
        "ceasefire",
    }  # carol is not on this list
    for r in rows:  # the timeline needs no join: date and source come from the article
        a = by_id[r["article_id"]]
        assert (r["published_at"], r["source"]) == (a.published_at, a.source)
        text = a.title if r["field"] == "title" else a.text
        assert text[r["start"] : r["end"]] == r["matched"]


def test_parallel_recount_equals_serial_and_a_new_watchlist_changes_counts(tiny_store):
    wl = parse_watchlist(WATCHLIST)
    recount(tiny_store.root, wl, processes=0)
    serial = sorted(map(str, _mentions(tiny_store.store)))
    recount(tiny_store.root, wl, processes=2)
    assert sorted(map(str, _mentions(tiny_store.store))) == serial
    wider = parse_watchlist(WATCHLIST + '\n[[people]]\nid = "carol-test"\nname = "Carol Test"\n')
    report = recount(tiny_store.root, wider, processes=2)
    rows = _mentions(tiny_store.store)
    assert "carol-test" in {r["entity_id"] for r in rows}
    assert {r["watchlist_version"] for r in rows} == {wider.version} != {wl.version}
    assert report.mentions == len(rows) > len(serial)
    assert tiny_store.store.count("articles") == len(tiny_store.articles)  # articles untouched


def test_recount_without_a_store_or_with_the_lock_held(tmp_path, tiny_store):
    with pytest.raises(StoreError, match="no store at"):
        recount(tmp_path / "nowhere", parse_watchlist(WATCHLIST))
    with tiny_store.store.writer(), pytest.raises(StoreLocked):
        recount(tiny_store.root, parse_watchlist(WATCHLIST), processes=0)


def test_recount_command(tiny_store, tmp_path):
    wl = tmp_path / "wl.toml"
    wl.write_text(WATCHLIST, encoding="utf-8")
    result = CliRunner().invoke(
        mentions, ["recount", "--store", str(tiny_store.root), "--watchlist", str(wl), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert f"recounted {len(tiny_store.articles)} articles in 2 files" in result.output
    assert parse_watchlist(WATCHLIST).version in result.output
    nowhere = CliRunner().invoke(mentions, ["recount", "--store", str(tmp_path / "nowhere")])
    assert nowhere.exit_code == 1
    assert nowhere.output == f"Error: no store at {tmp_path / 'nowhere'} (run `newsmon ingest` first)\n"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[people]]\nid = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(
        mentions, ["recount", "--store", str(tiny_store.root), "--watchlist", str(bad)]
    )
    assert result.exit_code == 1
    assert f"{bad}, line 1: people[0] id=\"x\" field 'name': is missing" in result.output


def test_find_command(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("Russian President Vladimir Putin met Mahmoud Abbas. Putin told Abbas so.", encoding="utf-8")
    result = CliRunner().invoke(mentions, ["find", "--jsonl", str(a)])
    assert result.exit_code == 0, result.output
    import json

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["entity_id"], r["matched"], r["rule"]) for r in rows] == [
        ("putin", "Vladimir Putin", "alias"),
        ("abbas", "Mahmoud Abbas", "alias"),
        ("putin", "Putin", "alias"),
        ("abbas", "Abbas", "surname-after-full"),
    ]
    assert rows[0] == {
        "file": str(a),
        "entity_id": "putin",
        "kind": "person",
        "start": 18,
        "end": 32,
        "matched": "Vladimir Putin",
        "rule": "alias",
    }
    plain = CliRunner().invoke(mentions, ["find", str(a)])
    assert f"{a}:18-32\tputin\tperson\talias\t'Vladimir Putin'" in plain.stdout
    missing = CliRunner().invoke(mentions, ["find", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and "nope.txt: no such file or folder" in missing.output


def test_recount_brings_old_rule_names_to_the_new_rules(tiny_store, tmp_path):
    """A store written before the derived family names holds `surname-after-full-name`; a recount renames it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    wl = parse_watchlist(WATCHLIST)
    recount(tiny_store.root, wl, processes=0)
    mentions = tiny_store.store.mentions_dir
    for part in sorted(mentions.glob("part-*.parquet")):  # rewrite the rules as an old release wrote them
        table = pq.read_table(part)
        old = pa.array(["surname-after-full-name"] * table.num_rows, type=pa.string())
        real = part.resolve()
        real.unlink()
        pq.write_table(table.set_column(table.schema.get_field_index("rule"), "rule", old), real)
    report = recount(tiny_store.root, wl, processes=0)
    assert set(report.previous_rules) == {"surname-after-full-name"}
    assert "surname-after-full-name" not in report.rules
    assert {r["rule"] for r in _mentions(tiny_store.store)} <= set(RULE_HELP)


def test_find_reads_folders_and_lists_and_checks_every_path_first(tmp_path):
    import json

    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Vladimir Putin spoke.", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("Nothing here.", encoding="utf-8")
    (folder / ".hidden").write_text("Putin", encoding="utf-8")
    result = CliRunner().invoke(mentions, ["find", "--jsonl", str(folder)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [str(folder / "a.txt")]
    assert "1 mention in 2 files" in result.stderr
    listing = tmp_path / "list.tsv"
    listing.write_text("texts/a.txt\thttps://example.org/a\n# a comment\n\ntexts/sub/b.txt\n", encoding="utf-8")
    listed = CliRunner().invoke(mentions, ["find", "--list", str(listing)])
    assert listed.exit_code == 0, listed.output
    assert "1 mention in 2 files" in listed.stderr
    missing = CliRunner().invoke(mentions, ["find", str(folder / "a.txt"), str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert missing.stdout == ""  # nothing printed before the error
    assert missing.output == f"Error: {tmp_path / 'nope.txt'}: no such file or folder\n"
    listing.write_text("texts/a.txt\ntexts/gone.txt\n", encoding="utf-8")
    gone = CliRunner().invoke(mentions, ["find", "--list", str(listing)])
    assert gone.exit_code == 1 and "gone.txt: no such file or folder (listed in" in gone.output
    assert "Putin" not in gone.output


def test_find_explain_shows_the_derived_forms(tmp_path):
    wl = tmp_path / "wl.toml"
    wl.write_text('[[people]]\nid = "scholz"\nname = "Olaf Scholz"\n', encoding="utf-8")
    result = CliRunner().invoke(mentions, ["find", "--watchlist", str(wl), "--explain", "scholz"])
    assert result.exit_code == 0, result.output
    assert "family name 'Scholz' (written last)" in result.output
    assert "scholzs" not in result.output and "scholz" in result.output
    unknown = CliRunner().invoke(mentions, ["find", "--watchlist", str(wl), "--explain", "merz"])
    assert unknown.exit_code == 1 and "no person with id 'merz'" in unknown.output


def test_find_explain_lists_acronyms_apart(tmp_path):
    wl = tmp_path / "wl.toml"
    wl.write_text('[[people]]\nid = "aoc"\nname = "Alexandria Ocasio-Cortez"\naliases = ["AOC"]\n', encoding="utf-8")
    result = CliRunner().invoke(mentions, ["find", "--watchlist", str(wl), "--explain", "aoc"])
    assert result.exit_code == 0, result.output
    assert "acronyms (as written, where the article shows the person): AOC" in result.output
    assert "unless an institution word follows: Alexandria Ocasio-Cortez\n" in result.output
