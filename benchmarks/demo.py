"""Demo corpus and server: build time, and pages served per second with and without Nagle's algorithm.

    .venv/bin/python benchmarks/demo.py [--articles 1500] [--pages 400] [--repeat 2]

The baseline is the same server with ``disable_nagle_algorithm`` off (http.server's default): headers and
body leave in two writes, and the body waits for the client's delayed ACK. Clients are httpx with one
connection per thread, fetching the first --pages article pages once per run.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.demo.corpus import Corpus, build_corpus  # noqa: E402
from ingest.demo.server import DemoServer  # noqa: E402


def fetch(corpus: Corpus, pages: int, nagle: bool, threads: int) -> tuple[float, int]:
    with DemoServer(corpus) as server:
        # The benchmark's one reach inside: the handler class the server was built with.
        server._httpd.RequestHandlerClass.disable_nagle_algorithm = not nagle
        with httpx.Client(limits=httpx.Limits(max_connections=threads)) as client:
            start = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                codes = list(pool.map(lambda a: client.get(server.url(a.path)).status_code,
                                  corpus.articles[:pages]))
            elapsed = time.perf_counter() - start
    return elapsed, sum(c == 200 for c in codes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1500)
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    builds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        corpus = build_corpus(seed=42, n_articles=args.articles)
        builds.append(time.perf_counter() - start)
    size = sum(len(body) for _, body in corpus.files.values())
    print(f"python {platform.python_version()} on {platform.machine()}, {args.articles} articles, "
          f"{len(corpus.files)} files, {size / 1e6:.1f} MB")
    print(f"build_corpus: best {min(builds):.2f} s of {args.repeat}\n")
    print("| server | client threads | pages | seconds (best) | pages/s |")
    print("|---|---|---|---|---|")
    for nagle in (True, False):
        for threads in (1, 8):
            runs = [fetch(corpus, args.pages, nagle, threads) for _ in range(args.repeat)]
            best, ok = min(runs)
            name = "baseline: Nagle on" if nagle else "DemoServer: TCP_NODELAY"
            print(f"| {name} | {threads} | {ok} | {best:.2f} | {ok / best:.0f} |")


if __name__ == "__main__":
    main()
