"""The text index's build child: its time and peak memory on a store, this tree beside a baseline revision.

    .venv/bin/python benchmarks/text_index_build.py --store /work/bench/store-1m --work DIR [--baseline cf7787c]

Runs the build exactly as the server does (`python -m dashboard.data.search_build`, a job on its stdin:
dashboard/data/search_build.py) into a new directory, for this tree and, with --baseline, for the dashboard of a
git revision (`git archive`), one after the other, and samples the child's memory every 0.2 s: its peak resident
set (VmHWM: anonymous memory and the pages of files it maps, such as the index's own segments), and the peak of
its anonymous part (RssAnon: what the child itself allocated). The issue's target: the child at most 800 MB at
a million articles.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.first_chart import extract  # noqa: E402


def _status(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) // 1024
    except OSError:
        pass
    return out


def build_once(store: Path, tree: Path, out_dir: Path) -> dict:
    """Build a text index of the store with the dashboard in `tree`; time and memory of the child."""
    from ingest.store.parquet import Store

    s = Store(store)
    files = sorted(str(p.resolve()) for p in s.articles_dir.glob("*.parquet"))
    mentions = {p.name: str(p.resolve()) for p in s.mentions_dir.glob("*.parquet")}
    job = {"dir": str(out_dir), "files": files, "mentions": mentions, "parent": os.getpid()}
    env = dict(os.environ, PYTHONPATH=str(tree))
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.data.search_build"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=tree, env=env, text=True)
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            st = _status(proc.pid)
            for k in peak:
                peak[k] = max(peak[k], st.get(k, 0))
            time.sleep(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    proc.stdin.write(json.dumps(job) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    st = _status(proc.pid)  # the child waits for its stdin to close after its answer: VmHWM is still there
    peak["VmHWM"] = max(peak["VmHWM"], st.get("VmHWM", 0))
    proc.stdin.close()
    proc.wait()
    done.set()
    th.join()
    seconds = time.perf_counter() - t
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file()) / 1e6
    return {"result": line.strip(), "seconds": seconds, "peak_rss": peak["VmHWM"], "peak_anon": peak["RssAnon"],
            "peak_file": peak["RssFile"], "index_mb": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="where the indexes are built (removed after)")
    ap.add_argument("--baseline", default=None, help="also build with the dashboard of this git revision")
    ap.add_argument("--keep", action="store_true", help="keep this tree's index (in WORK/this) for reuse")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    variants = [("this tree", ROOT, args.work / "this")]
    if args.baseline:
        variants.append((f"baseline {args.baseline}", extract(args.baseline, args.work / "baseline-tree"),
                         args.work / "baseline"))
    rows, load = [], [os.getloadavg()[0]]
    try:
        for name, tree, out in variants:
            shutil.rmtree(out, ignore_errors=True)
            rows.append((name, build_once(args.store, tree, out)))
            load.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(args.work / "baseline-tree", ignore_errors=True)
        shutil.rmtree(args.work / "baseline", ignore_errors=True)
        if not args.keep:
            shutil.rmtree(args.work / "this", ignore_errors=True)
    print(f"\nText index build child on {args.store} (one after the other; 1-min load average "
          f"{min(load):.1f}-{max(load):.1f})")
    print("\n| dashboard | build s | peak RSS MB (VmHWM) | peak anonymous MB | peak file-backed MB | index MB | result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, r in rows:
        print(f"| {name} | {r['seconds']:.0f} | {r['peak_rss']:,} | {r['peak_anon']:,} | {r['peak_file']:,} | "
              f"{r['index_mb']:,.0f} | {r['result'][:40]} |")


if __name__ == "__main__":
    main()
