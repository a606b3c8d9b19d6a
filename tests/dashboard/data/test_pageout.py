"""dashboard/data/pageout.py: the pages of a mapped file under the directory leave the resident set, its contents
stay, and a file mapped elsewhere is left alone."""

from __future__ import annotations

import mmap
import os
import sys
import time
from pathlib import Path

import pytest

from dashboard.data import pageout

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MADV_PAGEOUT is Linux's")

SIZE = 16 << 20


def _resident_kb(path: Path) -> int:
    """The resident kB of this process's mapping of `path` (its Rss line in /proc/self/smaps)."""
    want = os.path.realpath(path)
    found = False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            parts = line.split(maxsplit=5)
            if "-" in parts[0] and not parts[0].endswith(":"):
                found = len(parts) == 6 and parts[5].strip() == want
            elif found and parts[0] == "Rss:":
                return int(parts[1])
    raise AssertionError(f"{path} is not mapped")


def _mapped(path: Path, seed: int) -> tuple[mmap.mmap, int]:
    path.write_bytes(bytes((i * seed) % 251 for i in range(256)) * (SIZE // 256))
    fd = os.open(path, os.O_RDONLY)
    try:
        m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
    finally:
        os.close(fd)
    return m, _touch(m)


def _touch(m: mmap.mmap) -> int:
    return sum(m[i] for i in range(0, len(m), mmap.PAGESIZE))


def test_a_pass_hands_back_the_mapped_pages_under_the_directory_only(tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "other").mkdir()
    seg, seg_sum = _mapped(tmp_path / "index" / "segment", 7)
    other, other_sum = _mapped(tmp_path / "other" / "file", 11)
    po = pageout.PageOut(tmp_path / "index")
    if not po.supported:
        pytest.skip("no madvise here")
    try:
        assert _resident_kb(tmp_path / "index" / "segment") >= SIZE // 1024 * 0.9 and _resident_kb(tmp_path / "other" / "file") >= SIZE // 1024 * 0.9
        assert [hi - lo for lo, hi in pageout.mapped(tmp_path / "index")] == [SIZE]
        assert po.run_once() == 1
        assert _resident_kb(tmp_path / "index" / "segment") < SIZE // 1024 * 0.1  # handed back
        assert _resident_kb(tmp_path / "other" / "file") >= SIZE // 1024 * 0.9  # another directory's file: untouched
        assert _touch(seg) == seg_sum and seg[:256] == bytes((i * 7) % 251 for i in range(256))  # nothing lost
        assert _touch(other) == other_sum
    finally:
        seg.close()
        other.close()
    assert po.run_once() == 0 and pageout.mapped(tmp_path / "index") == []


def test_the_thread_keeps_handing_pages_back_until_stopped(tmp_path):
    seg, seg_sum = _mapped(tmp_path / "segment", 3)
    try:
        with pageout.PageOut(tmp_path, interval=0.02) as po:
            if not po.supported:
                pytest.skip("no madvise here")
            deadline = time.monotonic() + 10
            while po.passes < 3 and time.monotonic() < deadline:
                _touch(seg)  # read again between passes, as a merge reads
                time.sleep(0.01)
            assert po.passes >= 3 and po.ranges >= 3
        passes = po.passes
        time.sleep(0.1)
        assert po.passes == passes  # stopped
        assert _touch(seg) == seg_sum
    finally:
        seg.close()
