"""`replace_atomic`, the one way a whole file is replaced (the store's Parquet and JSON files, the alerts' state):
the new content whole, or the old file untouched and no temporary file left; the rename made durable."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.store import atomic
from ingest.store.atomic import StoreError, replace_atomic, write_atomic, write_json_atomic


def test_the_file_is_replaced_whole_and_the_folder_synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(atomic, "fsync_dir", lambda p: synced.append(p))
    target = tmp_path / "state.json"
    target.write_text("old")
    replace_atomic(target, lambda fh: fh.write(b"new"))
    assert target.read_text() == "new" and synced == [tmp_path]
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")

    def half(fh) -> None:
        fh.write(b"ne")
        raise KeyboardInterrupt  # any exception, not only a disk error

    with pytest.raises(KeyboardInterrupt):
        replace_atomic(target, half)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_the_store_writers_go_through_it_and_say_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = pa.table({"a": [1, 2, 3]})
    write_atomic(table, tmp_path / "t.parquet")
    assert pq.read_table(tmp_path / "t.parquet").equals(table)
    write_json_atomic({"b": 1, "a": [2]}, tmp_path / "j.json")
    assert json.loads((tmp_path / "j.json").read_text()) == {"a": [2], "b": 1}
    calls: list[Path] = []
    real = atomic.replace_atomic
    monkeypatch.setattr(atomic, "replace_atomic", lambda p, w: (calls.append(p), real(p, w))[1])
    write_atomic(table, tmp_path / "u.parquet")
    write_json_atomic({}, tmp_path / "k.json")
    assert calls == [tmp_path / "u.parquet", tmp_path / "k.json"]
    with pytest.raises(StoreError, match="cannot write .*missing/t.parquet"):
        write_atomic(table, tmp_path / "missing" / "t.parquet")
