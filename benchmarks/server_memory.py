"""The dashboard server's memory on a store, measured on a real server in a real browser.

    .venv/bin/python benchmarks/dashboard.py --server [...]         # after the query benchmark
    .venv/bin/python benchmarks/dashboard.py --server-only --store data/demo-store

`server_figures` starts `newsmon dashboard`'s server command (dashboard/serve.py, with the preload) on a store,
opens every page in headless chromium (and, with a search, the Overview under it), and prints the peak RSS of
the server and its children (the text index's build process, the word counters of dashboard/countpool.py) with
its anonymous part, and the time from each page's opening to its first chart.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def server_figures(store: Path, cache: Path | None = None, search_q: str = "") -> None:
    """RSS of a real `streamlit run` on the store after drawing each page, and time to the first chart.

    Each page is opened in the same headless chromium; the first visit starts from a new index cache, so it
    includes building the index and the server's first imports.
    """
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import tempfile

    cache_dir = str(cache) if cache else tempfile.mkdtemp(prefix="newsmon-bench-cache-")
    env = dict(os.environ, NEWSMON_STORE=str(store), NEWSMON_DASHBOARD_CACHE=cache_dir)
    from dashboard.serve import streamlit_command

    proc = subprocess.Popen(streamlit_command("127.0.0.1", port, preload=True), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        peak = (0.0, 0.0)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            firsts = []
            from urllib.parse import urlencode

            paths = ["/", "/explore", "/entities", "/health", "/"]
            if search_q:
                paths.append("/?" + urlencode({"people": "person-000", "search": search_q}))
            for path in paths:
                t = time.perf_counter()
                pg.goto(url + path)
                sel = (".js-plotly-plot .scatterlayer .trace path.point" if path.split("?")[0] in ("/", "/explore", "/entities")
                       else ".js-plotly-plot")
                pg.wait_for_selector(sel, state="attached", timeout=120_000)
                firsts.append((path, time.perf_counter() - t))
                pg.wait_for_timeout(1500)
                peak = max(peak, (_rss_mb(proc.pid), _rss_mb(proc.pid, "RssAnon")))
            b.close()
        print(f"\nServer on the store: peak RSS {peak[0]:,.0f} MB after drawing every page ({peak[1]:,.0f} MB of it "
              "anonymous, the rest pages of mapped files such as the indexes); time to the first chart: "
              + ", ".join(f"{p} {s:.2f} s" for p, s in firsts) + " (first visit includes cold caches)")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        import shutil

        if not cache:
            shutil.rmtree(cache_dir, ignore_errors=True)


def _children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them (the text index's child is started by a thread:
    /proc/PID/task/PID/children lists only the main thread's)."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's and its children's memory in MB: resident (VmRSS) or its anonymous part (RssAnon)."""
    total = 0.0
    pids = [pid, *_children(pid)]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total
