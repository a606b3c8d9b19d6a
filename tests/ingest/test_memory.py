"""Giving memory back (ingest/memory.py) and where the ingest does it."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from ingest import memory, pipeline
from ingest.mentions.watchlist import WatchlistError
from ingest.pipeline import run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source
from tests.localserver import LocalServer, reply
from tests.pages import rss, site

glibc = pytest.mark.skipif(memory._LIBC is None, reason="glibc's malloc_trim/mallopt are not available here")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS"))


@glibc
def test_release_gives_the_free_chunks_of_a_fragmented_heap_back() -> None:
    # 200,000 buffers of 1,000 bytes (malloc, not Python's small-object pools); keeping one in 8 pins every
    # part of the heap, so freeing the others shrinks nothing by itself: only malloc_trim returns their pages.
    keep, drop = [], []
    for i in range(200_000):
        (keep if i % 8 == 0 else drop).append(bytearray(1000))
    del drop
    freed = rss_mb()
    assert memory.release() is True
    assert freed - rss_mb() > 30, "malloc_trim gave nothing back"
    assert len(keep) == 25_000


@glibc
def test_limit_arenas_is_accepted_by_glibc() -> None:
    assert memory.limit_arenas(64) is True  # above glibc's default limit on a small machine: changes nothing


@glibc
def test_tune_sets_both_glibc_settings_and_pyarrows_system_pool() -> None:
    assert memory.tune() is True
    assert pa.default_memory_pool().backend_name == "system"


def test_the_ingest_tunes_the_allocator_first_and_releases_memory_every_few_batches_and_after_the_run(
        tmp_path: Path, monkeypatch) -> None:
    calls: list[bool | str] = []
    monkeypatch.setattr(memory, "release", lambda collect=False: calls.append(collect))
    monkeypatch.setattr(memory, "tune", lambda: calls.append("tune"))
    monkeypatch.setattr(pipeline, "RELEASE_EVERY", 2)
    pages, items = site(10, seed=5)
    with LocalServer({p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        settings = Settings(store=tmp_path / "store", allow_private=True, host_delay=0.0, per_host=8, processes=0,
                            progress=False, batch_size=2)
        summary = run_ingest([Source("feed", srv.url + "/rss")], settings)
    assert summary.total().stored == 10
    assert calls == ["tune", False, False, True]  # after batches 2 and 4 of 5, then the whole run's, with a collection


def test_the_ingest_releases_memory_after_a_failed_run(tmp_path: Path, monkeypatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(memory, "release", lambda collect=False: calls.append(collect))
    bad = tmp_path / "watchlist.toml"
    bad.write_text("not [ toml")
    with pytest.raises(WatchlistError):
        run_ingest([Source("feed", "http://127.0.0.1:9/rss")], Settings(store=tmp_path / "store", watchlist=bad))
    assert calls == [True]


def test_importing_ingest_puts_pyarrow_on_the_c_allocator_unless_told_otherwise():
    import subprocess
    import sys

    code = "import ingest, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "system"
    got = subprocess.run([sys.executable, "-c", code], env={**env, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"},
                         capture_output=True, text=True, check=True)
    assert got.stdout.strip() in {"jemalloc", "mimalloc"}  # an explicit setting wins (jemalloc if built in)
