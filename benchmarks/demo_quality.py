"""How close the real ingest comes to the demo corpus's ground truth, per outlet, printed as a table.

    .venv/bin/python benchmarks/demo_quality.py [--articles 300] [--seed 42] [--store DIR]

Without --store, the demo corpus is served on 127.0.0.1 and ingested into a temporary store through the real
pipeline (as `newsmon demo` does); with --store, an existing demo store built from the same seed and size is read.
Columns: articles stored; all body paragraphs kept; no furniture phrase (ingest.demo.templates.FURNITURE) and no
photo caption in the text; headline not repeated in the body; published_at equal to the true instant; body person
counts exactly the ground truth; body topics exactly the ground truth.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import UTC
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.demo.corpus import Corpus, build_corpus  # noqa: E402
from ingest.demo.server import DemoServer  # noqa: E402

COLUMNS = ("stored", "paragraphs", "no furniture", "no caption", "no headline", "date exact", "people exact",
           "topics exact")


def ingest_demo(corpus: Corpus, store: Path) -> None:
    from ingest.pipeline import format_summary, run_ingest
    from ingest.settings import Settings
    from ingest.sources.discover import Source

    settings = Settings().with_(store=store, allow_private=True, host_delay=0.0, per_host=8, progress=False)
    with DemoServer(corpus) as server:
        summary = run_ingest([Source("feed", url, name) for name, url in server.feed_urls()], settings)
    print(format_summary(summary), end="\n\n")


def score(corpus: Corpus, store: Path) -> tuple[dict[str, Counter[str]], Counter[str]]:
    con = duckdb.connect()
    arts = con.execute(f"select id, url, title, text, published_at from read_parquet('{store}/articles/*.parquet')").fetchall()
    mentions: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
    for aid, eid, kind, field in con.execute(
            f"select article_id, entity_id, kind, field from read_parquet('{store}/mentions/*.parquet')").fetchall():
        mentions[aid][(eid, kind, field)] += 1
    truth = {a.path: a for a in corpus.articles}
    table: dict[str, Counter[str]] = defaultdict(Counter)
    leaks: Counter[str] = Counter()
    for aid, url, title, text, published in arts:
        art = truth[re.sub(r"^https?://[^/]+", "", url).split("?")[0]]
        row = table[art.outlet]
        flat = re.sub(r"\s+", " ", text)
        found = [ph for ph in corpus.furniture[art.outlet] if ph in flat]
        leaks.update(f"{art.outlet}: {ph}" for ph in found)
        m = mentions.get(aid, Counter())
        people = {e: n for (e, k, f), n in m.items() if k == "person" and f == "body"}
        topics = tuple(sorted(e for (e, k, f) in m if k == "topic" and f == "body"))
        checks = {
            "stored": True,
            "paragraphs": all(p in flat for p in art.paragraphs),
            "no furniture": not found,
            "no caption": not (art.caption and art.caption.partition(". ")[0] in flat),
            "no headline": title not in text.split("\n\n")[:3],
            "date exact": published is not None and published.astimezone(UTC) == art.published.astimezone(UTC),
            "people exact": people == dict(art.body_mentions),
            "topics exact": topics == art.topics,
        }
        row.update(k for k, ok in checks.items() if ok)
    for a in corpus.articles:
        table[a.outlet]["expected"] += 1
    return table, leaks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--store", type=Path, help="an existing demo store built from the same --seed and --articles")
    args = ap.parse_args()
    corpus = build_corpus(seed=args.seed, n_articles=args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if args.store is None:
            ingest_demo(corpus, store)
        table, leaks = score(corpus, store)
    print("| outlet | expected | " + " | ".join(COLUMNS) + " |")
    print("|---|---:|" + "---:|" * len(COLUMNS))
    total: Counter[str] = Counter()
    for outlet in corpus.outlets:
        row = table[outlet.slug]
        total.update(row)
        print(f"| {outlet.name} | {row['expected']} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    print(f"| all | {total['expected']} | " + " | ".join(str(total[c]) for c in COLUMNS) + " |")
    if leaks:
        print("\nfurniture kept (pages): " + "; ".join(f"{k} {n}" for k, n in leaks.most_common(10)))


if __name__ == "__main__":
    main()
