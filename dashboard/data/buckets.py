"""Time buckets of the timeline: day, week (from Monday, as DuckDB's date_trunc) and month, in UTC days."""

from __future__ import annotations

from datetime import date, timedelta


def bucket_start(d: date, bucket: str) -> date:
    """The first day of the bucket holding `d` (weeks start on Monday, as DuckDB's date_trunc)."""
    if bucket == "day":
        return d
    if bucket == "week":
        return d - timedelta(days=d.weekday())
    if bucket == "month":
        return d.replace(day=1)
    raise ValueError(f"unknown bucket {bucket!r}")


def bucket_end(start: date, bucket: str) -> date:
    """The first day after the bucket that starts on `start`."""
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    if bucket == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    raise ValueError(f"unknown bucket {bucket!r}")


def bucket_range(first: date, last: date, bucket: str) -> list[date]:
    """Every bucket start from the one holding `first` to the one holding `last`."""
    out, b = [], bucket_start(first, bucket)
    while b <= last:
        out.append(b)
        b = bucket_end(b, bucket)
    return out
