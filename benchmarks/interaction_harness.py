"""The harness of benchmarks/interaction.py: dashboard servers (this tree and a baseline revision) on one store with
their own index caches, the headless browser, and the new-store measurement (a server on an empty cache).

    servers = make_servers(store, work, cache=..., baseline="cf7787c", baseline_cache=..., port=8600)
    with running(servers), browser() as b:
        for s in in_turn(servers, round_no):     # alternating who goes first, so both see the same load
            with new_page(b) as page: ...

Each server is started as `newsmon dashboard` starts it: the command of its own tree's dashboard/serve.py (its
settings; with the preload), in its own tree (`git archive` of the baseline revision), with $NEWSMON_STORE and $NEWSMON_DASHBOARD_CACHE set;
its log is kept to count the errors it reported. `fresh_store` times a server on a new cache from its start to
the first chart, then follows the text index's build child's memory until it exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.first_chart import BROWSER_ARGS, extract  # noqa: E402
from benchmarks.server_memory import _children, _rss_mb  # noqa: E402
from dashboard.serve import SERVER, THEME, streamlit_command  # noqa: E402

ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|\bERROR\b|Exception:|Error:|\bOutOfMemory")
VIEWPORT = {"width": 1440, "height": 1000}


@dataclass
class Server:
    """A dashboard server of one tree on a store, its log, and the errors the log reported."""

    name: str
    tree: Path
    store: Path
    cache: Path
    port: int
    log: Path
    memory: str | None = None
    argv: list[str] | None = None  # another command than the tree's dashboard (the floor page)
    env: dict[str, str] | None = None  # and what it reads from its environment
    proc: subprocess.Popen | None = None
    started: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait for /_stcore/health; returns the seconds it took."""
        env = dict(os.environ, NEWSMON_STORE=str(self.store), NEWSMON_DASHBOARD_CACHE=str(self.cache),
                   PYTHONPATH=str(self.tree), **(self.env or {}))
        argv = self.argv or tree_command(self.tree, self.port, env)
        if self.memory:
            env["NEWSMON_DASHBOARD_MEMORY"] = self.memory
        self.cache.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, env=env, cwd=self.tree, stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1)
                return time.perf_counter() - self.started
            except OSError:
                if self.proc.poll() is not None or time.perf_counter() - self.started > 120:
                    raise RuntimeError(f"{self.name} did not start; see {self.log}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def errors(self) -> int:
        return sum(1 for line in self.log.read_text(errors="replace").splitlines() if ERROR_LINE.search(line))


def tree_command(tree: Path, port: int, env: dict[str, str]) -> list[str]:
    """The server command of the tree's own dashboard/serve.py (its settings, as its `newsmon dashboard` starts it)."""
    if tree == ROOT:
        return streamlit_command("127.0.0.1", port, preload=True)
    code = ("import json, sys; from dashboard.serve import streamlit_command; "
            f"print(json.dumps(streamlit_command('127.0.0.1', {port}, python=sys.executable, preload=True)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


class Ports:
    """Ports for the servers: consecutive from `base` (the range one was given), else free ones."""

    def __init__(self, base: int | None) -> None:
        self.base, self.used = base, set[int]()

    def next(self) -> int:
        if self.base:
            p = self.base
            while p in self.used:
                p += 1
            self.used.add(p)
            return p
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def make_servers(store: Path, work: Path, ports: Ports, cache: Path | None = None, baseline: str | None = None,
                 baseline_cache: Path | None = None, memory: str | None = None) -> list[Server]:
    """This tree's server, and with `baseline` the server of that revision's tree (exported into `work`)."""
    servers = [Server("this tree", ROOT, store, cache or work / "cache-this", ports.next(), work / "this.log", memory)]
    if baseline:
        tree = extract(baseline, work / "baseline")
        servers.append(Server(f"baseline {baseline}", tree, store, baseline_cache or work / "cache-base", ports.next(),
                              work / "baseline.log", memory))
    return servers


def floor_server(store: Path, work: Path, ports: Ports, figure: dict) -> Server:
    """The opening's floor (benchmarks/floor_app.py): `figure` (plotly JSON) alone on a Streamlit page, with the
    dashboard's server settings and theme (dashboard/serve.py), as a server on its own port."""
    path = work / "floor-figure.json"
    path.write_text(json.dumps(figure))
    port = ports.next()
    argv = [sys.executable, "-m", "streamlit", "run", str(ROOT / "benchmarks" / "floor_app.py"),
            "--server.address", "127.0.0.1", "--server.port", str(port)]
    for key, value in {**SERVER, **THEME}.items():
        argv += [f"--{key}", value]
    return Server("floor: the timeline alone", ROOT, store, work / "cache-floor", port, work / "floor.log",
                  argv=argv, env={"NEWSMON_FLOOR_FIGURE": str(path)})


@contextlib.contextmanager
def running(servers: Sequence[Server]) -> Iterator[None]:
    """The servers started (each until healthy), stopped on the way out whatever happened."""
    try:
        for s in servers:
            s.start()
        yield
    finally:
        for s in servers:
            s.stop()


@contextlib.contextmanager
def browser() -> Iterator:
    """Headless Debian chromium through Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextlib.contextmanager
def new_page(b, timeout_ms: float = 120_000) -> Iterator:
    """A page in a new browser context: nothing cached, no cookie, as a first visit."""
    ctx = b.new_context(viewport=VIEWPORT)
    try:
        page = ctx.new_page()
        page.set_default_timeout(timeout_ms)
        yield page
    finally:
        ctx.close()


def in_turn(servers: Sequence[Server], round_no: int) -> Sequence[Server]:
    """The servers in the order of this round: who goes first alternates, so neither always meets a warmer machine."""
    return servers if round_no % 2 == 0 else servers[::-1]


def fresh_store(server: Server, b, first_chart, wait: float) -> tuple[float, float, float, float]:
    """(server start to healthy, healthy to first chart, peak RSS of the build child, of the whole tree) on a new cache.

    `first_chart(page, server)` opens the app and returns once its first chart is drawn."""
    healthy = server.start()
    with new_page(b, 600_000) as page:
        t = time.perf_counter()
        first_chart(page, server)
        first = time.perf_counter() - t
    child_peak = tree_peak = 0.0
    deadline = time.perf_counter() + wait
    seen = False
    while time.perf_counter() < deadline:
        kids = _children(server.proc.pid)
        builders = [k for k in kids if b"search_build" in _cmdline(k)]
        seen |= bool(builders)
        child_peak = max([child_peak] + [_rss_mb(k) for k in builders])
        tree_peak = max(tree_peak, _rss_mb(server.proc.pid))
        if seen and not builders:
            break
        time.sleep(0.5)
    return healthy, first, child_peak, tree_peak


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
