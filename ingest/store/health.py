"""Source health from the run log: which sources went silent, when each last stored something (the alerts'
delivery rows, `alerts:<channel>`, are not sources and are left out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from ingest.store.parquet import Store
from ingest.store.runlog import ALERTS_SOURCE

# A source that stored nothing for two days while runs kept happening is worth a look: daily outlets
# publish every day, and a broken feed otherwise shows up as a quiet drop in the chart.
DEFAULT_SILENCE = timedelta(hours=48)


@dataclass(frozen=True)
class SourceHealth:
    source: str
    runs: int
    last_run: datetime
    last_stored: datetime | None  # end of the last run that stored something
    stored_total: int
    failures_last_run: int


def source_health(store: Store) -> list[SourceHealth]:
    if not store.exists():
        return []
    rows = duckdb.execute(
        """
        select source, count(*) as runs, max(finished_at) as last_run,
               max(finished_at) filter (where stored > 0) as last_stored, sum(stored) as stored_total,
               arg_max(failed, finished_at) as failures_last_run
        from read_parquet(?) where not starts_with(source, ?) group by source order by source
        """,
        [store.glob("runs"), ALERTS_SOURCE],
    ).fetchall()
    return [SourceHealth(*r) for r in rows]


def silent_sources(store: Store, now: datetime | None = None,
                   silence: timedelta = DEFAULT_SILENCE) -> list[SourceHealth]:
    """Sources that used to publish but stored nothing for `silence`, although runs went on."""
    now = now or datetime.now(UTC)
    return [
        h for h in source_health(store)
        if h.last_stored is not None and now - h.last_stored >= silence and h.last_run > h.last_stored
    ]
