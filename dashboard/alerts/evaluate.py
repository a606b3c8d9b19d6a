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
import numpy as np
import pandas as pd

from dashboard import explain
from dashboard.alerts.rules import Rule
from dashboard.data import alertq, dispatch, queries
from dashboard.data.buckets import bucket_end, bucket_start
from dashboard.data.filters import Filters
from dashboard.data.series import assemble

LOOKBACK = 4 * explain.SPIKE_WINDOW  # buckets of coverage read first (a store with long gaps reads it all)


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
    groups = group_rules(rules, batched)
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


def group_rules(rules: Sequence[Rule], batched: bool = True) -> dict[tuple, list[Rule]]:
    """Rules by what their one query depends on (rule by rule when not `batched`): family first in each key."""
    groups: dict[tuple, list[Rule]] = defaultdict(list)
    for r in rules:
        family = {"spike": "series", "threshold": "series", "first-seen": "first", "together": "pairs"}[r.trigger]
        if family == "first":  # one scan answers every first-seen rule; their filters apply to its small result
            key: tuple = (family,)
        elif family == "pairs":  # counted by day, summed into each rule's bucket
            key = (family, r.sources, r.languages)
        else:
            key = (family, r.sources, r.languages, r.bucket, r.scale)
        groups[(*key, "" if batched else r.id)].append(r)
    return groups


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
    # The coverage of the last LOOKBACK buckets usually holds SPIKE_WINDOW non-empty ones; else read all of it.
    back = bucket_start(first_looked_at - (bucket_end(first_looked_at, f.bucket) - first_looked_at) * LOOKBACK,
                        f.bucket)
    cov = queries.coverage(con, f.with_(preset="custom", start=back, end=None))
    if sum(1 for b, t in zip(cov["bucket"], cov["total"], strict=True)
           if t and pd.Timestamp(b).date() < first_looked_at) < explain.SPIKE_WINDOW:
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
    rows = _by_entity(series)  # (kind, entity_id) -> [(bucket, count, value)], in bucket order
    marked = {(k, e, b) for k, e, b in zip(marks["kind"], marks["entity_id"], _dates(marks["bucket"]), strict=True)}
    out: list[Event] = []
    for r in rules:
        for ent in r.entities:
            for b, count, value in rows.get(ent, ()):
                if r.trigger == "spike":
                    if (*ent, b) not in marked:
                        continue
                    detail = stats.get((*ent, b), {})
                elif count >= r.min_articles:  # NaN (a gap) never is
                    detail = {"min_articles": r.min_articles}
                else:
                    continue
                if _counts(b, r.bucket, lowers[r.id], now):
                    out.append(Event(event_key(r.id, r.trigger, (ent,), r.bucket, b), r.id, r.trigger, (ent,),
                                     r.bucket, b, int(count), float(value), detail))
    return out


def _dates(values) -> list[date]:
    """Days of a column of dates or timestamps (vectorised: the rows of a thousand rules' series)."""
    if not len(values):
        return []
    return list(pd.to_datetime(pd.Series(values)).dt.date)


def _by_entity(series: pd.DataFrame) -> dict[tuple[str, str], list[tuple[date, float, float]]]:
    out: dict[tuple[str, str], list] = defaultdict(list)
    for k, e, b, c, v in zip(series["kind"], series["entity_id"], _dates(series["bucket"]),
                             series["count"].to_numpy(dtype=float), series["value"].to_numpy(dtype=float),
                             strict=True):
        out[(k, e)].append((b, c, v))
    return out


