"""dashboard/data/duck.py: connections in UTC that spill to the cache, and a memory target that never drops an answer."""

from __future__ import annotations

import duckdb
import pytest

from dashboard.data import duck

BIG = "SELECT length(string_agg(CAST(range AS VARCHAR), ',')) FROM range(3000000)"  # ~20 MB, not spillable


def limit(con) -> int:
    return duck._bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def test_a_connection_and_its_cursors_are_in_utc_and_spill_to_the_given_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    con = duck.connect(":memory:", {"threads": 1}, tmp_path / "spill")
    for c in (con, duck.cursor(con), con.cursor()):  # even a bare cursor: the zone is set for the whole database
        assert c.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"
    assert con.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(tmp_path / "spill")
    assert con.execute("SELECT current_setting('disable_parquet_prefetching')").fetchone()[0] is True
    assert (tmp_path / "spill").is_dir()


def test_a_query_over_the_memory_target_is_answered_with_more_then_the_target_is_back(monkeypatch):
    monkeypatch.setenv("NEWSMON_DASHBOARD_MEMORY_MAX", "1GB")
    con = duck.connect(":memory:", {"memory_limit": "10MB", "threads": 1})
    target = limit(con)
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute(BIG).fetchone()
    before = duck.raised_count
    assert duck.retry_oom(con, lambda: con.execute(BIG).fetchone()[0], "test") > 10_000_000
    assert duck.raised_count > before
    assert limit(con) == target


def test_beyond_the_ceiling_the_error_stands(monkeypatch):
    monkeypatch.setenv("NEWSMON_DASHBOARD_MEMORY_MAX", "12MB")
    con = duck.connect(":memory:", {"memory_limit": "10MB", "threads": 1})
    target = limit(con)
    with pytest.raises(duckdb.OutOfMemoryException):
        duck.retry_oom(con, lambda: con.execute(BIG).fetchone(), "test")
    assert limit(con) == target


@pytest.mark.parametrize("text, size", [("305.1 MiB", int(305.1 * 2**20)), ("320MB", 320_000_000), ("2GB", 2 * 10**9),
                                        ("1.5 GiB", int(1.5 * 2**30)), ("123B", 123)])
def test_memory_sizes_are_read_as_duckdb_writes_them(text, size):
    assert duck._bytes(text) == size
