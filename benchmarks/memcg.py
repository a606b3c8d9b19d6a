"""A memory cgroup for one benchmarked process: does it finish within a memory limit, as the kernel counts it?

A process's resident set (VmHWM) counts the pages of the files it maps, which the kernel can drop and read again
at will; its anonymous memory leaves them out, and the page cache of the files it writes. A cgroup's limit counts
all of it (anonymous memory, the page cache it brought in, kernel memory) and reclaims the page cache before it
kills: a process that finishes inside an N MB cgroup runs on a machine that gives it N MB.

Takes a limit in MB; gives the directory a child enters (`enter`, as `preexec_fn`), and after the run the peak
charge, how often the limit forced a reclaim, and the OOM kills. Needs root and a mounted memory controller
(cgroup v1 `/sys/fs/cgroup/memory`, or v2 `/sys/fs/cgroup` with `memory` in its controllers); `available()`
says why not otherwise.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

V1 = Path("/sys/fs/cgroup/memory")
V2 = Path("/sys/fs/cgroup")


def _v2() -> bool:
    controllers = V2 / "cgroup.controllers"
    return controllers.exists() and "memory" in controllers.read_text().split()


def _has_swap() -> bool:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("SwapTotal:"):
            return int(line.split()[1]) > 0
    return False


def available() -> str | None:
    """None when a memory cgroup can be made here, else why not."""
    if os.geteuid() != 0:
        return "memory cgroups need root"
    if not ((V1 / "memory.limit_in_bytes").exists() or _v2()):
        return "no memory cgroup controller is mounted at /sys/fs/cgroup"
    return None


class MemoryCgroup:
    """A new memory cgroup capped at `limit_mb`; removed by `close` (once its processes have exited)."""

    def __init__(self, name: str, limit_mb: int) -> None:
        self.v2 = not (V1 / "memory.limit_in_bytes").exists() and _v2()
        self.path = (V2 if self.v2 else V1) / f"{name}-{os.getpid()}-{time.monotonic_ns()}"
        self.path.mkdir()
        limit = str(limit_mb * 1024 * 1024)
        if self.v2:
            (self.path / "memory.max").write_text(limit)
            if (self.path / "memory.swap.max").exists():  # no swap either: the limit is memory only
                (self.path / "memory.swap.max").write_text("0")
        else:
            (self.path / "memory.limit_in_bytes").write_text(limit)
            swap = self.path / "memory.memsw.limit_in_bytes"
            if swap.exists() and _has_swap():  # no swap either: the limit is memory only
                try:
                    swap.write_text(limit)
                except OSError:
                    pass

    def enter(self) -> None:
        """Move the calling process into the cgroup (a child's `preexec_fn`: before it runs anything)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def _read(self, name: str) -> str:
        try:
            return (self.path / name).read_text()
        except OSError:
            return ""

    def peak_mb(self) -> int:
        """The highest charge while the cgroup lived (the limit itself when it was reached)."""
        raw = self._read("memory.peak" if self.v2 else "memory.max_usage_in_bytes").strip()
        return int(raw) // (1024 * 1024) if raw.isdigit() else 0

    def _events(self) -> dict[str, int]:
        out = {}
        for line in self._read("memory.events").splitlines():
            k, _, v = line.partition(" ")
            out[k] = int(v) if v.strip().isdigit() else 0
        return out

    def reclaims(self) -> int:
        """How many times a charge met the limit (and the kernel reclaimed pages to make room)."""
        if self.v2:
            return self._events().get("max", 0)
        # With a memory+swap limit set as well, v1 kept both counters at 0 here even as it reclaimed and killed:
        # that limit is set only on a machine with swap (`_has_swap`), and then its counter is read too.
        raws = (self._read(n).strip() for n in ("memory.failcnt", "memory.memsw.failcnt"))
        return max((int(r) for r in raws if r.isdigit()), default=0)

    def oom_kills(self) -> int:
        """Processes the kernel killed for the limit (v2 counts them; v1 says only whether it is under OOM)."""
        if self.v2:
            return self._events().get("oom_kill", 0)
        for line in self._read("memory.oom_control").splitlines():
            k, _, v = line.partition(" ")
            if k == "oom_kill":
                return int(v)
        return 0

    def close(self) -> None:
        try:
            self.path.rmdir()
        except OSError:
            pass
