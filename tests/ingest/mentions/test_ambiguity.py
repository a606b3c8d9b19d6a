"""Forms shared with someone or something else: an outlet, a namesake, an acronym, a foundation; and German compounds.

One row per capability (datasette-style table), each written from the error it fixes on real pages, in other words.
"""

from __future__ import annotations

import pytest

from ingest.mentions.words import zipf

# The watchlist the `plain` and `switched` matchers of conftest.py are built from.
PLAIN = """
[[people]]
id = "bloomberg"
name = "Michael Bloomberg"
[[people]]
id = "clinton"
name = "Hillary Clinton"
[[people]]
id = "gates"
name = "Bill Gates"
[[people]]
id = "aoc"
name = "Alexandria Ocasio-Cortez"
aliases = ["AOC"]
[[people]]
id = "amlo"
name = "Andrés Manuel López Obrador"
aliases = ["AMLO"]
[[people]]
id = "macron"
name = "Emmanuel Macron"
[[people]]
id = "sunak"
name = "Rishi Sunak"
"""


# (body, language, expected [(entity, matched, rule)])
CASES = {
    # A news outlet of the same name: not the person, and the bare name is ambiguous in that article.
    "outlet-news": ("Bloomberg News reported that Bloomberg would not run.", "en", []),
    "outlet-piece": ("In a recent Bloomberg piece, the author argued that tariffs fail.", "en", []),
    "outlet-wrote-for": ("This post is based on an article the author wrote for Bloomberg.", "en", []),
    "outlet-german-employer": ("CNN sprach mit Michael Lewis, Kolumnist bei Bloomberg und Autor.", "de", []),
    "outlet-with-the-person": (
        "Michael Bloomberg spent millions. Bloomberg News reported it; Bloomberg declined to comment.",
        "en",
        [("bloomberg", "Michael Bloomberg", "alias"), ("bloomberg", "Bloomberg", "surname-after-full")],
    ),
    "titled-beside-outlet": ("Bloomberg News reported that Mr. Bloomberg would run.", "en",
                             [("bloomberg", "Bloomberg", "title-surname")]),
    "person-not-outlet": ("Voters in Iowa barely heard of Bloomberg until March.", "en",
                          [("bloomberg", "Bloomberg", "surname-distinctive")]),
    # A namesake with a frequent given name ("Bill" is also a word) is someone else, at a sentence start too.
    "namesake-at-sentence-start": ("Bill Clinton signed the law. Clinton said it was overdue.", "en", []),
    "namesake-after": ("Clinton's plan failed, said Bill Clinton, years later.", "en", []),
    "namesake-between": (
        "Hillary Clinton ran in 2016. Bill Clinton campaigned. Clinton said little.",
        "en",
        [("clinton", "Hillary Clinton", "alias")],
    ),
    "auxiliary-is-no-given-name": ("She asked: Will Sunak resign?", "en", [("sunak", "Sunak", "surname-distinctive")]),
    # Acronyms: as written, and only where the article shows the person.
    "acronym-as-a-newspaper": ("Profitez de notre offre: accès à tous les articles d’AOC.", "fr", []),
    "acronym-said": ("AOC said she would vote no.", "en", [("aoc", "AOC", "alias")]),
    "acronym-named-elsewhere": (
        "Alexandria Ocasio-Cortez spoke first. Later AOC voted no.",
        "en",
        [("aoc", "Alexandria Ocasio-Cortez", "alias"), ("aoc", "AOC", "alias")],
    ),
    "acronym-case-exact": ("Amlo said yes.", "en", []),
    "acronym-in-a-reported-sentence": ("Analysts said AMLO wanted a deal first.", "en", [("amlo", "AMLO", "alias")]),
    "acronym-as-a-thing-in-a-reported-sentence": ("Growers said the AOC rules were strict.", "en", []),
    "acronym-four-letters": ("AMLO said yes.", "es", [("amlo", "AMLO", "alias")]),
    # A full name before an institution word names the institution.
    "full-name-foundation": ("A grant from the Bill Gates Foundation paid for it.", "en", []),
    # German: a hyphenated compound that needs a person shows one, where a capital does not.
    "german-compound-adviser": (
        "Ein Macron-Berater sagt nur, man habe nie Illusionen gehabt.",
        "de",
        [("macron", "Macron", "surname-distinctive")],
    ),
    "german-compound-party": ("Ein Abgeordneter der Macron-Partei sprach.", "de",
                              [("macron", "Macron", "surname-distinctive")]),
    "german-no-compound": ("Das sagte Macron nicht.", "de", []),
}


@pytest.mark.parametrize(("body", "language", "want"), CASES.values(), ids=CASES.keys())
def test_shared_forms(plain, body, language, want):
    got = [(m.entity_id, m.matched, m.rule) for m in plain.find("", body, language) if m.kind == "person"]
    assert got == want


def test_full_name_foundation_counts_with_named_after(switched):
    got = [(m.entity_id, m.matched, m.rule) for m in switched.find("", "The Bill Gates Foundation gave.", "en")]
    assert got == [("gates", "Bill Gates", "named-after")]


def test_german_institution_compound_counts_with_named_after(plain, switched):
    body = "Eingeladen vom Weltwirtschaftsforum und der Gates-Stiftung spielten sie ein Szenario durch."
    assert [(m.entity_id, m.rule) for m in switched.find("", body, "de")] == [("gates", "named-after")]
    assert plain.find("", body, "de") == []


def test_chinese_and_japanese_frequencies_do_not_fail():
    """wordfreq's Chinese tokenizer needs a jieba that newspaper3k's jieba3k is not: the fallbacks answer."""
    assert zipf("sunak", "zh") < 3.3
    assert zipf("sunak", "ja") < 3.3


def test_a_latin_name_in_a_chinese_article(plain):
    got = [(m.entity_id, m.matched) for m in plain.find("", "英国首相 Sunak 周二表示，他将访问北京。", "zh")]
    assert got == [("sunak", "Sunak")]
