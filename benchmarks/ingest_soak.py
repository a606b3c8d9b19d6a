"""Memory over a long ingest (`benchmarks/ingest_speed.py --soak N`, or this file alone): the RSS of the ingest's main
process and of each extraction worker, sampled at every store batch against the pages fetched so far; the growth
expected from the stored data (the story index's and the known ids/hashes' arrays, from their sizes); the slope of
each over the last 10,000 pages (or the last half of a shorter run) and what the stored data does not explain.

    .venv/bin/python -W ignore benchmarks/ingest_soak.py [--pages 20000] [--days 60] [--runs 1] [--trace]

Pages are benchmarks/ingest_speed.py's (the extraction dev set, each copy marked as its own article), served from
127.0.0.1 without latency. Each page gets a fresh publication date, a `<meta property="article:published_time">`
put first in its <head> (the date picker trusts it first): page i of N is dated `now - days + i * days / N`, so
dates advance through the run as in a live one and the story index's 14-day window evicts (rows published more
than two windows before the newest). `--archive-dates` serves the pages' own dates instead (the earlier soak:
they span years, so the window never fills and never evicts). `--runs R` runs the ingest R times into the same
store, each over N new pages, as `newsmon ingest --every` does, and reports the RSS between runs.

Columns: RSS (VmRSS); for the main process also glibc's own count (mallinfo2: bytes in use, free bytes it keeps),
pyarrow's pool and, with --trace, Python's heap (tracemalloc). The workers (forked by the run's process pool) are
sampled from inside: every WORKER_EVERY pages each writes its RSS and mallinfo2 to a file.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import os
import re
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import ingest_speed as pages_mod  # noqa: E402 - its pages and server
from benchmarks.feed_server import rss  # noqa: E402
from ingest import fetching, pipeline, worker  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sources.discover import Source  # noqa: E402

WORKER_EVERY = 250  # pages between two samples inside a worker
LAST = 10_000  # the slope is taken over the last LAST pages (or the last half of a shorter run)
DAYS = 60.0  # the pages' dates span this many days, ending now
FLAT = 0.5  # MB per 1,000 pages: an unexplained slope below this is "flat" (5 MB over 10,000 pages)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                 "fsmblks", "uordblks", "fordblks", "keepcost")]


try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallinfo2.restype = _MallInfo2
except (OSError, AttributeError):  # not glibc (or older than 2.33): no allocator figures
    _libc = None


def malloc_mb() -> tuple[float, float]:
    """glibc's (bytes in use, free bytes kept in its arenas) in MB; NaN off glibc."""
    if _libc is None:
        return float("nan"), float("nan")
    m = _libc.mallinfo2()
    return (m.uordblks + m.hblkhd) / 2**20, m.fordblks / 2**20


