"""Kept pages (STORE/pages/, compressed WARC): what they cost on disk and in ingest time, and how fast
`newsmon clean --reextract` runs on them. Real pages: ../shared/data/extraction-dev and dates-dev (957 pages),
ingested as a folder of saved pages into two fresh stores, with pages kept and without, in the same run.

    .venv/bin/python benchmarks/store_pages.py          # make bench-store-pages
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.mentions.watchlist import load_watchlist  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from ingest.reextract import format_reextract, reextract_store  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sources.discover import Source  # noqa: E402
from ingest.store.pages import pages_dir  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SETS = ("extraction-dev", "dates-dev")


def size(path: Path, skip: Path | None = None) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        if skip is not None and Path(dirpath).is_relative_to(skip):
            continue
        total += sum((Path(dirpath) / f).lstat().st_size for f in files)
    return total


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--processes", type=int, default=2, help="extraction processes (default %(default)s)")
    args = ap.parse_args(argv)
    sets = [DATA / name for name in SETS if (DATA / name / "cases.jsonl").exists()]
    if not sets:
        print(f"no dev set found under {DATA}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsmon-pages-") as tmp:
        html = Path(tmp) / "html"
        html.mkdir()
        raw = 0
        for folder in sets:
            for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines():
                case = json.loads(line)
                body = gzip.decompress((folder / case["page"]).read_bytes())
                raw += len(body)
                (html / f"{folder.name}-{Path(case['page']).name.removesuffix('.gz')}").write_bytes(body)
        pages = len(list(html.iterdir()))
        load = os.getloadavg()[0]
        rows = []
        for keep in (False, True):
            store = Path(tmp) / f"store-{keep}"
            settings = Settings(store=store, progress=False, processes=args.processes, keep_pages=keep)
            c0, w0 = cpu(), time.perf_counter()
            summary = run_ingest([Source("html-dir", str(html), "bench")], settings)
            rows.append((keep, summary.total().stored, time.perf_counter() - w0, cpu() - c0,
                         size(store, pages_dir(store)), size(pages_dir(store)) if keep else 0, store))
        print(f"{pages} real pages ({raw / 1e6:.1f} MB of HTML) from {', '.join(s.name for s in sets)}; "
              f"{args.processes} extraction processes; load average (1 min) {load:.1f} at the start, "
              f"{os.getloadavg()[0]:.1f} at the end")
        head = (f"{'ingest':<18} {'articles':>8} {'wall s':>7} {'CPU s':>7} {'store MB':>9} {'pages/ MB':>10} "
                f"{'pages/ MB per 1,000 articles':>29}")
        print(head)
        print("-" * len(head))
        for keep, stored, wall, used, tables, kept, _ in rows:
            per = f"{kept / 1e6 / stored * 1000:.1f}" if keep and stored else "-"
            print(f"{'pages kept' if keep else 'pages not kept':<18} {stored:>8} {wall:>7.1f} {used:>7.1f} "
                  f"{tables / 1e6:>9.1f} {kept / 1e6:>10.1f} {per:>29}")
        store = rows[1][6]
        c0, w0 = cpu(), time.perf_counter()
        summary = reextract_store(store, load_watchlist(), processes=args.processes)
        wall, used = time.perf_counter() - w0, cpu() - c0
        print(f"newsmon clean --reextract on the kept pages: {summary.articles} articles in {wall:.1f} s wall, "
              f"{used:.1f} s CPU ({summary.articles / wall:.1f} articles/s)")
        print(format_reextract(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
