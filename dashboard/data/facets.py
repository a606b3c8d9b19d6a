"""A search's counts aggregated inside the text index: only small results cross into Python.

With a full-text search the per-day rollups cannot answer (they know no words), and handing every matching
article to DuckDB costs ~0.4 µs per article in Python objects alone: 300 ms for a word in 58% of a million
articles. So the text index (dashboard/data/search.py) also holds, per article, what the filters and the
timeline need: its UTC day, publication time, source, language, first-of-story flag, the entities its mention
rows name and how many rows each. A timeline under a search is then one tantivy aggregation per entity (a
histogram of days with the mention rows summed), a drill-down first narrows the search to the selected points
(or co-mention cells) inside tantivy and hands DuckDB only those articles' keys, and counts, top sources and
co-mentions are aggregations too: each article's pairs of people are a field of their own (`pair`), so the
matrix is one flat aggregation beside the people's counts (a terms aggregation nested in another was 2-3 times
slower), and each entity's mention rows and title mention rows are terms (`ec`: "kind:id|rows|title rows"), so
the People & topics table is one aggregation too.

Every function answers exactly as the SQL of `dashboard/data/queries.py` does on the mention rows (tests/dashboard/data/test_search.py
compares both on edge cases and real pages). The index re-indexes a batch whose mentions file changed
(a recount), so these counts never come from stale mentions; meanwhile only `search_keys` is asked of the index
used before (its articles' fields are still right: dashboard/data/dispatch.py). No streamlit here.
"""

from __future__ import annotations

import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.data import search
from dashboard.data.filters import Filters
from dashboard.data.search import Term, TextIndex, ent_key
from dashboard.data.selection import PairKey, PointKey

_EPOCH = date(1970, 1, 1)
_BIG = 1 << 20  # terms aggregation size: every source and entity, so counts are exact
# tantivy releases the GIL while it searches: one selected entity's aggregation per core at once
_POOL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="newsmon-facets")


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _query(ti: TextIndex, f: Filters, terms: tuple[Term, ...], *extra, dated: bool = False):
    """The tantivy query for the filters (dates, sources, languages, unique stories, fetch-dated), the search and
    `extra`.

    The search's title-or-body alternatives are distributed over the filters, (t1 ∧ filters) ∨ (b1 ∧ filters):
    inside an intersection a phrase is checked only on the documents the filters leave, whereas a union of
    phrases nested in the intersection checks them on every document (measured on the 1M store, a week of one
    person under "in dem": 2 ms against 110 ms). Up to 3 terms (8 alternatives); more stay nested.
    """
    import tantivy

    Q, Occur, schema = tantivy.Query, tantivy.Occur, ti._schema
    musts = []
    if f.start is not None or f.end is not None:
        lo = _day(f.start) if f.start is not None else None
        hi = _day(f.end) if f.end is not None else None
        musts.append(Q.range_query(schema, "day", tantivy.FieldType.Integer, lo, hi, use_inverted_index=True))
    elif not dated:  # (`dated`: an extra query bounds the day already; an exists query would be checked per doc)
        musts.append(Q.exists_query("day"))  # undated articles are in no timeline and no drill-down
    if f.sources:
        musts.append(Q.term_set_query(schema, "source", list(f.sources)))
    if f.languages:
        musts.append(Q.term_set_query(schema, "lang", ["=" + x for x in f.languages]))
    if f.unique:
        musts.append(Q.term_query(schema, "first", 1))
    if not f.fetched:  # leave out the articles dated by their fetch time
        musts.append(Q.term_query(schema, "fetched", 0))
    musts += [q for q in extra if q is not None]

    def all_of(qs):
        return Q.boolean_query([(Occur.Must, q) for q in qs])

    if not terms:
        q = all_of(musts)
    elif len(terms) <= 3:
        alts = [all_of([*combo, *musts]) for combo in product(*(ti.alternatives(t) for t in terms))]
        q = Q.boolean_query([(Occur.Should, a) for a in alts])
    else:
        q = all_of([ti.search_query(terms)] + musts)
    return Q.const_score_query(q, 1.0)


