"""Full-text search (dashboard/data/search.py): the text index gives exactly the scan's articles, on made-up edge cases
and on real pages; it follows new batches and removed files; the query language parses as documented."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard.data import dispatch, queries, search
from dashboard.data import scan as exact_scan
from dashboard.data.filters import Filters
from dashboard.data.search import Term
from dashboard.data.selection import PairKey, PointKey
from ingest.mentions.recount import recount
from ingest.mentions.watchlist import parse_watchlist
from ingest.records import Mention
from ingest.store.parquet import article_id, content_hash
from tests.conftest import build_tiny_store
from tests.ingest.mentions.test_recount import WATCHLIST
from tests.paths import SHARED_DATA

DEV_SET = SHARED_DATA / "extraction-dev"

EXTRA = [  # (title, text): accents, case, punctuation, digits, words inside words
    ("Élections à Paris", "L'ÉTÉ 2024 : les élections, enfin ! Alice Example a voté."),
    ("Ceasefire-talks resume", "The cease-fire talks (again) resumed; hostages freed... truce holds. "
                               "Truce talks envoy talks resume\n\ntalks."),
    ("Hostage truce", "A hostage truce was agreed. Hostage-truce talks: day 2. Bob Sample said so."),
    ("Straße und Maße", "Die STRASSE war voll; Ünïcode Wörter, naïve café, São Paulo 3-2. समाचारों"),
    ("Numbers", "Version 10.5.3 shipped on 2024-03-05 at 10:05, not 105. 東京 and Москва. हिन्दी समाचार, "
                "தமிழ் செய்தி, re\u0301sume\u0301, cafe\u0301 noir."),
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
    # words with combining marks (vowel signs, viramas; an accent written apart): whole words too
    "समाचार", "समाचारों", "हिन्दी", '"हिन्दी समाचार"', "सम", "செய்தி", "தமிழ்", "re\u0301sume\u0301", "sume",
    "सम*", "समा*",
    # an accent typed (NFC) or written apart (NFD, as macOS writes): the same word, either way round
    "résumé", "RÉSUMÉ", "rés*", "re\u0301s*", "cafe\u0301", "café", '"cafe\u0301 noir"', '"naïve cafe\u0301"', "caf*",
    "cafe*", "cafe", "resume",
    # punctuation and digits
    "10.5.3", "10", "2024-03", "(again)", "; hostages", "truce.", "cease-fire", "3-2", ":", "***",
    # phrases of three words: the pairs are all there, the phrase only sometimes (the positions decide);
    # a phrase over a paragraph break
    '"truce talks envoy"', '"envoy talks resume"', '"truce talks resume"', '"resume talks"',
    '"talks envoy tal*"', '"truce talks res*"', '"talks resume talks"', '"truce truce"', '"truce talks zz*"',
    # two words in the title only; the title's last word and the text's first are not a phrase
    '"ceasefire talks"', '"talks resume"', '"resume the"', '"paris l"',
    # no hits
    "zzzqx", "talks zzzqx", '"hostage zzz truce"', "xyz-abc",
]


# the EXTRA articles' times, languages and stories: day and week edges to the microsecond, one undated,
# one without a language, one syndicated copy (not the first of its story)
EDGES = [
    (datetime(2024, 3, 10, 23, 59, 59, 999_999, tzinfo=UTC), "en"),  # a Sunday's last microsecond
    (datetime(2024, 3, 11, 0, 0, tzinfo=UTC), None),  # Monday 00:00, no language
    (None, "en"),  # undated: in no timeline or drill-down
    (datetime(2024, 3, 31, 23, 59, 59, tzinfo=UTC), "fr"),  # last second of the month
    (datetime(2024, 3, 14, 9, tzinfo=UTC), "en"),
]


def _add_extra(tiny) -> None:
    a = tiny.articles[0]
    arts = []
    for n, (title, text) in enumerate(EXTRA):
        url = f"https://news.example/extra-{n}"
        ment = (Mention("alice-example", "person", "body", 0, 1, "A"),) if n % 2 == 0 else ()
        if n == 4:  # two people and a topic, one of them twice
            ment = (Mention("bob-sample", "person", "body", 0, 1, "B"), Mention("carol-test", "person", "title", 0, 1, "C"),
                    Mention("bob-sample", "person", "title", 2, 3, "B"), Mention("ceasefire", "topic", "body", 4, 5, "c"))
        when, lang = EDGES[n]
        arts.append(replace(a, id=article_id(url), url=url, title=title, text=text, content_hash=content_hash(text),
                            published_at=when, language=lang, story_id=arts[0].id if n == 3 else None,
                            source=a.source if n % 2 else "Example Post", mentions=ment))
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
    for q in ("समाचार", "समाचारों", "செய்தி", "re\u0301sume\u0301"):  # one article each: a vowel sign or a virama
        assert len(_answers(scan, q)[1]) == 1 == len(_answers(con, q)[1]), q  # is part of its word, not a break
    assert _answers(scan, "सम")[1] == [] == _answers(con, "sume")[1]
    assert len(_answers(scan, "सम*")[1]) == 2  # a vowel sign after a prefix ends nothing
    # "café" typed, in one article; "cafe\u0301" written apart, in another: each spelling finds both
    for q in ("café", "cafe\u0301", "caf*", "résumé", "re\u0301sume\u0301", "rés*"):
        want = 1 + q.startswith("caf")
        assert len(_answers(scan, q)[1]) == want == len(_answers(con, q)[1]), q
    for q in ("cafe*", "cafe"):  # a prefix or a word that stops before an accent is another word
        assert _answers(scan, q)[1] == [] == _answers(con, q)[1], q
    assert len(_answers(scan, "ÉLECTIONS")[1]) == 1
    assert _answers(scan, "***")[1] == _answers(scan, "")[1]  # nothing searchable: no filter
    # each pair of "truce talks resume" is in the text, the phrase is not: the index must compare positions
    assert len(_answers(scan, '"truce talks envoy"')[1]) == 1 and _answers(scan, '"truce talks resume"')[1] == []
    # a two-word phrase is one term of the pairs field (its speed at a million articles: docs/benchmarks.md)
    ti = search.ready(con)
    assert ti._searcher.doc_freq("pairs", "hostage_truce") >= 1 and len(ti.alternatives(Term(("hostage", "truce")))) == 1
    in_title = article_id("https://news.example/extra-1")  # "Ceasefire-talks resume" / "The cease-fire talks ..."
    assert in_title in _answers(scan, '"ceasefire talks"')[1] and _answers(scan, '"resume the"')[1] == []


def test_phrases_ending_in_a_prefix_with_many_endings_match_the_scan(tmp_path, monkeypatch):
    """Past 256 endings in the pairs' dictionary, "a b c*" compares positions with the prefix expanded instead."""
    tiny = build_tiny_store(tmp_path / "store")
    _add_extra(tiny)
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb")
    assert search.wait(con, 60)
    scan = queries.connect(tiny.root)
    monkeypatch.setattr(search.TextIndex, "_pair_ends", lambda self, word, prefix, most=256: None)
    prefix_phrases = [q for q in QUERIES if q.endswith('*"') and q.count(" ") >= 2]
    assert len(prefix_phrases) >= 3
    for q in prefix_phrases:
        _same(_answers(con, q), _answers(scan, q), q)


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
    ("हिन्दी समाचारों", (Term(("हिन्दी",)), Term(("समाचारों",)))),  # vowel signs and viramas inside words
    ("Re\u0301sume\u0301 cafe\u0301*", (Term(("résumé",)), Term(("café",), prefix=True))),  # read in NFC
    ("தமிழ் செய்தி*", (Term(("தமிழ்",)), Term(("செய்தி",), prefix=True))),
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
    toks = [search._tokens(t) for _, t in pages[::13]]
    three = [" ".join(t[i:i + 3]) for t in toks for i in (7, 70)]  # all there
    gapped = [" ".join(t[i:i + 2] + t[i + 3:i + 4]) for t in toks for i in (9, 90)]  # mostly not: a word left out
    queries_ = (words + [w[:3] + "*" for w in words[::5]] + [f'"{p}"' for p in two + three + gapped if " " in p]
                + [f'"{p[:-1]}*"' for p in three[::3] if p.count(" ") == 2]
                + [f'"{p[:-2]}*"' for p in two[::2] if " " in p and len(p.rsplit(" ", 1)[1]) > 2])
    assert len(queries_) > 250
    for q in queries_:
        terms = search.parse(q)
        if not terms:
            continue
        params: dict = {}
        want = {r[0] for r in con.execute(f"SELECT {search.KEY_SQL.format(col='t.id')} FROM articles_raw t"
                                          f" WHERE {exact_scan.condition(terms, params)}", params).fetchall()}
        assert set(ti.keys(terms).tolist()) == want, q


