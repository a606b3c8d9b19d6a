"""What a run did: counts per source, failures by reason with their first URLs, and the run's outcome.

`RunSummary` is filled by the run (pipeline.py) and given back by `run_ingest`; `format_summary` prints it (every
run ends with it), `run_rows` are its rows of the store's run log, and `outcome` is the one word (and exit code)
that tells cron or systemd how the run went: stored, nothing new, some sources failed, all failed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum

EXAMPLES = 3  # URLs (or details) kept per reason and source, printed under the run's table


class Outcome(IntEnum):
    """How a run went, as `newsmon ingest`'s exit code (docs/operations.md). 1 and 2 are click's: a whole-run
    failure (bad config, store locked) and a usage error."""

    STORED = 0  # new articles stored, and no source failed
    ALL_FAILED = 3  # every source failed: nothing could be read
    SOME_FAILED = 4  # at least one source failed, the others were read
    NOTHING_NEW = 5  # no source failed, and nothing new was stored (all known, 304s, empty lists)


@dataclass
class SourceStats:
    name: str
    found: int = 0  # candidates the source listed
    skipped: int = 0  # already in the store (not fetched again)
    fetched: int = 0  # pages fetched (or read from disk)
    stored: int = 0  # new articles written
    duplicate: int = 0  # same URL listed twice, or same content as a stored article
    failures: Counter = field(default_factory=Counter)  # reason -> count
    language_disagrees: int = 0  # stored articles surely in another language than the source declares
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> its first URLs or details

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def failed_outright(self) -> bool:
        """Nothing of the source could be used: it failed, and stored, knew or recognised nothing."""
        return self.failed > 0 and not (self.stored or self.skipped or self.duplicate)

    def fail(self, reason: str, where: str) -> None:
        """Count a failure; its URL (or detail) is kept if it is among the reason's first EXAMPLES."""
        self.failures[reason] += 1
        kept = self.examples.setdefault(reason, [])
        if len(kept) < EXAMPLES:
            kept.append(where)


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    watchlist_version: str = ""
    sources: dict[str, SourceStats] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # worth telling the user: a list cut to its cap, ...

    def stats(self, name: str) -> SourceStats:
        return self.sources.setdefault(name, SourceStats(name))

    def total(self) -> SourceStats:
        t = SourceStats("total")
        for s in self.sources.values():
            t.found += s.found
            t.skipped += s.skipped
            t.fetched += s.fetched
            t.stored += s.stored
            t.duplicate += s.duplicate
            t.language_disagrees += s.language_disagrees
            t.failures.update(s.failures)
        return t


def outcome(summary: RunSummary) -> Outcome:
    """The run's outcome: a failed source outweighs stored articles, all failed outweighs some."""
    failed = [s for s in summary.sources.values() if s.failed_outright]
    if failed and len(failed) == len(summary.sources):
        return Outcome.ALL_FAILED
    if failed:
        return Outcome.SOME_FAILED
    return Outcome.STORED if summary.total().stored else Outcome.NOTHING_NEW


def run_rows(summary: RunSummary) -> list[dict]:
    """The run's rows of the store's run log (RUNS_SCHEMA), one per source."""
    return [
        {
            "run_id": summary.run_id,
            "source": s.name,
            "started_at": summary.started_at,
            "finished_at": summary.finished_at,
            "found": s.found,
            "fetched": s.fetched,
            "stored": s.stored,
            "duplicate": s.duplicate,
            "failed": s.failed,
            "failures": list(s.failures.items()),
            "watchlist_version": summary.watchlist_version,
            "language_disagrees": s.language_disagrees,
        }
        for s in summary.sources.values()
    ]


def format_summary(summary: RunSummary) -> str:
    """The run summary as plain text: one line per source and a total; then the failures by reason and source,
    with the first URLs of each; the notes; the outcome."""
    head = f"{'source':<36} {'found':>6} {'skipped':>7} {'fetched':>7} {'stored':>6} {'dup':>5} {'failed':>6}"
    lines = [head, "-" * len(head)]
    rows = sorted(summary.sources.values(), key=lambda s: s.name.lower()) + [summary.total()]
    for s in rows:
        if s.name == "total":
            lines.append("-" * len(head))
        lines.append(f"{s.name[:36]:<36} {s.found:>6} {s.skipped:>7} {s.fetched:>7} {s.stored:>6} {s.duplicate:>5} {s.failed:>6}")
    failures = summary.total().failures
    if failures:
        lines.append("failures by reason: " + ", ".join(f"{r} {n}" for r, n in failures.most_common()))
        lines.extend(_failure_lines(summary, failures))
    disagree = [s for s in rows[:-1] if s.language_disagrees]
    if disagree:
        lines.append("language other than declared: " + ", ".join(f"{s.name} {s.language_disagrees}" for s in disagree))
    lines.extend(f"note: {note}" for note in summary.notes)
    took = (summary.finished_at or datetime.now(UTC)) - summary.started_at
    result = outcome(summary)
    lines.append(f"run {summary.run_id} took {took.total_seconds():.1f}s; watchlist {summary.watchlist_version}; "
                 f"{result.name.lower().replace('_', ' ')} (exit {result.value})")
    return "\n".join(lines)


def _failure_lines(summary: RunSummary, failures: Counter) -> list[str]:
    """  http-404  The Daily (12): https://a/1  https://a/2  https://a/3  ..."""
    out = []
    width = max(len(r) for r in failures)
    for reason, _ in failures.most_common():
        sources = sorted((s for s in summary.sources.values() if s.failures.get(reason)),
                         key=lambda s: (-s.failures[reason], s.name.lower()))
        for s in sources:
            n = s.failures[reason]
            shown = [_short(x) for x in s.examples.get(reason, [])]
            more = "  ..." if n > len(shown) else ""
            out.append(f"  {reason:<{width}}  {s.name[:36]} ({n}): {'  '.join(shown)}{more}")
    return out


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
