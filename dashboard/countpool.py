"""Word counts of large sets of texts, in child processes: `count_sides(sides)`.

Takes lists of texts (a title and a text each); gives, for each list, the Counter `wordcount.term_counts` gives for
it, the same whichever process counted it.

Why: "Why the spike?" compares the words of two sides of up to 2,000 texts each. At a million articles that is
16.8M characters and ~2.4 s of Python, on one of the machine's cores, in the server process: the other core sat
idle, and the server's event loop, which sends every session's page, waited for the GIL meanwhile. Counted by two
children at once, the two sides take about half as long, and the server only waits on two pipes
(docs/benchmarks.md, "Issue 15, stop 26").

How: up to `CHILDREN` children, `python -m dashboard.countpool`, each started when first needed and kept for the
next job (each imports the standard library and dashboard/wordcount.py only). A job is one side's texts, written
to a child's stdin as one `marshal` blob after its length (8 bytes); the answer, term -> count, comes back on its
stdout the same way. A side is counted in this process instead:
- when it is small (fewer than `MIN_CHARS` characters: sending it would cost more than it saves);
- when every child is busy with another session's job (nobody waits for a child);
- when its child fails (it could not start, was killed or crashed): that child is replaced at the next job.
So a child can only make an answer come sooner, never make it different or missing. A child exits when its stdin
reaches EOF: when the server closes it at exit, or when the server is gone, however it went (even SIGKILL).
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import logging
import marshal
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from dashboard.wordcount import term_counts

log = logging.getLogger(__name__)

CHILDREN = 2  # one per side of "why the spike?" (this machine has two cores)
MIN_CHARS = 1_000_000  # ~0.15 s of counting: a smaller side is counted here
NICE = 5  # a little below the server (and a browser on the same machine); above the text index's build (10)
_HEAD = 8  # bytes of a blob's length, little-endian
_ROOT = Path(__file__).resolve().parents[1]  # the repository: the child runs `-m dashboard.countpool` from it


class _Child:
    """One child process and the lock that makes it one job's at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, "-m", "dashboard.countpool"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)

    def send(self, texts: list[str]) -> None:
        self.start()
        _write(self.proc.stdin, marshal.dumps(texts))

    def receive(self) -> Counter:
        return Counter(marshal.loads(_read(self.proc.stdout)))

    def close(self) -> None:
        """Stop the child (its stdin closed: it exits), killing it if it does not."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_CHILDREN = [_Child() for _ in range(CHILDREN)]


def _free_child() -> _Child | None:
    """A child no other job holds, now held by the caller (who releases its lock); None when all are busy."""
    for c in _CHILDREN:
        if c.lock.acquire(blocking=False):
            return c
    return None


def count_sides(sides: Sequence[Iterable[str]], min_chars: int | None = None) -> list[Counter]:
    """`[term_counts(texts) for texts in sides]`, the sides of at least `min_chars` characters (default
    `MIN_CHARS`) counted by child processes at the same time."""
    least = MIN_CHARS if min_chars is None else min_chars
    lists = [[t if isinstance(t, str) else "" for t in s] for s in sides]  # None, NaN: no text
    results: list[Counter | None] = [None] * len(lists)
    sent: list[tuple[int, _Child]] = []
    try:
        for i, texts in enumerate(lists):
            if sum(map(len, texts)) < least or (child := _free_child()) is None:
                continue
            try:
                child.send(texts)
            except (OSError, ValueError) as exc:  # could not start, or died before reading it
                log.warning("word counts: a child process failed (%s); counting here", exc)
                child.close()
                child.lock.release()
                continue
            sent.append((i, child))
        for i, texts in enumerate(lists):  # the sides no child took, counted here while the children count
            if all(i != j for j, _ in sent):
                results[i] = term_counts(texts)
        for i, child in sent:
            try:
                results[i] = child.receive()
            except (OSError, EOFError, ValueError) as exc:  # killed or crashed: the same counts, counted here
                log.warning("word counts: a child process failed (%s); counting here", exc)
                child.close()
                results[i] = term_counts(lists[i])
    finally:
        for _, child in sent:
            child.lock.release()
    return [r if r is not None else Counter() for r in results]


_warmed = threading.Event()


def warm_up() -> None:
    """Start the children in the background, once per process: the first "why the spike?" does not wait the
    ~0.2 s they take to start. A child busy or failing is left to the next job."""
    if _warmed.is_set():
        return
    _warmed.set()

    def start() -> None:
        for c in _CHILDREN:
            if c.lock.acquire(blocking=False):
                try:
                    c.start()
                except OSError as exc:
                    log.warning("word counts: a child process did not start (%s); counting in the server", exc)
                finally:
                    c.lock.release()

    threading.Thread(target=start, name="newsmon-countpool", daemon=True).start()


def children() -> list[int]:
    """The pids of the running children (for tests and benchmarks)."""
    return [c.proc.pid for c in _CHILDREN if c.proc is not None and c.proc.poll() is None]


def close_all() -> None:
    """Stop every child (at exit; a later job starts them again). A job still running then counts here."""
    for c in _CHILDREN:
        c.close()


atexit.register(close_all)


def _write(f: BinaryIO, blob: bytes) -> None:
    f.write(len(blob).to_bytes(_HEAD, "little"))
    f.write(blob)
    f.flush()


def _read(f: BinaryIO) -> bytes:
    head = f.read(_HEAD)
    if len(head) < _HEAD:
        raise EOFError("the child process ended")
    n = int.from_bytes(head, "little")
    blob = f.read(n)
    if len(blob) < n:
        raise EOFError("the child process ended mid-answer")
    return blob


def main() -> None:
    """The child: count each job's texts until stdin reaches EOF."""
    os.nice(NICE)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            texts = marshal.loads(_read(inp))
        except EOFError:
            return
        try:
            _write(out, marshal.dumps(dict(term_counts(texts))))
        except BrokenPipeError:  # the server is gone
            return
        del texts
        _release_memory()


def _release_memory() -> None:
    """Hand the job's freed memory back to the system: an idle child keeps only what it needs."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


if __name__ == "__main__":
    main()
