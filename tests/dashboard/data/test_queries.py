"""Dashboard queries against the tiny store, checked against the records themselves (not against SQL)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.data import health, queries, series
from dashboard.data.filters import Filters
from dashboard.data.queries import bucket_end, bucket_start
from dashboard.data.selection import PairKey, PointKey


@pytest.fixture(params=["files", "index"])
def con(request, tiny_store, tmp_path):
    """Every query runs twice: on views over the Parquet files, and on the local index (dashboard/data/index.py)."""
    index = tmp_path / "index.duckdb" if request.param == "index" else None
    c = queries.connect(tiny_store.root, index_path=index)
    yield c
    c.close()


def truth(tiny, kind, entity, bucket="week", measure="articles", pred=lambda a: True, charted=True):
    """Counter bucket → count computed in Python from the Article records (by default those the charts count)."""
    out: Counter = Counter()
    for a in tiny.charted if charted else tiny.articles:
        if not pred(a):
            continue
        ms = [m for m in a.mentions if m.kind == kind and m.entity_id == entity]
        if ms:
            out[bucket_start(a.published_at.date(), bucket)] += 1 if measure == "articles" else len(ms)
    return out


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
@pytest.mark.parametrize("measure", ["articles", "mentions"])
def test_timeline_counts_match_records(con, tiny_store, bucket, measure):
    f = Filters(people=("alice-example", "bob-sample"), topics=("ceasefire",), bucket=bucket, measure=measure)
    df = queries.timeline_counts(con, f)
    for kind, eid in f.entities:
        got = {pd.Timestamp(b).date(): int(v) for b, v in
               df[(df.kind == kind) & (df.entity_id == eid)][["bucket", measure]].itertuples(index=False)}
        assert got == dict(truth(tiny_store, kind, eid, bucket, measure))


def test_timeline_rows_come_in_one_order(con):
    """Bucket, kind, entity: a replayed query log compares answers row by row, and the timeline colours its
    entities in the order they first appear. (Ordered by bucket only, two entities of a bucket came in either
    order from one call to the next: seen in tests/dashboard/data/test_querylog.py.)"""
    f = Filters(people=("alice-example", "bob-sample", "carol-test"), topics=("ceasefire",))
    for _ in range(30):
        df = queries.timeline_counts(con, f)
        key = list(zip(df["bucket"], df["kind"], df["entity_id"], strict=True))
        assert key == sorted(key)


def test_every_point_drills_down_to_exactly_its_articles(con, tiny_store):
    f = Filters(people=("alice-example", "carol-test"), topics=("elections",))
    s = queries.timeline_counts(con, f)
    assert len(s) > 10
    for r in s.itertuples(index=False):
        key = PointKey(r.kind, r.entity_id, pd.Timestamp(r.bucket).date())
        rows = queries.drilldown(con, f, [key])
        assert len(rows) == r.articles == rows["n_total"].iloc[0]
        assert rows["mentions"].sum() == r.mentions
        start = key.bucket
        want = {a.id for a in tiny_store.charted if start <= a.published_at.date() < bucket_end(start, "week")
                and any(m.entity_id == r.entity_id for m in a.mentions)}
        assert set(rows["id"]) == want


def test_drilldown_pages_sort_and_box_union(con):
    f = Filters(people=("bob-sample",), bucket="month")
    s = queries.timeline_counts(con, f)
    keys = [PointKey("person", "bob-sample", pd.Timestamp(b).date()) for b in s["bucket"]]
    everything = queries.drilldown(con, f, keys)
    assert len(everything) == s["articles"].sum()  # one entity: months do not overlap
    page1 = queries.drilldown(con, f, keys, sort="published_at", descending=True, limit=5, offset=0)
    page2 = queries.drilldown(con, f, keys, sort="published_at", descending=True, limit=5, offset=5)
    assert len(page1) == 5 and page1["n_total"].iloc[0] == len(everything)
    assert page1["published_at"].is_monotonic_decreasing
    assert page1["published_at"].min() >= page2["published_at"].max()
    assert not set(page1["id"]) & set(page2["id"])
    with pytest.raises(ValueError):
        queries.drilldown(con, f, keys, sort="id; DROP TABLE articles")


def test_gaps_are_not_zeros_and_share_is_sum_over_sum(con, tiny_store):
    from tests.conftest import GAP_WEEK

    f = Filters(people=("alice-example",), bucket="week")
    s = series.assemble(queries.timeline_counts(con, f), queries.coverage(con, f), f,
                        date(2024, 1, 1), date(2024, 3, 31))
    gap = s[pd.to_datetime(s["bucket"]) == pd.Timestamp(GAP_WEEK)]
    assert gap["gap"].all() and gap["value"].isna().all()
    assert (s.loc[~s["gap"], "value"] >= 0).all() and not s.loc[~s["gap"], "value"].isna().any()
    # Monthly share computed directly equals Σcount/Σtotal of the days in the month.
    fm = f.with_(bucket="month", scale="share")
    sm = series.assemble(queries.timeline_counts(con, fm), queries.coverage(con, fm), fm,
                         date(2024, 1, 1), date(2024, 3, 31))
    fd = f.with_(bucket="day")
    sd = series.assemble(queries.timeline_counts(con, fd), queries.coverage(con, fd), fd,
                         date(2024, 1, 1), date(2024, 3, 31))
    sd["month"] = pd.to_datetime(sd["bucket"]).dt.to_period("M")
    agg = sd.groupby("month").agg(c=("count", "sum"), t=("total", "sum"))
    for r in sm.itertuples(index=False):
        m = agg.loc[pd.Timestamp(r.bucket).to_period("M")]
        assert r.value == pytest.approx(m.c / m.t)


def test_rolling_share_is_windowed_sum_over_sum():
    f = Filters(people=("p",), bucket="day", scale="share", rolling=2)
    counts = pd.DataFrame({"bucket": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"]),
                           "kind": "person", "entity_id": "p", "articles": [1, 3, 2], "mentions": [1, 3, 2]})
    cov = pd.DataFrame({"bucket": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"]), "total": [10, 2, 4]})
    s = series.assemble(counts, cov, f, date(2024, 1, 1), date(2024, 1, 4))
    v = list(s["value"])
    assert v[0] == pytest.approx(0.1)
    assert v[1] == pytest.approx(4 / 12)  # not (0.1 + 1.5) / 2
    assert pd.isna(v[2])  # 3 January: nothing stored, a gap
    assert v[3] == pytest.approx(2 / 4)  # the window holds the gap and the 4th: only the 4th counts


def test_filters_source_language_search_and_dates(con, tiny_store):
    base = Filters(people=("bob-sample",), bucket="month")
    cases = [
        (base.with_(sources=("Example Post",)), lambda a: a.source == "Example Post"),
        (base.with_(languages=("fr",)), lambda a: a.language == "fr"),
        (base.with_(search="GENEVA"), lambda a: "geneva" in (a.title + " " + a.text).lower()),
        (base.with_(start=date(2024, 2, 1), end=date(2024, 2, 29), preset="custom"),
         lambda a: date(2024, 2, 1) <= a.published_at.date() <= date(2024, 2, 29)),
        (base.with_(search="it's a 'quote'; --"), lambda a: False),
        (base.with_(unique=True), lambda a: a.story_id is None or a.story_id == a.id),
    ]
    for f, pred in cases:
        df = queries.timeline_counts(con, f)
        got = {pd.Timestamp(b).date(): int(v) for b, v in df[["bucket", "articles"]].itertuples(index=False)}
        assert got == dict(truth(tiny_store, "person", "bob-sample", "month", pred=pred)), f


def test_co_mentions_and_pair_drilldown(con, tiny_store):
    f = Filters()
    pairs = queries.co_mentions(con, f)
    want: Counter = Counter()
    for a in tiny_store.charted:
        people = sorted({m.entity_id for m in a.mentions if m.kind == "person"})
        for i, x in enumerate(people):
            for y in people[i + 1:]:
                want[(x, y)] += 1
    assert {(r.a, r.b): r.articles for r in pairs.itertuples(index=False)} == dict(want)
    # The same through the raw path (a text search needs the articles, not the rollups); every text has "the".
    raw = queries.co_mentions(con, Filters(search="the"))
    pd.testing.assert_frame_equal(raw, pairs, check_dtype=False)
    top = pairs.iloc[0]
    rows = queries.drilldown(con, f, pairs=[PairKey(top.a, top.b)])
    assert len(rows) == top.articles


def test_article_and_mentions(con, tiny_store):
    a = queries.article(con, tiny_store.hostile_id)
    assert a is not None and "<script>" in a["text"]
    m = queries.article_mentions(con, tiny_store.hostile_id)
    assert set(m["field"]) == {"title", "body"}
    assert queries.article(con, "nope") is None


def test_summary_health_and_runs(con, tiny_store):
    s = queries.store_summary(con)
    assert s["articles"] == len(tiny_store.articles)
    assert s["sources"] == ["Daily Fiction", "Example Post", "The Sample Times"]
    h = health.source_health(con)
    assert set(h["source"]) == set(s["sources"]) and h["articles"].sum() == s["articles"]
    fails = health.failures(con)
    assert dict(zip(fails["reason"], fails["failures"], strict=False)) == {"http-404": 6, "timeout": 4}
    assert len(health.runs(con)) == 3


def test_empty_store_gives_empty_frames(empty_store):
    con = queries.connect(empty_store.root)
    s = queries.store_summary(con)
    assert s["articles"] == 0 and s["first"] is None
    f = Filters(people=("x",))
    assert queries.timeline_counts(con, f).empty
    assert queries.coverage(con, f).empty
    assert queries.entity_counts(con).empty
    assert queries.co_mentions(con, f).empty


def test_bucket_helpers():
    assert bucket_start(date(2024, 3, 6), "week") == date(2024, 3, 4)
    assert bucket_end(date(2024, 1, 1), "month") == date(2024, 2, 1)
    assert bucket_end(date(2024, 12, 1), "month") == date(2025, 1, 1)
    assert bucket_end(date(2024, 2, 28), "day") == date(2024, 2, 29)
    assert queries.bucket_range(date(2024, 1, 31), date(2024, 3, 1), "month") == [
        date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert bucket_start(date(2024, 1, 1) + timedelta(days=6), "week") == date(2024, 1, 1)


COUNT_FILTERS = [
    Filters(people=("alice-example",)),
    Filters(topics=("ceasefire",), preset="custom", start=date(2024, 2, 1), end=date(2024, 3, 10)),
    Filters(people=("bob-sample",), sources=("Daily Fiction", "Example Post"), languages=("en",)),
    Filters(people=("carol-test",), unique=True),
    Filters(people=("alice-example", "bob-sample"), topics=("elections",), languages=("fr",)),
    Filters(people=("alice-example", "carol-test"), unique=True, preset="custom", start=date(2024, 1, 10),
            end=date(2024, 3, 1)),
    Filters(people=("alice-example",), fetched=True),
    Filters(people=("bob-sample", "carol-test"), topics=("ceasefire",), fetched=True, languages=("en",)),
]


def _keeps(f: Filters):
    def keep(a) -> bool:
        d = a.published_at.date()
        return ((f.start is None or d >= f.start) and (f.end is None or d <= f.end)
                and (not f.sources or a.source in f.sources) and (not f.languages or (a.language or "") in f.languages)
                and (not f.unique or a.story_id in (None, a.id)) and (f.fetched or a.published_source != "fetched"))
    return keep


@pytest.mark.parametrize("f", COUNT_FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.to_query_params().items()))
def test_counts_and_top_sources_match_records(con, tiny_store, f):
    """One entity is answered from the rollups, several from the mention rows: both are the records' counts."""
    keep = _keeps(f)
    kept = [a for a in tiny_store.articles if keep(a)]
    mentioning = [a for a in kept if any((m.kind, m.entity_id) in f.entities for m in a.mentions)]
    assert queries.count_articles(con, f, selected=False) == len(kept)
    assert queries.count_articles(con, f, selected=True) == len(mentioning)
    by_source = Counter(a.source for a in mentioning)
    top = queries.top_sources(con, f)
    assert dict(zip(top["source"], top["articles"], strict=True)) == dict(by_source)
    assert list(top["articles"]) == sorted(by_source.values(), reverse=True)


