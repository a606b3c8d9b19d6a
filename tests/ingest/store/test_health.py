from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.store.health import silent_sources, source_health
from ingest.store.parquet import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(source: str, day: int, stored: int, failed: int = 0) -> dict:
    at = T0 + timedelta(days=day)
    return {"run_id": f"r{day}", "source": source, "started_at": at, "finished_at": at, "found": stored,
            "fetched": stored, "stored": stored, "duplicate": 0, "failed": failed, "failures": []}


def test_a_source_that_stopped_publishing_is_flagged(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.writer() as w:
        w.write_run([run("Steady", d, 5) for d in range(6)] + [run("Stopped", d, 5 if d < 2 else 0, int(d >= 2))
                                                               for d in range(6)]
                    + [run("Never", d, 0) for d in range(6)])
    now = T0 + timedelta(days=5, hours=1)
    assert [h.source for h in silent_sources(store, now)] == ["Stopped"]
    health = {h.source: h for h in source_health(store)}
    assert health["Stopped"].last_stored == T0 + timedelta(days=1)
    assert health["Stopped"].failures_last_run == 1 and health["Never"].last_stored is None
    assert health["Steady"].stored_total == 30
