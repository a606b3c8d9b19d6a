"""Timeline series: counts per bucket with gaps, shares and rolling averages (pandas, no SQL, no streamlit).

- A bucket in which no article at all was stored (under the date/source/language filters) is a gap:
  its value is NaN and the line breaks there. A bucket with articles but no mention of the entity is 0.
- Share of articles = Σ count / Σ total over the bucket (or over the rolling window), never a mean of
  daily shares, so a week's share is the same whether it is computed from days or directly.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from dashboard.data.filters import Filters
from dashboard.data.queries import bucket_range

COLUMNS = ["bucket", "kind", "entity_id", "count", "total", "value", "gap"]


def assemble(counts: pd.DataFrame, cov: pd.DataFrame, f: Filters, first: date, last: date) -> pd.DataFrame:
    """One row per (entity, bucket) from `first` to `last`: count, total, value (as plotted), gap.

    `counts` comes from `queries.timeline_counts`, `cov` from `queries.coverage`.
    """
    buckets = bucket_range(first, last, f.bucket)
    totals = {_d(b): int(t) for b, t in zip(cov.get("bucket", []), cov.get("total", []), strict=False)}
    measure = f.measure
    by_key = {
        (r.kind, r.entity_id, _d(r.bucket)): int(getattr(r, measure)) for r in counts.itertuples(index=False)
    }
    rows = []
    for kind, eid in f.entities:
        cnt = np.array([by_key.get((kind, eid, b), 0) for b in buckets], dtype=float)
        tot = np.array([totals.get(b, 0) for b in buckets], dtype=float)
        gap = tot == 0
        cnt[gap] = np.nan
        if f.rolling > 1:
            c = _rsum(cnt, f.rolling)
            t = _rsum(np.where(gap, np.nan, tot), f.rolling)
        else:
            c, t = cnt, tot
        with np.errstate(invalid="ignore", divide="ignore"):
            if f.scale == "share":
                value = np.where(t > 0, c / t, np.nan)
            elif f.rolling > 1:
                n = _rsum(np.where(gap, np.nan, 1.0), f.rolling)
                value = np.where(n > 0, c / n, np.nan)  # mean over the non-gap buckets of the window
            else:
                value = c
        value = np.where(gap, np.nan, value)
        for i, b in enumerate(buckets):
            rows.append((b, kind, eid, cnt[i], tot[i], value[i], bool(gap[i])))
    return pd.DataFrame(rows, columns=COLUMNS)


def _rsum(a: np.ndarray, window: int) -> np.ndarray:
    """Rolling sum over the last `window` entries, ignoring NaN; NaN where all are NaN."""
    s = pd.Series(a).rolling(window, min_periods=1).sum()
    n = pd.Series(~np.isnan(a)).astype(float).rolling(window, min_periods=1).sum()
    return np.where(n.to_numpy() > 0, s.to_numpy(), np.nan)


def _d(x) -> date:
    if isinstance(x, datetime):  # pd.Timestamp included
        return x.date()
    return x if isinstance(x, date) else pd.Timestamp(x).date()


def export_frame(series: pd.DataFrame, names: dict[tuple[str, str], str], f: Filters) -> pd.DataFrame:
    """The series as a tidy table for CSV/Parquet: gaps kept as empty values, never as 0."""
    out = series.copy()
    out["name"] = [names.get((k, e), e) for k, e in zip(out["kind"], out["entity_id"], strict=False)]
    out["bucket_size"] = f.bucket
    out["measure"] = f.measure
    out["scale"] = f.scale
    out["rolling"] = f.rolling
    cols = ["bucket", "bucket_size", "kind", "entity_id", "name", "measure", "count", "total", "scale",
            "rolling", "value", "gap"]
    out = out[cols]
    out["count"] = out["count"].astype("Int64")
    out["total"] = out["total"].astype("Int64")
    return out