FILTERS = [  # every filter the text index answers itself (dashboard/data/facets.py), each bucket size
    Filters(people=("alice-example", "bob-sample", "carol-test"), topics=("ceasefire",)),
    Filters(people=("alice-example", "bob-sample"), bucket="day", preset="custom",
            start=datetime(2024, 2, 1).date(), end=datetime(2024, 3, 10).date()),
    Filters(people=("bob-sample", "carol-test"), topics=("elections",), bucket="month",
            sources=("Daily Fiction", "Example Post")),
    Filters(people=("alice-example",), topics=("ceasefire",), languages=("fr", "")),
    Filters(people=("alice-example", "bob-sample", "carol-test"), unique=True, preset="custom",
            start=datetime(2024, 3, 11).date()),
    Filters(people=("alice-example", "bob-sample", "carol-test"), topics=("ceasefire",), fetched=True),
]
SEARCHES = ["the", "talks", '"officials in"', "host*", "zzzqx", "Geneva talks"]


def _all_answers(con, f: Filters) -> list:
    tl = queries.timeline_counts(con, f).sort_values(["bucket", "kind", "entity_id"], ignore_index=True)
    out = [tl, queries.count_articles(con, f, selected=True), queries.count_articles(con, f, selected=False),
           queries.top_sources(con, f), queries.co_mentions(con, f), queries.co_mentions(con, f.with_(people=()), n=2),
           queries.entity_totals(con, f), queries.period_article_ids(con, f, 4, selected=True),
           queries.period_article_ids(con, f, 4, selected=False),
           queries.entity_article_ids(con, f, "person", "alice-example", date(2024, 3, 1), date(2024, 3, 21), 3)]
    points = [PointKey(r.kind, r.entity_id, pd.Timestamp(r.bucket).date()) for r in tl.itertuples()]
    for sel in (points[:1], points[-3:]):  # one point, and a box of several
        if sel:
            out.append(queries.drilldown(con, f, sel, limit=3, offset=1))
            out.append(queries.drilldown(con, f, sel, sort="mentions", descending=False))
    pairs = queries.co_mentions(con, f.with_(people=()))
    if len(pairs):
        keys = [PairKey(r.a, r.b) for r in pairs.itertuples()][:2]
        out.append(queries.drilldown(con, f, pairs=keys, limit=5))
    return out


