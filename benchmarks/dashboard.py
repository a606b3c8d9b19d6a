"""Dashboard query benchmark on a generated store of 1,000,000 articles and >= 5,000,000 mentions.

    .venv/bin/python benchmarks/dashboard.py [--store /tmp/newsmon-bench] [--articles 1000000] [--repeat 20] [--server]
    .venv/bin/python benchmarks/dashboard.py --server-only --store data/demo-store   # first chart on the demo

Generates the store once (synthetic rows written in the store's own schema and layout, reused on later runs),
then times each dashboard query over several filter combinations with DuckDB (the dashboard's own
`dashboard.queries` functions) and the same computation with pandas on DataFrames already in memory (the
pandas load time is reported separately). Prints a table of p50/p95 per query and the pandas/DuckDB ratio.
With --server it also starts `streamlit run` on the store and reports the server's RSS after the pages are
drawn in a headless chromium, and the time from opening the page to the first chart.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import queries  # noqa: E402
from dashboard.filters import Filters  # noqa: E402
from dashboard.selection import PairKey, PointKey  # noqa: E402
from ingest.store import ARTICLES_SCHEMA, MENTIONS_SCHEMA, Store, _write_atomic  # noqa: E402

N_PEOPLE, N_TOPICS, N_SOURCES = 80, 25, 60
START = datetime(2023, 1, 1, tzinfo=UTC)
DAYS = 3 * 365
WORDS = np.array(("talks ceasefire summit minister election vote border aid sanctions trade tariff energy "
                  "grain port strike drone missile hostage truce parliament court budget inflation oil gas "
                  "election campaign coalition protest refugees council envoy treaty").split())


def generate(root: Path, n: int, seed: int = 7, batch: int = 100_000) -> None:
    """Synthetic articles and mentions: Zipf-popular entities, bursty days, 60 sources, 4 languages."""
    rng = np.random.default_rng(seed)
    store = Store(root)
    store.init()
    people = np.array([f"person-{i:03d}" for i in range(N_PEOPLE)])
    topics = np.array([f"topic-{i:02d}" for i in range(N_TOPICS)])
    sources = np.array([f"Outlet {i:02d}" for i in range(N_SOURCES)])
    langs = np.array(["en", "en", "en", "fr", "de", "es", None], dtype=object)
    day_weight = rng.gamma(2.0, 1.0, DAYS)
    day_weight[rng.choice(DAYS, 20, replace=False)] *= 6  # bursts
    day_weight[rng.choice(DAYS, 10, replace=False)] = 0  # days with nothing stored: gaps
    day_weight /= day_weight.sum()
    pz = 1 / np.arange(1, N_PEOPLE + 1) ** 1.1
    pz /= pz.sum()
    tz = 1 / np.arange(1, N_TOPICS + 1) ** 0.9
    tz /= tz.sum()
    for b0 in range(0, n, batch):
        m = min(batch, n - b0)
        idx = np.arange(b0, b0 + m)
        ids = np.array([f"{(i * 2654435761) % (1 << 62):016x}" for i in idx.tolist()])
        day = rng.choice(DAYS, m, p=day_weight)
        secs = rng.integers(0, 86400, m)
        pub = np.datetime64(START.replace(tzinfo=None), "s") + (day * 86400 + secs).astype("timedelta64[s]")
        src = sources[rng.integers(0, N_SOURCES, m)]
        words = WORDS[rng.integers(0, len(WORDS), (m, 40))]
        text = [" ".join(w) for w in words]
        art = pa.table({
            "id": ids, "url": np.char.add("https://bench.example/", ids), "source": src,
            "title": [t[:60] for t in text], "authors": pa.array([[]] * m, pa.list_(pa.string())),
            "published_at": pa.array(pub.astype("datetime64[us]"), pa.timestamp("us")).cast(MENTIONS_SCHEMA.field("published_at").type),
            "published_source": np.where(rng.random(m) < 0.1, "fetched", "meta"),
            "fetched_at": pa.array(pub.astype("datetime64[us]"), pa.timestamp("us")).cast(MENTIONS_SCHEMA.field("published_at").type),
            "language": langs[rng.integers(0, len(langs), m)], "text": text, "content_hash": ids,
            "story_id": ids,
        }).cast(ARTICLES_SCHEMA)
        k = rng.poisson(5.2, m)  # mentions per article: ~5.2M mentions per 1M articles
        rows = np.repeat(np.arange(m), k)
        is_person = rng.random(len(rows)) < 0.7
        ent = np.where(is_person, people[rng.choice(N_PEOPLE, len(rows), p=pz)],
                       topics[rng.choice(N_TOPICS, len(rows), p=tz)])
        men = pa.table({
            "article_id": ids[rows], "entity_id": ent, "kind": np.where(is_person, "person", "topic"),
            "field": np.where(rng.random(len(rows)) < 0.15, "title", "body"),
            "start": rng.integers(0, 200, len(rows)).astype(np.int32),
            "end": rng.integers(200, 260, len(rows)).astype(np.int32), "matched": ent, "rule": np.full(len(rows), "alias"),
            "published_at": art.column("published_at").take(pa.array(rows)),
            "source": src[rows], "watchlist_version": np.full(len(rows), "bench"),
        }).cast(MENTIONS_SCHEMA)
        name = f"part-bench-{b0 // batch:04d}.parquet"
        _write_atomic(men, store.mentions_dir / name)
        _write_atomic(art, store.articles_dir / name)
        print(f"  generated {b0 + m:,} articles", file=sys.stderr)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


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
        q = f.search.lower()
        ok = art.loc[art["title"].str.lower().str.contains(q, regex=False)
                     | art["text"].str.lower().str.contains(q, regex=False), "id"]
        m = m[m["article_id"].isin(ok)]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=Path("/tmp/newsmon-bench"))
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--server", action="store_true", help="also measure the Streamlit server (RSS, first chart)")
    ap.add_argument("--index", type=Path, default=Path("/tmp/newsmon-bench-index.duckdb"),
                    help="the dashboard's local index file (dashboard/index.py)")
    ap.add_argument("--no-index", action="store_true", help="query views over the Parquet files instead")
    ap.add_argument("--server-only", action="store_true",
                    help="only the server figures, on an existing store (e.g. --store data/demo-store)")
    args = ap.parse_args()
    if args.server_only:
        server_figures(args.store)
        return
    store = Store(args.store)
    if not store.exists() or store.count("articles") < args.articles:
        print(f"generating {args.articles:,} articles in {args.store} ...", file=sys.stderr)
        generate(args.store, args.articles)
    n_art, n_men = store.count("articles"), store.count("mentions")
    index = None if args.no_index else args.index
    t = time.perf_counter()
    con = queries.connect(args.store, threads=args.threads, index_path=index)
    connect_s = time.perf_counter() - t
    t = time.perf_counter()
    con.close()
    con = queries.connect(args.store, threads=args.threads, index_path=index)
    reconnect_s = time.perf_counter() - t
    t = time.perf_counter()
    art = pd.read_parquet(store.articles_dir, columns=["id", "published_at", "source", "title", "url", "language", "text"])
    men = pd.read_parquet(store.mentions_dir, columns=["article_id", "entity_id", "kind", "published_at", "source"])
    load_s = time.perf_counter() - t
    summary = queries.store_summary(con)
    last = summary["last"]
    base = Filters(people=("person-000",), bucket="week")
    combos = {
        "1 person, all time, week": base,
        "3 people + 1 topic, month": Filters(people=("person-000", "person-005", "person-030"), topics=("topic-01",), bucket="month"),
        "1 person, 30 days, day": base.with_(bucket="day", preset="custom", start=last - timedelta(days=29), end=last),
        "1 person, 1 year, 5 sources": base.with_(preset="custom", start=last - timedelta(days=364), end=last,
                                                  sources=tuple(f"Outlet {i:02d}" for i in range(5))),
        "1 person, language fr": base.with_(languages=("fr",)),
        "1 person, unique stories": base.with_(unique=True),
        "1 person, full-text search": base.with_(search="hostage truce"),
    }
    rows = []
    for name, f in combos.items():
        first = f.start or summary["first"]
        d = timed(lambda f=f: (queries.timeline_counts(con, f), queries.coverage(con, f)), args.repeat)
        pr = args.repeat if "search" not in name else max(3, args.repeat // 5)
        p = timed(lambda f=f: pd_timeline(art, men, f), pr)
        rows.append(("timeline", name, statistics.median(d), p95(d), p95(p)))
        tl = queries.timeline_counts(con, f)
        top = tl.sort_values("articles").iloc[-1]
        point = PointKey(top["kind"], top["entity_id"], pd.Timestamp(top["bucket"]).date())
        end = queries.bucket_end(point.bucket, f.bucket)
        d = timed(lambda f=f, point=point: queries.drilldown(con, f, [point], limit=50), args.repeat)
        p = timed(lambda f=f, point=point, end=end: pd_drilldown(art, men, f, point, end), pr)
        rows.append(("drill-down (page of 50)", f"{name}: {int(top['articles']):,} articles", statistics.median(d), p95(d), p95(p)))
        del first
    for name, f in (("all time", Filters()), ("1 year", Filters(preset="custom", start=last - timedelta(days=364), end=last))):
        d = timed(lambda f=f: queries.co_mentions(con, f), max(5, args.repeat // 2))
        p = timed(lambda f=f: pd_co(art, men, f), 3)
        rows.append(("co-mentions (12 people)", name, statistics.median(d), p95(d), p95(p)))
    pair = queries.co_mentions(con, Filters()).iloc[0]
    d = timed(lambda: queries.drilldown(con, Filters(), pairs=[PairKey(pair.a, pair.b)], limit=50), args.repeat)
    rows.append(("drill-down (co-mention cell)", f"{int(pair.articles):,} articles", statistics.median(d), p95(d), float("nan")))

    print(f"\nStore: {n_art:,} articles, {n_men:,} mentions ({args.store}); DuckDB threads: "
          f"{args.threads or os.cpu_count()}; {args.repeat} runs each; pandas load (not in the timings): {load_s:.1f} s")
    print(f"Mode: {'views over the Parquet files' if index is None else f'local index {index}'}; first connect "
          f"{connect_s:.1f} s (builds the index if absent), connect when up to date {reconnect_s:.2f} s")
    print("\n| query | filters | DuckDB p50 ms | DuckDB p95 ms | pandas p95 ms | pandas / DuckDB |")
    print("|---|---|---:|---:|---:|---:|")
    for q, name, p50, d95, pd95 in rows:
        ratio = f"{pd95 / d95:.1f}×" if pd95 == pd95 else "–"
        pds = f"{pd95:,.0f}" if pd95 == pd95 else "–"
        print(f"| {q} | {name} | {p50:,.1f} | {d95:,.1f} | {pds} | {ratio} |")
    art = men = None  # free the pandas copies before measuring the server
    gc.collect()
    if args.server:
        server_figures(args.store)


def server_figures(store: Path) -> None:
    """RSS of a real `streamlit run` on the store after drawing each page, and time to the first chart.

    Each page is opened in the same headless chromium; the first visit starts from a new index cache, so it
    includes building the index and the server's first imports.
    """
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import tempfile

    cache_dir = tempfile.mkdtemp(prefix="newsmon-bench-cache-")
    env = dict(os.environ, NEWSMON_STORE=str(store), NEWSMON_DASHBOARD_CACHE=cache_dir)
    from dashboard.serve import streamlit_command

    proc = subprocess.Popen(streamlit_command("127.0.0.1", port), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        peak = 0
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            firsts = []
            for path in ("/", "/explore", "/entities", "/health", "/"):
                t = time.perf_counter()
                pg.goto(url + path)
                sel = ".js-plotly-plot .scatterlayer .trace path.point" if path in ("/", "/explore", "/entities") else ".js-plotly-plot"
                pg.wait_for_selector(sel, state="attached", timeout=120_000)
                firsts.append((path, time.perf_counter() - t))
                pg.wait_for_timeout(1500)
                peak = max(peak, _rss_mb(proc.pid))
            b.close()
        print(f"\nServer on the store: peak RSS {peak:,.0f} MB after drawing every page; time to the first chart: "
              + ", ".join(f"{p} {s:.2f} s" for p, s in firsts) + " (first visit includes cold caches)")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        import shutil

        shutil.rmtree(cache_dir, ignore_errors=True)


def _rss_mb(pid: int) -> float:
    total = 0.0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


if __name__ == "__main__":
    main()
