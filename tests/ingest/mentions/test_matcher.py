"""The matcher: the seed page's exact counts, and one row per matching rule (datasette-style parametrized table)."""

from __future__ import annotations

import json
import pickle
from collections import Counter

import pytest

from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import load_watchlist, parse_watchlist
from tests.paths import REPO

ROOT = REPO
SEED = ROOT.parent / "shared" / "data" / "seed"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlist())


def _seed() -> dict:
    path = SEED / "expected.json"
    if not path.exists():
        pytest.skip(
            f"shared seed data not found at {path} (expected ../shared/data/seed relative to the repo)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _seed_body_from_dump(expected: dict) -> str:
    """The cleaned body as extraction should leave it: whole paragraphs from the first body paragraph to the last."""
    lines = [line.strip() for line in (SEED / "page-text-dump.txt").read_text(encoding="utf-8").splitlines()]
    paras = [line for line in lines if line]
    # The dump has a no-break space after "Putin": compare flattened, but keep it in the text.
    flat = [" ".join(p.split()) for p in paras]
    first = next(i for i, p in enumerate(flat) if expected["body_paragraphs_in_order"][0] in p)
    last = next(i for i, p in enumerate(flat) if expected["body_paragraphs_in_order"][-1] in p)
    return "\n\n".join(paras[first : last + 1])


def _counts(mentions, field: str, names: dict[str, str]) -> dict[str, int]:
    c = Counter(names[m.entity_id] for m in mentions if m.field == field and m.kind == "person")
    return dict(c)


@pytest.mark.parametrize("body_from", ["expected-paragraphs", "page-text-dump"])
def test_seed_page_counts_are_exact(matcher, body_from):
    expected = _seed()
    if body_from == "expected-paragraphs":
        body = "\n\n".join(expected["body_paragraphs_in_order"])
    else:
        body = _seed_body_from_dump(expected)
    mentions = matcher.find(expected["title"], body)
    names = {p.id: p.name for p in matcher.watchlist.people}
    assert _counts(mentions, "body", names) == expected["mentions_in_body"]
    assert _counts(mentions, "title", names) == expected["mentions_in_title"]
    haniyeh = [m for m in mentions if m.entity_id == "haniyeh"]
    assert [(m.matched, m.rule) for m in haniyeh] == [("Ismail Haniiyeh", "fuzzy")]
    labels = {t.id: t.label.replace("–", "-") for t in matcher.watchlist.topics}
    topics = {labels[m.entity_id] for m in mentions if m.kind == "topic"}
    assert set(expected["topics_present"]) <= topics
    for m in mentions:  # the evidence is the exact slice of the field
        text = expected["title"] if m.field == "title" else body
        assert text[m.start : m.end] == m.matched


def test_seed_caption_is_not_body_but_would_count_if_it_were(matcher):
    """The caption names Putin and Abbas: counting it would break the expected numbers, so extraction must drop it."""
    expected = _seed()
    caption = "Vladimir Putin and Palestinian President Mahmoud Abbas. Alexei Maishev / POOL / TASS"
    body = caption + "\n\n" + "\n\n".join(expected["body_paragraphs_in_order"])
    names = {p.id: p.name for p in matcher.watchlist.people}
    assert _counts(matcher.find(expected["title"], body), "body", names) != expected["mentions_in_body"]


# (title, body, expected [(entity, matched, rule)] for people, in order: title first, then body)
CASES = {
    "alias-possessive": ("", "Putin's envoy left.", [("putin", "Putin", "alias")]),
    "alias-hyphenated": (
        "",
        "A pro-Putin rally and the Putin-Xi summit.",
        [("putin", "Putin", "alias"), ("putin", "Putin", "alias"), ("xi", "Xi", "alias")],
    ),
    "curly-possessive": ("", "Netanyahu’s cabinet met.", [("netanyahu", "Netanyahu", "alias")]),
    "not-inside-a-word": ("", "Rasputin was a mystic; the trumpet sounded.", []),
    "diacritics-folded": (
        "",
        "Erdogan and Erdoğan are one man.",
        [("erdogan", "Erdogan", "alias"), ("erdogan", "Erdoğan", "alias")],
    ),
    "all-caps-headline": (
        "PUTIN MEETS ERDOGAN",
        "",
        [("putin", "PUTIN", "alias"), ("erdogan", "ERDOGAN", "alias")],
    ),
    "lowercase-common-word": ("", "It was a trump card, a gallant effort.", []),
    "roman-numeral-is-not-xi": ("", "Pope Pius XI reigned before the war.", []),
    "cyrillic": (
        "",
        "Путин встретился с Зеленским? Нет, Путина там не было.",
        [  # derived from the Latin names (docs/watchlist.md, "Derived forms"), not listed in the watchlist
            ("putin", "Путин", "transliteration"),
            ("zelensky", "Зеленским", "transliteration"),
            ("putin", "Путина", "transliteration"),
        ],
    ),
    "arabic-with-proclitic": ("", "التقى عباس وبوتين في موسكو", [("putin", "بوتين", "alias")]),
    "chinese-unspaced": ("", "习近平会见了普京。", [("xi", "习近平", "alias")]),
    "trump-tower-excluded": ("", "Protesters gathered outside Trump Tower in Manhattan.", []),
    "trump-administration-counts": (
        "",
        "The Trump administration imposed tariffs.",
        [("trump", "Trump", "named-after")],
    ),
    "biden-administration-counts": (
        "",
        "Officials in the Biden administration disagreed.",
        [("biden", "Biden", "named-after")],
    ),
    "relatives-excluded": ("", "Melania Trump and Donald Trump Jr. attended.", []),
    "abbas-araghchi-is-someone-else": (
        "",
        "Iran's foreign minister Abbas Araghchi arrived.",
        [("araghchi", "Abbas Araghchi", "alias")],
    ),
    "bare-abbas-unlicensed": ("", "Abbas said he would travel on Friday.", []),
    "bare-abbas-with-cue": (
        "",
        "The Palestinian leader Abbas said he would travel.",
        [("abbas", "Abbas", "context")],
    ),
    "bare-abbas-after-full-name": (
        "",
        "Mahmoud Abbas arrived. Later, Abbas spoke.",
        [("abbas", "Mahmoud Abbas", "alias"), ("abbas", "Abbas", "surname-after-full")],
    ),
    "titled-short-form": ("", "President Abbas spoke.", [("abbas", "President Abbas", "alias")]),
    "nearest-full-name-wins": (
        "",
        "Mahmoud Abbas met aides. Abbas Araghchi flew in. Abbas then said little.",
        [("abbas", "Mahmoud Abbas", "alias"), ("araghchi", "Abbas Araghchi", "alias")],
    ),
    "headline-licensed-by-body": (
        "Talks with Abbas",
        "Mahmoud Abbas flew to Moscow.",
        [("abbas", "Abbas", "surname-after-full"), ("abbas", "Mahmoud Abbas", "alias")],
    ),
    "fuzzy-after-title": ("", "Hamas chief Haniiyeh was killed.", [("haniyeh", "Haniiyeh", "fuzzy")]),
    "fuzzy-swap-before-said": ("", "Zelenksy said no.", [("zelensky", "Zelenksy", "fuzzy")]),
    "fuzzy-possessive": ("", "Netanyhau's allies left.", [("netanyahu", "Netanyhau", "fuzzy")]),
    "fuzzy-after-proper-possessive": (
        "",
        "Iran's Pezeshkain spoke.",
        [("pezeshkian", "Pezeshkain", "fuzzy")],
    ),
    "fuzzy-named-elsewhere": (
        "",
        "Erdogan spoke. Later Erdgoan left.",
        [("erdogan", "Erdogan", "alias"), ("erdogan", "Erdgoan", "fuzzy")],
    ),
    "fuzzy-needs-evidence": ("", "The Starter kit and the Blinker magazine; Haniiyeh was killed.", []),
    "rubio-footballer": ("", "Everardo Rubio scored twice.", []),
    "rubio-cue": ("", "Rubio said Washington would wait.", [("rubio", "Rubio", "context")]),
    "us-pronoun-is-no-cue": ("", "Rubio told us to wait.", []),
    "fuzzy-not-two-slips": ("", "Hanniiyeh spoke.", []),
    "fuzzy-not-lowercase": ("", "the haniiyeh of it", []),
    "wife-is-not-fuzzy-husband": ("", "Olena Zelenska visited a school.", []),
    "francesca-albanese": ("", "UN rapporteur Francesca Albanese said Albanese would report.", []),
    "anthony-albanese-cue": (
        "",
        "Australian leader Albanese said so.",
        [("albanese", "Albanese", "context")],
    ),
    "costa-rica": ("", "Costa Rica and Georgia voted; Jordan abstained.", []),
    "tennis-medvedev": ("", "Daniil Medvedev won in Paris.", []),
    "german-noun-modi": ("", "Das Spiel hat verschiedene Modi.", []),
    "german-genitive": ("", "Wladimir Putins Krieg", [("putin", "Wladimir Putins", "transliteration")]),
    "no-match-across-sentences": ("", "He met Vladimir. Putin was absent.", [("putin", "Putin", "alias")]),
    "initials": ("", "Donald J. Trump signed it.", [("trump", "Donald J. Trump", "alias")]),
}


@pytest.mark.parametrize(("title", "body", "want"), CASES.values(), ids=CASES.keys())
def test_matching_rules(matcher, title, body, want):
    got = [(m.entity_id, m.matched, m.rule) for m in matcher.find(title, body) if m.kind == "person"]
    assert got == want


TOPIC_CASES = {
    "any-phrase": ("", "The Israel–Gaza war entered its second year.", {"israel-gaza-war"}),
    "all-group-met": ("", "A ceasefire in Gaza was agreed.", {"gaza-ceasefire"}),
    "all-group-missing": ("", "A ceasefire was agreed in Sudan.", set()),
    "not-vetoes": ("", "The event was sanctioned by the league.", set()),
    "exclude-hides-the-phrase": ("", "Sin embargo, el embargo de armas sigue.", {"sanctions"}),
    "exclude-only": ("", "Sin embargo, nadie habló.", set()),
    "across-fields": ("Ceasefire holds", "Hamas released hostages.", {"gaza-ceasefire"}),
}


@pytest.mark.parametrize(("title", "body", "want"), TOPIC_CASES.values(), ids=TOPIC_CASES.keys())
def test_topic_rules(matcher, title, body, want):
    mentions = matcher.find(title, body)
    assert {m.entity_id for m in mentions if m.kind == "topic"} == want
    assert all(m.rule == "topic" for m in mentions if m.kind == "topic")


def test_matcher_pickles_and_finds_the_same(matcher):
    again = pickle.loads(pickle.dumps(matcher))
    text = "Putin told Abbas in Moscow, after Mahmoud Abbas arrived."
    assert again.find("t", text) == matcher.find("t", text)


def test_empty_and_tiny_watchlists():
    m = Matcher(parse_watchlist('[[topics]]\nid = "x"\nlabel = "X"\nany = ["ceasefire"]\n'))
    assert m.find("", "") == []
    assert [x.entity_id for x in m.find("Ceasefire", "")] == ["x"]


def test_topics_sharing_a_phrase_are_both_found(matcher):
    gaza = {m.entity_id for m in matcher.find("", "A ceasefire in Gaza was agreed.") if m.kind == "topic"}
    ukraine = {
        m.entity_id for m in matcher.find("", "A ceasefire in Ukraine was agreed.") if m.kind == "topic"
    }
    assert (gaza, ukraine) == ({"gaza-ceasefire"}, {"ukraine-peace-talks"})


LABELLED = ROOT / "tests" / "data" / "mentions_labelled.jsonl"
FLOORS = ROOT / "tests" / "data" / "mentions_floors.json"


def test_labelled_set_is_large_and_has_the_hard_negatives():
    items = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(items) >= 300
    assert len({i["id"] for i in items}) == len(items)
    text = "\n".join(i["text"] for i in items)
    for negative in ("Jordan", "Abbas Araghchi", "Trump Tower", "Georgia", "Costa Rica", "Daniil Medvedev"):
        assert negative in text
    people = {p.id for p in load_watchlist().people}
    topics = {t.id for t in load_watchlist().topics}
    for i in items:
        assert set(i["people"]) <= people and set(i["topics"]) <= topics, i


def test_labelled_set_quality_meets_the_pinned_floors(matcher):
    from benchmarks.mentions import load_labelled, score

    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    got = score(matcher, load_labelled())
    for key in ("people_precision", "people_recall", "topics_precision", "topics_recall"):
        assert got[key] >= floors[key] - 1e-9, f"{key} fell to {got[key]:.3f} (floor {floors[key]})"


def test_odd_text_never_breaks_the_evidence(matcher):
    """Random mixes of scripts, ligatures, combining marks, emoji and lone surrogates: every span is the exact slice."""
    import random

    rng = random.Random(0)
    pool = [
        *"abcXYZ .,;:'’“”—–-\n\t",
        "İ",
        "ß",
        "ﬁ",
        "\u0301",
        "😀",
        "Путин",
        "وبوتين",
        "习近平",
        "Putin",
        "Abbas",
    ]
    pool += ["Mahmoud Abbas", "Haniiyeh", "Trump Tower", "Xi", "\ud800", "\x00", "𝔓"]
    for _ in range(1000):
        body = "".join(rng.choice(pool) for _ in range(rng.randint(0, 60)))
        title = "".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        for m in matcher.find(title, body):
            text = title if m.field == "title" else body
            assert m.matched and text[m.start : m.end] == m.matched


def test_every_rule_is_explained_in_code_and_docs():
    from ingest.mentions.matcher import RULE_HELP

    docs = (ROOT / "docs" / "watchlist.md").read_text(encoding="utf-8")
    assert set(RULE_HELP) == {
        "alias",
        "middle-name",
        "title-surname",
        "surname-after-full",
        "surname-distinctive",
        "transliteration",
        "fuzzy",
        "context",
        "named-after",
        "topic",
    }
    for rule in RULE_HELP:
        assert f"| `{rule}` |" in docs