def test_entity_counts_are_the_articles_mentioning_each(con, tiny_store):
    got = {(k, e): n for k, e, n in queries.entity_counts(con).itertuples(index=False)}
    want = Counter((m.kind, m.entity_id) for a in tiny_store.articles for m in {(x.kind, x.entity_id): x
                                                                                 for x in a.mentions}.values())
    assert got == dict(want)


@pytest.mark.parametrize("fetched", [False, True])
def test_articles_dated_by_their_fetch_are_left_out_unless_asked_for(con, tiny_store, fetched):
    """Timeline, coverage, drill-down (and so its export) and per-source counts all leave them out by default."""
    f = Filters(people=("alice-example",), fetched=fetched)
    keep = (lambda a: True) if fetched else (lambda a: a.published_source != "fetched")
    assert any(a.published_source == "fetched" for a in tiny_store.articles)
    df = queries.timeline_counts(con, f)
    got = {pd.Timestamp(b).date(): int(v) for b, v in df[["bucket", "articles"]].itertuples(index=False)}
    assert got == dict(truth(tiny_store, "person", "alice-example", pred=keep, charted=False))
    cov = queries.coverage(con, f)
    want = Counter(bucket_start(a.published_at.date(), "week") for a in tiny_store.articles if keep(a))
    assert {pd.Timestamp(b).date(): int(t) for b, t in cov.itertuples(index=False)} == dict(want)
    week = max(got, key=got.get)
    rows = queries.drilldown(con, f, [PointKey("person", "alice-example", week)])  # every row: what the CSV holds
    assert len(rows) == got[week]
    assert ("fetched" in set(rows["published_source"])) == (fetched and any(
        a.published_source == "fetched" and bucket_start(a.published_at.date(), "week") == week
        and any(m.entity_id == "alice-example" for m in a.mentions) for a in tiny_store.articles))
    per = health.articles_per_source(con, f)
    assert int(per["articles"].sum()) == sum(1 for a in tiny_store.articles if keep(a))