def search_keys(ti: TextIndex, f: Filters, terms: tuple[Term, ...]) -> np.ndarray:
    """Keys of the articles under the filters (dates, sources, languages, unique stories) and the search.

    Asks nothing of the entity fields: right also on an index whose mention counts are stale (after a recount)."""
    return ti.keys_of(_query(ti, f, terms))


_HOLDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # index -> (files asked, answer)


def holds_articles(ti: TextIndex, files: list[Path]) -> bool:
    """Whether the index holds exactly these articles files' articles, as the files are now (name, size, mtime).

    A batch's term stays in the term dictionary after its documents are deleted: only terms that still find a
    document count, and files without rows (the store's schema file) are left out on both sides."""
    import pyarrow.parquet as pq
    import tantivy

    if not all(p.exists() for p in files):
        return False
    ids = {search._file_id(p): p for p in files}
    memo = _HOLDS.get(ti)
    if memo is not None and memo[0] == ids.keys():
        return memo[1]
    want = {i for i, p in ids.items() if pq.ParquetFile(p).metadata.num_rows}
    s = ti._searcher
    have = {t.partition("|")[0] for t, _ in s.terms_with_prefix("batch", "")
            if s.search(tantivy.Query.term_query(ti._schema, "batch", t), limit=1, count=True).count}
    _HOLDS[ti] = (set(ids), have == want)
    return have == want


def _ents(ti: TextIndex, ents: list[tuple[str, str]]):
    import tantivy

    return tantivy.Query.term_set_query(ti._schema, "ent", [f"{k}:{e}" for k, e in ents])


def _selected(ti: TextIndex, f: Filters):
    return _ents(ti, list(f.entities))


def timeline_counts(ti: TextIndex, f: Filters, terms: tuple[Term, ...]) -> pd.DataFrame:
    """As `queries.timeline_counts`: per bucket and selected entity, articles and mention rows (non-zero rows).

    One aggregation per entity, run side by side (one aggregation over all of them, with a count and a sum per
    entity in each day, was ~2x slower under a broad search: every day sums every entity's field)."""
    def days(ent: tuple[str, str]) -> list[dict]:
        agg = {"d": {"histogram": {"field": "day", "interval": 1, "min_doc_count": 1},
                     "aggs": {"m": {"sum": {"field": f"mc.{ent_key(*ent)}"}}}}}
        return ti._searcher.aggregate(_query(ti, f, terms, _ents(ti, [ent])), agg)["d"]["buckets"]

    ents = list(f.entities)
    parts = []
    for (kind, eid), buckets in zip(ents, _POOL.map(days, ents) if len(ents) > 1 else map(days, ents), strict=True):
        if buckets:
            parts.append(pd.DataFrame({
                "day": np.array([b["key"] for b in buckets], np.int64),
                "kind": kind, "entity_id": eid,
                "articles": np.array([b["doc_count"] for b in buckets], np.int64),
                "mentions": np.array([b["m"]["value"] or 0 for b in buckets], np.int64),
            }))
    if not parts:
        return pd.DataFrame({"bucket": pd.Series([], dtype="datetime64[us]"), "kind": pd.Series([], dtype=str),
                             "entity_id": pd.Series([], dtype=str), "articles": pd.Series([], dtype=np.int64),
                             "mentions": pd.Series([], dtype=np.int64)})
    df = pd.concat(parts, ignore_index=True)
    days = df.pop("day").to_numpy()
    if f.bucket == "week":
        days = days - (days + 3) % 7  # 1970-01-01 was a Thursday; weeks start on Monday (DuckDB's date_trunc)
    stamps = days.astype("datetime64[D]")
    if f.bucket == "month":
        stamps = stamps.astype("datetime64[M]").astype("datetime64[D]")
    df.insert(0, "bucket", stamps.astype("datetime64[us]"))
    out = df.groupby(["bucket", "kind", "entity_id"], as_index=False, sort=True)[["articles", "mentions"]].sum()
    return out.reset_index(drop=True)


