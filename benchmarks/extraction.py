"""Article-body extraction benchmark: newspaper3k alone, trafilatura alone (default and favor_precision)
and newsmon's pipeline, side by side in one run, over ../shared/data/extraction-dev.

Scoring (the dev set's README): per snippet over all pages, a `with` snippet found in the extracted body is
a true positive, one missed a false negative; a `without` snippet found is a false positive. Precision,
recall and F1 over the totals. Speed is pages per CPU-second in this one process (pages/s per core), every
system fed the same raw bytes, after one warm-up page each (imports and lazy model loads are not timed); the
systems run interleaved, 20 pages at a time in rotating order, so that they all see the same machine load.

    .venv/bin/python benchmarks/extraction.py                 # the table (markdown with --markdown)
    .venv/bin/python benchmarks/extraction.py --ablation      # what each part of newsmon's merge adds
    .venv/bin/python benchmarks/extraction.py --rules         # what each furniture rule removed
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.extract import newspaper_fix  # noqa: E402

newspaper_fix.apply()  # newspaper3k as the project runs it: lxml-6 fix, offline tldextract (nothing else)

import newspaper  # noqa: E402
import trafilatura  # noqa: E402

from benchmarks.baseline import BASELINE_COMMIT, BaselineWorker  # noqa: E402
from ingest.extract.article import extract_article  # noqa: E402
from ingest.records import Failure  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "extraction-dev"


@dataclass(frozen=True)
class Case:
    url: str
    html: bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    name: str
    precision: float
    recall: float
    f1: float
    pages_per_s: float
    tp: int
    fn: int
    fp: int


def load_cases(folder: Path = DEV, limit: int | None = None) -> list[Case]:
    cases = []
    with open(folder / "cases.jsonl", encoding="utf-8") as fh:
        for line in fh:
            c = json.loads(line)
            cases.append(Case(c["url"], gzip.decompress((folder / c["page"]).read_bytes()),
                              tuple(c["with"]), tuple(c["without"])))
            if limit and len(cases) >= limit:
                break
    return cases


def score_texts(cases: list[Case], texts: list[str]) -> tuple[int, int, int]:
    tp = fn = fp = 0
    for case, text in zip(cases, texts, strict=True):
        for s in case.with_:
            if s in text:
                tp += 1
            else:
                fn += 1
        fp += sum(1 for s in case.without if s in text)
    return tp, fn, fp


def run_newspaper(case: Case) -> str:
    article = newspaper.Article(case.url, fetch_images=False)
    try:
        article.set_html(case.html)
        article.parse()
    except Exception:  # newspaper3k raises on some pages (control characters); that page scores as empty
        return ""
    return article.text


def run_trafilatura(case: Case) -> str:
    return trafilatura.extract(case.html, url=case.url) or ""


def run_trafilatura_precision(case: Case) -> str:
    return trafilatura.extract(case.html, url=case.url, favor_precision=True) or ""


def run_newsmon(case: Case) -> str:
    result = extract_article(case.html, case.url)
    return "" if isinstance(result, Failure) else result.text


SYSTEMS: list[tuple[str, Callable[[Case], str]]] = [
    ("newspaper3k", run_newspaper),
    ("trafilatura", run_trafilatura),
    ("trafilatura favor_precision", run_trafilatura_precision),
    ("newsmon", run_newsmon),
]


def warm_up() -> None:
    """Import what newspaper3k imports lazily on its first Arabic/Chinese/Japanese page (nltk alone takes
    ~2.5 s, scipy included): a once-per-process cost that would otherwise be charged to whichever system
    meets such a page first."""
    for module in ("nltk", "jieba", "tinysegmenter"):
        try:
            __import__(module)
        except ImportError:
            pass
    try:
        import jieba

        jieba.initialize()  # its dictionary (~2-6 s) is built on the first Chinese page otherwise
    except ImportError:
        pass


def measure_all(systems: list[tuple[str, Callable[[Case], str]]], cases: list[Case], chunk: int = 20,
                baseline: BaselineWorker | None = None) -> list[Score]:
    """Run every system over the same pages, interleaved in chunks (the order rotating from chunk to chunk),
    so that all of them see the same machine load; CPU time is summed per system. `baseline` (another commit's
    newsmon in a worker process, benchmarks/baseline.py) joins the rotation as one more system."""
    for _, fn in systems:
        fn(cases[0])  # warm-up: lazy loads (tld snapshot, language model) are not per-page work
    names = [name for name, _ in systems] + ([f"newsmon @ {baseline.commit} (baseline)"] if baseline else [])
    cpu = [0.0] * len(names)
    texts: list[list[str]] = [[] for _ in names]
    for k, start in enumerate(range(0, len(cases), chunk)):
        part = cases[start:start + chunk]
        for j in (list(range(len(names)))[k % len(names):] + list(range(len(names)))[:k % len(names)]):
            if j == len(systems):
                results, seconds = baseline.extract(list(range(start, start + len(part))))
                texts[j].extend(r.get("text", "") for r in results)
                cpu[j] += seconds
                continue
            fn = systems[j][1]
            t0 = time.process_time()
            texts[j].extend(fn(c) for c in part)
            cpu[j] += time.process_time() - t0
    scores = []
    for name, out, seconds in zip(names, texts, cpu, strict=True):
        tp, fn_, fp = score_texts(cases, out)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn_) if tp + fn_ else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        scores.append(Score(name, p, r, f1, len(cases) / seconds if seconds else 0.0, tp, fn_, fp))
    return scores


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{m} {metadata.version(m)}" for m in ("newspaper3k", "trafilatura", "lxml"))
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; {versions}")


def table(scores: list[Score], markdown: bool) -> str:
    if markdown:
        lines = ["| extractor | precision | recall | F1 | pages/s per core |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {s.name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.pages_per_s:.1f} |" for s in scores]
        return "\n".join(lines)
    head = f"{'extractor':<30} {'precision':>9} {'recall':>7} {'F1':>6} {'pages/s/core':>12}  {'tp':>5} {'fn':>4} {'fp':>4}"
    lines = [head, "-" * len(head)]
    lines += [f"{s.name:<30} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.pages_per_s:>12.1f}  "
              f"{s.tp:>5} {s.fn:>4} {s.fp:>4}" for s in scores]
    return "\n".join(lines)


def targets(scores: list[Score]) -> str:
    by = {s.name: s for s in scores}
    base = next((s for s in scores if s.name.endswith("(baseline)")), None)
    best = max(by["newspaper3k"].f1, by["trafilatura"].f1, by["trafilatura favor_precision"].f1)
    ours = by["newsmon"]
    f1_ok = ours.f1 >= best + 0.01
    speed_ok = ours.pages_per_s >= by["newspaper3k"].pages_per_s
    return (f"target F1 >= best single extractor + 0.01 = {best + 0.01:.3f}: newsmon {ours.f1:.3f} "
            f"({'met' if f1_ok else 'NOT met'}); target pages/s >= newspaper3k's {by['newspaper3k'].pages_per_s:.1f}: "
            f"newsmon {ours.pages_per_s:.1f} ({'met' if speed_ok else 'NOT met'})"
            + ("" if base is None else
               f"\nagainst the baseline {base.name}: F1 {ours.f1:.3f} vs {base.f1:.3f} "
               f"({'not lower' if ours.f1 >= base.f1 else 'LOWER'}), pages/s/core {ours.pages_per_s:.1f} vs "
               f"{base.pages_per_s:.1f} ({ours.pages_per_s / base.pages_per_s:.2f}x)"))


def ablation(cases: list[Case]) -> None:
    """F1 of the pieces of newsmon's merge, on newsmon's own parse of each page."""
    from ingest.extract.candidates import newspaper_paragraphs, parse_html, trafilatura_paragraphs
    from ingest.extract.candidates import run_newspaper as np_run
    from ingest.extract.combine import merge_candidates
    from ingest.fetch.decoding import decode_html

    variants: dict[str, list[str]] = {k: [] for k in (
        "newspaper3k body (our parse)", "trafilatura body (our parse)", "merge without furniture rules",
        "newsmon merge")}
    for case in cases:
        text = decode_html(case.html)
        doc = parse_html(text) if isinstance(text, str) else None
        if doc is None:
            for v in variants.values():
                v.append("")
            continue
        np = np_run(doc, case.url)
        traf, news = trafilatura_paragraphs(doc, case.url), newspaper_paragraphs(np)
        variants["newspaper3k body (our parse)"].append("\n".join(p.text for p in news))
        variants["trafilatura body (our parse)"].append("\n".join(p.text for p in traf))
        variants["merge without furniture rules"].append(
            "\n".join(p.text for p in (traf if sum(len(p.text) for p in traf) >= 200 else news)))
        variants["newsmon merge"].append("\n".join(merge_candidates(traf, news, np.title).paragraphs))
    for name, texts in variants.items():
        tp, fn, fp = score_texts(cases, texts)
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        print(f"{name:<34} P={p:.3f} R={r:.3f} F1={2 * p * r / max(1e-9, p + r):.3f}")


def rules_report(cases: list[Case]) -> None:
    """What the furniture rules removed from trafilatura's body: per rule, body snippets lost and junk removed."""
    from ingest.extract.candidates import parse_html, trafilatura_paragraphs
    from ingest.extract.furniture import furniture_kind
    from ingest.fetch.decoding import decode_html

    lost, removed, lines = Counter(), Counter(), Counter()
    for case in cases:
        text = decode_html(case.html)
        doc = parse_html(text) if isinstance(text, str) else None
        for para in trafilatura_paragraphs(doc, case.url) if doc is not None else []:
            kind = furniture_kind(para.text)
            if kind:
                lines[kind] += 1
                lost[kind] += sum(s in para.text for s in case.with_)
                removed[kind] += sum(s in para.text for s in case.without)
    print(f"{'rule':<12} {'paragraphs':>10} {'junk snippets removed':>22} {'body snippets lost':>19}")
    for kind, n in lines.most_common():
        print(f"{kind:<12} {n:>10} {removed[kind]:>22} {lost[kind]:>19}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEV, help="folder with cases.jsonl and pages/ (default: %(default)s)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--ablation", action="store_true", help="F1 of each piece of newsmon's merge")
    ap.add_argument("--rules", action="store_true", help="what each furniture rule removed")
    ap.add_argument("--baseline", default=BASELINE_COMMIT, metavar="COMMIT",
                    help="also run this commit's newsmon in the same run (default %(default)s; 'none' to skip)")
    args = ap.parse_args(argv)
    if not (args.data / "cases.jsonl").exists():
        print(f"extraction dev set not found at {args.data}", file=sys.stderr)
        return 2
    cases = load_cases(args.data, args.limit)
    if args.ablation:
        ablation(cases)
        return 0
    if args.rules:
        rules_report(cases)
        return 0
    warm_up()
    load = os.getloadavg()[0]
    if args.baseline.lower() == "none":
        scores = measure_all(SYSTEMS, cases)
    else:
        with BaselineWorker(args.data, args.baseline) as old:
            scores = measure_all(SYSTEMS, cases, baseline=old)
    print(f"load average (1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(f"extraction-dev: {len(cases)} pages, "
          f"{sum(len(c.with_) for c in cases)} body snippets, {sum(len(c.without) for c in cases)} junk snippets")
    print(f"machine: {machine()}")
    print(table(scores, args.markdown))
    print(targets(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
