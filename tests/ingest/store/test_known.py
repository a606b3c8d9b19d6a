from __future__ import annotations

import hashlib
import tracemalloc

import pyarrow as pa
import pytest

from ingest.store import known
from ingest.store.known import KnownKeys, key_of


def _ids(n: int, salt: str = "") -> list[str]:
    return [hashlib.sha1(f"{salt}{i}".encode()).hexdigest()[:16] for i in range(n)]


@pytest.mark.parametrize("source", ["list", "arrow"])
def test_known_keys_behave_as_a_set(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(known, "BUFFER_KEYS", 4)  # merge the run's keys into the sorted ones every few adds
    stored = _ids(500)
    values = pa.chunked_array([stored[:200], stored[200:]]) if source == "arrow" else stored
    keys, reference = KnownKeys(values), set(stored)
    for i, value in enumerate(_ids(300, "new") + stored[:50] + _ids(300, "new")[:100] + ["", "é" * 40]):
        assert (value in keys) == (value in reference), i
        keys.add(value)
        reference.add(value)
        assert value in keys and len(keys) == len(reference)
    assert all(v in keys for v in reference) and "not stored" not in keys and None not in keys
    assert len(keys._sorted) > 500  # the run's keys were merged


def test_known_keys_take_8_bytes_a_string() -> None:
    stored = pa.chunked_array([_ids(50_000)])
    tracemalloc.start()
    keys = KnownKeys(stored)
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(keys) == 50_000
    assert kept / 50_000 < 12  # a set of the same strings: ~107 bytes each


def test_key_is_stable() -> None:
    assert key_of("abc") == int.from_bytes(hashlib.blake2b(b"abc", digest_size=8).digest(), "little")
