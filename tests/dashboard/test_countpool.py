"""dashboard/countpool.py: the children count what this process counts, and a child that fails or is killed
changes nothing but the time. The texts: the repository's own docs (real prose), the test texts of
tests/dashboard/test_explain.py in several scripts and forms, and the extraction dev set's pages when present."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import countpool
from dashboard.wordcount import term_counts
from tests.dashboard.test_explain import MARKED
from tests.paths import REPO, SHARED_DATA


def _texts() -> list[str]:
    """Paragraphs of the repository's docs, with the marked words of several scripts, NFD and upper case."""
    paras = [p for f in sorted((REPO / "docs").glob("*.md")) for p in f.read_text().split("\n\n") if p.strip()]
    extra = [*MARKED, *(m.upper() for m in MARKED), "", "İstanbul'da Straße ǅemal"]
    return paras + extra


@pytest.fixture
def fresh(monkeypatch):
    """No child running before the test, none left after it; every side large enough for a child."""
    countpool.close_all()
    monkeypatch.setattr(countpool, "MIN_CHARS", 0)
    yield
    countpool.close_all()


def test_the_children_count_what_this_process_counts(fresh):
    texts = _texts()
    sides = [texts[::2], texts[1::2], [None, float("nan"), "Ceasefire talks, ceasefire held"]]
    assert countpool.count_sides(sides) == [term_counts(s) for s in ([*sides[:2], ["", "", sides[2][2]]])]
    assert len(countpool.children()) == 2  # two sides went to the two children; the third was counted here
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert all(os.getpriority(os.PRIO_PROCESS, p) == min(19, mine + countpool.NICE) for p in countpool.children())
    first = countpool.children()
    assert countpool.count_sides(sides[:2]) == [term_counts(s) for s in sides[:2]]
    assert countpool.children() == first  # kept for the next job


def test_the_dev_sets_pages_count_the_same_in_a_child(fresh):
    """The extraction dev set's 472 real pages in many languages: each page's paragraphs, one text."""
    import gzip
    import json

    import lxml.html

    cases = SHARED_DATA / "extraction-dev" / "cases.jsonl"
    if not cases.exists():
        pytest.skip(f"{cases} is not here")
    texts = []
    for line in cases.read_text().splitlines():
        page = SHARED_DATA / "extraction-dev" / json.loads(line)["page"]
        doc = lxml.html.fromstring(gzip.decompress(page.read_bytes()))
        texts.append("\n\n".join(p.text_content() for p in doc.iter("p")))
    assert len(texts) > 400
    assert countpool.count_sides([texts[::2], texts[1::2]]) == [term_counts(texts[::2]), term_counts(texts[1::2])]


def test_small_sides_are_counted_here():
    countpool.close_all()
    sides = [["The ceasefire talks resumed."], ["Talks in Geneva."]]
    assert countpool.count_sides(sides) == [term_counts(s) for s in sides]
    assert countpool.children() == []


def test_a_child_killed_during_its_job_changes_nothing(fresh, monkeypatch):
    texts = _texts()
    countpool.count_sides([texts])
    (killed,) = countpool.children()
    receive = countpool._Child.receive

    def kill_then_receive(child):
        os.kill(child.proc.pid, signal.SIGKILL)  # after the job was sent, before its answer
        return receive(child)

    monkeypatch.setattr(countpool._Child, "receive", kill_then_receive)
    assert countpool.count_sides([texts]) == [term_counts(texts)]
    monkeypatch.setattr(countpool._Child, "receive", receive)
    assert countpool.count_sides([texts]) == [term_counts(texts)]
    assert countpool.children() and killed not in countpool.children()  # replaced at the next job


def test_a_child_that_cannot_start_changes_nothing(fresh, monkeypatch):
    monkeypatch.setattr(countpool.sys, "executable", "/nonexistent/python")
    texts = _texts()
    assert countpool.count_sides([texts[:50], texts[50:]]) == [term_counts(texts[:50]), term_counts(texts[50:])]
    assert countpool.children() == []


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # exited (a zombie until whoever adopted it reaps it)


def test_the_children_end_when_the_server_is_killed():
    code = ("import sys; from dashboard import countpool; countpool.MIN_CHARS = 0; "
            "countpool.count_sides([['a ceasefire held'] * 3, ['talks resumed'] * 3]); "
            "print(*countpool.children(), flush=True); sys.stdin.read()")
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and not any(_gone(p) for p in pids)
        parent.kill()  # SIGKILL: no atexit, no cleanup of its own
        parent.wait()
        deadline = time.monotonic() + 10
        while not all(_gone(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(p) for p in pids)
    finally:
        parent.kill()


def test_warm_up_starts_the_children_once(fresh, monkeypatch):
    monkeypatch.setattr(countpool, "_warmed", countpool.threading.Event())
    countpool.warm_up()
    deadline = time.monotonic() + 10
    while len(countpool.children()) < countpool.CHILDREN and time.monotonic() < deadline:
        time.sleep(0.02)
    started = countpool.children()
    assert len(started) == countpool.CHILDREN
    countpool.warm_up()  # once per process
    texts = _texts()
    assert countpool.count_sides([texts[::2], texts[1::2]]) == [term_counts(texts[::2]), term_counts(texts[1::2])]
    assert countpool.children() == started  # the started children did the job