def pymalloc_mb() -> tuple[float, float]:
    """Python's small-object allocator: (MB of its arenas, MB of the blocks in use in them). Its arenas are mmap'd
    apart from malloc (not in mallinfo2) and go back only when wholly empty; `sys._debugmallocstats` counts them."""
    with tempfile.TemporaryFile("w+") as fh:
        saved = os.dup(2)
        os.dup2(fh.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        fh.seek(0)
        text = fh.read()
    arenas = re.search(r"^\d+ arenas \* \d+ bytes/arena\s*=\s*([\d,]+)", text, re.M)
    used = re.search(r"^# bytes in allocated blocks\s*=\s*([\d,]+)", text, re.M)
    if not arenas or not used:
        return float("nan"), float("nan")
    return int(arenas[1].replace(",", "")) / 2**20, int(used[1].replace(",", "")) / 2**20


MAPS = ("glibc main arena", "glibc thread arenas", "thread stacks", "other anonymous", "files (code, libraries)")
_HEAP_ALIGN = 64 * 2**20  # glibc's thread arenas live in 64 MiB-aligned heaps (HEAP_MAX_SIZE on 64-bit)
_STACK = 8 * 2**20  # a thread's stack (the default ulimit -s)


def smaps_mb(pid: int | str = "self") -> dict[str, float]:
    """The process's resident memory by kind of mapping, from /proc/PID/smaps, in MB."""
    out: dict[str, float] = {}
    kind = ""
    with open(f"/proc/{pid}/smaps") as fh:
        for line in fh:
            if "-" in line.split(" ", 1)[0] and not line.startswith(("Rss", "Size")):
                parts = line.split()
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                path = parts[5] if len(parts) > 5 else ""
                if path == "[heap]":
                    kind = "glibc main arena"
                elif path.startswith("/"):
                    kind = "files (code, libraries)"
                elif path:
                    kind = path
                elif lo % _HEAP_ALIGN == 0 and hi - lo <= _HEAP_ALIGN:
                    kind = "glibc thread arenas"
                elif hi - lo == _STACK:
                    kind = "thread stacks"
                else:
                    kind = "other anonymous"
            elif line.startswith("Rss:"):
                out[kind] = out.get(kind, 0.0) + int(line.split()[1]) / 1024
    return out


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dated(body: bytes, when: datetime) -> bytes:
    """The page with `when` as its first meta publication time."""
    meta = f'<meta property="article:published_time" content="{when.isoformat()}">'.encode()
    lower = body[:4096].lower()
    at = lower.find(b"<head")
    if at < 0:
        return meta + body
    end = body.find(b">", at)
    return body[:end + 1] + meta + body[end + 1:]


class SoakServer(pages_mod.SlowServer):
    """The benchmark's server, without latency, listing pages [first, first + n) with fresh advancing dates."""

    def __init__(self, pages: list[bytes], first: int, n: int, total: int, days: float | None) -> None:
        super().__init__(pages, n, 0.0, True)
        self.first, self.total, self.days = first, total, days
        self.now = datetime.now(UTC) - timedelta(hours=1)

    def date_of(self, i: int) -> datetime:
        return self.now - timedelta(days=self.days) + timedelta(days=self.days * i / self.total)

    def page(self, i: int) -> bytes:
        body = super().page(i)
        return dated(body, self.date_of(i)) if self.days else body

    def feed(self) -> bytes:
        return rss("soak", ((i, self.page_url(i)) for i in range(self.first, self.first + self.n)))


@dataclass
class Sample:
    pages: int  # fetched so far (all runs)
    stored: int
    rss: float
    in_use: float
    free: float
    py_arenas: float
    py_used: float
    arrow: float
    traced: float
    index: float  # MB of the story index's arrays (capacity included)
    known: float  # MB of the known ids' and hashes' arrays
    live: int  # story index rows alive
    at_batch: bool  # taken at a store batch (else before or after a run)
    connections: int  # in the httpx client's pool
    threads: int
    maps: dict[str, float]  # resident MB by kind of mapping (smaps_mb)


@dataclass
class Probe:
    """Patches the ingest's functions (where it looks them up) to sample its memory; undone by `close`."""

    workers_file: Path
    trace: bool = False
    samples: list[Sample] = field(default_factory=list)
    fetched: itertools.count = field(default_factory=itertools.count)
    stored: int = 0
    known: list = field(default_factory=list)
    client: object = None  # the run's httpx client
    log: Path | None = None  # each sample is also appended here as it is taken (to follow a long soak)

    def __post_init__(self) -> None:
        self.saved = [(fetching, "_get_page"), (pipeline, "_commit"), (pipeline, "KnownKeys"),
                      (worker, "process_for_store"), (pipeline, "make_client")]
        self.saved = [(m, n, getattr(m, n)) for m, n in self.saved]
        get_page, commit, known_keys, task, make_client = (s[2] for s in self.saved)
        probe = self

        def _make_client(*args):
            probe.client = make_client(*args)
            return probe.client

        def _get_page(*args):
            next(probe.fetched)
            return get_page(*args)

        def _commit(writer, batch, stories, *rest):
            commit(writer, batch, stories, *rest)
            probe.stored += len(batch)
            probe.sample(stories)

        class KnownKeys(known_keys):
            def __init__(self, *args) -> None:
                super().__init__(*args)
                probe.known.append(self)

        path, count = str(self.workers_file), itertools.count(1)

        def process_for_store(*args):  # runs in the workers (inherited when the pool forks them)
            out = task(*args)
            n = next(count)
            if n % WORKER_EVERY == 0:
                used, free = malloc_mb()
                arenas, _ = pymalloc_mb()
                with open(path, "a") as fh:
                    fh.write(f"{os.getpid()} {n} {rss_mb():.1f} {used:.1f} {free:.1f} {arenas:.1f} "
                             f"{pa.total_allocated_bytes() / 2**20:.1f}\n")
            return out

        process_for_store.__module__, process_for_store.__qualname__ = task.__module__, task.__qualname__
        fetching._get_page, pipeline._commit, pipeline.KnownKeys = _get_page, _commit, KnownKeys
        pipeline.make_client = _make_client
        worker.process_for_store = process_for_store

    def close(self) -> None:
        for module, name, original in self.saved:
            setattr(module, name, original)

    def sample(self, stories=None) -> None:
        used, free = malloc_mb()
        index = sum(v.nbytes for v in vars(stories).values() if isinstance(v, np.ndarray)) if stories else 0
        known = sum(k._sorted.nbytes + k._buffer.nbytes for k in self.known[-2:])
        traced = tracemalloc.get_traced_memory()[0] / 2**20 if self.trace else float("nan")
        self.samples.append(Sample(self._fetched(), self.stored, rss_mb(), used, free, *pymalloc_mb(),
                                   pa.total_allocated_bytes() / 2**20, traced, index / 2**20, known / 2**20,
                                   len(stories) if stories else 0, stories is not None, self._connections(),
                                   threading.active_count(), smaps_mb()))
        if self.log:
            with open(self.log, "a") as fh:
                fh.write(f"{time.strftime('%H:%M:%S')} {self.samples[-1]}\n")

    def _connections(self) -> int:
        try:
            return len(self.client._transport._pool.connections)
        except AttributeError:
            return 0

    def _fetched(self) -> int:
        return int(repr(self.fetched)[6:-1])  # itertools.count's repr is its next value

    def workers(self) -> dict[int, list[tuple[int, float, float, float, float]]]:
        """Each worker's samples: (its pages, RSS, malloc in use, malloc free, Python arenas, arrow) in MB."""
        out: dict[int, list] = {}
        if self.workers_file.exists():
            for line in self.workers_file.read_text().splitlines():
                pid, n, *mb = line.split()
                out.setdefault(int(pid), []).append((int(n), *map(float, mb)))
        return out


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs, per 1,000 x; NaN with fewer than 3 points."""
    if len(xs) < 3 or any(np.isnan(ys)):
        return float("nan")
    return float(np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)[0]) * 1000


def run(pages: list[bytes], n: int, runs: int, days: float | None, trace: bool, processes: int,
        log: Path | None = None) -> dict:
    """`runs` ingests of `n` new pages each into one store; the probe's samples and the RSS around each run."""
    between, maps = [], []
    with tempfile.TemporaryDirectory() as tmp:
        probe = Probe(Path(tmp) / "workers.txt", trace, log=log)
        if trace:
            tracemalloc.start(1)
            worker_init = worker.init_worker

            def init_untraced(*args):  # forked workers inherit tracing: only the main process is traced
                tracemalloc.stop()
                return worker_init(*args)

            worker.init_worker = init_untraced
        settings = Settings(store=Path(tmp) / "store", allow_private=True, host_delay=0.0, per_host=32,
                            fetch_threads=32, processes=processes, progress=False, respect_robots=False)
        try:
            for r in range(runs):
                server = SoakServer(pages, r * n, n, runs * n, days)
                before = rss_mb()
                maps.append((f"before run {r + 1}", smaps_mb()))
                probe.sample()
                t = time.perf_counter()
                summary = pipeline.run_ingest([Source("feed", server.url + "/rss", "soak")], settings)
                seconds = time.perf_counter() - t
                server.close()
                probe.sample()
                maps.append((f"after run {r + 1}", smaps_mb()))
                between.append((before, rss_mb(), summary.total().fetched, summary.total().stored, seconds))
            workers = probe.workers()
        finally:
            probe.close()
            if trace:
                worker.init_worker = worker_init
                tracemalloc.stop()
    return {"samples": probe.samples, "workers": workers, "runs": between, "maps": maps}


def from_log(log: Path, workers_file: Path | None) -> dict:
    """The result of a soak rebuilt from its --log (and its workers' file), e.g. to report on one still running,
    as one run from its first sample to its last."""
    samples, clock = [], []
    for line in log.read_text().splitlines():
        at, text = line.split(" ", 1)
        samples.append(eval(text, {"Sample": Sample, "nan": float("nan")}))  # noqa: S307 - our own log's reprs
        h, m, sec = map(int, at.split(":"))
        clock.append(h * 3600 + m * 60 + sec)
    last = samples[-1]
    result = {"samples": samples, "runs": [(samples[0].rss, last.rss, last.pages, last.stored, clock[-1] - clock[0])],
              "maps": [("first sample", samples[0].maps), ("last sample", last.maps)], "workers": {}}
    if workers_file:
        probe = Probe.__new__(Probe)
        probe.workers_file = workers_file
        result["workers"] = Probe.workers(probe)
    return result


def report(result: dict, days: float | None) -> str:
    s: list[Sample] = result["samples"]
    out = []
    runs = result["runs"]
    total_pages = sum(r[2] for r in runs)
    total_stored = sum(r[3] for r in runs)
    seconds = sum(r[4] for r in runs)
    dates = f"fresh dates over {days:g} days" if days else "the pages' own dates (archive)"
    out.append(f"soak: {total_pages} pages fetched, {total_stored} stored, {total_pages / seconds:.1f} pages/s, "
               f"{len(runs)} run(s), {dates}; load {os.getloadavg()[0]:.1f}")
    for i, (before, after, fetched, stored, secs) in enumerate(runs, 1):
        out.append(f"  run {i}: RSS {before:.0f} MB before, {after:.0f} MB after ({fetched} pages, {stored} stored, "
                   f"{secs:.0f} s)")
    kinds = sorted({k for _, m in result["maps"] for k, v in m.items() if v >= 0.5},
                   key=lambda k: -result["maps"][-1][1].get(k, 0))
    out.append("\nmain process's resident memory by mapping (/proc/self/smaps), MB:\n")
    out.append("| when | " + " | ".join(kinds) + " |")
    out.append("|---|" + "---:|" * len(kinds))
    for when, m in result["maps"]:
        out.append(f"| {when} | " + " | ".join(f"{m.get(k, 0):.1f}" for k in kinds) + " |")
    body = [x for x in s if x.at_batch]
    last = max(x.pages for x in body) if body else 0
    tail = [x for x in body if x.pages >= last - min(LAST, last / 2)]
    first = body[0] if body else s[0]
    out.append("\nmain process, MB (at the first batch → at the last; slope per 1,000 pages over the last "
               f"{last - tail[0].pages if tail else 0} pages):\n")
    out.append("| what | first batch | last batch | slope MB/1k pages |")
    out.append("|---|---:|---:|---:|")
    xs = [x.pages for x in tail]
    rows = [("RSS", "rss"), ("glibc malloc in use", "in_use"), ("glibc free kept", "free"),
            ("Python small-object arenas", "py_arenas"), ("... blocks in use in them", "py_used"),
            ("pyarrow pool", "arrow"), ("Python heap (tracemalloc)", "traced"),
            ("story index arrays", "index"), ("known ids+hashes arrays", "known")]
    slopes = {}
    for label, attr in rows:
        ys = [getattr(x, attr) for x in tail]
        slopes[attr] = slope(xs, ys)
        out.append(f"| {label} | {getattr(first, attr):.1f} | {getattr(body[-1], attr):.1f} | {slopes[attr]:+.2f} |")
    for kind in MAPS:
        ys = [x.maps.get(kind, 0.0) for x in tail]
        out.append(f"| RSS of {kind} (smaps) | {first.maps.get(kind, 0.0):.1f} | {body[-1].maps.get(kind, 0.0):.1f} "
                   f"| {slope(xs, ys):+.2f} |")
    expected = slopes["index"] + slopes["known"]
    unexplained = slopes["rss"] - expected
    out.append(f"| expected (index + known) | {first.index + first.known:.1f} | {body[-1].index + body[-1].known:.1f} "
               f"| {expected:+.2f} |")
    out.append(f"| **unexplained (RSS − expected)** | | | **{unexplained:+.2f}** |")
    out.append(f"\nstory index: {body[-1].live} rows alive at the end (of {total_stored} stored)")
    verdict = "flat" if abs(unexplained) < FLAT else "NOT flat"
    out.append(f"main process: {verdict} (unexplained slope {unexplained:+.2f} MB per 1,000 pages; flat < {FLAT})")
    out.append(f"\nworkers, MB (sampled inside each every {WORKER_EVERY} pages; slope over its last half):\n")
    out.append("| worker pid | pages | RSS first → last | malloc in use | malloc free | Python arenas "
               "| slope RSS MB/1k pages |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for pid, ws in sorted(result["workers"].items()):
        half = [w for w in ws if w[0] >= ws[-1][0] / 2]
        sl = slope([w[0] for w in half], [w[1] for w in half])
        out.append(f"| {pid} | {ws[-1][0]} | {ws[0][1]:.0f} → {ws[-1][1]:.0f} | {ws[0][2]:.0f} → {ws[-1][2]:.0f} | "
                   f"{ws[0][3]:.0f} → {ws[-1][3]:.0f} | {ws[0][4]:.0f} → {ws[-1][4]:.0f} | {sl:+.2f} |")
    out.append("\nsamples (pages, stored, RSS, malloc in use, malloc free, py arenas, py used, arrow, traced, index, known, live, "
               "httpx connections, threads):")
    step = max(1, len(s) // 40)
    for x in s[::step] + s[-1:]:
        out.append(f"  {x.pages} {x.stored} {x.rss:.1f} {x.in_use:.1f} {x.free:.1f} {x.py_arenas:.1f} {x.py_used:.1f} "
                   f"{x.arrow:.1f} {x.traced:.1f} "
                   f"{x.index:.2f} {x.known:.2f} {x.live} {x.connections} {x.threads}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20000, help="pages per run")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--days", type=float, default=DAYS, help="the dates' span over all runs")
    ap.add_argument("--archive-dates", action="store_true", help="keep the pages' own dates")
    ap.add_argument("--trace", action="store_true", help="also trace the main process's Python heap (slower)")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--log", type=Path, help="append each sample to this file as it is taken")
    ap.add_argument("--from-log", type=Path, metavar="LOG", help="only report on the soak that wrote LOG")
    ap.add_argument("--workers-file", type=Path, help="with --from-log: its workers' samples (in its temporary folder)")
    args = ap.parse_args()
    days = None if args.archive_dates else args.days
    if args.from_log:
        print(report(from_log(args.from_log, args.workers_file), days))
        return
    if not pages_mod.DEV.exists():
        sys.exit(f"extraction dev set not found at {pages_mod.DEV}")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}; "
          f"load {os.getloadavg()}", flush=True)
    result = run(pages_mod.load_pages(), args.pages, args.runs, days, args.trace, args.processes, args.log)
    print(report(result, days))


if __name__ == "__main__":
    main()
