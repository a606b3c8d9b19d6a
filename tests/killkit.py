"""Killing newsmon for the crash-safety tests, and checking the store it leaves.

A command runs in a child process of its own session, so SIGKILL takes it and its workers at once. It is killed
either after a random time (`kill_after`), or just before its N-th change to the file system (`run_crashing`):
the child's `os` functions that change a directory entry (replace, rename, link, symlink, unlink, mkdir, rmdir,
utime) count themselves, and the N-th kills the process group instead of running. `mutations` runs the command
once to list its changes, so a test can crash it at every boundary between two of them.

`Snapshot` is what a reader sees (every article id, every mention row), compared as multisets, so "exact" means
nothing lost and nothing doubled whatever files hold the rows.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingest.records import Article
from ingest.store.parquet import Store, article_id, content_hash
from tests.paths import REPO

CRASH_AT = "NEWSMON_TEST_CRASH_AT"
CRASH_LOG = "NEWSMON_TEST_CRASH_LOG"
MUTATIONS = ("replace", "rename", "link", "symlink", "unlink", "remove", "mkdir", "rmdir", "utime")

PRELUDE = f"""
import os, signal
_at = int(os.environ.get({CRASH_AT!r}) or 0)
_log = os.environ.get({CRASH_LOG!r})
_count = [0]
def _counted(name, real):
    def mutation(*args, **kwargs):
        if os.getpid() == _pid:  # the command itself, not a worker process it forked
            _count[0] += 1
            if _log:
                with open(_log, "a") as fh:
                    fh.write(f"{{_count[0]}} {{name}} {{args[1] if name == 'symlink' else args[0]}}\\n")
            if _count[0] == _at:
                os.killpg(0, signal.SIGKILL)
        return real(*args, **kwargs)
    return mutation
_pid = os.getpid()
for _name in {MUTATIONS!r}:
    setattr(os, _name, _counted(_name, getattr(os, _name)))
"""


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), NEWSMON_DEBUG="")


def python_command(code: str) -> list[str]:
    """A child running `code` after the crash prelude."""
    return [sys.executable, "-c", PRELUDE + code]


def cli_command(*args: str) -> list[str]:
    """The `newsmon` command line (ingest's command group) with `args`, after the crash prelude."""
    return python_command(f"import sys\nfrom ingest.cli.main import main\nsys.argv[0] = 'newsmon'\nmain({list(args)!r})")


def run_crashing(cmd: list[str], crash_at: int, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `cmd`, killed just before its `crash_at`-th change to the file system (0: never)."""
    env = child_env() | {CRASH_AT: str(crash_at)}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, start_new_session=True)


def mutations(cmd: list[str], log: Path, timeout: float = 300) -> list[str]:
    """The changes `cmd` makes to the file system, in order ("3 replace /path"), from one complete run."""
    log.unlink(missing_ok=True)
    done = subprocess.run(cmd, env=child_env() | {CRASH_LOG: str(log)}, capture_output=True, text=True,
                          timeout=timeout, start_new_session=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return log.read_text().splitlines() if log.exists() else []


def kill_after(cmd: list[str], seconds: float) -> int:
    """Start `cmd`, SIGKILL its process group after `seconds`; its return code (-9 if the kill landed)."""
    child = subprocess.Popen(cmd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    time.sleep(seconds)
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return child.wait()


def copy_store(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


@dataclass(frozen=True)
class Snapshot:
    """What a plain reader of the store sees: article ids and mention rows, as multisets."""

    articles: Counter
    mentions: Counter
    runs: int

    @classmethod
    def of(cls, store: Store) -> Snapshot:
        con = duckdb.connect()
        ids = con.execute("select id from read_parquet(?)", [store.glob("articles")]).fetchall()
        rows = con.execute('select article_id, entity_id, field, "start", "end", rule from read_parquet(?)',
                           [store.glob("mentions")]).fetchall()
        runs = con.execute("select count(*) from read_parquet(?, union_by_name=true)", [store.glob("runs")]).fetchone()[0]
        return cls(Counter(i for (i,) in ids), Counter(rows), runs)

    def per_entity(self) -> Counter:
        return Counter(row[1] for row in self.mentions.elements())


def assert_tidy(store: Store) -> None:
    """After a writer has opened the store: files pair by name, and nothing a killed writer left is there."""
    articles = {p.name for p in store.articles_dir.glob("part-*.parquet")}
    mentions = {p.name for p in store.mentions_dir.glob("part-*.parquet")}
    assert articles == mentions, f"articles and mentions files do not pair: {sorted(articles ^ mentions)[:4]}"
    assert not (store.root / ".switch.json").exists()
    leftovers = [p for p in store.root.rglob(".*") if p.name.endswith((".pending", ".tmp", ".building"))]
    assert not leftovers, leftovers[:4]


NAMES = ("Vladimir Putin", "Emmanuel Macron", "Volodymyr Zelensky", "Xi Jinping", "Recep Tayyip Erdoğan")
PLACES = ("Geneva", "Ankara", "Doha", "Brussels", "Cairo", "Oslo")


def generated_articles(n: int, seed: int, prefix: str = "k") -> list[Article]:
    """`n` articles that name people of the packaged watchlist (no mentions yet: see `with_mentions`)."""
    rng = random.Random(seed)
    base = datetime(2025, 3, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        a, b = rng.sample(NAMES, 2)
        title = f"{a} meets {b} in {rng.choice(PLACES)} ({prefix}{i})"
        text = (f"{a} met {b} on Monday to discuss grain exports, officials said after meeting {prefix}{i}.\n\n"
                f"Analysts said {b.split()[-1]} would answer next week." * rng.randint(1, 3))
        url = f"https://kill.example/{prefix}/{i}"
        out.append(Article(id=article_id(url), url=url, source=f"Outlet {i % 4}", title=title, text=text,
                           content_hash=content_hash(text), fetched_at=base,
                           published_at=base + timedelta(hours=i), published_source="meta", authors=(),
                           language="en"))
    return out


def with_mentions(articles: list[Article], watchlist: Path | None = None) -> list[Article]:
    """The articles with the mentions the real matcher finds (the packaged watchlist by default)."""
    from dataclasses import replace

    from ingest.mentions.matcher import Matcher
    from ingest.mentions.watchlist import load_watchlist

    matcher = Matcher(load_watchlist(watchlist))
    return [replace(a, mentions=tuple(matcher.find(a.title, a.text))) for a in articles]


def build_store(root: Path, batches: int, per_batch: int, seed: int = 5) -> Store:
    """A store of `batches` ingest batches of `per_batch` articles with their mentions, and one run row each."""
    from ingest.mentions.watchlist import load_watchlist

    store = Store(root)
    articles = with_mentions(generated_articles(batches * per_batch, seed))
    version = load_watchlist(None).version
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    with store.writer() as w:
        for b in range(batches):
            w.write_batch(articles[b * per_batch:(b + 1) * per_batch], version)
            w.write_run([{"run_id": f"r{b}", "source": "Outlet 0", "started_at": t0, "finished_at": t0,
                          "found": per_batch, "fetched": per_batch, "stored": per_batch, "duplicate": 0,
                          "failed": 0, "failures": [], "watchlist_version": version, "language_disagrees": 0}])
    return store
