"""The text index is built in a child process (dashboard/data/search_build.py): the server opens it when the child
reports; a child that fails or dies is reported and searches scan; one writer per index; no child outlives
the server, whether it exits or is killed."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from dashboard.data import queries, search
from dashboard.data.filters import Filters
from dashboard.data.selection import PointKey
from tests.conftest import build_tiny_store
from tests.paths import REPO

ROOT = REPO
F = Filters(people=("alice-example", "bob-sample"), search="the")


def _answers(con) -> tuple:
    """A search's timeline, article count and the articles behind its first point."""
    tl = queries.timeline_counts(con, F).sort_values(["bucket", "kind", "entity_id"], ignore_index=True)
    point = PointKey(tl["kind"].iloc[0], tl["entity_id"].iloc[0], pd.Timestamp(tl["bucket"].iloc[0]).date())
    return (tl.to_dict("records"), queries.count_articles(con, F, selected=True),
            queries.drilldown(con, F, [point], limit=None)["id"].tolist())


@contextmanager
def _writer_lock(index: Path):
    """Hold the text index's lock file, as a writer in another process would."""
    tdir = search.text_index_dir(index)
    with open(tdir.with_name(tdir.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
        fcntl.flock(fh, fcntl.LOCK_UN)


def _until(cond, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_a_child_builds_the_index_and_an_unchanged_store_opens_it_without_one(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    con = queries.connect(tiny.root, index_path=index)
    ti = search.for_connection(con)
    assert _until(lambda: ti.pid is not None) and ti.pid != os.getpid()  # built in another process
    assert search.wait(con, 60) and search.status(con) == "index" and ti.error is None
    assert _answers(con) == _answers(queries.connect(tiny.root))  # the index answers as the scan does
    con.close()
    again = queries.connect(tiny.root, index_path=index)
    ti2 = search.for_connection(again)
    assert ti2 is not ti and ti2.pid is None  # nothing to build: opened at once, ready before anyone waits
    assert ti2.done.is_set() and search.status(again) == "index"


def test_while_another_writer_holds_the_index_searches_scan_and_a_killed_child_is_reported(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    scan = queries.connect(tiny.root)
    with _writer_lock(index):  # one writer per index: the child waits for this one
        con = queries.connect(tiny.root, index_path=index)
        ti = search.for_connection(con)
        assert _until(lambda: ti.pid is not None)
        time.sleep(0.5)
        assert search.status(con) == "building" and search.ready(con) is None and not ti.done.is_set()
        assert _answers(con) == _answers(scan)  # answered by the scan meanwhile
        os.kill(ti.pid, signal.SIGKILL)  # the build crashes
        assert not search.wait(con, 30)
    assert ti.done.is_set() and "SIGKILL" in ti.error
    assert search.status(con) == "scan" and search.ready(con) is None
    assert "full scan" in search.status_line(con, "the")
    assert _answers(con) == _answers(scan)  # and searches go on, by scanning
    con.close()
    con = queries.connect(tiny.root, index_path=index)  # the next connect builds it
    assert search.wait(con, 60) and search.status(con) == "index"


def test_a_build_error_is_reported_and_searches_scan(tmp_path):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    search.text_index_dir(index).write_text("not a directory")  # the child cannot make its index there
    con = queries.connect(tiny.root, index_path=index)
    assert not search.wait(con, 60)
    ti = search.for_connection(con)
    assert ti.error and "FileExistsError" in ti.error, ti.error
    assert search.status(con) == "scan"
    assert _answers(con) == _answers(queries.connect(tiny.root))


SERVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from dashboard.data import queries, search
    con = queries.connect(Path(sys.argv[1]), index_path=Path(sys.argv[2]))
    ti = search.for_connection(con)
    while ti.pid is None:
        time.sleep(0.01)
    print(ti.pid, flush=True)
    if sys.argv[3] == "exit":
        sys.exit(0)  # a normal exit: atexit stops the child
    time.sleep(120)  # until killed
""")

# A subreaper: the "server" and, once orphaned, its child are reparented to this process, so it can tell
# whether the child ended and reap it (a zombie would show as a child that never ends).
HARNESS = textwrap.dedent("""
    import ctypes, json, os, signal, subprocess, sys, time
    ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    server = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], stdout=subprocess.PIPE, text=True)
    child = int(server.stdout.readline())
    if sys.argv[-1] == "kill":
        time.sleep(0.3)
        os.kill(server.pid, signal.SIGKILL)
    server_code = server.wait()
    end, status = time.monotonic() + 20, None
    while time.monotonic() < end:
        try:
            pid, st = os.waitpid(child, os.WNOHANG)
        except ChildProcessError:  # not reparented here: its server reaped it before exiting
            if not os.path.exists("/proc/%d" % child):
                status = "reaped by its server"
                break
            pid = 0
        if pid:
            status = "signal %d" % os.WTERMSIG(st) if os.WIFSIGNALED(st) else "exit %d" % os.WEXITSTATUS(st)
            break
        time.sleep(0.02)
    print(json.dumps({"server": server_code, "child": status, "after": round(20 - (end - time.monotonic()), 2)}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the harness is a Linux subreaper")
@pytest.mark.parametrize("how", ["exit", "kill"])
def test_no_child_outlives_the_server(tmp_path, how):
    tiny = build_tiny_store(tmp_path / "store")
    index = tmp_path / "idx.duckdb"
    with _writer_lock(index):  # the child is kept busy (waiting to write) while its server goes
        out = subprocess.run([sys.executable, "-c", HARNESS, SERVER, str(tiny.root), str(index), how],
                             capture_output=True, text=True, timeout=60, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["server"] == (0 if how == "exit" else -signal.SIGKILL), out.stderr
    assert res["child"] is not None, f"the build child was still running 20 s after its server ended: {out.stderr}"
    assert res["after"] < 10


def test_a_batch_is_read_a_slice_at_a_time_and_gives_the_same_documents(tmp_path, monkeypatch):
    """A compacted file of many row groups is indexed in slices of whole row groups (search_build._slices), each
    with its own articles' mention rows only: every article once, with the same fields and entities as when
    the file is read whole."""
    from dashboard.data import search_build
    from ingest.store import layout
    from ingest.store.compact import compact_store
    from ingest.store.parquet import SCHEMA_FILE, Store

    tiny = build_tiny_store(tmp_path / "store")
    monkeypatch.setitem(layout.ROW_GROUP_ROWS, "articles", 3)
    compact_store(Store(tiny.root), target_rows=10**6)  # one file, in row groups of 3 articles
    store = Store(tiny.root)
    (articles,) = [p for p in store.articles_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE]
    mentions = store.mentions_dir / articles.name

    class Collect:
        def __init__(self) -> None:
            self.docs: list[dict] = []

        def add_document(self, doc) -> None:
            self.docs.append(doc.to_dict())

    def documents(slice_rows: int) -> list[dict]:
        monkeypatch.setattr(search_build, "SLICE_ROWS", slice_rows)
        w = Collect()
        search_build.add_batch(w, "b", articles, mentions)
        return sorted(w.docs, key=lambda d: d["key"])

    sliced, whole = documents(7), documents(10**9)
    assert len(search_build._slices(articles, 7)) > 2 and len(search_build._slices(articles, 10**9)) == 1
    assert len(sliced) == len(tiny.articles) and sliced == whole
    assert sum(bool(d.get("ent")) for d in sliced) >= len(tiny.articles) // 2  # entity lists really compared