def test_search_aggregates_in_the_index_match_the_scan_under_every_filter(tmp_path):
    """Timeline, counts, top sources, co-mentions and drill-downs under a search: index and scan agree."""
    tiny = build_tiny_store(tmp_path / "store")
    _add_extra(tiny)
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb")
    assert search.wait(con, 60)
    scan = queries.connect(tiny.root)
    seen = 0
    for f in FILTERS:
        for q in SEARCHES:
            got, want = _all_answers(con, f.with_(search=q)), _all_answers(scan, f.with_(search=q))
            _same(got, want, f"{q} {f}")
            seen += len(want[0])
    assert seen > 100  # the comparisons see real timelines, not empty frames
    # a search that changes who the most-mentioned people are: the matrix is over the search's top people
    store_top = set(queries.co_mentions(scan, Filters(), n=2)[["a", "b"]].iloc[0])
    moved = 0
    for q in ("carol", "bob", "alice", "Geneva"):
        got, want = queries.co_mentions(con, Filters(search=q), n=2), queries.co_mentions(scan, Filters(search=q), n=2)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=q)
        moved += len(want) and set(want[["a", "b"]].iloc[0]) != store_top
    assert moved
    # pages in time order with ties (the index orders by time, the list by time then id); pairs without a search
    a = tiny.articles[0]
    same_time = [replace(a, id=article_id(f"https://news.example/tie-{i}"), url=f"https://news.example/tie-{i}",
                         published_at=datetime(2024, 3, 20, 12, 0, tzinfo=UTC), story_id=None,
                         mentions=(Mention("alice-example", "person", "body", 0, 1, "A"),
                                   Mention("bob-sample", "person", "body", 2, 3, "B")) * (1 + i % 2))
                 for i in range(7)]
    with tiny.store.writer() as w:
        w.write_batch(same_time)
    con = queries.connect(tiny.root, index_path=tmp_path / "idx.duckdb")
    assert search.wait(con, 60)
    scan = queries.connect(tiny.root)
    for f in (Filters(people=("alice-example",)), Filters(people=("alice-example",), search="the")):
        point = [PointKey("person", "alice-example", datetime(2024, 3, 18).date())]
        pair = [PairKey("alice-example", "bob-sample")]
        for off in range(0, 14, 3):
            for desc in (True, False):
                for sel in ({"points": point}, {"pairs": pair}):
                    args = dict(sel, limit=3, offset=off, descending=desc)
                    got, want = queries.drilldown(con, f, **args), queries.drilldown(scan, f, **args)
                    pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"{f} {args}")
        for n in (1, 3, 8):  # the newest articles, cut inside the seven of the same time
            assert queries.period_article_ids(con, f, n, True) == queries.period_article_ids(scan, f, n, True)
            assert queries.entity_article_ids(con, f, "person", "alice-example", date(2024, 3, 18), date(2024, 3, 21),
                                              n) == queries.entity_article_ids(scan, f, "person", "alice-example",
                                                                               date(2024, 3, 18), date(2024, 3, 21), n)


