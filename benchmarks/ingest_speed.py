"""Ingest throughput: extraction alone (1 process, all cores), end to end over a slow local server, and
newspaper3k's own sequential download()+parse() loop — in one run, printed as a table.

    .venv/bin/python benchmarks/ingest_speed.py [--pages 5000] [--latency 0.1] [--soak 20000] [--outlets 12]

Pages are the extraction dev set (../shared/data/extraction-dev, real pages of many sites), served under
distinct URLs, cycled to --pages, from a server on 127.0.0.1 that sleeps --latency seconds per request.
Page number i gets " (ref i)" before each </p>, so that a cycled page is a new article, stored like any other
(as in a real run), not a duplicate of an earlier one: the 472 pages otherwise give 472 articles whatever
--pages is, and the ingest's per-article work (story signatures, boilerplate learning, store writes) would be
measured on a tenth of the pages. The extraction-only runs get the same marked pages. 28 of the 472 pages
keep their body outside <p> and stay duplicates. --repeat-pages serves the pages unmarked (the earlier way).
All pages come from one local host, so politeness limits are raised (per_host = threads) as they would be
for many hosts; robots.txt is not asked for.

The realistic rows (benchmarks/ingest_hosts.py): --outlets outlets on as many local hosts, one feed each,
--latency per request, the default politeness (2 requests at once and 1 s between two starts per host: one
page a second per host), robots.txt asked for. Their target: pages/s ≥ 0.9 × min(the parallel extraction's
pages/s above, outlets × 1 page/s). The same outlets are ingested again in the old order (candidates feed by
feed, `fetch_order="listed"`), on fewer pages per outlet (--old-outlet-pages: it goes at one host's pace).

Besides pages/s, each row gives the CPU time it used per page (all its processes, user + system) and the load
average before and after it: pages/s depends on whatever else the machine runs, CPU per page much less. For
the end-to-end run the CPU is split into the extraction workers, the ingest's main process and, inside that
process but not part of the ingest, the test server's request handlers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.feed_server import FeedServer, rss  # noqa: E402
from ingest import worker  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from ingest.records import Candidate  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sources.discover import Source  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "extraction-dev"
FEED_DATE = datetime(2025, 1, 1, tzinfo=UTC)  # every feed item's pubDate


def distinct(body: bytes, i: int) -> bytes:
    """Page number i of the cycle, made a different article from the other copies of the same page."""
    mark = f" (ref {i})".encode()
    return body.replace(b"</p>", mark + b"</p>").replace(b"</P>", mark + b"</P>")


def load_pages() -> list[bytes]:
    cases = [json.loads(line) for line in (DEV / "cases.jsonl").read_text().splitlines() if line.strip()]
    return [gzip.decompress((DEV / c["page"]).read_bytes()) for c in cases]


class SlowServer(FeedServer):
    """/rss: a feed of pages 0 to n - 1; /a/<i>: page number i of the cycle (marked distinct unless `mark` is off)."""

    def __init__(self, pages: list[bytes], n: int, latency: float, mark: bool = True) -> None:
        self.pages, self.n, self.mark = pages, n, mark
        super().__init__(latency)

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
        if path == "/rss":
            return self.feed(), "application/rss+xml"
        if path.startswith("/a/"):
            return self.page(int(path[3:])), "text/html"
        return None

    def page(self, i: int) -> bytes:
        body = self.pages[i % len(self.pages)]
        return distinct(body, i) if self.mark else body

    def page_url(self, i: int) -> str:
        return f"{self.url}/a/{i}"

    def feed(self) -> bytes:
        return rss("bench", ((i, self.page_url(i)) for i in range(self.n)), FEED_DATE)


def _extract_all(pages: list[tuple[str, bytes]]) -> int:
    """The extraction of each (URL, page) as the ingest runs it: the page's URL on the test server, the feed's
    date and source name (the ingest's worker also applies learnt boilerplate and computes the signature:
    `ingest_parts` times those apart)."""
    now = datetime.now(UTC)
    for url, body in pages:
        worker.process_page(Candidate(url, "bench", str(url.rsplit("/", 1)[1]), FEED_DATE), body, url, None, now)
    return len(pages)


@dataclass
class Measured:
    pages: int
    seconds: float
    main_cpu: float  # seconds of CPU in this process (user + system)
    child_cpu: float  # ... in its finished child processes (the extraction workers)
    load: tuple[float, float]  # 1-minute load average before and after

    @property
    def rate(self) -> float:
        return self.pages / self.seconds

    def ms(self, cpu: float) -> float:
        return 1000 * cpu / self.pages


@contextmanager
def measuring(out: list[Measured], pages: int = 0) -> Iterator[list[Measured]]:
    """Time the block, in wall clock and in CPU of this process and of its children; append a Measured.

    The block may set the page count by appending to the list it is given."""
    load, t0, wall = os.getloadavg()[0], os.times(), time.perf_counter()
    counted: list = []
    yield counted
    t1, seconds = os.times(), time.perf_counter() - wall
    out.append(Measured(counted[0] if counted else pages, seconds, t1.user - t0.user + t1.system - t0.system,
                        t1.children_user - t0.children_user + t1.children_system - t0.children_system,
                        (load, os.getloadavg()[0])))


def extraction_only(pages: list[tuple[str, bytes]], processes: int) -> Measured:
    worker.init_worker(None)
    out: list[Measured] = []
    with measuring(out, len(pages)):
        if processes == 1:
            _extract_all(pages)
        else:
            chunks = [pages[i::processes * 8] for i in range(processes * 8)]
            with ProcessPoolExecutor(processes, initializer=worker.init_worker, initargs=(None, True)) as pool:
                list(pool.map(_extract_all, chunks))
    return out[0]


class TaskClock:
    """CPU seconds the extraction workers spend inside `worker.process_for_store`, the page's task.

    While it is active, `ingest.worker.process_for_store` is a wrapper that appends each call's CPU time to a file;
    the worker processes, forked from this one during the run, inherit it (the pool pickles the task function by
    name). The workers' CPU outside their tasks is then the pool's plumbing and the boilerplate relearning."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> TaskClock:
        original = self.original = worker.process_for_store
        path = str(self.path)

        def process_for_store(*args):
            t = time.process_time()
            try:
                return original(*args)
            finally:
                with open(path, "a") as fh:
                    fh.write(f"{time.process_time() - t}\n")

        process_for_store.__module__, process_for_store.__qualname__ = original.__module__, original.__qualname__
        worker.process_for_store = process_for_store
        return self

    def __exit__(self, *exc) -> None:
        worker.process_for_store = self.original

    def seconds(self) -> float:
        return sum(float(x) for x in self.path.read_text().split()) if self.path.exists() else 0.0