def test_the_fetch_dated_count_is_keyed_on_what_it_reads(con, tiny_store):
    """The sidebar's fetch-dated count is cached under `day_scope(f)`: people, bucket and measure do not move the key,
    and on the same key the count is the same as under the whole filter set; period, source and language do."""
    from dashboard.data import counts

    days = sorted(a.published_at.date() for a in tiny_store.articles)
    source = tiny_store.articles[0].source
    base = Filters(start=days[0], end=days[-1], preset="custom")
    people = base.with_(people=("alice-example", "bob-sample"), bucket="day", measure="mentions", rolling=3)
    assert queries.day_scope(people) == queries.day_scope(base)
    assert counts.fetch_dated_count(con, people) == counts.fetch_dated_count(con, queries.day_scope(people))
    for moved in (base.with_(start=days[0] + timedelta(days=1)), base.with_(sources=(source,)),
                  base.with_(languages=("de",)), base.with_(unique=True)):
        assert queries.day_scope(moved) != queries.day_scope(base)
        assert counts.fetch_dated_count(con, moved) == counts.fetch_dated_count(con, queries.day_scope(moved))


def test_texts_are_exactly_the_articles_asked_for_wherever_they_lie_in_time(con, tiny_store):
    """texts() reads only the publication times its articles span (queries._in_window); the first, the last and
    one between, far apart in time, all come back, and nothing else does."""
    by_time = sorted(tiny_store.articles, key=lambda a: a.published_at)
    want = [by_time[0], by_time[len(by_time) // 2], by_time[-1]]
    got = queries.texts(con, [a.id for a in want])
    assert sorted(zip(got["id"], got["title"], got["text"], strict=True)) == sorted((a.id, a.title, a.text) for a in want)
    params: dict = {}
    assert queries._in_window(con, [a.id for a in want], params) == "published_at BETWEEN $w_lo AND $w_hi AND"
    assert (params["w_lo"], params["w_hi"]) == (by_time[0].published_at, by_time[-1].published_at)
    assert queries.texts(con, []).empty
    assert queries.texts(con, ["nope"]).empty
    # an id the articles table does not know (a batch landing between two reads): no window, nothing missed
    assert queries._in_window(con, [want[0].id, "nope"], {}) == ""
    one = by_time[1]
    assert queries.article(con, one.id)["text"] == one.text
