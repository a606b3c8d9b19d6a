"""Which rules fire: the triggers over the store, through the dashboard's own queries (no Streamlit, no writes).

Takes a DuckDB connection (`dashboard.data.queries.connect`), the rules, the time of evaluation and each rule's
watermark (the time it was last evaluated); gives `Event`s, each with a stable idempotency `key`.

- spike: `dashboard.explain.spikes` over `dashboard.data.series.assemble` of the dashboard's timeline and
  coverage queries, under the rule's filters: the very markers the dashboard draws (its "all" period).
- threshold: a bucket in which at least `min_articles` articles mention the entity.
- first-seen: the first day an entity is mentioned in a source, or in a language (under the rule's filters).
- together: a bucket in which at least `min_articles` articles mention both of the rule's two entities.

Which buckets count. A rule looks only at buckets that END AFTER its watermark (and start before now): a
bucket that was already closed when the rule was last evaluated is never looked at again, so late articles
filling a past bucket do not fire an old spike as if it were new. The bucket in progress is looked at (a spike
"this morning" fires before the day is over) and fires once: its key is the rule, the entity and the bucket.
A rule never evaluated (or changed since: its fingerprint) starts one bucket back from now; `since`
overrides every watermark (`newsmon alerts check --since`).

Batching. Rules are grouped by what their query depends on (sources, languages, bucket, scale): one timeline
query per group answers every entity of every rule in it. A spike needs the `SPIKE_WINDOW` non-empty buckets
before the first bucket looked at, and nothing earlier (`explain.spikes` keeps only those), so the timeline is
read from there: the result is exactly the one over the whole store.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pandas as pd

from dashboard import explain
from dashboard.alerts.rules import Rule
from dashboard.data import alertq, dispatch, queries
from dashboard.data.buckets import bucket_end, bucket_start
from dashboard.data.filters import Filters
from dashboard.data.series import assemble


@dataclass(frozen=True)
class Event:
    """One firing of a rule: an entity (or a pair) in a bucket, or a first appearance."""

    key: str  # idempotency key: the same firing always has the same key, across runs and restarts
    rule_id: str
    trigger: str
    entities: tuple[tuple[str, str], ...]
    bucket: str  # day | week | month
    start: date  # the bucket's first day (first-seen: the day)
    count: int  # articles in the bucket (first-seen: on the day)
    value: float  # what the dashboard plots (a share under scale "share")
    detail: dict = field(default_factory=dict, compare=False)  # spike: mean, sd; first-seen: dim, value

    @property
    def end(self) -> date:
        return start_end(self.start, "day" if self.trigger == "first-seen" else self.bucket)


def start_end(start: date, bucket: str) -> date:
    return bucket_end(start, bucket)


def event_key(rule_id: str, trigger: str, entities: Iterable[tuple[str, str]], bucket: str, start: date,
              extra: str = "") -> str:
    raw = "\x1f".join([rule_id, trigger, *(f"{k}:{e}" for k, e in entities), bucket, start.isoformat(), extra])
    return "ev-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def _day_dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def lower_bound(rule: Rule, now: datetime, watermark: datetime | None, since: datetime | None) -> datetime:
    """The time after which a bucket must end to be looked at (see the module's docstring)."""
    if since is not None:
        return since
    if watermark is not None:
        return watermark
    one = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=31)}[rule.bucket]
    return now - one


def _counts(bucket_start_: date, bucket: str, lower: datetime, now: datetime) -> bool:
    """Is the bucket starting on `bucket_start_` looked at: it ends after `lower` and has begun by `now`."""
    return _day_dt(bucket_end(bucket_start_, bucket)) > lower and _day_dt(bucket_start_) <= now


def evaluate(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule], now: datetime,
             watermarks: Mapping[str, datetime | None] | None = None, since: datetime | None = None,
             batched: bool = True) -> list[Event]:
    """Every event of `rules` at `now` (see the module's docstring); `batched=False` queries rule by rule."""
    watermarks = watermarks or {}
    lowers = {r.id: lower_bound(r, now, watermarks.get(r.id), since) for r in rules}
    groups: dict[tuple, list[Rule]] = defaultdict(list)
    for r in rules:
        family = {"spike": "series", "threshold": "series", "first-seen": "first", "together": "pairs"}[r.trigger]
        bucket = "" if family == "first" else r.bucket
        scale = r.scale if family == "series" else ""
        groups[(family, r.sources, r.languages, bucket, scale, "" if batched else r.id)].append(r)
    events: list[Event] = []
    for (family, *_), members in groups.items():
        if family == "series":
            events += _series_events(con, members, lowers, now)
        elif family == "first":
            events += _first_seen_events(con, members, lowers, now)
        else:
            events += _together_events(con, members, lowers, now)
    events.sort(key=lambda e: (e.start, e.rule_id, e.entities, e.key))
    return events


def _union(rules: Sequence[Rule]) -> Filters:
    people = tuple(dict.fromkeys(p for r in rules for p in r.people))
    topics = tuple(dict.fromkeys(t for r in rules for t in r.topics))
    return rules[0].filters().with_(people=people, topics=topics)


