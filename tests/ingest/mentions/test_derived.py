"""Forms derived from a plain watchlist (name and aliases only): one row per rule, datasette-style tables."""

from __future__ import annotations

import pytest

from ingest.mentions.derive import derive, split_name
from ingest.mentions.matcher import Matcher
from ingest.mentions.translit import sound_key, spelling_variants
from ingest.mentions.watchlist import parse_watchlist

# The watchlist the `plain` and `switched` matchers of conftest.py are built from.
PLAIN = """
[[people]]
id = "scholz"
name = "Olaf Scholz"
[[people]]
id = "sunak"
name = "Rishi Sunak"
[[people]]
id = "meloni"
name = "Giorgia Meloni"
[[people]]
id = "netanyahu"
name = "Benjamin Netanyahu"
[[people]]
id = "lavrov"
name = "Sergei Lavrov"
[[people]]
id = "xi"
name = "Xi Jinping"
[[people]]
id = "moon"
name = "Moon Jae-in"
[[people]]
id = "biden"
name = "Joe Biden"
[[people]]
id = "fauci"
name = "Anthony Fauci"
[[people]]
id = "orban"
name = "Viktor Orbán"
[[people]]
id = "trump"
name = "Donald Trump"
[[people]]
id = "medvedev"
name = "Dmitry Medvedev"
[[people]]
id = "thatcher"
name = "Margaret Thatcher"
[[people]]
id = "zelensky"
name = "Volodymyr Zelensky"
[[people]]
id = "merkel"
name = "Angela Merkel"
[[people]]
id = "putin"
name = "Vladimir Putin"
[[people]]
id = "lula"
name = "Luiz Inácio Lula da Silva"
family = ["Lula"]
[[people]]
id = "von-der-leyen"
name = "Ursula von der Leyen"
[[people]]
id = "harris"
name = "Kamala Harris"
[[people]]
id = "aoc"
name = "Alexandria Ocasio-Cortez"
aliases = ["AOC"]
[[people]]
id = "mitsotakis"
name = "Kyriakos Mitsotakis"
[[people]]
id = "amlo"
name = "Andrés Manuel López Obrador"
[[people]]
id = "sisi"
name = "Abdel Fattah el-Sisi"
"""


# (title, body, language, expected [(entity, matched, rule)] in order: title first, then body)
CASES = {
    "surname-after-full": (
        "",
        "Olaf Scholz arrived in Paris. Scholz said little.",
        "en",
        [("scholz", "Olaf Scholz", "alias"), ("scholz", "Scholz", "surname-after-full")],
    ),
    "surname-before-full": (
        "",
        "Scholz said little. Later Chancellor Olaf Scholz left.",
        "en",
        [("scholz", "Scholz", "surname-after-full"), ("scholz", "Olaf Scholz", "alias")],
    ),
    "all-caps-headline": (
        "SCHOLZ REJECTS PLAN",
        "Olaf Scholz rejected it.",
        "en",
        [("scholz", "SCHOLZ", "surname-after-full"), ("scholz", "Olaf Scholz", "alias")],
    ),
    "title-surname": ("", "Mr. Sunak spoke for an hour.", "en", [("sunak", "Sunak", "title-surname")]),
    "never-in-full": (
        "",
        "It was a blow to Sunak and the Conservatives.",
        "en",
        [("sunak", "Sunak", "surname-distinctive")],
    ),
    "possessive-and-hyphens": (
        "",
        "A Meloni-backed plan and Meloni's allies; anti-Orbán protests.",
        "en",
        [
            ("meloni", "Meloni", "surname-distinctive"),
            ("meloni", "Meloni", "surname-distinctive"),
            ("orban", "Orbán", "surname-distinctive"),
        ],
    ),
    "one-slip-in-a-full-name": ("", "Giorgia Meloini won.", "en", [("meloni", "Giorgia Meloini", "fuzzy")]),
    "french-transliteration": ("", "Netanyahou a parlé.", "fr", [("netanyahu", "Netanyahou", "transliteration")]),
    "german-transliteration": (
        "",
        "Außenminister Sergej Lawrow sagte, Lawrow werde reisen.",
        "de",
        [("lavrov", "Sergej Lawrow", "transliteration"), ("lavrov", "Lawrow", "transliteration")],
    ),
    "cyrillic-case-endings": (
        "",
        "Визит Шольца в Москву. Меркель и Путин встретились, Владимиром Путиным довольны.",
        "ru",
        [
            ("scholz", "Шольца", "transliteration"),
            ("merkel", "Меркель", "transliteration"),
            ("putin", "Путин", "transliteration"),
            ("putin", "Владимиром Путиным", "transliteration"),
        ],
    ),
    "ukrainian": ("", "Команда Зеленського заявила.", "uk", [("zelensky", "Зеленського", "transliteration")]),
    "greek": ("", "Ο Μητσοτάκης είπε.", "el", [("mitsotakis", "Μητσοτάκης", "transliteration")]),
    "chinese": ("", "习近平会见了客人。", "zh", [("xi", "习近平", "transliteration")]),
    "family-first": (
        "",
        "Xi Jinping spoke. Xi said the talks went well; Pope Pius XI is history.",
        "en",
        [("xi", "Xi Jinping", "alias"), ("xi", "Xi", "surname-after-full")],
    ),
    "moon-needs-a-licence": ("", "The Moon rose over Seoul. Moon landing.", "en", []),
    "moon-with-a-title": ("", "President Moon said no.", "en", [("moon", "Moon", "title-surname")]),
    "middle-name": (
        "",
        "Joseph Robinette Biden took the oath.",
        "en",
        [("biden", "Joseph Robinette Biden", "middle-name")],
    ),
    "initial": ("", "Anthony S. Fauci testified.", "en", [("fauci", "Anthony S. Fauci", "middle-name")]),
    "relative-not-counted": ("", "Melania Trump and Trump arrived.", "en", []),
    "son-not-counted": ("", "Donald Trump Jr. spoke.", "en", []),
    "namesake-takes-the-bare-form": (
        "",
        "Dmitry Medvedev spoke. Daniil Medvedev won. Medvedev smiled.",
        "en",
        [("medvedev", "Dmitry Medvedev", "alias")],
    ),
    "building-and-administration-off": ("", "Donald Trump left Trump Tower; the Biden administration said.", "en",
                                        [("trump", "Donald Trump", "alias")]),
    "derived-word-never": ("", "Margaret Thatcher died. Thatcherism lives.", "en",
                           [("thatcher", "Margaret Thatcher", "alias")]),
    "common-word-in-german": ("", "Kurz vor Mitternacht sagte Merkel nichts.", "de", []),
    "family-override": (
        "",
        "Luiz Inácio Lula da Silva won. Lula thanked voters.",
        "pt",
        [("lula", "Luiz Inácio Lula da Silva", "alias"), ("lula", "Lula", "surname-after-full")],
    ),
    "particles": (
        "",
        "Ursula von der Leyen spoke; von der Leyen left.",
        "en",
        [("von-der-leyen", "Ursula von der Leyen", "alias"), ("von-der-leyen", "von der Leyen", "surname-after-full")],
    ),
    "county-and-namesake": ("", "The Harris County sheriff and Tobias Harris; Harris scored.", "en", []),
    "two-surnames": (
        "",
        "El presidente López Obrador dijo que Obrador no.",
        "es",
        [("amlo", "López Obrador", "alias"), ("amlo", "Obrador", "surname-after-full")],
    ),
    "arabic-article": (
        "",
        "Egypt's President el-Sisi met aides. Sisi said.",
        "en",
        [("sisi", "el-Sisi", "title-surname"), ("sisi", "Sisi", "surname-after-full")],
    ),
    "email-is-no-mention": ("", "Write to olaf.scholz@example.org or see scholz.example.org.", "en", []),
    "an-acronym-needs-the-person": ("", "Lisez les articles de AOC.", "fr", []),
    "an-acronym-with-the-person": ("", "Rep. AOC voted no; AOC said why.", "en", [("aoc", "AOC", "alias")] * 2),
}