def _spike_stats(series: pd.DataFrame, marks: pd.DataFrame) -> dict:
    """For each marked point, the mean of the buckets it was compared with (for the message's "usually")."""
    out: dict = {}
    if marks.empty:
        return out
    wanted = set(zip(marks["kind"], marks["entity_id"], strict=True))
    marked = {(k, e, b) for k, e, b in zip(marks["kind"], marks["entity_id"], _dates(marks["bucket"]), strict=True)}
    keep = np.array([(k, e) in wanted for k, e in zip(series["kind"], series["entity_id"], strict=True)], dtype=bool)
    for (kind, eid), points in _by_entity(series.loc[keep]).items():
        hist: list[float] = []
        for b, _, value in points:
            if value != value:  # NaN: a gap, or no value
                continue
            if (kind, eid, b) in marked:
                out[(kind, eid, b)] = {"mean": round(sum(hist) / len(hist), 3) if hist else 0.0,
                                       "history": len(hist)}
            hist = (hist + [float(value)])[-explain.SPIKE_WINDOW:]
    return out


def _first_seen_events(con, rules: Sequence[Rule], lowers: Mapping[str, datetime], now: datetime) -> list[Event]:
    firsts = alertq.first_days(con, list(dict.fromkeys(e for r in rules for e in r.entities)))
    firsts["first_day"] = pd.to_datetime(firsts["first_day"])
    # a first day can only count if it ends after the earliest lower bound: the rest is history
    cutoff = pd.Timestamp(min(lowers[r.id] for r in rules).date() - timedelta(days=1))
    per_filters: dict[tuple, dict] = {}  # (sources, languages) -> (kind, id) -> [(dim, value, first day)]
    out: list[Event] = []
    for r in rules:
        if (r.sources, r.languages) not in per_filters:
            sub = firsts
            if r.sources:
                sub = sub[sub["source"].isin(r.sources)]
            if r.languages:
                sub = sub[sub["language"].isin(r.languages)]
            found: dict = defaultdict(list)
            for dim in ("source", "language"):
                per = sub[sub[dim] != ""].groupby(["kind", "entity_id", dim], as_index=False)["first_day"].min()
                per = per[per["first_day"] >= cutoff]
                for k, e, value, day in zip(per["kind"], per["entity_id"], per[dim], _dates(per["first_day"]),
                                            strict=True):
                    found[(k, e)].append((dim, value, day))
            per_filters[(r.sources, r.languages)] = found
        for ent in r.entities:
            for dim, value, day in per_filters[(r.sources, r.languages)].get(ent, ()):
                if _counts(day, "day", lowers[r.id], now):
                    out.append(Event(event_key(r.id, r.trigger, (ent,), "day", day, f"{dim}={value}"), r.id,
                                     r.trigger, (ent,), "day", day, 0, 0.0, {"dim": dim, "value": value}))
    return out


def _together_events(con, rules: Sequence[Rule], lowers: Mapping[str, datetime], now: datetime) -> list[Event]:
    # One query by day for every bucket size of the group: an article lies in one day, so days add up exactly.
    f = _union(rules).with_(bucket="day")
    first = min(bucket_start(lowers[r.id].date(), r.bucket) for r in rules)
    counts = alertq.together_counts(con, f, _day_dt(first))
    per_pair: dict[tuple, list[tuple[date, int]]] = defaultdict(list)
    for ka, a, kb, b, day, n in zip(counts["kind_a"], counts["a"], counts["kind_b"], counts["b"],
                                    _dates(counts["bucket"]), counts["articles"], strict=True):
        per_pair[((ka, a), (kb, b))].append((day, int(n)))
    out: list[Event] = []
    for r in rules:
        pair = tuple(sorted(r.entities))
        per_bucket: dict[date, int] = defaultdict(int)
        for day, n in per_pair.get(pair, ()):
            per_bucket[bucket_start(day, r.bucket)] += n
        for b, n in sorted(per_bucket.items()):
            if n >= r.min_articles and _counts(b, r.bucket, lowers[r.id], now):
                out.append(Event(event_key(r.id, r.trigger, pair, r.bucket, b), r.id, r.trigger, pair, r.bucket, b,
                                 n, float(n), {"min_articles": r.min_articles}))
    return out