def count_articles(ti: TextIndex, f: Filters, terms: tuple[Term, ...], selected: bool) -> int:
    """As `queries.count_articles`."""
    q = _query(ti, f, terms, _selected(ti, f) if selected else None)
    return int(ti._searcher.search(q, limit=1, count=True).count)


def top_sources(ti: TextIndex, f: Filters, terms: tuple[Term, ...], n: int) -> pd.DataFrame:
    """As `queries.top_sources`: sources with the most articles mentioning a selected entity."""
    agg = {"s": {"terms": {"field": "source", "size": _BIG}}}
    res = ti._searcher.aggregate(_query(ti, f, terms, _selected(ti, f)), agg)["s"]["buckets"]
    rows = sorted(((b["key"], int(b["doc_count"])) for b in res), key=lambda r: (-r[1], r[0]))[:n]
    return pd.DataFrame({"source": pd.Series([r[0] for r in rows], dtype=str),
                         "articles": pd.Series([r[1] for r in rows], dtype=np.int64)})


def co_mentions(ti: TextIndex, f: Filters, terms: tuple[Term, ...], n: int) -> pd.DataFrame:
    """As `queries.co_mentions`: pairs among the `n` most-mentioned people (or among the selected ones).

    One aggregation: articles per person and articles per pair of people (the `pair` field), both flat; the
    pairs among the top `n` are kept. (On the 1M store under a search in 58% of the articles: 0.2 s, where
    the earlier two passes, people then a terms aggregation nested in another over the top people, took 0.38 s.)
    """
    people = [f"person:{p}" for p in f.people] if len(f.people) >= 2 else None
    q = _query(ti, f, terms, _ents(ti, [("person", p) for p in f.people]) if people else None)
    agg = {"e": {"terms": {"field": "ent", "size": _BIG, "include": people or "person:.*"}},
           "p": {"terms": {"field": "pair", "size": _BIG}}}
    res = ti._searcher.aggregate(q, agg)
    counts = {b["key"].partition(":")[2]: int(b["doc_count"]) for b in res["e"]["buckets"]}
    top = set(sorted(counts, key=lambda e: (-counts[e], e))[:n])
    rows = [(a, b, int(x["doc_count"])) for x in res["p"]["buckets"]
            for a, _, b in [x["key"].partition("\t")] if a in top and b in top]
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    return pd.DataFrame({"a": pd.Series([r[0] for r in rows], dtype=str), "b": pd.Series([r[1] for r in rows], dtype=str),
                         "articles": pd.Series([r[2] for r in rows], dtype=np.int64)})


def entity_totals(ti: TextIndex, f: Filters, terms: tuple[Term, ...]) -> pd.DataFrame:
    """As `counts.entity_totals_sql`: every entity's articles, mention rows, title mention rows and last mention
    time under the filters and the search.

    One aggregation: the `ec` terms ("kind:id|rows|title rows") give the first three, a terms aggregation of the
    entities with the newest time nested gives the last."""
    agg = {"c": {"terms": {"field": "ec", "size": _BIG}},
           "e": {"terms": {"field": "ent", "size": _BIG}, "aggs": {"t": {"max": {"field": "ts"}}}}}
    res = ti._searcher.aggregate(_query(ti, f, terms), agg)
    tot: dict[str, list[int]] = {}
    for b in res["c"]["buckets"]:
        ent, rows, titles = b["key"].rsplit("|", 2)
        t = tot.setdefault(ent, [0, 0, 0])
        n = int(b["doc_count"])
        t[0] += n
        t[1] += n * int(rows)
        t[2] += n * int(titles)
    last = {b["key"]: int(b["t"]["value"]) for b in res["e"]["buckets"]}
    keys = sorted(tot, key=lambda e: (-tot[e][0], e.partition(":")[2]))
    kinds_ids = [e.partition(":") for e in keys]
    return pd.DataFrame({
        "kind": pd.Series([k for k, _, _ in kinds_ids], dtype=str),
        "entity_id": pd.Series([i for _, _, i in kinds_ids], dtype=str),
        "articles": pd.Series([tot[e][0] for e in keys], dtype=np.int64),
        "mentions": pd.Series([tot[e][1] for e in keys], dtype=np.int64),
        "in_titles": pd.Series([tot[e][2] for e in keys], dtype=np.int64),
        "last_seen": pd.Series(np.array([last[e] for e in keys], "datetime64[us]")).dt.tz_localize("UTC"),
    })


