"""Why the spike: automatic spike markers and over-represented terms (no SQL of its own, no streamlit).

Spikes. A bucket is marked when its plotted value exceeds the mean of the preceding `SPIKE_WINDOW`
non-gap buckets by more than `SPIKE_Z` standard deviations, the window has at least `SPIKE_MIN_HISTORY`
buckets, and the bucket holds at least `SPIKE_MIN_COUNT` articles. The standard deviation is floored at
`max(one article, 0.5 * mean)` so that a flat, quiet series does not mark every small bump.

Terms. Words and two-word phrases in the selected articles (title + text) are compared with those of the
articles that mention the same entity in the `BASELINE_DAYS` before the bucket, by the log-odds ratio
with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eq. 22): the prior
is the pooled counts of both sets scaled to `PRIOR_SIZE` pseudo-counts, and each term gets a z-score.
Terms with z ≥ `TERM_Z` and at least `TERM_MIN_COUNT` occurrences in the selection are listed, largest z first.

Several points (clicked together or boxed) are explained as one selection: the union of the articles behind
them (each article once) against the union of each selected entity's `BASELINE_DAYS` before its earliest
selected bucket (each article once, and never one that is also in the selection): `explain_selection`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from itertools import repeat

import duckdb
import numpy as np
import pandas as pd

from dashboard.countpool import count_sides
from dashboard.data.filters import Filters
from dashboard.data.selection import PointKey
from dashboard.ownforms import OwnForms
from dashboard.wordcount import (  # noqa: F401 - the words are defined there; explain.tokens etc. stay
    MARKS_ASTRAL,
    MARKS_BMP,
    STOPWORDS,
    term_counts,
    tokens,
    words,
)

SPIKE_WINDOW = 8
SPIKE_MIN_HISTORY = 4
SPIKE_Z = 3.0
SPIKE_MIN_COUNT = 3
BASELINE_DAYS = {"day": 28, "week": 56, "month": 182}
BASELINE_CAP = 2000  # newest articles read on each side (point and baseline); stated on screen when reached
PRIOR_SIZE = 500.0
TERM_Z = 1.96
TERM_MIN_COUNT = 2


def spikes(series: pd.DataFrame) -> pd.DataFrame:
    """Rows of `series` (from series.assemble) whose bucket is a spike for its entity."""
    keep = []
    # Plain arrays, not iterrows: the alerts evaluate thousands of entities per check (benchmarks/alerts.py).
    for _, g in series.groupby(["kind", "entity_id"], sort=False):
        hist: list[float] = []
        for idx, gap, value, count in zip(g.index, g["gap"].to_numpy(), g["value"].to_numpy(dtype=float),
                                          g["count"].to_numpy(dtype=float), strict=True):
            if gap or math.isnan(value):
                continue
            if len(hist) >= SPIKE_MIN_HISTORY and (count or 0) >= SPIKE_MIN_COUNT:
                mean = sum(hist) / len(hist)
                sd = math.sqrt(sum((h - mean) ** 2 for h in hist) / len(hist))
                unit = value / count  # what one article adds, in plotted units
                floor = max(unit, 0.5 * mean)
                if value > mean + SPIKE_Z * max(sd, floor):
                    keep.append(idx)
            hist.append(float(value))
            hist = hist[-SPIKE_WINDOW:]
    return series.loc[keep]


def _z(y_t: float, y_b: float, n_t: float, n_b: float, total_pooled: float) -> float | None:
    """A term's z-score: its log-odds in the target minus in the baseline, over its standard deviation, with the
    prior (Monroe et al., eq. 22). None when it is undefined: a term that is all of both sides' words."""
    a = PRIOR_SIZE * (y_t + y_b) / total_pooled
    rest_t, rest_b = n_t + PRIOR_SIZE - y_t - a, n_b + PRIOR_SIZE - y_b - a  # (y_b is 0 when n_b is)
    if rest_t <= 0 or rest_b <= 0:
        return None
    lo_t, lo_b = math.log((y_t + a) / rest_t), math.log((y_b + a) / rest_b)
    return (lo_t - lo_b) / math.sqrt(1 / (y_t + a) + 1 / (y_b + a))


