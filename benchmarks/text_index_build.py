"""The text index's build child: its time and peak memory on a store, this tree beside a baseline revision.

    .venv/bin/python benchmarks/text_index_build.py --store /work/bench/store-1m --work DIR [--baseline cf7787c]

Runs the build exactly as the server does (`python -m dashboard.data.search_build`, a job on its stdin:
dashboard/data/search_build.py) into a new directory, for this tree and, with --baseline, for the dashboard of a
git revision (`git archive`), one after the other, and samples the child's memory every 0.2 s: its peak resident
set (VmHWM: anonymous memory and the pages of files it maps, such as the index's own segments), and the peak of
its anonymous part (RssAnon: what the child itself allocated). The issue's target: the child at most 800 MB at
a million articles.

With --memory-limit MB each build also runs inside a memory cgroup of that size (benchmarks/memcg.py, root
only): the kernel then counts everything the child brings into memory, its anonymous memory and the page cache
of the files it reads and writes, and reclaims that cache before it kills. The table says whether the build
finished inside the limit, the cgroup's peak charge, and how often the limit forced a reclaim.
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

from benchmarks import memcg  # noqa: E402
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


def build_once(store: Path, tree: Path, out_dir: Path, limit_mb: int | None = None) -> dict:
    """Build a text index of the store with the dashboard in `tree`; time and memory of the child (inside a
    memory cgroup of `limit_mb` when given)."""
    from ingest.store.parquet import Store

    s = Store(store)
    files = sorted(str(p.resolve()) for p in s.articles_dir.glob("*.parquet"))
    mentions = {p.name: str(p.resolve()) for p in s.mentions_dir.glob("*.parquet")}
    job = {"dir": str(out_dir), "files": files, "mentions": mentions, "parent": os.getpid()}
    env = dict(os.environ, PYTHONPATH=str(tree))
    cgroup = memcg.MemoryCgroup("newsmon-bench-text-index", limit_mb) if limit_mb else None
    try:
        return _run_child(tree, out_dir, job, env, cgroup)
    finally:
        if cgroup:
            cgroup.close()


def _run_child(tree: Path, out_dir: Path, job: dict, env: dict, cgroup: memcg.MemoryCgroup | None) -> dict:
    """Run one build child (in `cgroup` if given), sampling its memory; its result, time and peaks."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.data.search_build"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=tree, env=env, text=True,
                            preexec_fn=cgroup.enter if cgroup else None)
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
    try:
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.flush()
    except BrokenPipeError:  # the child died first (a memory limit it could not start in): no result, said below
        pass
    line = proc.stdout.readline()
    st = _status(proc.pid)  # the child waits for its stdin to close after its answer: VmHWM is still there
    peak["VmHWM"] = max(peak["VmHWM"], st.get("VmHWM", 0))
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    code = proc.wait()
    done.set()
    th.join()
    seconds = time.perf_counter() - t
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file()) / 1e6
    out = {"result": line.strip() or f"no result (exit code {code})", "seconds": seconds, "peak_rss": peak["VmHWM"],
           "peak_anon": peak["RssAnon"], "peak_file": peak["RssFile"], "index_mb": size}
    if cgroup:
        out["cgroup"] = {"peak": cgroup.peak_mb(), "reclaims": cgroup.reclaims(), "oom_kills": cgroup.oom_kills(),
                         "finished": '"ok": true' in line and cgroup.oom_kills() == 0, "path": str(cgroup.path)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="where the indexes are built (removed after)")
    ap.add_argument("--baseline", default=None, help="also build with the dashboard of this git revision")
    ap.add_argument("--keep", action="store_true", help="keep this tree's index (in WORK/this) for reuse")
    ap.add_argument("--memory-limit", type=int, default=None, metavar="MB",
                    help="also run each build inside a memory cgroup of MB megabytes (root): does it finish?")
    args = ap.parse_args()
    if args.memory_limit and (why := memcg.available()):
        ap.error(f"--memory-limit: {why}")
    args.work.mkdir(parents=True, exist_ok=True)
    variants = [("this tree", ROOT, args.work / "this")]
    if args.baseline:
        variants.append((f"baseline {args.baseline}", extract(args.baseline, args.work / "baseline-tree"),
                         args.work / "baseline"))
    rows, load = [], [os.getloadavg()[0]]
    try:
        for name, tree, out in variants:
            shutil.rmtree(out, ignore_errors=True)
            rows.append((name, build_once(args.store, tree, out, args.memory_limit)))
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
    if args.memory_limit:
        print(f"\nInside a {args.memory_limit:,} MB memory cgroup (anonymous memory and page cache counted, the cache "
              "reclaimed at the limit)\n")
        print("| dashboard | finished inside the limit | cgroup peak MB | reclaims at the limit | OOM kills |")
        print("|---|---|---:|---:|---:|")
        for name, r in rows:
            c = r["cgroup"]
            print(f"| {name} | {'yes' if c['finished'] else 'no'} | {c['peak']:,} | {c['reclaims']:,} | "
                  f"{c['oom_kills']} |")


if __name__ == "__main__":
    main()