def end_to_end(server: SlowServer, processes: int) -> tuple[Measured, float, int, float]:
    """The ingest of the server's feed: (its measure, CPU seconds the server's handlers used meanwhile, articles
    stored, CPU seconds the workers spent in their page tasks)."""
    out: list[Measured] = []
    server_cpu = server.cpu
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store=Path(tmp) / "store", allow_private=True, host_delay=0.0, per_host=32,
                            fetch_threads=32, processes=processes, progress=False, respect_robots=False)
        with TaskClock(Path(tmp) / "tasks.txt") as tasks, measuring(out) as counted:
            summary = run_ingest([Source("feed", server.url + "/rss", "bench")], settings)
            counted.append(summary.total().fetched)
        in_tasks = tasks.seconds()
    return out[0], server.cpu - server_cpu, summary.total().stored, in_tasks


def realistic_rows(args: argparse.Namespace, page, extraction_rate: float, cores: int) -> list[tuple]:
    """The realistic row (by host) and the old order's, as table rows (ingest_hosts.py)."""
    from benchmarks import ingest_hosts

    servers = ingest_hosts.outlets(page, args.outlets, max(args.outlet_pages, args.old_outlet_pages), args.latency)
    rows = []
    for order, per_outlet, label in (("hosts", args.outlet_pages, "by host"),
                                     ("listed", args.old_outlet_pages, "old order, feed by feed")):
        out: list[Measured] = []
        with measuring(out) as counted:
            summary = ingest_hosts.ingest(servers, per_outlet, order, cores)
            counted.append(summary.total().fetched)
        m = out[0]
        name = f"{args.outlets} outlets, 1 page/s each, {args.latency * 1000:.0f} ms: {label}"
        rows.append((name, m, m.ms(m.main_cpu + m.child_cpu), f"{m.rate / extraction_rate:.2f}× of parallel extraction"))
    return rows


def newspaper_loop(server: SlowServer, n: int) -> float:
    import ingest.extract.newspaper_fix  # noqa: F401, I001 - first: the offline tldextract and the lxml-6 fix
    from newspaper import Article

    t = time.perf_counter()
    for i in range(n):
        a = Article(f"{server.url}/a/{i}", fetch_images=False)
        try:
            a.download()
            a.parse()
        except Exception:  # noqa: BLE001 - newspaper3k raises on some real pages (control characters); it's timed all the same
            pass
    return n / (time.perf_counter() - t)


