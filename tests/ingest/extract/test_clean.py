"""Furniture rules (a parametrized table) and the pasted-text cleaner."""

from __future__ import annotations

import json

import pytest

from ingest.extract.boilerplate import learn_boilerplate
from ingest.extract.clean import clean_paragraphs, clean_text
from ingest.extract.furniture import furniture_kind, is_related_heading
from tests.paths import SHARED_DATA

SEED = SHARED_DATA / "seed"
needs_seed = pytest.mark.skipif(not (SEED / "page-text-dump.txt").exists(),
                                reason=f"shared seed data not found at {SEED} (../shared/data from the repo root)")

FURNITURE = [
    ("Vladimir Putin and Palestinian President Mahmoud Abbas. Alexei Maishev / POOL / TASS", "caption"),
    ("Ukrainian soldiers near Bakhmut. Libkos / AP", "caption"),
    ("Photo: Reuters", "caption"),
    ("(Bild: Dieter Stork)", "caption"),
    ("Titelbild: Geyres Christophe/ABACA/picture-alliance", "caption"),
    ("© Oli Scarff/Getty Images", "caption"),
    ("Marco Odermatt, Ski-Star aus der Schweiz. © AFP / MARCO BERTORELLO", "caption"),
    ("Crédits photos : Bestimage", "caption"),
    ("Share on X", "share"),
    ("Facebook Twitter WhatsApp E-Mail", "share"),
    ("Follow The Gleaner on Twitter and Instagram @JamaicaGleaner", "share"),
    ("To view the full story, please subscribe to The Haitian Times.", "paywall"),
    ("Subscribe now to our eNATION edition for the full story.", "paywall"),
    ("Pour lire la suite", "paywall"),
    ("Sie sind aktuell nicht eingeloggt.", "paywall"),
    ("Sign up to get the best content of the week, and great gaming deals, as picked by the editors.", "newsletter"),
    ("Abonnieren Sie jetzt den Themen-Newsletter «Wohnen».", "newsletter"),
    ("We use cookies to improve your experience. By continuing you accept our cookie policy.", "cookie"),
    ("Klicken Sie auf den unteren Button, um den Inhalt von www.komoot.de zu laden.", "cookie"),
    ("Enjoying ad-free content?", "donation"),
    ("Your support, no matter how small, makes a world of difference.", "donation"),
    ("If you enjoyed reading this post – would you consider supporting our work? Just click here. Thanks!", "donation"),
    ("A Message from The Moscow Times:", "donation"),
    ("Read more", "readmore"),
    ("Read more: Looted colonial art: Germany to set up new contact office", "readmore"),
    ("Lesen Sie auch die folgenden Beiträge:", "readmore"),
    ("LE PUEDE INTERESAR: La ficha de Juan Orlando Hernández en el MDC de Nueva York", "readmore"),
    ("Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)", "comments"),
    ("Letzte Änderung 14.02.2019", "metadata"),
    ("*Werbung. Dieser Beitrag enthält Werbung für MYMARINI.", "metadata"),
    ("© 2024 The Moscow Times, all rights reserved.", "legal"),
    ("Privacy policy", "legal"),
]

BODY = [
    "Russian President Vladimir Putin reiterated his calls for Palestinian statehood in a meeting with "
    "Palestinian National Authority President Mahmoud Abbas on Tuesday.",
    "On hand to present the supplies is Atlantis Veterinarian Dr. Amanda Pinder who expressed excitement to be "
    "able to donate to the shelter.",
    "The company said it would share more details about the merger next week.",
    "Subscriptions to the streaming service rose by 12 percent in the quarter, the company said on Tuesday, "
    "beating the forecasts of analysts who had expected the price increase to drive customers away.",
    "Last month, the Kremlin “strongly condemned” the killing of Hamas leader Ismail Haniiyeh by an Israeli "
    "strike in Iran.",
    "Die Bürgermeisterin sagte, die Straßen würden im Frühjahr erneuert.",
    "Photographers gathered outside the court before the verdict.",
    "AFP contributed reporting.",
    "He said the newsletter he founded in 1998 had grown into the largest independent publication in the "
    "region, with more than 40,000 readers who pay for it every year, and that it would stay independent.",
]


@pytest.mark.parametrize("text,kind", FURNITURE)
def test_furniture_is_recognised(text, kind):
    assert furniture_kind(text) == kind


@pytest.mark.parametrize("text", BODY)
def test_body_is_not_furniture(text):
    assert furniture_kind(text) is None


def test_long_paragraphs_are_never_furniture():
    long = "We use cookies, the baker said, " + "and flour and butter and sugar, " * 20
    assert furniture_kind(long) is None


def test_related_heading():
    assert is_related_heading("Lesen Sie auch:")
    assert not is_related_heading("Read more about the plan in our report on the budget.")


def test_clean_paragraphs_keeps_order_and_applies_boilerplate():
    pages = ["\n\n".join([f"Body {i} of a story about the council and the budget of the town.", "Sponsored by Acme"])
             for i in range(10)]
    bp = learn_boilerplate(pages)
    assert clean_paragraphs(["First paragraph here.", "Photo: AP", "Second one.", "Sponsored by Acme"], bp) == [
        "First paragraph here.", "Second one."]


@needs_seed
def test_text_dump_cleans_to_the_seed_body():
    expected = json.loads((SEED / "expected.json").read_text(encoding="utf-8"))
    text = clean_text((SEED / "page-text-dump.txt").read_text(encoding="utf-8"))
    paragraphs = text.split("\n\n")
    positions = []
    for snippet in expected["body_paragraphs_in_order"]:
        hits = [i for i, p in enumerate(paragraphs) if snippet in p]
        assert hits, snippet
        positions.append(hits[0])
    assert positions == sorted(positions)
    for snippet in expected["must_not_contain"]:
        assert snippet not in text, snippet
    assert not text.startswith(expected["title"])


@needs_seed
def test_text_dump_equals_html_extraction():
    from ingest.extract.article import extract_article

    html = extract_article((SEED / "article.html").read_bytes(),
                           "https://www.themoscowtimes.com/2024/08/13/putin-calls-for-full-fledged-state-of-palestine-in-talks-with-abbas-a86021")
    assert clean_text((SEED / "page-text-dump.txt").read_text(encoding="utf-8")) == html.text


def test_clean_text_without_prose_is_empty():
    assert clean_text("Home\nNews\nSport\nWeather\nRead more\nPrivacy policy") == ""
    assert clean_text("") == ""


def test_clean_text_stops_at_end_marker_and_keeps_subheadings():
    dump = "\n".join([
        "Menu", "Search", "Council approves the harbour plan",
        "The city council voted on Tuesday to approve the long-debated harbour plan, which includes housing and a park.",
        "",
        "Opponents said the housing would be too expensive for the families who live in the district today.",
        "What happens next",
        "The plan now goes to the regional government, which has the final say on the money for the park.",
        "Related",
        "Why the harbour matters to the city and to the people who have lived beside it for generations.",
        "Comments",
    ])
    out = clean_text(dump).split("\n\n")
    assert out[0].startswith("The city council voted")
    assert "What happens next" in out
    assert out[-1].startswith("The plan now goes")
