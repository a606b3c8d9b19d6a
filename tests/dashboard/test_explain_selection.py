"""'Why the spike?' for several selected points: the texts read are exactly the union of the points' articles
and of each entity's baseline window (ground truth from the tiny store's records, not from the queries)."""

from datetime import date, timedelta

from dashboard import explain
from dashboard.data import queries
from dashboard.data.filters import Filters
from dashboard.data.selection import PointKey
from dashboard.views import why_inputs


def _mentions(a, kind, eid):
    return any(m.kind == kind and m.entity_id == eid for m in a.mentions)


def test_why_inputs_are_the_union_of_the_selected_points_and_their_baselines(tiny_store):
    points = [PointKey("person", "alice-example", date(2024, 3, 4)),
              PointKey("person", "alice-example", date(2024, 3, 18)),
              PointKey("person", "bob-sample", date(2024, 3, 18))]
    f = Filters(people=("alice-example", "bob-sample"), bucket="week")
    con = queries.connect(tiny_store.root)
    try:
        target, base, n_target, capped = why_inputs(con, f, points)
    finally:
        con.close()

    def behind(p):
        return {a.id for a in tiny_store.charted
                if p.bucket <= a.published_at.date() < p.bucket + timedelta(days=7) and _mentions(a, p.kind, p.entity_id)}

    want = set().union(*(behind(p) for p in points))
    assert set(target) == want and n_target == len(want) and not capped
    assert len(want) < sum(len(behind(p)) for p in points)  # some article is behind two points: read once

    windows = explain.baseline_windows(points, "week")
    assert [w[:2] for w in windows] == [("person", "alice-example"), ("person", "bob-sample")]
    want_base = {a.id for a in tiny_store.charted for kind, eid, start, end in windows
                 if start <= a.published_at.date() < end and _mentions(a, kind, eid)}
    assert set(base) == want_base and want_base
    some = next(iter(target))
    title = next(a.title for a in tiny_store.articles if a.id == some)
    assert target[some].startswith(title + "\n")
    terms, n_t, n_b = explain.explain_selection(target, base)
    assert n_t == len(want) and n_b == len(want_base - want)