@pytest.mark.parametrize(("title", "body", "language", "want"), CASES.values(), ids=CASES.keys())
def test_derived_rules(plain, title, body, language, want):
    got = [(m.entity_id, m.matched, m.rule) for m in plain.find(title, body, language) if m.kind == "person"]
    assert got == want


def test_named_after_is_a_switch(switched):
    got = [
        (m.entity_id, m.matched, m.rule)
        for m in switched.find("", "Donald Trump left Trump Tower; the Biden administration said.", "en")
    ]
    assert got == [
        ("trump", "Donald Trump", "alias"),
        ("trump", "Trump", "named-after"),
        ("biden", "Biden", "named-after"),
    ]


@pytest.mark.parametrize(
    ("full", "given", "family"),
    [
        ("Angela Merkel", "Angela", "Merkel"),
        ("Xi Jinping", "Jinping", "Xi"),
        ("Moon Jae-in", "Jae-in", "Moon"),
        ("Kim Jong Un", "Jong Un", "Kim"),
        ("Lee Anderson", "Lee", "Anderson"),
        ("Ursula von der Leyen", "Ursula", "von der Leyen"),
        ("Pope Francis", None, None),
        ("Lula", None, None),
    ],
)
def test_name_order(full, given, family):
    parts = split_name(full)
    assert parts == (None if given is None else (given, family))


def test_cross_script_keys_and_spellings():
    assert sound_key("Scholz") == sound_key("Шольц")
    assert sound_key("Trump") == sound_key("Трамп")
    assert sound_key("Biden") == sound_key("Байден")
    assert sound_key("Johnson") == sound_key("Джонсон")
    assert sound_key("Trump") != sound_key("Путин")
    assert {"lawrow", "netanjahu"} <= set(spelling_variants("Lavrov")) | set(spelling_variants("Netanyahu"))
    assert "netanyahou" in spelling_variants("Netanyahu")


def test_explain_notes_say_what_was_derived():
    person = parse_watchlist(PLAIN).people[5]  # Xi Jinping
    d = derive(person)
    assert d.family == ["Xi"] and d.family_first
    assert any("written first" in n for n in d.notes)


def test_a_name_entered_in_cyrillic_finds_its_latin_forms():
    m = Matcher(parse_watchlist('[[people]]\nid = "putin"\nname = "Владимир Путин"\n'))
    got = [(x.matched, x.rule) for x in m.find("", "Vladimir Putin spoke. Later Putin's aides left.", "en")]
    assert got == [("Vladimir Putin", "transliteration"), ("Putin", "transliteration")]
