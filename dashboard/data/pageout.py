"""Mapped file pages handed back to the kernel: `PageOut`, a thread that asks Linux (madvise `MADV_PAGEOUT`) to
reclaim this process's resident pages of the files it maps under one directory, every `interval` seconds.

Takes a directory; gives nothing but a smaller resident set. Used by the text index's build child
(dashboard/data/search_build.py): tantivy maps the segments it merges and reads them whole, and every page it has
read stayed in the child's resident set until the segment was deleted: up to 735 MB of file pages beside ~460 MB of
its own memory at a million articles (docs/benchmarks.md, "Issue 15, stop 22").

Why it is safe: those pages are clean page cache (tantivy maps its files read-only). Reclaiming one loses
nothing; a later read brings it back from the file. `MADV_PAGEOUT` is advice that never changes what memory holds,
unlike `MADV_DONTNEED`: if a segment is unmapped between reading /proc/self/maps and the call, and the address is
reused for other memory, that memory is at worst written to swap and read back. Linux 5.4 or later; elsewhere
(`supported` false) the thread does nothing.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

MADV_PAGEOUT = 21  # linux/mman-common.h
INTERVAL = 0.25  # seconds between two passes: what a merge reads in that time is all that stays resident


def _madvise():
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (AttributeError, OSError):
        return None
    fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    fn.restype = ctypes.c_int
    return fn


def mapped(directory: Path) -> list[tuple[int, int]]:
    """The address ranges [start, end) of this process's mappings of files under `directory` (deleted ones too)."""
    prefix = os.path.realpath(directory) + os.sep
    out = []
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith(prefix):
                lo, hi = parts[0].split("-")
                out.append((int(lo, 16), int(hi, 16)))
    return out


class PageOut:
    """While running (`start` / `stop`, or as a context manager), every `interval` seconds: the pages of the files
    under `directory` that this process maps are reclaimed. `passes` and `ranges` count what it did."""

    def __init__(self, directory: Path, interval: float = INTERVAL) -> None:
        self.directory = Path(directory)
        self.interval = interval
        self.passes = 0
        self.ranges = 0
        self._madvise = _madvise()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def supported(self) -> bool:
        return self._madvise is not None

    def run_once(self) -> int:
        """One pass: the number of mapped ranges advised. Turns itself off where the kernel lacks the advice."""
        if self._madvise is None:
            return 0
        n = 0
        for lo, hi in mapped(self.directory):
            if self._madvise(lo, hi - lo, MADV_PAGEOUT) == 0:
                n += 1
                continue
            err = ctypes.get_errno()
            if err == errno.EINVAL:  # a kernel before 5.4: no such advice
                log.info("MADV_PAGEOUT is not supported here: mapped pages stay resident")
                self._madvise = None
                return n
            # ENOMEM: the range was unmapped meanwhile (a merged segment deleted); nothing to do
        self.passes += 1
        self.ranges += n
        return n

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except OSError as exc:  # /proc unreadable: give up quietly, the build goes on
                log.info("page-out stopped: %s", exc)
                return

    def start(self) -> PageOut:
        if self.supported and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="newsmon-pageout", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> PageOut:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
