"""ingest/mentions/compose.py: a text in NFC piece by piece is the text in NFC, and every span maps back to the text as
written; the matcher finds the watchlist's people in text written with its accents apart (NFD)."""

from __future__ import annotations

import random
import unicodedata

import pytest

from ingest.mentions.compose import compose
from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import load_watchlist

# Characters NFC treats specially: accents written apart (several on one letter, out of canonical order), Hangul
# syllables and their jamo, Bengali and Tamil two-part vowel signs, an Arabic hamza apart from its seat, a Hindi nukta
# letter NFC decomposes (U+0958), singletons NFC replaces (U+212B, U+2126), a mark with nothing before it.
POOL = [
    *"aeoAEOnu ,.'-\n", "\u0301", "\u0308", "\u0323", "\u0302", "\u0327", "é", "Å", "\u212b", "\u2126",
    "이재명", "\u1100", "\u1161", "\u11a8", "\u110b\u1175", "ে", "া", "ৗ", "ொ", "ெ", "ா", "ي", "\u0654", "ئ",
    "क़", "\u0958", "\u093c", "й", "и\u0306", "\U0001d15e", "😀", "\u0345",
]


def test_pieces_in_nfc_are_the_text_in_nfc_and_map_back():
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(POOL) for _ in range(rng.randint(0, 40)))
        c = compose(text)
        assert c.text == unicodedata.normalize("NFC", text), repr(text)
        if c.starts is None:
            assert unicodedata.is_normalized("NFC", text)
            continue
        assert len(c.starts) == len(c.ends) == len(c.text)
        for i in range(len(c.text)):
            for j in range(i + 1, min(len(c.text), i + 6) + 1):
                s, e = c.original(i, j)
                assert 0 <= s < e <= len(text)
                # the original span, in NFC, holds the NFC span: a match in NFC is this slice as written
                assert c.text[i:j] in unicodedata.normalize("NFC", text[s:e]), (repr(text), i, j)


def test_every_character_nfc_joins_to_the_one_before_is_one_the_pieces_take():
    """What compose.py's pieces rest on: the second half of every canonical composition (from Unicode's own
    decompositions) is a combining mark or a Hangul vowel or final jamo."""
    from ingest.mentions.compose import joins_back

    seconds = set()
    for c in range(0x110000):
        d = unicodedata.decomposition(chr(c))
        if d and not d.startswith("<") and len(d.split()) == 2:
            seconds.add(chr(int(d.split()[1], 16)))
    seconds |= {chr(c) for c in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}  # Hangul, composed by rule
    assert len(seconds) > 100 and all(joins_back(c) for c in seconds), sorted(c for c in seconds if not joins_back(c))


def test_a_text_in_nfc_already_is_itself_and_keeps_its_offsets():
    for text in ("", "Putin met Abbas.", "Erdoğan, 이재명, Медведев"):
        c = compose(text)
        assert c.text is text and c.starts is None and c.original(0, 3) == (0, 3)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlist())


def test_the_watchlist_names_written_apart_are_found(matcher):
    """Every name or alias of the default watchlist that NFD changes (Latin accents, Cyrillic й, Hangul, Arabic
    hamza): written apart, it is found as often as typed, and the span is the NFD text's own slice."""
    wl = load_watchlist()
    names = [a for p in wl.people for a in (p.name, *p.aliases) if unicodedata.normalize("NFD", a) != a]
    assert len(names) >= 6
    for name in names:
        body = f"Yesterday {name} said the talks would go on. Later {name} met the press."
        nfd = unicodedata.normalize("NFD", body)
        want = matcher.find("", body)
        got = matcher.find("", nfd)
        assert [(m.entity_id, m.rule) for m in got] == [(m.entity_id, m.rule) for m in want], name
        assert len(want) >= 2, name
        for g in got:
            assert g.matched == nfd[g.start:g.end] and unicodedata.normalize("NFC", g.matched) in body


def test_a_watchlist_form_typed_apart_matches_text_typed_whole():
    """A watchlist entry typed on a machine that writes accents apart still counts the name as a page writes it."""
    from ingest.mentions.watchlist import parse_watchlist

    typed = unicodedata.normalize("NFD", "Recep Tayyip Erdoğan")
    wl = parse_watchlist(f'[[people]]\nid = "erdogan"\nname = "{typed}"\n')
    found = Matcher(wl).find("", "President Recep Tayyip Erdoğan spoke in Ankara.")
    assert [m.entity_id for m in found] == ["erdogan"]
