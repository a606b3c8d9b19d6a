"""tantivy vs SQLite FTS5 for the dashboard's text index: build time, size, time to fetch the matching keys.

    .venv/bin/python benchmarks/search_engines.py build /tmp/newsmon-bench-text 4   # first 4 files (200k articles)
    .venv/bin/python benchmarks/search_engines.py query

`build` indexes the first N article files of a benchmark store (benchmarks/dashboard_store.py) with both engines
into /tmp/newsmon-search-engines/ (tantivy: the dashboard's tokenizer, 2 threads; FTS5: contentless table,
unicode61 tokenizer, one thread) and prints build time and size. `query` times fetching every matching key for
words and phrases of several document frequencies from both (median of 5). The choice is in docs/dashboard.md.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sqlite3
import statistics
import sys
import time

import duckdb
import numpy as np
import tantivy

OUT = "/tmp/newsmon-search-engines"


def _tantivy(create: bool):
    an = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[\p{L}\p{N}]+")).filter(tantivy.Filter.lowercase()).build()
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("key", fast=True)
    sb.add_text_field("title", tokenizer_name="words")
    sb.add_text_field("body", tokenizer_name="words")
    schema = sb.build()
    idx = tantivy.Index(schema, path=OUT + "/tv")
    idx.register_tokenizer("words", an)
    return schema, idx


def build(store: str, nb: int) -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT + "/tv")
    files = sorted(glob.glob(store + "/articles/*.parquet"))[:nb]
    con = duckdb.connect()

    def tables():
        for f in files:
            yield con.sql(f"SELECT CAST(hash(id) >> 1 AS BIGINT) AS key, coalesce(title,'') t, coalesce(text,'') b"
                          f" FROM read_parquet('{f}')").to_arrow_table()

    schema, idx = _tantivy(True)
    t = time.perf_counter()
    w = idx.writer(heap_size=256_000_000, num_threads=2)
    for tb in tables():
        for k, ti, bo in zip(*(tb.column(i).to_pylist() for i in range(3)), strict=True):
            w.add_document(tantivy.Document(key=k, title=ti, body=bo))
        w.commit()
    w.wait_merging_threads()
    mb = sum(os.path.getsize(os.path.join(OUT + "/tv", f)) for f in os.listdir(OUT + "/tv")) / 1e6
    print(f"tantivy build {time.perf_counter() - t:.1f} s, {mb:.0f} MB", flush=True)
    db = sqlite3.connect(OUT + "/fts.sqlite")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, content='', tokenize='unicode61 remove_diacritics 0')")
    t = time.perf_counter()
    for tb in tables():
        db.executemany("INSERT INTO t(rowid, title, body) VALUES (?,?,?)",
                       zip(*(tb.column(i).to_pylist() for i in range(3)), strict=True))
        db.commit()
    db.execute("INSERT INTO t(t) VALUES('optimize')")
    db.commit()
    print(f"fts5 build {time.perf_counter() - t:.1f} s, {os.path.getsize(OUT + '/fts.sqlite') / 1e6:.0f} MB")


def query() -> None:
    schema, idx = _tantivy(False)
    s = idx.searcher()
    db = sqlite3.connect(OUT + "/fts.sqlite")
    Q, Occ = tantivy.Query, tantivy.Occur

    def tv(words):
        q = Q.boolean_query([(Occ.Should, (Q.term_query(schema, f, words[0]) if len(words) == 1
                                         else Q.phrase_query(schema, f, words))) for f in ("title", "body")])
        q = Q.const_score_query(q, 1.0)
        n = s.search(q, limit=1, count=True).count
        hits = s.search(q, limit=n, count=False).hits
        return np.array(s.fast_field_values("key", [h[1] for h in hits]), np.int64)

    def fts(words):
        return np.fromiter((r[0] for r in db.execute("SELECT rowid FROM t WHERE t MATCH ?",
                                                      ['"' + " ".join(words) + '"'])), np.int64)

    print(f"{s.num_docs:,} articles")
    for band, w in [("common", ["wurden"]), ("medium", ["getting"]), ("rare", ["abweichende"]),
                    ("phrase", ["der", "bundesregierung"]), ("phrase2", ["of", "the"])]:
        a, b = tv(w), fts(w)
        r = {}
        for name, fn in (("tantivy", tv), ("fts5", fts)):
            ts = []
            for _ in range(5):
                t = time.perf_counter()
                fn(w)
                ts.append((time.perf_counter() - t) * 1000)
            r[name] = statistics.median(ts)
        print(band, w, len(a), len(b), f"tantivy {r['tantivy']:.1f} ms  fts5 {r['fts5']:.1f} ms", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = ap.add_subparsers(dest="step", required=True)
    build_step = steps.add_parser("build", help=f"index the first N article files of STORE into {OUT}")
    build_step.add_argument("store", help="a benchmark store (benchmarks/dashboard_store.py)")
    build_step.add_argument("files", type=int, metavar="N", help="how many of its article files")
    steps.add_parser("query", help=f"time fetching the matching keys from the indexes in {OUT}")
    args = ap.parse_args()
    if args.step == "build":
        build(args.store, args.files)
    elif not os.path.exists(OUT + "/fts.sqlite"):
        sys.exit(f"no indexes in {OUT}: run `build` first")
    else:
        query()


if __name__ == "__main__":
    main()
