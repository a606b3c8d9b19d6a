"""Publication dates on ../shared/data/dates-dev (485 real pages with a hand-checked day and their URLs):
newsmon through its command line (`newsmon extract --jsonl --list`, one process for all pages), newsmon of the
baseline commit (benchmarks/baseline.py) and htmldate alone, in the same run.

Scoring as the set's README (htmldate's own evaluation): a page's day is right or wrong, no date is a miss, a
fallback to the fetch time counts as no date. newsmon's day is the page's local day where it gave an offset
(`published_local`), else the UTC day. "right" is right days / all pages, "precision" right / pages dated.

The set is split in two halves by the URL's SHA-1 (first byte even: half A, odd: half B). The date rules were
decided on half A only; half B is a check the rules were not fitted to, and the table gives both halves and the
total for every system.

    .venv/bin/python benchmarks/dates.py              # the table (make bench-dates)
    .venv/bin/python benchmarks/dates.py --ablation   # the order of witnesses, alternatives side by side
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline import BASELINE_COMMIT, BaselineWorker  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dates-dev"
TARGET = 0.93


@dataclass(frozen=True)
class Row:
    name: str
    right: int
    dated: int
    pages: int
    cpu_ms: float  # CPU milliseconds a page
    note: str = ""

    def line(self) -> str:
        return (f"{self.name:<44} {self.right / self.pages:>6.3f} {self.right / max(1, self.dated):>9.3f} "
                f"{self.dated:>6} {self.cpu_ms:>9.1f}  {self.note}")


def half(url: str) -> str:
    """"A" (the half the rules were decided on) or "B" (the check), by the URL's SHA-1."""
    return "A" if hashlib.sha1(url.encode("utf-8")).digest()[0] % 2 == 0 else "B"


def load_cases(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()]


