"""An entity's own forms (dashboard/ownforms.py), left out of "Why the spike?" and "Top co-occurring terms".

The lists were led by the person's own name: "trump's", "trump's office", "macron's", "french president". The
tables below are what the packaged watchlist's entries must leave out, and what they must keep.
"""

from collections import Counter

import pytest

from dashboard import explain
from dashboard.data.names import load_names
from dashboard.ownforms import OwnForms, own_forms

NAMES = load_names(None)  # the packaged watchlist: names, aliases, short forms, roles, titles


def forms(*ids: str) -> OwnForms:
    return own_forms(NAMES.forms, NAMES.titles, [("person", i) for i in ids])


@pytest.mark.parametrize(("who", "term"), [
    ("trump", "trump"), ("trump", "trump's"), ("trump", "trump’s"), ("trump", "trump's office"),
    ("trump", "donald"), ("trump", "pro-trump"), ("trump", "trump-era"), ("trump", "trumpism"),
    ("trump", "trumpist"), ("trump", "president"), ("trump", "president trump"), ("trump", "american president"),
    ("trump", "states president"), ("macron", "macron's"), ("macron", "french president"),
    ("macron", "president france"), ("macron", "macronist"), ("putin", "russian president"),
    ("putin", "putin's war"), ("carney", "canadian prime"), ("carney", "prime minister"),
    ("netanyahu", "israeli prime"), ("netanyahu", "netanyahu's government"),
])
def test_own_forms_are_left_out(who, term):
    assert forms(who).covers(term)


@pytest.mark.parametrize(("who", "term"), [
    ("trump", "united states"), ("trump", "white house"), ("trump", "tariffs"), ("trump", "french"),
    ("trump", "states"), ("macron", "france"), ("macron", "french"), ("macron", "paris"),
    ("carney", "market"), ("carney", "marked"),  # "Mark" is a first name: no derived forms from it
    ("carney", "minister"[:0] + "ministry"), ("putin", "ukraine"), ("putin", "kremlin"),
    ("netanyahu", "gaza ceasefire"), ("trump", "presidential election"),
])
def test_other_terms_stay(who, term):
    assert not forms(who).covers(term)


def test_an_entity_without_a_watchlist_entry_leaves_out_its_id_and_topics_their_phrases():
    o = own_forms({}, {}, [("person", "jane-roe")])
    assert o.covers("jane") and o.covers("roe's") and not o.covers("jury")
    topic = next(k for k in NAMES.forms if k[0] == "topic")
    phrase = NAMES.forms[topic][-1].lower()
    assert own_forms(NAMES.forms, NAMES.titles, [topic]).covers(explain.tokens(phrase)[0])


def test_why_the_spike_lists_no_own_form():
    """The statistics with the own forms left out: the person's possessive, office and title were the top terms."""
    target = Counter({"trump's": 400, "trump's office": 300, "president": 250, "american president": 120,
                      "tariffs": 200, "steel tariffs": 90, "trumpism": 80, "weather": 300})
    baseline = Counter({"trump's": 100, "president": 100, "tariffs": 20, "weather": 3000})
    terms = explain.over_represented(target, baseline, exclude=forms("trump"))
    assert list(terms["term"]) == ["tariffs", "steel tariffs"]
    plain = explain.over_represented(target, baseline)
    assert "trump's" in set(plain["term"])  # without them they lead, as the issue saw
