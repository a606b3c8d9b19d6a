"""Full-text search (dashboard/search.py): the text index gives exactly the scan's articles, on made-up edge cases
and on real pages; it follows new batches and removed files; the query language parses as documented."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries, search
from dashboard.filters import Filters
from dashboard.search import Term
from dashboard.selection import PointKey
from ingest.records import Mention
from ingest.store import article_id, content_hash
from tests.conftest import build_tiny_store

DEV_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "extraction-dev"

EXTRA = [  # (title, text): accents, case, punctuation, digits, words inside words
    ("Élections à Paris", "L'ÉTÉ 2024 : les élections, enfin ! Alice Example a voté."),
    ("Ceasefire-talks resume", "The cease-fire talks (again) resumed; hostages freed... truce holds."),
    ("Hostage truce", "A hostage truce was agreed. Hostage-truce talks: day 2. Bob Sample said so."),
    ("Straße und Maße", "Die STRASSE war voll; Ünïcode Wörter, naïve café, São Paulo 3-2."),
    ("Numbers", "Version 10.5.3 shipped on 2024-03-05 at 10:05, not 105. 東京 and Москва."),
]

QUERIES = [
    # whole words, several words, phrases
    "talks", "ceasefire", "hostage truce", '"hostage truce"', '"truce hostage"', "the talks on the",
    '"officials in"', "alice example", '"alice example"', "Talks TRUCE",
    # not inside words
    "alk", "host", "ruce", "stage",
    # prefixes
    "host*", "hostage*", "tal*", '"hostage tru*"', '"cease fir"*', "z*", "talks host*",
    # accents and case
    "ÉLECTIONS", "élections", "elections", "l'été", '"été 2024"', "CAFÉ", '"naïve café"', "são", "straße",
    "strasse", "москва", "東京",
    # punctuation and digits
    "10.5.3", "10", "2024-03", "(again)", "; hostages", "truce.", "cease-fire", "3-2", ":", "***",
    # no hits
    "zzzqx", "talks zzzqx", '"hostage zzz truce"', "xyz-abc",
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
    con = queries.connect(tiny.root, index_path=index)  # built from the tiny store ...
    assert search.wait(con, 60)
    con.close()
    _add_extra(tiny)  # ... then a batch arrives: the text index is extended, not rebuilt
    con = queries.connect(tiny.root, index_path=index)
    assert search.wait(con, 60) and search.status(con) == "index"
    assert search.status_line(con, "talks") is None
    scan = queries.connect(tiny.root)
    assert search.status(scan) == "scan"
    assert "full scan" in search.status_line(scan, "talks") and search.status_line(scan, " ") is None
    hits = 0
    for q in QUERIES:
        got, want = _answers(con, q), _answers(scan, q)
        _same(got, want, q)
        hits += bool(want[1])
    assert hits >= 30  # the set really exercises matches, not just empty answers
    assert _answers(scan, "elections")[1] == []  # accents count
    assert len(_answers(scan, "ÉLECTIONS")[1]) == 1
    assert _answers(scan, "***")[1] == _answers(scan, "")[1]  # nothing searchable: no filter


def test_text_index_follows_added_and_removed_files(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    before = sorted(tiny.store.articles_dir.glob("*.parquet"))
    _add_extra(tiny)
    files = sorted(tiny.store.articles_dir.glob("*.parquet"))
    assert len(files) == len(before) + 1
    ti = search.TextIndex(tmp_path / "text")
    ti.sync(files)
    everything = search.parse("the")
    n_all = len(ti.keys(everything))
    extra = search.parse("hostage")  # only in an EXTRA article ("hostages" is another word)
    assert len(ti.keys(extra)) == 1
    ti2 = search.TextIndex(tmp_path / "text")
    ti2.sync(before)  # the extra batch's file is gone (as after a compaction): its articles are deleted
    assert len(ti2.keys(extra)) == 0 and len(ti2.keys(everything)) < n_all
    ti3 = search.TextIndex(tmp_path / "text")
    ti3.sync(files)
    assert len(ti3.keys(extra)) == 1 and len(ti3.keys(everything)) == n_all  # each article once


@pytest.mark.parametrize("text, terms", [
    ("Hostage truce", (Term(("hostage",)), Term(("truce",)))),
    ('"hostage truce" talks', (Term(("hostage", "truce")), Term(("talks",)))),
    ("minist*", (Term(("minist",), prefix=True),)),
    ('"cease fir*"', (Term(("cease", "fir"), prefix=True),)),
    ("covid-19", (Term(("covid", "19")),)),
    ("ÉTÉ été", (Term(("été",)),)),
    ('"unclosed quote', (Term(("unclosed", "quote")),)),
    ("*** ; --", ()),
    ("", ()),
])
def test_parse(text, terms):
    assert search.parse(text) == terms


def _real_pages() -> list[tuple[str, str]]:
    if not (DEV_SET / "cases.jsonl").exists():
        pytest.skip(f"{DEV_SET} is absent (the shared extraction dev set)")
    out = []
    for line in (DEV_SET / "cases.jsonl").read_text().splitlines()[:120]:
        c = json.loads(line)
        html = gzip.decompress((DEV_SET / c["page"]).read_bytes())
        from lxml import html as lh

        doc = lh.fromstring(html)
        for bad in doc.xpath("//script|//style"):
            bad.drop_tree()
        out.append((c["url"], doc.text_content()))
    return out


def test_index_and_scan_agree_on_real_pages(tmp_path):
    """Raw page text in many languages and scripts: every word of a sample, as word, prefix and phrase."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pages = _real_pages()
    tbl = pa.table({"id": [f"{i:016x}" for i in range(len(pages))], "title": [u for u, _ in pages],
                    "text": [t for _, t in pages]})
    path = tmp_path / "pages.parquet"
    pq.write_table(tbl, path)
    ti = search.TextIndex(tmp_path / "text")
    ti.sync([path])
    con = duckdb.connect()
    con.execute(f"CREATE VIEW articles_raw AS SELECT * FROM read_parquet('{path}')")
    words = sorted({w for _, t in pages[::7] for w in search._tokens(t)[:400:37]})
    two = [" ".join(search._tokens(t)[i:i + 2]) for _, t in pages[::11] for i in (5, 50)]
    queries_ = words + [w[:3] + "*" for w in words[::5]] + [f'"{p}"' for p in two if " " in p]
    assert len(queries_) > 200
    for q in queries_:
        terms = search.parse(q)
        if not terms:
            continue
        params: dict = {}
        want = {r[0] for r in con.execute(f"SELECT {search.KEY_SQL.format(col='t.id')} FROM articles_raw t"
                                          f" WHERE {search.scan_condition(terms, params)}", params).fetchall()}
        assert set(ti.keys(terms).tolist()) == want, q
