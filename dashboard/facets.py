"""A search's counts aggregated inside the text index: only small results cross into Python.

With a full-text search the per-day rollups cannot answer (they know no words), and handing every matching
article to DuckDB costs ~0.4 µs per article in Python objects alone: 300 ms for a word in 58% of a million
articles. So the text index (dashboard/search.py) also holds, per article, what the filters and the
timeline need: its UTC day, publication time, source, language, first-of-story flag, the entities its mention
rows name and how many rows each. A timeline under a search is then one tantivy aggregation per entity (a
histogram of days with the mention rows summed), a drill-down first narrows the search to the selected points
(or co-mention cells) inside tantivy and hands DuckDB only those articles' keys, and counts, top sources and
co-mentions are aggregations too.

Every function answers exactly as the SQL of `dashboard/queries.py` does on the mention rows (tests/test_search.py
compares both on edge cases and real pages). The index re-indexes a batch whose mentions file changed
(a recount), so these counts never come from stale mentions. No streamlit here.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.filters import Filters
from dashboard.search import Term, TextIndex, ent_key
from dashboard.selection import PairKey, PointKey

_EPOCH = date(1970, 1, 1)
_BIG = 1 << 20  # terms aggregation size: every source and entity, so counts are exact


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _query(ti: TextIndex, f: Filters, terms: tuple[Term, ...], *extra):
    """The tantivy query for the filters (dates, sources, languages, unique stories), the search and `extra`."""
    import tantivy

    Q, Occur, schema = tantivy.Query, tantivy.Occur, ti._schema
    musts = [ti.search_query(terms)] if terms else []  # no search: the filters alone (a co-mention cell)
    if f.start is not None or f.end is not None:
        lo = _day(f.start) if f.start is not None else None
        hi = _day(f.end) if f.end is not None else None
        musts.append(Q.range_query(schema, "day", tantivy.FieldType.Integer, lo, hi))
    else:
        musts.append(Q.exists_query("day"))  # undated articles are in no timeline and no drill-down
    if f.sources:
        musts.append(Q.term_set_query(schema, "source", list(f.sources)))
    if f.languages:
        musts.append(Q.term_set_query(schema, "lang", ["=" + x for x in f.languages]))
    if f.unique:
        musts.append(Q.term_query(schema, "first", 1))
    musts += [q for q in extra if q is not None]
    return Q.const_score_query(Q.boolean_query([(Occur.Must, q) for q in musts]), 1.0)


def _ents(ti: TextIndex, ents: list[tuple[str, str]]):
    import tantivy

    return tantivy.Query.term_set_query(ti._schema, "ent", [f"{k}:{e}" for k, e in ents])


def _selected(ti: TextIndex, f: Filters):
    return _ents(ti, list(f.entities))


def timeline_counts(ti: TextIndex, f: Filters, terms: tuple[Term, ...]) -> pd.DataFrame:
    """As `queries.timeline_counts`: per bucket and selected entity, articles and mention rows (non-zero rows)."""
    parts = []
    for kind, eid in f.entities:
        agg = {"d": {"histogram": {"field": "day", "interval": 1, "min_doc_count": 1},
                     "aggs": {"m": {"sum": {"field": f"mc.{ent_key(kind, eid)}"}}}}}
        buckets = ti._searcher.aggregate(_query(ti, f, terms, _ents(ti, [(kind, eid)])), agg)["d"]["buckets"]
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
    """As `queries.co_mentions`: pairs among the `n` most-mentioned people (or among the selected ones)."""
    people = list(f.people) if len(f.people) >= 2 else None
    extra = _ents(ti, [("person", p) for p in people]) if people else None
    agg = {"e": {"terms": {"field": "ent", "size": _BIG}, "aggs": {"p": {"terms": {"field": "ent", "size": _BIG}}}}}
    res = ti._searcher.aggregate(_query(ti, f, terms, extra), agg)["e"]["buckets"]

    def person(key: str) -> str | None:
        kind, _, eid = key.partition(":")
        return eid if kind == "person" and (people is None or eid in people) else None

    counts = {person(b["key"]): b for b in res if person(b["key"]) is not None}
    top = sorted(counts, key=lambda e: (-counts[e]["doc_count"], e))[:n]
    rows = []
    for a in top:
        for sub in counts[a]["p"]["buckets"]:
            b = person(sub["key"])
            if b is not None and a < b and b in top:
                rows.append((a, b, int(sub["doc_count"])))
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    return pd.DataFrame({"a": pd.Series([r[0] for r in rows], dtype=str), "b": pd.Series([r[1] for r in rows], dtype=str),
                         "articles": pd.Series([r[2] for r in rows], dtype=np.int64)})


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
            (Occur.Must, Q.range_query(schema, "day", tantivy.FieldType.Integer, _day(p.bucket), _day(last))),
        ]))
    for p in pairs or []:
        ors.append(Q.boolean_query([(Occur.Must, _ents(ti, [("person", p.a)])),
                                    (Occur.Must, _ents(ti, [("person", p.b)]))]))
    sel = Q.boolean_query([(Occur.Should, q) for q in ors]) if ors else Q.empty_query()
    return _query(ti, f, terms, sel)


def page(ti: TextIndex, query, offset: int, limit: int, descending: bool) -> tuple[int, np.ndarray, int]:
    """A page of a drill-down in publication order: (all matches, candidate keys, offset among the candidates).

    tantivy orders by time only; the list orders ties by article id. So the candidates are every match whose
    time lies within the page's first and last time, and the caller takes its page from them (sorted by time,
    then id) after skipping the returned offset: the matches before the page's first time are not candidates.
    """
    import tantivy

    Q, Occur, schema, s = tantivy.Query, tantivy.Occur, ti._schema, ti._searcher
    res = s.search(query, limit=offset + limit, count=True, order_by_field="ts",
                   order=tantivy.Order.Desc if descending else tantivy.Order.Asc)
    hits = res.hits[offset:]
    if not hits:
        return int(res.count), np.zeros(0, np.int64), 0
    first, last = hits[0][0], hits[-1][0]
    integer = tantivy.FieldType.Integer
    if descending:
        before = Q.range_query(schema, "ts", integer, first, None, include_lower=False)
        within = Q.range_query(schema, "ts", integer, last, first)
    else:
        before = Q.range_query(schema, "ts", integer, None, first, include_upper=False)
        within = Q.range_query(schema, "ts", integer, first, last)
    n_before = s.search(Q.boolean_query([(Occur.Must, query), (Occur.Must, before)]), limit=1, count=True).count
    keys = ti.keys_of(Q.boolean_query([(Occur.Must, query), (Occur.Must, within)]))
    return int(res.count), keys, offset - int(n_before)
