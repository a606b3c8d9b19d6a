"""Dashboard query benchmark on a generated store of 1,000,000 articles and >= 5,000,000 mentions.

    .venv/bin/python benchmarks/dashboard.py [--store /tmp/newsmon-bench] [--articles 1000000] [--repeat 20] [--server]
    .venv/bin/python benchmarks/dashboard.py --server-only --store data/demo-store [--runs 3] [--baseline REV]
    .venv/bin/python benchmarks/dashboard.py --pages-only --store STORE --server-cache DIR   # every page's queries

Generates the store once (rows written in the store's own schema and layout, article text made of the real
pages' paragraphs: benchmarks/dashboard_store.py; reused on later runs), then times each dashboard query over several filter combinations with DuckDB (the dashboard's own
`dashboard.data.queries` functions) and the same computation with pandas on DataFrames already in memory (the
pandas load time is reported separately). Prints a table of p50/p95 per query and the pandas/DuckDB ratio.
With --server it also starts `streamlit run` on the store and reports the server's RSS after the pages are
drawn in a headless chromium, and the time from opening the page to the first chart. With --pages it runs every
query every page runs, as logged in a real visit of each page (benchmarks/page_queries.py), and the run fails
on any error: the table of the dashboard's own query functions above cannot look healthy while a page fails.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dashboard_store import NoDevSet, corpus, generate, people_names  # noqa: E402
from benchmarks.server_memory import server_figures  # noqa: E402  (also imported from here)
from dashboard.data import dispatch, queries, search  # noqa: E402
from dashboard.data.filters import Filters  # noqa: E402
from dashboard.data.selection import PairKey, PointKey  # noqa: E402
from ingest.store.parquet import Store  # noqa: E402


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


PD_TEXT_S: dict[str, float] = {}


def search_set(con, root: Path, n: int) -> list[tuple[str, str, int]]:
    """The benchmark's searches, picked by measured document frequency on this store: (band, query, df).

    Words (letters only, 4+ characters) whose df is nearest 0.3% (rare: the rarest band this store has, see
    benchmarks/dashboard_store.py), 3% (medium) and 20% (common) of the articles; the two-word phrases of the
    real pages' paragraphs nearest 1% and 10%; the medium word's first five letters as a prefix; the three-word
    phrase nearest 1%; the common phrase with its last word cut to two letters and a *; the three-word phrase
    with its last word cut to one letter and a * (the slowest kind: positions compared after a prefix); a
    person's name.
    """
    ti = search.for_connection(con)
    terms = ti._searcher.terms_with_prefix("body", "", limit=None)
    words = [(w, c) for w, c in terms if len(w) >= 4 and w.isalpha()]

    def nearest(frac: float) -> str:
        return min(words, key=lambda x: (abs(x[1] - frac * n), x[0]))[0]

    out = [("word, rare", nearest(0.003)), ("word, medium", nearest(0.03)), ("word, common", nearest(0.2))]
    pool = [p for x in corpus(root.parent / (root.name + "-corpus.json")) for p in x["text"].split("\n\n")]
    pairs: Counter = Counter()
    triples: Counter = Counter()
    for para in pool:  # each paragraph's word pairs and triples, counted once a paragraph
        toks = search._tokens(para)
        pairs.update({f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False) if a.isalpha() and b.isalpha()})
        triples.update({" ".join(t) for t in zip(toks, toks[1:], toks[2:], strict=False) if all(w.isalpha() for w in t)})
    cands = [p for p, _ in sorted(pairs.items(), key=lambda x: (-x[1], x[0]))[:400]]  # ties by text: same picks every run
    dfs = {p: len(ti.keys(search.parse(f'"{p}"'))) for p in cands[::8]}
    for band, frac in (("phrase, medium", 0.01), ("phrase, common", 0.1)):
        out.append((band, '"' + min(dfs, key=lambda p: (abs(dfs[p] - frac * n), p)) + '"'))
    out.append(("prefix", out[1][1][:5] + "*"))
    cands = [p for p, _ in sorted(triples.items(), key=lambda x: (-x[1], x[0]))[:400]]
    dfs3 = {p: len(ti.keys(search.parse(f'"{p}"'))) for p in cands[::8]}
    three = min(dfs3, key=lambda p: (abs(dfs3[p] - 0.01 * n), p))
    out.append(("phrase of three words", f'"{three}"'))
    common = out[4][1].strip('"')
    out.append(("prefix phrase", '"' + common[:common.index(" ") + 3] + '*"'))  # "in dem" -> "in de*"
    out.append(("prefix phrase of three", '"' + three[:three.rindex(" ") + 2] + '*"'))  # the last word's first letter
    out.append(("name (phrase)", f'"{people_names()[0]}"'))
    return [(band, q, len(ti.keys(search.parse(q)))) for band, q in out]


def pd_search_ids(art: pd.DataFrame, q: str) -> pd.Series:
    """The ids of articles matching a search, in pandas: the same terms, the same regular expressions."""
    ok = pd.Series(True, index=art.index)
    for t in search.parse(q):
        pat = r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, t.words)) + ("" if t.prefix else r"(?![^\W_])")
        lit = max(t.words, key=len)
        hit = pd.Series(False, index=art.index)
        for col in ("title", "text"):
            cand = ok & ~hit & art[col].str.contains(lit, case=False, regex=False).fillna(False)
            hit[cand] = art.loc[cand, col].str.lower().str.contains(pat, regex=True).fillna(False)
        ok &= hit
    return art.loc[ok, "id"]


PD_SEARCH: dict[str, pd.Series] = {}  # search -> matching ids, computed once per search (timed apart)


def pd_base(art: pd.DataFrame, men: pd.DataFrame, f: Filters) -> pd.DataFrame:
    m = men
    if f.start:
        m = m[m["published_at"] >= pd.Timestamp(f.start, tz="UTC")]
    if f.end:
        m = m[m["published_at"] < pd.Timestamp(f.end + timedelta(days=1), tz="UTC")]
    if f.sources:
        m = m[m["source"].isin(f.sources)]
    if f.languages:
        ok = art.loc[art["language"].isin(f.languages), "id"]
        m = m[m["article_id"].isin(ok)]
    if f.search:
        m = m[m["article_id"].isin(PD_SEARCH[f.search])]
    return m


def pd_timeline(art, men, f: Filters) -> pd.DataFrame:
    m = pd_base(art, men, f)
    m = m[((m["kind"] == "person") & m["entity_id"].isin(f.people)) | ((m["kind"] == "topic") & m["entity_id"].isin(f.topics))]
    freq = {"day": "D", "week": "W-MON", "month": "MS"}[f.bucket]
    b = m["published_at"].dt.tz_localize(None).dt.to_period(freq[0] if freq != "W-MON" else "W-SUN").dt.start_time
    g = m.assign(bucket=b).groupby(["bucket", "kind", "entity_id"])
    counts = g["article_id"].nunique()
    a = art
    if f.start:
        a = a[a["published_at"] >= pd.Timestamp(f.start, tz="UTC")]
    cov = a.groupby(a["published_at"].dt.tz_localize(None).dt.to_period(freq[0] if freq != "W-MON" else "W-SUN").dt.start_time).size()
    return counts, cov


def pd_drilldown(art, men, f: Filters, p: PointKey, bucket_end: date) -> pd.DataFrame:
    m = pd_base(art, men, f)
    m = m[(m["kind"] == p.kind) & (m["entity_id"] == p.entity_id)
          & (m["published_at"] >= pd.Timestamp(p.bucket, tz="UTC")) & (m["published_at"] < pd.Timestamp(bucket_end, tz="UTC"))]
    h = m.groupby("article_id").size().rename("mentions").reset_index()
    out = h.merge(art[["id", "published_at", "source", "title", "url"]], left_on="article_id", right_on="id")
    return out.sort_values("published_at", ascending=False).head(50), len(out)


def pd_co(art, men, f: Filters) -> pd.DataFrame:
    m = pd_base(art, men, f)
    e = m.loc[m["kind"] == "person", ["article_id", "entity_id"]].drop_duplicates()
    top = e["entity_id"].value_counts().head(12).index
    e = e[e["entity_id"].isin(top)]
    j = e.merge(e, on="article_id")
    j = j[j["entity_id_x"] < j["entity_id_y"]]
    return j.groupby(["entity_id_x", "entity_id_y"]).size()


def pd_entity_totals(art, men, f: Filters) -> pd.DataFrame:
    m = pd_base(art, men, f)
    g = m.groupby(["kind", "entity_id"])
    return pd.DataFrame({"articles": g["article_id"].nunique(), "mentions": g.size(),
                         "last_seen": g["published_at"].max()}).sort_values("articles", ascending=False)


def interim_rows(con, searches: list[tuple[str, str, int]], repeat: int) -> list[tuple]:
    """The queries while the text index re-indexes after a recount: the index used before gives the search's keys,
    DuckDB counts the mention rows (dashboard/data/dispatch.py); one run of the exact scan for comparison.

    The pending re-index is simulated in this process (a text index that never gets ready takes the current
    one's place, which is kept as the previous), so the figures are the query path's, not a recount's."""
    ready = search.for_connection(con)
    pending = search.TextIndex(ready.directory)
    key = next(k for k, v in search._INDEXES.items() if v is ready)
    search._INDEXES[key] = pending
    dispatch.keep_previous(pending, ready)
    rows = []
    try:
        last = queries.store_summary(con)["last"]
        for band, q, _ in searches:
            if band not in ("word, rare", "word, common", "name (phrase)"):
                continue
            f = Filters(people=("person-000",), bucket="week", search=q)
            d = timed(lambda f=f: dispatch.timeline_counts(con, f), repeat)
            rows.append(("timeline, index pending", f"1 person, all time, search {band}", statistics.median(d),
                         p95(d), float("nan")))
            d = timed(lambda f=f: dispatch.drilldown(con, f, [PointKey("person", "person-000", last - timedelta(
                days=last.weekday()))], limit=50), repeat)
            rows.append(("drill-down (page of 50), index pending", f"1 person, last week, search {band}",
                         statistics.median(d), p95(d), float("nan")))
            d = timed(lambda q=q: dispatch.co_mentions(con, Filters(search=q)), max(3, repeat // 3))
            rows.append(("co-mentions, index pending", f"all time, search {band}", statistics.median(d), p95(d),
                         float("nan")))
            d = timed(lambda q=q: dispatch.entity_totals(con, Filters(search=q)), max(3, repeat // 3))
            rows.append(("entity totals, index pending", f"all time, search {band}", statistics.median(d), p95(d),
                         float("nan")))
        band, q, _ = searches[0]
        search._INDEXES[key] = search.TextIndex(ready.directory)  # and no previous index: the scan
        dispatch._PREVIOUS.clear()
        f = Filters(people=("person-000",), bucket="week", search=q)
        d = timed(lambda: dispatch.timeline_counts(con, f), 1)
        rows.append(("timeline, no index (exact scan, 1 run)", f"1 person, all time, search {band}",
                     statistics.median(d), p95(d), float("nan")))
    finally:
        search._INDEXES[key] = ready
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=Path("/tmp/newsmon-bench-text"))
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--server", action="store_true", help="also measure the Streamlit server (RSS, first chart)")
    ap.add_argument("--index", type=Path, default=Path("/tmp/newsmon-bench-text-index.duckdb"),
                    help="the dashboard's local index file (dashboard/data/index.py)")
    ap.add_argument("--no-index", action="store_true", help="query views over the Parquet files instead")
    ap.add_argument("--server-cache", type=Path, default=None,
                    help="serve with this dashboard cache dir (an index built beforehand) instead of a new one")
    ap.add_argument("--server-search", default="",
                    help="a search for the server's last page visit (the Overview with person-000 and it)")
    ap.add_argument("--pandas-search", action="store_true",
                    help="pandas on the search rows too (at 1M its text match over 4 GB of text was OOM-killed at 22 GB)")
    ap.add_argument("--no-pandas-search", action="store_true", help="the default: no pandas on the search rows")
    ap.add_argument("--interim", action="store_true",
                    help="also time searches while the text index re-indexes after a recount (and one exact scan)")
    ap.add_argument("--server-only", action="store_true",
                    help="only the server figures, on an existing store (e.g. --store data/demo-store): the first "
                         "chart in the browser over --runs fresh starts (benchmarks/first_chart.py), then RSS")
    ap.add_argument("--runs", type=int, default=3, help="--server-only: fresh server starts timed to the first chart")
    ap.add_argument("--baseline", default=None,
                    help="--server-only: also time the first chart of this git revision's dashboard, run for run")
    ap.add_argument("--plain", action="store_true",
                    help="--server-only: also time a plain `streamlit run` (no preload; dashboard/serve.py)")
    ap.add_argument("--pages", action="store_true",
                    help="also run every query every page runs: a real visit's query log, replayed "
                         "(benchmarks/page_queries.py, with --server-cache as the server's cache); fails on any error")
    ap.add_argument("--pages-only", action="store_true", help="only --pages, on an existing store")
    ap.add_argument("--pages-search", default="the", help="--pages: the search of the Overview's visit")
    args = ap.parse_args()
    args.no_pandas_search = not args.pandas_search
    if args.pages_only:
        sys.exit(0 if _pages(args) else 1)
    if args.server_only:
        from benchmarks.first_chart import first_chart_table

        first_chart_table(args.store, args.runs, args.baseline, args.plain)
        server_figures(args.store, args.server_cache, args.server_search)
        return
    store = Store(args.store)
    if not store.exists() or store.count("articles") < args.articles:
        print(f"generating {args.articles:,} articles in {args.store} ...", file=sys.stderr)
        try:
            generate(args.store, args.articles)
        except NoDevSet as exc:
            sys.exit(f"benchmarks/dashboard.py: {exc}")
    n_art, n_men = store.count("articles"), store.count("mentions")
    index = None if args.no_index else args.index
    t = time.perf_counter()
    con = queries.connect(args.store, threads=args.threads, index_path=index)
    connect_s = time.perf_counter() - t
    text_ok = search.wait(con)  # the text index builds in the background; the searches below want it ready
    text_s = time.perf_counter() - t - connect_s
    t = time.perf_counter()
    con.close()
    con = queries.connect(args.store, threads=args.threads, index_path=index)
    text_ok = search.wait(con) and text_ok
    reconnect_s = time.perf_counter() - t
    t = time.perf_counter()
    text_cols = [] if args.no_pandas_search else ["text"]
    art = pd.read_parquet(store.articles_dir, columns=["id", "published_at", "source", "title", "url", "language", *text_cols])
    men = pd.read_parquet(store.mentions_dir, columns=["article_id", "entity_id", "kind", "published_at", "source"])
    load_s = time.perf_counter() - t
    summary = queries.store_summary(con)
    last = summary["last"]
    base = Filters(people=("person-000",), bucket="week")
    year5 = dict(preset="custom", start=last - timedelta(days=364), end=last,
                 sources=tuple(f"Outlet {i:02d}" for i in range(5)))
    combos = {
        "1 person, all time, week": base,
        "3 people + 1 topic, month": Filters(people=("person-000", "person-005", "person-030"), topics=("topic-01",), bucket="month"),
        "1 person, 30 days, day": base.with_(bucket="day", preset="custom", start=last - timedelta(days=29), end=last),
        "1 person, 1 year, 5 sources": base.with_(**year5),
        "1 person, language fr": base.with_(languages=("fr",)),
        "1 person, unique stories": base.with_(unique=True),
    }
    searches = search_set(con, args.store, n_art) if text_ok else []
    print("\nSearches (df = articles matching, of all articles in the store):")
    for band, q, df in searches:
        print(f"  {band:<22} {q:<28} df {df:>9,} ({df / n_art:.2%})")
    for band, q, _ in searches:
        if not args.no_pandas_search:
            t = time.perf_counter()
            PD_SEARCH[q] = pd_search_ids(art, q)
            PD_TEXT_S[q] = (time.perf_counter() - t) * 1000
        combos[f"1 person, all time, search {band}"] = base.with_(search=q)
        if band in ("word, rare", "word, medium", "word, common"):
            combos[f"1 person, 1 year, 5 sources, search {band}"] = base.with_(search=q, **year5)
        if band in ("word, common", "phrase, common", "prefix phrase of three", "name (phrase)"):  # one aggregation per entity
            combos[f"3 people + 1 topic, month, search {band}"] = combos["3 people + 1 topic, month"].with_(search=q)
    rows = []
    for name, f in combos.items():
        d = timed(lambda f=f: (queries.timeline_counts(con, f), queries.coverage(con, f)), args.repeat)
        pr = args.repeat if not f.search else 1
        skip = bool(f.search) and args.no_pandas_search
        p = [float("nan")] if skip else [x + PD_TEXT_S.get(f.search, 0) for x in timed(lambda f=f: pd_timeline(art, men, f), pr)]
        rows.append(("timeline", name, statistics.median(d), p95(d), p95(p)))
        tl = queries.timeline_counts(con, f)
        if tl.empty:
            continue
        top = tl.sort_values("articles").iloc[-1]
        point = PointKey(top["kind"], top["entity_id"], pd.Timestamp(top["bucket"]).date())
        end = queries.bucket_end(point.bucket, f.bucket)
        d = timed(lambda f=f, point=point: queries.drilldown(con, f, [point], limit=50), args.repeat)
        p = [float("nan")] if skip else [x + PD_TEXT_S.get(f.search, 0) for x in
                                         timed(lambda f=f, point=point, end=end: pd_drilldown(art, men, f, point, end), pr)]
        rows.append(("drill-down (page of 50)", f"{name}: {int(top['articles']):,} articles", statistics.median(d), p95(d), p95(p)))
        if f.search:  # a sort the text index cannot page: every article of the point crosses, DuckDB sorts
            d = timed(lambda f=f, point=point: queries.drilldown(con, f, [point], sort="title", limit=50), args.repeat)
            rows.append(("drill-down (page of 50, by title)", f"{name}: {int(top['articles']):,} articles",
                         statistics.median(d), p95(d), float("nan")))
    co = {"all time": Filters(), "1 year": Filters(preset="custom", start=last - timedelta(days=364), end=last)}
    for band, q, _ in searches:
        if band in ("word, common", "name (phrase)"):
            co[f"all time, search {band}"] = Filters(search=q)
    for name, f in co.items():
        d = timed(lambda f=f: queries.co_mentions(con, f), max(5, args.repeat // 2))
        skip = bool(f.search) and args.no_pandas_search
        p = [float("nan")] if skip else [x + PD_TEXT_S.get(f.search, 0) for x in timed(lambda f=f: pd_co(art, men, f), 3)]
        rows.append(("co-mentions (12 people)", name, statistics.median(d), p95(d), p95(p)))
    for name, f in co.items():  # the People & topics table
        d = timed(lambda f=f: queries.entity_totals(con, f), max(5, args.repeat // 2))
        skip = bool(f.search) and args.no_pandas_search
        p = [float("nan")] if skip else [x + PD_TEXT_S.get(f.search, 0) for x in
                                         timed(lambda f=f: pd_entity_totals(art, men, f), 3)]
        rows.append(("entity totals (every person and topic)", name, statistics.median(d), p95(d), p95(p)))
    for name, f in co.items():
        if name == "1 year":
            continue
        pair = queries.co_mentions(con, f).iloc[0]
        for off, what in ((0, "page 1"), (5000, "page 101")):
            d = timed(lambda f=f, pair=pair, off=off: queries.drilldown(con, f, pairs=[PairKey(pair.a, pair.b)], limit=50,
                                                                        offset=off), args.repeat)
            rows.append(("drill-down (co-mention cell)", f"{name}, {what}: {int(pair.articles):,} articles",
                         statistics.median(d), p95(d), float("nan")))
    if args.interim and searches:
        rows += interim_rows(con, searches, args.repeat)

    print(f"\nStore: {n_art:,} articles, {n_men:,} mentions ({args.store}); DuckDB threads: "
          f"{args.threads or os.cpu_count()}; {args.repeat} runs each; pandas load (not in the timings): {load_s:.1f} s")
    print(f"Mode: {'views over the Parquet files' if index is None else f'local index {index}'}; first connect "
          f"{connect_s:.1f} s (builds the index if absent), connect when up to date {reconnect_s:.2f} s")
    if index is not None:
        tdir = search.text_index_dir(index)
        mb = sum(x.stat().st_size for x in tdir.rglob("*") if x.is_file()) / 1e6
        print(f"Text index {tdir}: {'ready' if text_ok else 'NOT READY'} {text_s:.1f} s after the first connect "
              f"(built or brought up to date in the background), {mb:,.0f} MB; DuckDB index {index.stat().st_size / 1e6:,.0f} MB")
    print("pandas search rows: the text match runs once per search (1 run, its time added to each row); "
          "the DuckDB rows use the text index")
    print("\n| query | filters | DuckDB p50 ms | DuckDB p95 ms | pandas p95 ms | pandas / DuckDB |")
    print("|---|---|---:|---:|---:|---:|")
    for q, name, p50, d95, pd95 in rows:
        ratio = f"{pd95 / d95:.1f}×" if pd95 == pd95 else "–"
        pds = f"{pd95:,.0f}" if pd95 == pd95 else "–"
        print(f"| {q} | {name} | {p50:,.1f} | {d95:,.1f} | {pds} | {ratio} |")
    art = men = None  # free the pandas copies before measuring the server
    gc.collect()
    if args.server:
        server_figures(args.store, args.server_cache, args.server_search)
    if args.pages and not _pages(args):
        sys.exit(1)


def _pages(args) -> bool:
    """Every query of every page (benchmarks/page_queries.py); False if any failed."""
    import tempfile

    from benchmarks.page_queries import run

    cache = args.server_cache or Path(tempfile.mkdtemp(prefix="newsmon-bench-pages-"))
    return run(args.store, cache, args.pages_search)


if __name__ == "__main__":
    main()