def newsmon_cli(folder: Path, cases: list[dict]) -> tuple[list[dict], float, float]:
    """`newsmon extract --jsonl --list` over every page: its JSON lines, CPU seconds and wall seconds."""
    newsmon = Path(sys.executable).parent / "newsmon"
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "pages.tsv"
        listing.write_text("".join(f"{folder / c['page']}\t{c['url']}\n" for c in cases), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([str(newsmon), "extract", "--jsonl", "--list", str(listing)], capture_output=True,
                              text=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"newsmon extract failed: {done.stderr[-2000:]}")
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(records) != len(cases):
        raise SystemExit(f"newsmon extract printed {len(records)} records for {len(cases)} pages")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return records, cpu, wall


def record_day(record: dict) -> str | None:
    """The day newsmon gives a page: local where the page gave an offset, else UTC; None for none or fetched."""
    if "error" in record or record.get("published_source") == "fetched":
        return None
    stamp = record.get("published_local") or record.get("published")
    return stamp[:10] if stamp else None


def score(name: str, cases: list[dict], days: list[str | None], cpu_s: float, note: str = "") -> Row:
    right = sum(d == c["date"] for d, c in zip(days, cases, strict=True))
    return Row(name, right, sum(d is not None for d in days), len(cases), 1000 * cpu_s / len(cases), note)


def split_line(name: str, cases: list[dict], days: list[str | None]) -> str:
    """right / precision / dated of one system on half A, half B and all pages."""
    cells = []
    for part in ("A", "B", None):
        pairs = [(d, c) for d, c in zip(days, cases, strict=True) if part is None or half(c["url"]) == part]
        right = sum(d == c["date"] for d, c in pairs)
        dated = sum(d is not None for d, _ in pairs)
        cells.append(f"{right / len(pairs):>6.3f} {right / max(1, dated):>6.3f} {dated:>4}/{len(pairs):<4}")
    return f"{name:<44} " + "  ".join(cells)


def run_htmldate(folder: Path, cases: list[dict], extensive: bool) -> tuple[list[str | None], float]:
    from htmldate import find_date

    pages = [(gzip.decompress((folder / c["page"]).read_bytes()), c["url"]) for c in cases]
    find_date(pages[0][0], url=pages[0][1], original_date=True, extensive_search=extensive)  # warm-up
    days, cpu = [], 0.0
    for html, url in pages:
        t0 = time.process_time()
        days.append(find_date(html, url=url, original_date=True, extensive_search=extensive))
        cpu += time.process_time() - t0
    return days, cpu


def run_baseline(folder: Path, cases: list[dict], commit: str) -> tuple[list[dict], float]:
    with BaselineWorker(folder, commit) as old:
        results, cpu = [], 0.0
        for start in range(0, len(cases), 50):
            part, seconds = old.extract(list(range(start, min(start + 50, len(cases)))))
            results.extend(part)
            cpu += seconds
    return results, cpu


def baseline_day(result: dict) -> str | None:
    if "error" in result or result.get("published_source") == "fetched" or not result.get("published"):
        return None
    return datetime.fromisoformat(result["published"]).astimezone(UTC).date().isoformat()


def main_table(folder: Path, commit: str) -> int:
    cases = load_cases(folder)
    load = os.getloadavg()[0]
    records, cpu, wall = newsmon_cli(folder, cases)
    ours_days = [record_day(r) for r in records]
    rows = [score("newsmon extract --jsonl --list (this tree)", cases, ours_days, cpu,
                  f"one process, {wall:.0f} s wall, start-up included")]
    split = [split_line(rows[0].name, cases, ours_days)]
    if commit.lower() != "none":
        results, bcpu = run_baseline(folder, cases, commit)
        days = [baseline_day(r) for r in results]
        rows.append(score(f"newsmon @ {commit} (baseline)", cases, days, bcpu,
                          f"{sum('error' in r for r in results)} pages with no article"))
        split.append(split_line(rows[-1].name, cases, days))
    for extensive in (True, False):
        days, hcpu = run_htmldate(folder, cases, extensive)
        rows.append(score(f"htmldate extensive_search={extensive}", cases, days, hcpu, "original_date=True"))
        split.append(split_line(rows[-1].name, cases, days))
    print(f"dates-dev: {len(cases)} pages with their URLs; load average (1 min) {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")
    head = f"{'system':<44} {'right':>6} {'precision':>9} {'dated':>6} {'CPU ms/p':>9}  note"
    print(head)
    print("-" * len(head))
    for row in rows:
        print(row.line())
    ours = rows[0]
    print()
    print(f"{'by half (right precision dated/pages)':<44} {'half A (rules decided on)':<22}  "
          f"{'half B (check)':<22}  all pages")
    for line in split:
        print(line)
    sources = Counter(r.get("published_source", "no article") for r in records)
    print("newsmon provenance: " + ", ".join(f"{k} {v}" for k, v in sources.most_common()))
    local = sum(bool(r.get("published_local")) for r in records)
    print(f"pages with the page's own UTC offset kept: {local}")
    failures = [r for r in records if "error" in r]
    print(f"pages with no article: {len(failures)}")
    for r in failures:
        print(f"  {r['error']}: {r.get('detail', '')[:70]}  {r['url'][:80]}")
    right, precision = ours.right / ours.pages, ours.right / max(1, ours.dated)
    print(f"target day right >= {TARGET}: {right:.4f} = {ours.right}/{ours.pages} ({'met' if right >= TARGET else 'NOT met'}); "
          f"precision >= {TARGET}: {precision:.4f} = {ours.right}/{ours.dated} "
          f"({'met' if precision >= TARGET else 'NOT met'})")
    return 0


def ablation(folder: Path) -> int:
    """Each witness alone and the orders that were tried, over the same witnesses of each page (in process)."""
    from ingest.extract import dates as D
    from ingest.extract.candidates import parse_html
    from ingest.fetch.decoding import decode_html

    cases = load_cases(folder)
    latest = datetime.now(UTC)
    pages = []
    cpu = Counter()
    for c in cases:
        text = decode_html(gzip.decompress((folder / c["page"]).read_bytes()))
        doc = parse_html(text) if isinstance(text, str) else None
        w: dict = {"url": D.url_date(c["url"])}
        if doc is not None:
            for key, fn, args in (("fast", D.htmldate_day, (doc, c["url"], latest, False)),
                                  ("extensive", D.htmldate_day, (doc, c["url"], latest, True)),
                                  ("jsonld", D.jsonld_stamps, (doc,)), ("meta", D.meta_stamps, (doc,))):
                t0 = time.process_time()
                w[key] = fn(*args)
                cpu[key] += time.process_time() - t0
            t0 = time.process_time()
            w["newsmon"] = D.pick_published(doc, c["url"], now=latest)
            cpu["newsmon"] += time.process_time() - t0
        pages.append(w)

    def first(stamps, timed=False):
        return next((s for s in stamps or [] if s.has_time or not timed), None)

    def structured(w, timed=False):
        s = first(w.get("meta"), timed) or first(w.get("jsonld"), timed)
        return s.local_day() if s else None

    def refine(w, day):
        if day is None:
            return None
        s = D._best_on_day((w.get("meta") or []) + (w.get("jsonld") or []), day)
        return s.local_day() if s else day

    def newsmon(w):
        p = w.get("newsmon")
        return None if p is None or p.source == "fetched" else (p.local or p.at).date()

    strategies: list[tuple[str, Callable[[dict], date | None]]] = [
        ("meta alone", lambda w: structured({"meta": w.get("meta")})),
        ("JSON-LD alone", lambda w: structured({"jsonld": w.get("jsonld")})),
        ("URL alone", lambda w: w["url"].date() if w["url"] else None),
        ("meta > JSON-LD > URL (newsmon before)", lambda w: structured(w) or (w["url"].date() if w["url"] else None)),
        ("htmldate fast (newsmon's view of the page)", lambda w: w.get("fast")),
        ("htmldate extensive (newsmon's view of the page)", lambda w: w.get("extensive")),
        ("timed meta/JSON-LD > htmldate extensive", lambda w: structured(w, True) or w.get("extensive")),
        ("htmldate fast > timed structured > extensive", lambda w: w.get("fast") or structured(w, True)
         or w.get("extensive")),
        ("  + the page's offset on htmldate's day", lambda w: refine(w, w.get("fast")) or structured(w, True)
         or refine(w, w.get("extensive"))),
        ("  + agreeing JSON-LD and meta outvote (newsmon*)", newsmon),
    ]
    print(f"{'order of witnesses':<50} {'right':>6} {'precision':>9} {'dated':>6}")
    for name, fn in strategies:
        days = [fn(w) for w in pages]
        right = sum(d is not None and d.isoformat() == c["date"] for d, c in zip(days, cases, strict=True))
        dated = sum(d is not None for d in days)
        print(f"{name:<50} {right / len(cases):>6.3f} {right / max(1, dated):>9.3f} {dated:>6}")
    print("* pick_published on the page alone: no body text and no language here, so no dateline and no Solar Hijri "
          "witness; 'newsmon's view of the page' is htmldate without update declarations, comment threads and the "
          "site's header (ingest/extract/htmldate_witness.py)")
    print("CPU ms a page: " + ", ".join(f"{k} {1000 * v / len(cases):.1f}" for k, v in cpu.items()))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEV, help="folder with cases.jsonl and pages/ (default: %(default)s)")
    ap.add_argument("--baseline", default=BASELINE_COMMIT, metavar="COMMIT",
                    help="also run this commit's newsmon (default %(default)s; 'none' to skip)")
    ap.add_argument("--ablation", action="store_true", help="each witness and order of witnesses")
    args = ap.parse_args(argv)
    if not (args.data / "cases.jsonl").exists():
        print(f"dates dev set not found at {args.data}", file=sys.stderr)
        return 2
    return ablation(args.data) if args.ablation else main_table(args.data, args.baseline)


if __name__ == "__main__":
    sys.exit(main())
