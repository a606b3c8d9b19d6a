"""Ingest throughput: extraction alone (1 process, all cores), end to end over a slow local server, and
newspaper3k's own sequential download()+parse() loop — in one run, printed as a table.

    .venv/bin/python benchmarks/ingest.py [--pages 5000] [--latency 0.1] [--soak 20000]

Pages are the extraction dev set (../shared/data/extraction-dev, real pages of many sites), served under
distinct URLs, cycled to --pages, from a server on 127.0.0.1 that sleeps --latency seconds per request.
All pages come from one local host, so politeness limits are raised (per_host = threads) as they would be
for many hosts; robots.txt is not asked for.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import worker  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from ingest.records import Candidate  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sources import Source  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "extraction-dev"


def load_pages() -> list[bytes]:
    cases = [json.loads(line) for line in (DEV / "cases.jsonl").read_text().splitlines() if line.strip()]
    return [gzip.decompress((DEV / c["page"]).read_bytes()) for c in cases]


class SlowServer:
    def __init__(self, pages: list[bytes], n: int, latency: float) -> None:
        self.pages, self.n, self.latency = pages, n, latency
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                time.sleep(outer.latency)
                if self.path == "/rss":
                    body, ctype = outer.feed(), "application/rss+xml"
                elif self.path.startswith("/a/"):
                    body, ctype = outer.pages[int(self.path[3:]) % len(outer.pages)], "text/html"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        when = format_datetime(datetime(2025, 1, 1, tzinfo=UTC))
        items = "".join(f"<item><title>{i}</title><link>{self.url}/a/{i}</link><pubDate>{when}</pubDate></item>"
                        for i in range(self.n))
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{items}</channel></rss>'.encode()


def _extract_all(args: tuple[list[bytes], int]) -> int:
    pages, start = args
    now = datetime.now(UTC)
    for i, body in enumerate(pages):
        worker.process_page(Candidate(f"https://bench.example/a/{start + i}", "bench"), body,
                            f"https://bench.example/a/{start + i}", None, now)
    return len(pages)


def extraction_only(pages: list[bytes], processes: int) -> float:
    worker.init_worker(None)
    t = time.perf_counter()
    if processes == 1:
        _extract_all((pages, 0))
    else:
        chunks = [(pages[i::processes * 8], i) for i in range(processes * 8)]
        with ProcessPoolExecutor(processes, initializer=worker.init_worker, initargs=(None,)) as pool:
            list(pool.map(_extract_all, chunks))
    return len(pages) / (time.perf_counter() - t)


def end_to_end(server: SlowServer, n: int, processes: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store=Path(tmp), allow_private=True, host_delay=0.0, per_host=32, fetch_threads=32,
                            processes=processes, progress=False, respect_robots=False)
        t = time.perf_counter()
        summary = run_ingest([Source("feed", server.url + "/rss", "bench")], settings)
        took = time.perf_counter() - t
    total = summary.total()
    return total.fetched / took, total.fetched


def newspaper_loop(server: SlowServer, n: int) -> float:
    import ingest.newspaper_fix  # noqa: F401 - the offline tldextract and the lxml-6 fix
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


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--loop-pages", type=int, default=300, help="pages for newspaper3k's sequential loop")
    ap.add_argument("--extract-pages", type=int, default=1000, help="pages for the extraction-only runs")
    ap.add_argument("--soak", type=int, default=0, help="also run a SOAK-page ingest and report RSS at start and end")
    args = ap.parse_args()
    if not DEV.exists():
        sys.exit(f"extraction dev set not found at {DEV}")
    pages = load_pages()
    sample = [pages[i % len(pages)] for i in range(args.extract_pages)]
    cores = os.cpu_count() or 1
    rows = []
    print("measuring ...", file=sys.stderr)
    one = extraction_only(sample, 1)
    rows.append(("extraction only, 1 process", f"{len(sample)}", f"{one:.1f}", "1.00×"))
    many = extraction_only(sample, cores)
    rows.append((f"extraction only, {cores} processes", f"{len(sample)}", f"{many:.1f}", f"{many / one:.2f}×"))
    server = SlowServer(pages, args.pages, args.latency)
    e2e, fetched = end_to_end(server, args.pages, cores)
    rows.append((f"newsmon ingest end to end ({args.latency * 1000:.0f} ms latency)", f"{fetched}", f"{e2e:.1f}",
                 f"{e2e / many:.2f}× of parallel extraction"))
    loop = newspaper_loop(server, args.loop_pages)
    rows.append((f"newspaper3k download()+parse() loop ({args.latency * 1000:.0f} ms)", f"{args.loop_pages}",
                 f"{loop:.1f}", f"newsmon is {e2e / loop:.1f}× faster"))
    print(f"\nmachine: {platform.machine()}, {cores} cores, Python {platform.python_version()}\n")
    print(f"| {'run':<56} | {'pages':>6} | {'pages/s':>8} | ratio |")
    print(f"|{'-' * 58}|{'-' * 8}|{'-' * 10}|-------|")
    for r in rows:
        print(f"| {r[0]:<56} | {r[1]:>6} | {r[2]:>8} | {r[3]} |")
    if args.soak:
        soak = SlowServer(pages, args.soak, 0.0)
        start = rss_mb()
        rate, n = end_to_end(soak, args.soak, cores)
        print(f"\nsoak: {n} pages at {rate:.1f} pages/s; RSS of the ingest process {start:.0f} MB at start, "
              f"{rss_mb():.0f} MB at end")


if __name__ == "__main__":
    main()
