"""Mentions: quality on real pages and on the labelled sentences, throughput against a regex, and a large recount.

    .venv/bin/python benchmarks/mentions.py [--texts 10000] [--aliases 1000] [--recount 1000000] [--seed 42]
        [--baseline cf7787c] [--no-real]

0. Quality on real pages (benchmarks/mentions_real.py): the hand labels of tests/data/mentions_real_pages.jsonl with
   a watchlist of names and aliases only, per split, beside a naive exact matcher and the baseline commit's matcher.
1. Precision and recall on tests/data/mentions_labelled.jsonl, people counted per mention (an item's expected people
   are a multiset: "Putin told Abbas that Putin..." expects putin twice), topics per item.
2. Throughput on --texts generated article texts (about 3,000 characters each, deterministic) with a watchlist of
   exactly --aliases aliases: the default watchlist plus generated fictional people. The baseline, in the same run, is
   one compiled `re` alternation of the same aliases (case-insensitive, longest first, whole words). newsmon's figure
   is the whole `Matcher.find` (folding, fuzzy slips, derived family names, licences, topics), not just the
   automaton; the baseline commit's matcher runs on the same texts, interleaved in chunks of 100.
3. Recount: --recount generated articles written through the real store writer into a temporary directory, then
   `recount()` on all cores, timed (generation is not timed), once with this tree's code and default watchlist and
   once with the baseline commit's. --recount 0 skips it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.mentions_real import BASELINE, baseline_package, quality_tables  # noqa: E402
from ingest.mentions.matcher import Matcher  # noqa: E402
from ingest.mentions.recount import recount  # noqa: E402
from ingest.mentions.watchlist import Watchlist, default_path, load_watchlist, parse_watchlist  # noqa: E402
from ingest.records import Article  # noqa: E402
from ingest.store.parquet import Store, article_id  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "mentions_labelled.jsonl"

SYLLABLES = (
    "ka lo mi ra ven dor tes bra qui no shel ak ur zim pol ter va nik os ha rem tu lin gar sa fe".split()
)
PLACES = ["Geneva", "Cairo", "Oslo", "Brasilia", "Jakarta", "Ankara", "Nairobi", "Warsaw", "Doha", "Lima"]
FILLER = [
    "Officials in {place} said the talks would continue next week.",
    "The ministry published new figures on Tuesday, showing a rise in prices.",
    "Analysts said the decision could take months to have an effect on the economy.",
    "Residents described long queues at petrol stations and shops across {place}.",
    "A spokesman declined to comment on the reports, citing the sensitivity of the matter.",
    "The meeting, which lasted more than three hours, ended without a joint statement.",
    "Independent observers said the figures could not be verified.",
    "The central bank left interest rates unchanged for a third month in a row.",
    "Several delegations arrived late because of the weather in {place}.",
    "The agreement must still be approved by parliament before it can take effect.",
]
NAMED = [
    "{a} met {b} in {place} to discuss the ceasefire.",
    "{a} said on Monday that sanctions would remain in place.",
    "In a statement, {a}'s office said the visit to {place} had been postponed.",
    "{a} and {b} spoke by phone about the war in Ukraine.",
    "Speaking in {place}, {a} called for humanitarian aid to reach Gaza.",
    "The pro-{a} newspaper in {place} ran the story on its front page.",
]


def score(matcher: Matcher, items: list[dict]) -> dict[str, float]:
    """Precision and recall for people (per mention) and topics (per item) on labelled items."""
    c = Counter()
    for it in items:
        found = matcher.find(it.get("title", ""), it["text"])
        got = Counter(m.entity_id for m in found if m.kind == "person")
        want = Counter(it["people"])
        c["tp"] += sum((got & want).values())
        c["fp"] += sum((got - want).values())
        c["fn"] += sum((want - got).values())
        gt, wt = {m.entity_id for m in found if m.kind == "topic"}, set(it["topics"])
        c["ttp"] += len(gt & wt)
        c["tfp"] += len(gt - wt)
        c["tfn"] += len(wt - gt)

    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    return {
        "people_precision": ratio(c["tp"], c["tp"] + c["fp"]),
        "people_recall": ratio(c["tp"], c["tp"] + c["fn"]),
        "topics_precision": ratio(c["ttp"], c["ttp"] + c["tfp"]),
        "topics_recall": ratio(c["ttp"], c["ttp"] + c["tfn"]),
        "people_expected": c["tp"] + c["fn"],
        "topics_expected": c["ttp"] + c["tfn"],
    }


def load_labelled() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def _fictional(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def benchmark_watchlist(n_aliases: int, rng: random.Random) -> tuple[Watchlist, list[str], str]:
    """The default watchlist plus fictional people, with exactly n_aliases alias strings (names included)."""
    base = default_path().read_text(encoding="utf-8")
    wl = parse_watchlist(base)
    aliases = [a for p in wl.people for a in (*p.aliases, *p.short)]
    extra, seen = [], {a.lower() for a in aliases}
    while len(aliases) < n_aliases:
        first, last = _fictional(rng), _fictional(rng)
        full = f"{first} {last}"
        if full.lower() in seen or last.lower() in seen:
            continue
        forms = [full, last][: n_aliases - len(aliases)]
        seen.update(f.lower() for f in forms)
        aliases += forms
        extra.append(forms)
    toml = "".join(
        f'\n[[people]]\nid = "fict-{i}"\nname = "{forms[0]}"\naliases = {json.dumps(forms[1:])}\n'
        for i, forms in enumerate(extra)
    )
    return parse_watchlist(base + toml, "benchmark watchlist"), aliases, base + toml


def generate_texts(n: int, names: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """n (title, body) pairs of about 3,000 characters, naming people from `names` now and then."""
    paragraphs = []
    for _ in range(2000):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            template = rng.choice(NAMED) if rng.random() < 0.25 else rng.choice(FILLER)
            sentences.append(
                template.format(a=rng.choice(names), b=rng.choice(names), place=rng.choice(PLACES))
            )
        paragraphs.append(" ".join(sentences))
    out = []
    for _ in range(n):
        body = "\n\n".join(rng.choice(paragraphs) for _ in range(rng.randint(9, 12)))
        out.append((f"{rng.choice(names)} visits {rng.choice(PLACES)} as talks resume", body))
    return out


def regex_baseline(aliases: list[str]) -> re.Pattern:
    alternation = "|".join(re.escape(a) for a in sorted(set(aliases), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def time_throughput(texts: list[tuple[str, str]], methods: dict[str, Callable[[str, str], int]]) -> dict[str, float]:
    """Each method over the same texts, interleaved in chunks of 100 so that all see the same machine load."""
    r = {f"{k}_s": 0.0 for k in methods} | {f"{k}_found": 0 for k in methods}
    for i in range(0, len(texts), 100):
        chunk = texts[i : i + 100]
        for name, run in methods.items():
            t0 = time.perf_counter()
            r[f"{name}_found"] += sum(run(title, body) for title, body in chunk)
            r[f"{name}_s"] += time.perf_counter() - t0
    return r


def _store(n: int, watchlist: Watchlist, rng: random.Random, root: Path) -> tuple[float, float]:
    """Write n generated articles through the store writer; (seconds, megabytes)."""
    names = [p.name for p in watchlist.people] + [_fictional(rng) + " " + _fictional(rng) for _ in range(200)]
    texts = generate_texts(min(n, 20_000), names, rng)
    store = Store(root)
    t0 = time.perf_counter()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with store.writer() as w:
        batch: list[Article] = []
        for i in range(n):
            title, body = texts[i % len(texts)]
            url = f"https://bench.example/{i}"
            when = start + timedelta(minutes=i)
            batch.append(Article(article_id(url), url, PLACES[i % 10] + " Post", title, body, str(i), when, when))
            if len(batch) == 50_000:
                w.write_batch(batch)
                batch = []
        w.write_batch(batch)
    return time.perf_counter() - t0, sum(p.stat().st_size for p in root.rglob("*.parquet")) / 1e6


def time_recount(n: int, rng: random.Random, commit: str) -> list[dict]:
    """The recount of one generated store by this tree and by the baseline commit (its code, its default watchlist)."""
    watchlist = load_watchlist()
    tmp = Path(tempfile.mkdtemp(prefix="newsmon-recount-bench-"))
    rows = []
    try:
        generated, size = _store(n, watchlist, rng, tmp / "store")
        runs = [("this tree", recount, watchlist)]
        pkg = baseline_package(commit)
        if pkg is not None:
            from ingest_base.mentions.recount import recount as old_recount  # type: ignore[import-not-found]
            from ingest_base.mentions.watchlist import load_watchlist as old_load  # type: ignore[import-not-found]

            runs.insert(0, (f"baseline {commit}", old_recount, old_load(pkg / "data" / "watchlist.toml")))
        for label, run, wl in runs:
            report = run(tmp / "store", wl)
            rows.append(
                {
                    "label": label,
                    "articles": report.articles,
                    "files": report.files,
                    "mentions": report.mentions,
                    "recount_s": report.seconds,
                    "generate_s": generated,
                    "store_mb": size,
                }
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def review_dev_set(matcher: Matcher, show: bool) -> None:
    """Person mentions on the real pages of ../shared/data/extraction-dev (text by trafilatura), for review by hand."""
    import gzip

    import trafilatura

    dev = ROOT.parent / "shared" / "data" / "extraction-dev"
    if not (dev / "cases.jsonl").exists():
        print(f"\n(no extraction dev set at {dev}: real-page review skipped)")
        return
    cases = [json.loads(line) for line in (dev / "cases.jsonl").read_text().splitlines() if line.strip()]
    rules: Counter = Counter()
    lines = []
    for case in cases:
        html = gzip.decompress((dev / case["page"]).read_bytes()).decode("utf-8", "replace")
        text = trafilatura.extract(html, favor_precision=True) or ""
        for m in matcher.find("", text):
            if m.kind == "person":
                rules[m.rule] += 1
                context = " ".join(text[max(0, m.start - 60) : m.end + 60].split())
                lines.append(f"{m.entity_id:<14} {m.rule:<24} {m.matched!r:<22} | {context}")
    print(f"\n## Real pages: {len(cases)} pages of the extraction dev set, person mentions by rule\n")
    print("| " + " | ".join(rules) + " | total |")
    print("|" + "---:|" * (len(rules) + 1))
    print("| " + " | ".join(str(n) for n in rules.values()) + f" | {sum(rules.values())} |")
    if show:
        print()
        print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=10_000)
    ap.add_argument("--aliases", type=int, default=1_000)
    ap.add_argument("--recount", type=int, default=1_000_000, help="articles in the recount store (0: skip)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--baseline", default=BASELINE, help="commit whose matcher and recount are measured beside")
    ap.add_argument("--no-real", action="store_true", help="skip the real pages (extracting them takes minutes)")
    ap.add_argument("--review", action="store_true", help="list every person mention found on the real pages")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if not args.no_real:
        quality_tables("all", False, args.baseline)

    default = load_watchlist()
    t0 = time.perf_counter()
    matcher = Matcher(default)
    build_ms = (time.perf_counter() - t0) * 1000
    q = score(matcher, load_labelled())
    print(
        f"\n## Quality: {LABELLED.relative_to(ROOT)} ({len(load_labelled())} items, default watchlist {default.version})\n"
    )
    print("| entities | expected | precision | recall | target |")
    print("|---|---:|---:|---:|---|")
    print(
        f"| people (per mention) | {q['people_expected']} | {q['people_precision']:.3f} | {q['people_recall']:.3f} | P ≥ 0.98, R ≥ 0.97 |"
    )
    print(
        f"| topics (per item) | {q['topics_expected']} | {q['topics_precision']:.3f} | {q['topics_recall']:.3f} | - |"
    )
    if args.review:
        review_dev_set(matcher, args.review)

    wl, aliases, toml = benchmark_watchlist(args.aliases, rng)
    names = [p.name for p in wl.people]
    texts = generate_texts(args.texts, names, rng)
    chars = sum(len(t) + len(b) for t, b in texts)
    builds = {}
    t0 = time.perf_counter()
    big = Matcher(wl)
    builds["new"] = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    pattern = regex_baseline(aliases)
    builds["regex"] = (time.perf_counter() - t0) * 1000
    methods = {
        "regex": lambda title, body: len(pattern.findall(title)) + len(pattern.findall(body)),
        "new": lambda title, body: len(big.find(title, body, "en")),
    }
    labels = {"regex": "one compiled `re` alternation", "new": "newsmon Matcher.find, this tree (all rules)"}
    if baseline_package(args.baseline) is not None:
        from ingest_base.mentions.matcher import Matcher as OldMatcher  # type: ignore[import-not-found]
        from ingest_base.mentions.watchlist import parse_watchlist as old_parse  # type: ignore[import-not-found]

        t0 = time.perf_counter()
        old = OldMatcher(old_parse(toml, "benchmark watchlist"))
        builds["old"] = (time.perf_counter() - t0) * 1000
        methods["old"] = lambda title, body: len(old.find(title, body))
        labels["old"] = f"newsmon Matcher.find at {args.baseline}"
    r = time_throughput(texts, methods)
    print(
        f"\n## Throughput: {args.texts} texts ({chars / args.texts:.0f} chars each), {len(set(aliases))} aliases, 1 core\n"
    )
    print("| method | build | total | texts/s | MB/s | found | speed-up over the regex |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key in ("regex", "old", "new"):
        if key not in methods:
            continue
        secs = r[f"{key}_s"]
        print(
            f"| {labels[key]} | {builds[key]:.0f} ms | {secs:.2f} s | {args.texts / secs:,.0f} | {chars / secs / 1e6:.1f} "
            f"| {r[f'{key}_found']} | {r['regex_s'] / secs:.1f}× |"
        )
    print(
        f"\n(default watchlist Matcher built in {build_ms:.0f} ms; the matchers count topics too, the regex only names;"
        " the texts are English and this tree's matcher is told so)"
    )

    if args.recount:
        rows = time_recount(args.recount, rng, args.baseline)
        print(f"\n## Recount: {rows[0]['articles']:,} generated articles, {rows[0]['files']} files, all {os.cpu_count()} cores\n")
        print("| code and default watchlist | store size | mentions | recount time | articles/s | × baseline |")
        print("|---|---:|---:|---:|---:|---:|")
        base = rows[0]["recount_s"]
        for c in rows:
            print(
                f"| {c['label']} | {c['store_mb']:,.0f} MB | {c['mentions']:,} | {c['recount_s']:.1f} s "
                f"| {c['articles'] / c['recount_s']:,.0f} | {c['recount_s'] / base:.2f} |"
            )
        print(f"\n(generating the store through the store writer took {rows[0]['generate_s']:.0f} s, not counted; target ≤ 1.5× the baseline)")


if __name__ == "__main__":
    main()