def print_parts(pages: list[bytes], url_of) -> None:
    """Where a worker's CPU goes on these pages (the ingest's own code, timed part by part in this process)."""
    from benchmarks import ingest_parts

    timers, n, stored = ingest_parts.stored_path(pages, url_of, published=FEED_DATE)
    print(f"\nthe worker's stored path by part, first {n} pages in one process ({stored} articles; "
          f"load {os.getloadavg()[0]:.1f}):\n")
    print(ingest_parts.table(timers, n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--loop-pages", type=int, default=300, help="pages for newspaper3k's sequential loop")
    ap.add_argument("--extract-pages", type=int, default=1000, help="pages for the extraction-only runs")
    ap.add_argument("--soak", type=int, default=0,
                    help="also run a SOAK-page ingest and report its memory (benchmarks/ingest_soak.py)")
    ap.add_argument("--repeat-pages", action="store_true", help="serve cycled pages unmarked: copies are duplicates")
    ap.add_argument("--outlets", type=int, default=12, help="outlets (hosts) of the realistic rows; 0: none")
    ap.add_argument("--outlet-pages", type=int, default=48, help="pages per outlet, realistic row")
    ap.add_argument("--old-outlet-pages", type=int, default=12, help="pages per outlet, the old order's row")
    ap.add_argument("--parts", type=int, default=400,
                    help="pages for the table of the worker's CPU by part (benchmarks/ingest_parts.py); 0: no table")
    args = ap.parse_args()
    if not DEV.exists():
        sys.exit(f"extraction dev set not found at {DEV}")
    pages = load_pages()
    mark = not args.repeat_pages
    server = SlowServer(pages, args.pages, args.latency, mark)
    # The extraction-only runs get the pages the ingest gets, with their URLs on the server and the feed's date.
    sample = [(server.page_url(i), server.page(i)) for i in range(args.extract_pages)]
    cores = os.cpu_count() or 1
    ms = f"{args.latency * 1000:.0f} ms"
    rows = []
    print("measuring ...", file=sys.stderr)
    one = extraction_only(sample, 1)
    rows.append(("extraction only, 1 process", one, one.ms(one.main_cpu), "1.00×"))
    many = extraction_only(sample, cores)
    rows.append((f"extraction only, {cores} processes", many, many.ms(many.child_cpu), f"{many.rate / one.rate:.2f}×"))
    e2e, server_cpu, stored, in_tasks = end_to_end(server, cores)
    rows.append((f"newsmon ingest end to end ({ms} latency)", e2e, e2e.ms(e2e.main_cpu + e2e.child_cpu),
                 f"{e2e.rate / many.rate:.2f}× of parallel extraction"))
    realistic = realistic_rows(args, lambda i: server.page(i), many.rate, cores) if args.outlets else []
    rows.extend(realistic)
    out: list[Measured] = []
    with measuring(out, args.loop_pages):
        newspaper_loop(server, args.loop_pages)
    loop = out[0]
    rows.append((f"newspaper3k download()+parse() loop ({ms})", loop, loop.ms(loop.main_cpu),
                 f"newsmon is {e2e.rate / loop.rate:.1f}× faster"))
    print(f"\nmachine: {platform.machine()}, {cores} cores, Python {platform.python_version()}; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print(f"| {'run':<50} | {'pages':>5} | {'pages/s':>7} | {'CPU ms/page':>11} | {'load':>9} | ratio |")
    print(f"|{'-' * 52}|{'-' * 7}|{'-' * 9}|{'-' * 13}|{'-' * 11}|-------|")
    for name, m, cpu, ratio in rows:
        load = f"{m.load[0]:.1f}→{m.load[1]:.1f}"
        print(f"| {name:<50} | {m.pages:>5} | {m.rate:>7.1f} | {cpu:>11.1f} | {load:>9} | {ratio} |")
    if realistic:
        from benchmarks import ingest_hosts

        ceiling = ingest_hosts.ceiling(args.outlets)
        target = 0.9 * min(many.rate, ceiling)
        new = realistic[0][1]
        print(f"\nrealistic target: 0.9 × min(parallel extraction {many.rate:.1f}, {args.outlets} hosts × "
              f"{ceiling / args.outlets:g} page/s = {ceiling:.0f}) = {target:.1f} pages/s; by host "
              f"{new.rate:.1f}: {'met' if new.rate >= target else 'NOT MET'}; the old order "
              f"{realistic[1][1].rate:.1f} pages/s.")
    ingest_main = e2e.ms(e2e.main_cpu - server_cpu)
    print(f"\nend to end: {e2e.pages} pages fetched, {stored} stored as new articles"
          f"{'' if mark else ' (pages served unmarked: copies are duplicates)'}.")
    print(f"end to end, CPU per page: extraction workers {e2e.ms(e2e.child_cpu):.1f} ms, ingest main process "
          f"{ingest_main:.1f} ms, test server {e2e.ms(server_cpu):.1f} ms (in the main process, counted above).")
    print(f"end to end, the workers' CPU per page: {e2e.ms(in_tasks):.1f} ms inside their page tasks "
          f"(process_for_store), {e2e.ms(e2e.child_cpu - in_tasks):.1f} ms outside (the pool's plumbing, relearning).")
    print(f"CPU-bound ratio (parallel extraction's CPU a page / the ingest's, server left out): "
          f"{many.ms(many.child_cpu) / (e2e.ms(e2e.child_cpu) + ingest_main):.2f}")
    if args.parts:
        print_parts([server.page(i) for i in range(args.parts)], server.page_url)
    if args.soak:  # benchmarks/ingest_soak.py: RSS of the main process and the workers, slope, expected growth
        from benchmarks import ingest_soak

        print("\n" + ingest_soak.report(ingest_soak.run(pages, args.soak, 1, ingest_soak.DAYS, False, cores),
                                        ingest_soak.DAYS))


if __name__ == "__main__":
    main()
