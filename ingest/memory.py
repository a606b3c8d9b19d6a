"""Giving memory back: what a long ingest (`newsmon ingest --every`, a 20,000-page run) frees but its allocators keep.

Python objects freed by a run go back to the C allocator, which on glibc keeps them as free chunks in its arenas
(one per thread that allocated, up to 8 per core: the 32 fetch threads spread their page bodies over 16 of
them), and pyarrow's pool (mimalloc) keeps what it freed too. Neither is a leak: the bytes are reused by later
allocations. But the process's RSS then measures its high-water mark, not what it holds, and over hours the
free chunks of a fragmented heap are what grows (benchmarks/ingest_soak.py measures both: glibc's bytes in use
and the free bytes it keeps). `release()` hands the free pages back to the system; the ingest calls it at the
end of each run and every few batches of a long one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

import pyarrow as pa

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc's malloc.h)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        return libc
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim this way
        return None


_LIBC = _glibc()


def release(collect: bool = False) -> bool:
    """Return the allocators' free memory to the system: glibc's free pages (`malloc_trim(0)`, every arena)
    and pyarrow's pool's unused memory. With `collect`, run Python's garbage collector first (cycles freed
    only by a collection would otherwise still hold their memory). True when glibc released something."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    return bool(_LIBC.malloc_trim(0)) if _LIBC is not None else False


def limit_arenas(count: int) -> bool:
    """Let glibc make at most `count` arenas from now on (as MALLOC_ARENA_MAX does at start-up); True if set.

    Threads that have no arena yet share these instead of each making its own: fewer heaps keeping free chunks.
    Arenas made earlier stay."""
    return _LIBC is not None and _LIBC.mallopt(M_ARENA_MAX, count) == 1
