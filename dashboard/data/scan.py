"""The exact scan behind a full-text search: the SQL condition that defines what a search matches.

Takes the terms of a search (`search.parse`); gives a condition over `articles_raw` (regular expressions on the
lower-cased title and text, after a substring pre-filter), true exactly when every term matches. The text index
(dashboard/data/search.py) answers the same question fast; tests/dashboard/data/test_search.py checks the two
agree. Texts are read as the pages wrote them (NFC-normalising every text in DuckDB made a scan 10x slower), so
each word is looked for in NFC and in NFD, and a prefix does not end before a mark NFC would join to its last letter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from dashboard.data.search import WORD_CLASS, Term
from ingest.mentions.compose import joins_back


def condition(terms: tuple[Term, ...], params: dict, alias: str = "t") -> str:
    """SQL true for a row of `articles_raw` (as `alias`) exactly when every term matches its title or text."""
    conds = []
    for i, t in enumerate(terms):
        gap = f"[^{WORD_CLASS}]+"
        pattern = f"(^|[^{WORD_CLASS}])" + gap.join(map(_either_form, t.words))
        # a whole word ends before a non-word character; a prefix anywhere but before a mark that NFC joins to
        # its last letter ("cafe*" is not the start of "café", whichever way it is written)
        if not t.prefix:
            pattern += f"([^{WORD_CLASS}]|$)"
        elif joining := _joining_marks(t.words[-1][-1]):
            pattern += f"([^{joining}]|$)"
        params[f"sre{i}"] = pattern
        # the plain substring test is a cheap pre-filter: every match contains the term's longest word, in NFC
        # or in NFD (the texts are searched as the pages wrote them: normalising every text took 10x the scan)
        longest = max(t.words, key=len)
        lits = []
        for j, form in enumerate(dict.fromkeys((longest, unicodedata.normalize("NFD", longest)))):
            params[f"slit{i}_{j}"] = form
            lits.append(f"contains(lower({alias}.{{c}}), $slit{i}_{j})")
        pre = " OR ".join(lits)
        one = [f"(({pre.format(c=c)}) AND regexp_matches(lower({alias}.{c}), $sre{i}))" for c in ("title", "text")]
        conds.append("(" + " OR ".join(one) + ")")
    return " AND ".join(conds) or "true"


@lru_cache(maxsize=1024)
def _joining_marks(letter: str) -> str:
    """The combining marks that NFC joins to `letter` (e + U+0301 is é), as the body of an RE2 character class."""
    return "".join(f"\\x{{{ord(m):X}}}" for m in _joiners() if len(unicodedata.normalize("NFC", letter + m)) == 1)


@lru_cache(maxsize=1)
def _joiners() -> list[str]:
    """Every character NFC may join to the one before it (the matcher's own test: ingest/mentions/compose.py)."""
    return [chr(c) for c in (*range(0x20000), *range(0xE0000, 0xE1000)) if joins_back(chr(c))]


def _either_form(word: str) -> str:
    """A regular expression for `word` (NFC) written composed or decomposed (NFD)."""
    nfd = unicodedata.normalize("NFD", word)
    return re.escape(word) if nfd == word else f"(?:{re.escape(word)}|{re.escape(nfd)})"