def over_represented(target: Mapping[str, int], baseline: Mapping[str, int], n: int = 20,
                     exclude: OwnForms | Iterable[str] = ()) -> pd.DataFrame:
    """Terms more frequent in `target` than in `baseline`: Monroe et al.'s z-scored log-odds with prior.

    `exclude`: the selected entities' own forms (`ownforms.OwnForms`: names with their possessive and derived
    forms, titles), or plain words, each left out with every term that holds it."""
    # By its method, not isinstance: Streamlit reloads a changed module in a running server, and an OwnForms
    # made by the new module is not an instance of the class explain.py imported before (seen at 1M).
    own = exclude if callable(getattr(exclude, "covers", None)) else None
    skip = set() if own is not None else {e.lower() for e in exclude}
    n_t, n_b = sum(target.values()), sum(baseline.values())
    total_pooled = n_t + n_b  # the pooled counts are y_t + y_b per term: no third Counter of every term
    if not total_pooled or not n_t:
        return pd.DataFrame(columns=["term", "z", "in_selection", "in_baseline"])
    terms = [t for t, y in target.items() if y >= TERM_MIN_COUNT]
    y_t = np.fromiter(map(target.__getitem__, terms), float, len(terms))
    y_b = np.fromiter(map(baseline.get, terms, repeat(0)), float, len(terms))
    # Every term's z at once (numpy): a spike's ~100,000 terms took ~0.25 s one by one in Python. Those near the
    # threshold or above are scored again one by one (`_z`), so the list is exactly the same, to the last digit.
    with np.errstate(divide="ignore", invalid="ignore"):
        a = PRIOR_SIZE * (y_t + y_b) / total_pooled
        lo_t = np.log((y_t + a) / (n_t + PRIOR_SIZE - y_t - a))
        lo_b = np.log((y_b + a) / (n_b + PRIOR_SIZE - y_b - a))
        near = (lo_t - lo_b) / np.sqrt(1 / (y_t + a) + 1 / (y_b + a)) >= TERM_Z - 1e-6
    rows = []
    for i in np.flatnonzero(near):
        term = terms[i]
        yt, yb = int(y_t[i]), int(y_b[i])
        z = _z(yt, yb, n_t, n_b, total_pooled)
        if z is None or z < TERM_Z:
            continue
        # The own-forms test after the statistic: it is the slow part, and few terms pass the threshold.
        if term in skip or any(p in skip for p in term.split()) or (own is not None and own.covers(term)):
            continue
        rows.append((term, round(z, 2), yt, yb))
    rows.sort(key=lambda r: (-r[1], r[0]))
    return pd.DataFrame(rows[:n], columns=["term", "z", "in_selection", "in_baseline"])


# --- "Why the spike?" for a selection of several points (a click on several, or a box) -----------------------


def selected_entities(points: Sequence[PointKey]) -> dict[tuple[str, str], list[date]]:
    """The selected buckets of each (kind, entity_id), in first-selected order, buckets sorted."""
    out: dict[tuple[str, str], list[date]] = {}
    for p in points:
        days = out.setdefault((p.kind, p.entity_id), [])
        if p.bucket not in days:
            days.append(p.bucket)
    return {k: sorted(v) for k, v in out.items()}


def baseline_windows(points: Sequence[PointKey], bucket: str) -> list[tuple[str, str, date, date]]:
    """Per selected entity, the `BASELINE_DAYS[bucket]` days before its earliest selected bucket: [start, end).

    Anchoring on the earliest bucket keeps an entity's own selected buckets out of its baseline
    (two selected weeks a month apart are both compared with the weeks before the first).
    """
    days = BASELINE_DAYS[bucket]
    return [(kind, eid, buckets[0] - timedelta(days=days), buckets[0])
            for (kind, eid), buckets in selected_entities(points).items()]


def explain_selection(
    target: Mapping[str, str], baseline: Mapping[str, str], n: int = 20, exclude: OwnForms | Iterable[str] = ()
) -> tuple[pd.DataFrame, int, int]:
    """Over-represented terms of the union of the selected points' articles against the union of their baselines.

    `target` and `baseline` map article id -> title and text. An article behind two selected points (two
    people in one article, or one person in a box over several buckets) counts once; an article that is
    both in the selection and in a baseline window (another entity's earlier weeks) counts on the
    selection's side only. Returns (terms, target articles, baseline articles).
    """
    base = {i: t for i, t in baseline.items() if i not in target}
    counts = count_sides([target.values(), base.values()])  # at once, in two processes when large
    terms = over_represented(*counts, n=n, exclude=exclude)
    return terms, len(target), len(base)


def why_inputs(con: duckdb.DuckDBPyConnection, f: Filters, points: list[PointKey]) -> tuple[dict[str, str], dict[str, str], int, bool]:
    """Texts behind the selection and behind each selected entity's baseline window (`baseline_windows`), read through the
    dashboard's queries (the dashboard's "why the spike?" and the alerts both call this).

    Returns (target id -> text, baseline id -> text, articles behind the selection, a baseline capped)."""
    from dashboard.data import queries

    rows = queries.drilldown(con, f, list(points), limit=BASELINE_CAP)  # newest first
    n_target = int(rows["n_total"].iloc[0]) if not rows.empty else 0
    unbounded = f.with_(start=None, end=None, preset="custom")  # the baseline may lie before the period
    base: list[str] = []
    capped = False
    for kind, eid, start, end in baseline_windows(points, f.bucket):
        ids = queries.entity_article_ids(con, unbounded, kind, eid, start, end, BASELINE_CAP + 1)
        capped |= len(ids) > BASELINE_CAP
        base += [i for i in ids[: BASELINE_CAP] if i not in base]

    def docs(ids: list[str]) -> dict[str, str]:
        t = queries.texts(con, ids)
        return dict(zip(t["id"], t["title"].fillna("") + "\n" + t["text"].fillna(""), strict=True))

    return docs(rows["id"].tolist()), docs(base), n_target, capped
