"""Alert evaluation at scale: N rules (default 1,000) on a large store, batched against rule by rule, same run.

    make bench-alerts                      # the 1M-article store at /work/bench/store-1m (read only)
    .venv/bin/python benchmarks/alerts.py --store DIR --rules 1000 --naive 1000

The rules are drawn with a fixed seed from the store's own entities, sources and languages: 60 % spike, 20 %
threshold, 10 % first-seen, 10 % together; one to three entities each; one of ten filter sets (every source, a
few sources, one language); day or week buckets. The store is evaluated as after a run: every rule's
watermark is one day before the newest article. Batched: one timeline (or first-day, or pair) query per filter
set answers every rule in it (dashboard/alerts/evaluate.py); baseline: one query per rule. Both must find the
same events, which is checked. The DuckDB index (no text index) is the alerts' own, built once into --cache;
the store is only read. Prints a table (seconds, median of --runs) to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.alerts.evaluate import evaluate, group_rules  # noqa: E402
from dashboard.alerts.rules import Rule  # noqa: E402
from dashboard.data import alertq, queries  # noqa: E402
from dashboard.data.index import connect  # noqa: E402

TRIGGERS = ["spike"] * 6 + ["threshold"] * 2 + ["first-seen", "together"]


def make_rules(con, n: int, seed: int = 17) -> list[Rule]:
    rng = random.Random(seed)
    ents = queries.entity_counts(con)
    people = list(ents.loc[ents["kind"] == "person", "entity_id"])
    topics = list(ents.loc[ents["kind"] == "topic", "entity_id"])
    summary = queries.store_summary(con)
    sources, languages = summary["sources"], [x for x in summary["languages"] if x]
    filter_sets: list[tuple[tuple[str, ...], tuple[str, ...]]] = [((), ())]
    for k in range(6):
        filter_sets.append((tuple(sorted(rng.sample(sources, min(len(sources), 3 + k)))), ()))
    for lang in languages[:3]:
        filter_sets.append(((), (lang,)))
    rules = []
    for i in range(n):
        trigger = rng.choice(TRIGGERS)
        k = 2 if trigger == "together" else rng.choice((1, 1, 2, 3))
        pick = rng.sample([("person", p) for p in people] + [("topic", t) for t in topics], k)
        src, lang = rng.choice(filter_sets)
        rules.append(Rule(
            id=f"r{i:04d}", trigger=trigger, people=tuple(e for kd, e in pick if kd == "person"),
            topics=tuple(e for kd, e in pick if kd == "topic"), sources=src, languages=lang,
            bucket="day" if trigger == "first-seen" else rng.choice(("day", "week")),
            min_articles=rng.choice((20, 50, 200)) if trigger in ("threshold", "together") else 0))
    return rules


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=Path("/work/bench/store-1m"))
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--naive", type=int, default=1000, help="rules evaluated one by one for the baseline")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("NEWSMON_BENCH_CACHE", "/tmp/newsmon-bench-alerts")),
                    help="where the alerts' DuckDB index of the store is built (once)")
    args = ap.parse_args()
    if not (args.store / "articles").exists():
        sys.exit(f"benchmarks/alerts.py: no store at {args.store}")
    t = time.perf_counter()
    con = connect(args.store, index_path=args.cache / "alerts-index.duckdb", text_index=False)
    first_connect = time.perf_counter() - t
    con.close()
    t = time.perf_counter()
    con = connect(args.store, index_path=args.cache / "alerts-index.duckdb", text_index=False)
    reconnect = time.perf_counter() - t
    n_articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    _, last = alertq.store_span(con)
    newest = con.execute("SELECT max(published_at) FROM articles").fetchone()[0]
    now = newest + timedelta(minutes=1)
    rules = make_rules(con, args.rules)
    marks = {r.id: now - timedelta(days=1) for r in rules}
    batched_s, batched = timed(lambda: evaluate(con, rules, now, marks), args.runs)
    sample = rules[: args.naive]
    naive_s, naive = timed(lambda: evaluate(con, sample, now, marks, batched=False), 1)
    same = {e.key for e in batched if e.rule_id in {r.id for r in sample}} == {e.key for e in naive}
    groups = len(group_rules(rules))
    load = os.getloadavg()[0]
    print(f"\nAlert evaluation: {len(rules):,} rules on {args.store} ({n_articles:,} articles, newest {last}); "
          f"watermarks one day back; machine load {load:.1f} (1-min average, 2 cores)\n")
    print("| step | rules | queries | seconds | events |")
    print("|---|---:|---:|---:|---:|")
    print(f"| connect, first in this run (builds the index if --cache has none) | | | {first_connect:.2f} | |")
    print(f"| connect, index up to date (as every check after a run) | | | {reconnect:.2f} | |")
    print(f"| evaluate, batched by filter set (median of {args.runs}) | {len(rules):,} | {groups} | {batched_s:.2f} "
          f"| {len(batched):,} |")
    print(f"| evaluate, rule by rule (baseline) | {len(sample):,} | {len(sample):,} | {naive_s:.2f} | {len(naive):,} |")
    print(f"\nsame events batched and rule by rule: {'yes' if same else 'NO'}; "
          f"target ≤ 2 s for 1,000 rules: {'met' if batched_s <= 2 and len(rules) >= 1000 else 'not met'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