def drill_query(
    ti: TextIndex, f: Filters, terms: tuple[Term, ...], points: list[PointKey] | None, pairs: list[PairKey] | None,
    bucket_end,
):
    """The articles behind the points (or co-mention cells) under the filters and the search, as a tantivy query."""
    import tantivy

    Q, Occur, schema = tantivy.Query, tantivy.Occur, ti._schema
    ors = []
    for p in points or []:
        last = bucket_end(p.bucket, f.bucket) - timedelta(days=1)
        ors.append(Q.boolean_query([
            (Occur.Must, _ents(ti, [(p.kind, p.entity_id)])),
            (Occur.Must, Q.range_query(schema, "day", tantivy.FieldType.Integer, _day(p.bucket), _day(last),
                                         use_inverted_index=True)),
        ]))
    for p in pairs or []:
        ors.append(Q.boolean_query([(Occur.Must, _ents(ti, [("person", p.a)])),
                                    (Occur.Must, _ents(ti, [("person", p.b)]))]))
    sel = Q.boolean_query([(Occur.Should, q) for q in ors]) if ors else Q.empty_query()
    return _query(ti, f, terms, sel, dated=not pairs)


def page(ti: TextIndex, query, offset: int, limit: int, descending: bool) -> tuple[int, np.ndarray, int, tuple]:
    """A page of a drill-down in publication order: (all matches, candidate keys, offset among the candidates,
    (first, last) candidate time in µs since the epoch, or None).

    tantivy orders by time only; the list orders ties by article id. So the candidates are every match whose
    time lies within the page's first and last time, and the caller takes its page from them (sorted by time,
    then id) after skipping the returned offset: the matches before the page's first time are not candidates.
    One ordered search a page further than needed usually holds all of them; else a range query adds the ties.
    """
    import tantivy

    Q, Occur, schema, s = tantivy.Query, tantivy.Occur, ti._schema, ti._searcher
    res = s.search(query, limit=offset + 2 * limit, count=True, order_by_field="ts",
                   order=tantivy.Order.Desc if descending else tantivy.Order.Asc)
    hits, total = res.hits, int(res.count)
    if len(hits) <= offset:
        return total, np.zeros(0, np.int64), 0, None
    first, last = hits[offset][0], hits[min(offset + limit, len(hits)) - 1][0]
    lo, hi = (last, first) if descending else (first, last)
    n_before = sum(1 for t, _ in hits[:offset] if (t > first if descending else t < first))
    if len(hits) == total or hits[-1][0] != last:  # every match of time `last` was fetched
        addrs = [a for t, a in hits if lo <= t <= hi]
        return total, np.array(s.fast_field_values("key", addrs), np.int64), offset - n_before, (lo, hi)
    within = Q.range_query(schema, "ts", tantivy.FieldType.Integer, lo, hi)
    keys = ti.keys_of(Q.boolean_query([(Occur.Must, query), (Occur.Must, within)]))
    return total, keys, offset - n_before, (lo, hi)


def newest(ti: TextIndex, f: Filters, terms: tuple[Term, ...], limit: int,
           ents: list[tuple[str, str]] | None = None, days: tuple[date, date] | None = None) -> np.ndarray:
    """Keys that hold the `limit` newest articles under the filters and the search (with ties at the edge).

    `ents`: mentioning one of these; `days`: published in [first, last) UTC days. The caller orders them.
    """
    import tantivy

    rng = None
    if days is not None:
        rng = tantivy.Query.range_query(ti._schema, "day", tantivy.FieldType.Integer, _day(days[0]), _day(days[1]) - 1,
                                        use_inverted_index=True)
    q = _query(ti, f, terms, _ents(ti, ents) if ents else None, rng, dated=rng is not None)
    return page(ti, q, 0, limit, True)[1]