RECOUNT_WATCHLIST = WATCHLIST + '\n[[topics]]\nid = "talks"\nlabel = "Talks"\nany = ["talks"]\n'  # carol-test gone


def test_after_a_recount_a_search_takes_the_previous_index_keys_never_its_counts(tmp_path, monkeypatch):
    """While the text index re-indexes after a recount, the one used before gives the search's keys (its text and
    the articles' fields are still right) and DuckDB counts the new mention rows: the same answers as the scan."""
    tiny = build_tiny_store(tmp_path / "store")
    _add_extra(tiny)
    index = tmp_path / "idx.duckdb"
    con = queries.connect(tiny.root, index_path=index)
    assert search.wait(con, 60)
    f = FILTERS[0].with_(topics=("ceasefire", "talks"))
    before = [_all_answers(con, f.with_(search=q)) for q in SEARCHES]
    recount(tiny.root, parse_watchlist(RECOUNT_WATCHLIST), processes=0)  # carol-test gone, topic "talks" new

    def pending(index_path, files, mentions=None, wait=False):  # the re-index never finishes during the test
        ti = search.TextIndex(search.text_index_dir(index_path))
        search._INDEXES[str(Path(index_path).resolve())] = ti
        return ti

    def no_scan(*args, **kwargs):
        raise AssertionError("the text was scanned")

    monkeypatch.setattr(search, "start", pending)
    con = queries.connect(tiny.root, index_path=index)
    assert search.status(con) == "building" and search.ready(con) is None
    assert "previous index" in dispatch.status_line(con, "talks")
    scan = queries.connect(tiny.root)
    assert "full scan" in dispatch.status_line(scan, "talks") and dispatch.status_line(con, " ") is None
    changed = 0
    for q, old in zip(SEARCHES, before, strict=True):
        want = _all_answers(scan, f.with_(search=q))
        with monkeypatch.context() as m:
            m.setattr(exact_scan, "condition", no_scan)
            got = _all_answers(con, f.with_(search=q))
        _same(got, want, q)
        changed += any(not (x.equals(y) if isinstance(x, pd.DataFrame) else x == y)
                       for x, y in zip(old, want, strict=False))
    assert changed >= 4  # the recount changed the answers: stale counts would have shown
    # a new batch besides: the index used before lacks its articles, so a search scans until the re-index is done
    a = tiny.articles[0]
    with tiny.store.writer() as w:
        w.write_batch([replace(a, id=article_id("https://news.example/late"), url="https://news.example/late")])
    con = queries.connect(tiny.root, index_path=index)
    assert "full scan" in dispatch.status_line(con, "talks")
    with monkeypatch.context() as m:
        m.setattr(exact_scan, "condition", no_scan)
        with pytest.raises(AssertionError, match="scanned"):
            queries.timeline_counts(con, f.with_(search="talks"))
    got, want = (queries.timeline_counts(c, f.with_(search="talks")).sort_values(["bucket", "kind", "entity_id"],
                                                                                 ignore_index=True) for c in (con, scan))
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
