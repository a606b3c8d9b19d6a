"""Giving memory back: what a long ingest (`newsmon ingest --every`, a 20,000-page run) frees but its allocators keep.

Python objects freed by a run go back to the C allocator, which on glibc keeps them as free chunks in its arenas
(one per thread that allocated, up to 8 per core: the 32 fetch threads spread their page bodies over 16 of
them), and pyarrow's default pool (mimalloc) keeps what it freed too. Neither is a leak: the bytes are reused by later
allocations. But the process's RSS then measures its high-water mark, not what it holds, and over hours the
free chunks of a fragmented heap are what grows (benchmarks/ingest_soak.py measures both: glibc's bytes in use
and the free bytes it keeps). `tune()` makes glibc keep less (fewer arenas, page bodies mapped apart), and
`release()` hands the free pages back to the system; the ingest tunes before each run and releases at its end
and every few batches of a long one.
"""

from __future__ import annotations

import ctypes
import gc

import pyarrow as pa

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # mallopt's parameter numbers (glibc's malloc.h)
# The ingest's settings (`tune`), chosen on benchmarks/ingest_soak.py runs with MALLOC_ARENA_MAX=2 and
# MALLOC_MMAP_THRESHOLD_=131072 (the same settings from the environment) against the defaults.
ARENAS = 2
MMAP_THRESHOLD = 128 * 1024


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


def tune(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Set glibc for a long ingest; True if it took both settings. Called before the run's threads start: glibc
    fixes its arena limit when a ninth arena is wanted, and keeps the arenas it has made. (pyarrow's allocator is
    chosen once, before pyarrow is imported: `ingest/__init__.py` makes it the C allocator, which `release`
    trims; mimalloc kept ~21 MB more after each 500-page `--every` run, benchmarks/ingest_soak.py --pages 500
    --runs 3. Setting it here too would override a user's explicit ARROW_DEFAULT_MEMORY_POOL.)

    - At most `arenas` arenas: the fetch threads share them instead of each keeping free chunks in its own.
    - Blocks of `mmap_threshold` bytes and more (page bodies) are mapped on their own and unmapped when freed.
      glibc's default threshold starts there but rises to the largest block freed so far (up to 32 MB), after
      which page bodies are carved from the arenas and leave holes that only `release` hands back."""
    return limit_arenas(arenas) and _LIBC is not None and _LIBC.mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1


def limit_arenas(count: int) -> bool:
    """Let glibc make at most `count` arenas from now on (as MALLOC_ARENA_MAX does at start-up); True if set.

    Threads that have no arena yet share these instead of each making its own: fewer heaps keeping free chunks.
    Arenas made earlier stay."""
    return _LIBC is not None and _LIBC.mallopt(M_ARENA_MAX, count) == 1
