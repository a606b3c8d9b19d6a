"""The text index answers a full-text search exactly as the scan of the text does (dashboard/textindex.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd

from dashboard import queries, textindex
from dashboard.filters import Filters
from dashboard.selection import PointKey
from ingest.records import Mention
from ingest.store import article_id, content_hash
from tests.conftest import build_tiny_store

EXTRA = [  # (title, text): accents, case, punctuation, digits, words inside words
    ("Élections à Paris", "L'ÉTÉ 2024 : les élections, enfin ! Alice Example a voté."),
    ("Ceasefire-talks resume", "The cease-fire talks (again) resumed; hostages freed... truce holds."),
    ("Hostage truce", "A hostage truce was agreed. Hostage-truce talks: day 2. Bob Sample said so."),
    ("Straße und Maße", "Die STRASSE war voll; Ünïcode Wörter, naïve café, São Paulo 3-2."),
    ("Numbers", "Version 10.5.3 shipped on 2024-03-05 at 10:05, not 105."),
]

QUERIES = [
    # whole words and phrases
    "talks", "ceasefire", "hostage truce", "the talks on the", "officials in", "alice example",
    # partial words, inside and across words
    "alk", "host", "stage tru", "age truce was", "ruce", "e t", "ks o", "fire-ta", "s: d",
    # accents and case
    "ÉLECTIONS", "élect", "l'été", "été 2024", "CAFÉ", "naïve café", "são", "straße", "ünïcode wö",
    # punctuation and digits
    "10.5.3", "0.5", "2024-03", "(again)", "again)", "; hostages", "truce.", ", enfin !", "3-2", ":",
    # no hits
    "zzzqx", "talks zzzqx", "hostage zzz truce", "xyz-abc",
]


def _add_extra(tiny) -> None:
    a = tiny.articles[0]
    arts = []
    for n, (title, text) in enumerate(EXTRA):
        url = f"https://news.example/extra-{n}"
        ment = (Mention("alice-example", "person", "body", 0, 1, "A"),) if n % 2 == 0 else ()
        arts.append(replace(a, id=article_id(url), url=url, title=title, text=text, content_hash=content_hash(text),
                            published_at=datetime(2024, 3, 10 + n, 9, tzinfo=UTC), story_id=None, mentions=ment))
    with tiny.store.writer() as w:
        w.write_batch(arts)


def _answers(con, q: str) -> list:
    f = Filters(people=("alice-example", "bob-sample", "carol-test"), topics=("ceasefire",), search=q)
    tl = queries.timeline_counts(con, f).sort_values(["bucket", "kind", "entity_id"], ignore_index=True)
    ids = sorted(queries.period_article_ids(con, f, limit=10_000, selected=False))
    out = [tl, ids, queries.count_articles(con, f, selected=True)]
    if len(tl):
        top = tl.sort_values(["articles", "entity_id"]).iloc[-1]
        point = PointKey(top["kind"], top["entity_id"], pd.Timestamp(top["bucket"]).date())
        out.append(queries.drilldown(con, f, [point])[["id", "mentions"]].sort_values("id", ignore_index=True))
    return out


def _same(a: list, b: list, q: str) -> None:
    assert len(a) == len(b), q
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_dtype=False, obj=q)
        else:
            assert x == y, q


def test_search_with_the_index_matches_the_scan(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    queries.connect(tiny.root, index_path=index).close()  # built from the tiny store ...
    _add_extra(tiny)  # ... then a batch arrives: the text index is extended, not rebuilt
    con = queries.connect(tiny.root, index_path=index)
    assert textindex.has_index(con)
    scan = queries.connect(tiny.root)
    assert not textindex.has_index(scan)
    hits = 0
    for q in QUERIES:
        got, want = _answers(con, q), _answers(scan, q)
        _same(got, want, q)
        hits += bool(want[1])
    assert hits >= len(QUERIES) - 6  # the set really exercises matches, not just empty answers
    # a fresh index (built in one go, sorted) answers the same
    fresh = queries.connect(tiny.root, index_path=tmp_path / "fresh.duckdb")
    for q in QUERIES:
        _same(_answers(fresh, q), _answers(scan, q), q)


def test_every_article_is_indexed_once(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    queries.connect(tiny.root, index_path=index).close()
    _add_extra(tiny)
    con = queries.connect(tiny.root, index_path=index)
    n, ids, docs = con.execute("SELECT count(*), count(DISTINCT id), count(DISTINCT doc) FROM text_docs").fetchone()
    assert n == ids == docs == queries.store_summary(con)["articles"]
    words = {r[0] for r in con.execute("SELECT word FROM text_words WHERE doc = (SELECT doc FROM text_docs"
                                       " WHERE id = $id)", {"id": article_id("https://news.example/extra-0")}).fetchall()}
    assert {"élections", "à", "paris", "l", "été", "2024", "les", "enfin"} <= words
    assert con.execute("SELECT count(*) FROM text_vocab").fetchone()[0] == con.execute(
        "SELECT count(DISTINCT word) FROM text_words").fetchone()[0]