def series_start(cov: pd.DataFrame, first_looked_at: date) -> date:
    """The first bucket to read so that a spike in `first_looked_at` or later is judged on the same
    `SPIKE_WINDOW` preceding non-empty buckets as over the whole store."""
    before = sorted(pd.Timestamp(b).date() for b, t in zip(cov.get("bucket", []), cov.get("total", []), strict=False)
                    if t and pd.Timestamp(b).date() < first_looked_at)
    return before[-explain.SPIKE_WINDOW] if len(before) >= explain.SPIKE_WINDOW else (before[0] if before
                                                                                        else first_looked_at)


def rule_series(con: duckdb.DuckDBPyConnection, f: Filters, first_looked_at: date, last: date) -> pd.DataFrame:
    """The dashboard's series (`series.assemble`) under `f`, from far enough back for `explain.spikes`."""
    cov = queries.coverage(con, f.with_(preset="all", start=None, end=None))
    start = series_start(cov, first_looked_at)
    f = f.with_(preset="custom", start=start, end=last)
    counts = dispatch.timeline_counts(con, f)
    keep = [pd.Timestamp(b).date() >= start for b in cov.get("bucket", [])]
    return assemble(counts, cov[keep] if len(cov) else cov, f, start, last)


def _series_events(con, rules: Sequence[Rule], lowers: Mapping[str, datetime], now: datetime) -> list[Event]:
    f = _union(rules)
    lower = min(lowers[r.id] for r in rules)
    series = rule_series(con, f, bucket_start(lower.date(), f.bucket), now.date())
    if series.empty:
        return []
    marks = explain.spikes(series) if any(r.trigger == "spike" for r in rules) else series.iloc[0:0]
    stats = _spike_stats(series, marks)
    out: list[Event] = []
    for r in rules:
        mine = set(r.entities)
        rows = marks if r.trigger == "spike" else series[series["count"].fillna(0) >= r.min_articles]
        for row in rows.itertuples(index=False):
            b = pd.Timestamp(row.bucket).date()
            if (row.kind, row.entity_id) not in mine or not _counts(b, r.bucket, lowers[r.id], now):
                continue
            ent = ((row.kind, row.entity_id),)
            detail = stats.get((row.kind, row.entity_id, b), {}) if r.trigger == "spike" else {
                "min_articles": r.min_articles}
            out.append(Event(event_key(r.id, r.trigger, ent, r.bucket, b), r.id, r.trigger, ent, r.bucket, b,
                             int(row.count), float(row.value), detail))
    return out


def _spike_stats(series: pd.DataFrame, marks: pd.DataFrame) -> dict:
    """For each marked point, the mean of the buckets it was compared with (for the message's "usually")."""
    out: dict = {}
    if marks.empty:
        return out
    for (kind, eid), g in series.groupby(["kind", "entity_id"], sort=False):
        hist: list[float] = []
        for r in g.itertuples(index=False):
            if r.gap or pd.isna(r.value):
                continue
            out[(kind, eid, pd.Timestamp(r.bucket).date())] = {"mean": round(sum(hist) / len(hist), 3) if hist
                                                               else 0.0, "history": len(hist)}
            hist = (hist + [float(r.value)])[-explain.SPIKE_WINDOW:]
    marked = {(k, e, pd.Timestamp(b).date()) for k, e, b in zip(marks["kind"], marks["entity_id"], marks["bucket"],
                                                                 strict=False)}
    return {k: v for k, v in out.items() if k in marked}


def _first_seen_events(con, rules: Sequence[Rule], lowers: Mapping[str, datetime], now: datetime) -> list[Event]:
    firsts = alertq.first_days(con, _union(rules))
    out: list[Event] = []
    for r in rules:
        mine = set(r.entities)
        for row in firsts.itertuples(index=False):
            day = pd.Timestamp(row.first_day).date()
            if (row.kind, row.entity_id) not in mine or not _counts(day, "day", lowers[r.id], now):
                continue
            ent = ((row.kind, row.entity_id),)
            extra = f"{row.dim}={row.value}"
            out.append(Event(event_key(r.id, r.trigger, ent, "day", day, extra), r.id, r.trigger, ent, "day", day,
                             0, 0.0, {"dim": row.dim, "value": row.value}))
    return out


def _together_events(con, rules: Sequence[Rule], lowers: Mapping[str, datetime], now: datetime) -> list[Event]:
    f = _union(rules)
    lower = min(lowers[r.id] for r in rules)
    counts = alertq.together_counts(con, f, _day_dt(bucket_start(lower.date(), f.bucket)))
    out: list[Event] = []
    for r in rules:
        pair = tuple(sorted(r.entities))
        for row in counts.itertuples(index=False):
            b = pd.Timestamp(row.bucket).date()
            if ((row.kind_a, row.a), (row.kind_b, row.b)) != pair or row.articles < r.min_articles:
                continue
            if not _counts(b, r.bucket, lowers[r.id], now):
                continue
            out.append(Event(event_key(r.id, r.trigger, pair, r.bucket, b), r.id, r.trigger, pair, r.bucket, b,
                             int(row.articles), float(row.articles), {"min_articles": r.min_articles}))
    return out
