"""`newsmon digest`: on the demo store, a day with a spike: the top people and topics with their change, the spike
with the dashboard's "why" terms, the PDF beside it; page text escaped in the HTML; sent by e-mail on request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from dashboard.alerts import digest
from dashboard.cli import main
from dashboard.data import dispatch, queries
from dashboard.data.filters import Filters
from tests.dashboard.alerts.test_demo import dashboard_marks


def test_a_daily_digest_on_the_demo_store(demo_store, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", "0")
    con = queries.connect(demo_store)
    ents = queries.entity_counts(con)
    people = tuple(ents.loc[ents["kind"] == "person", "entity_id"])
    topics = tuple(ents.loc[ents["kind"] == "topic", "entity_id"])
    day, _, name, count = max(dashboard_marks(con, people, topics, "day"))  # the newest daily spike
    out = tmp_path / "digests"
    result = CliRunner().invoke(main, ["digest", "--store", str(demo_store), "--period", "day", "--to", day,
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / f"digest-day-{day}.txt").read_text()
    assert text.startswith(f"newsmon daily digest: {day}\n")
    assert f"  {name} on {day}: {count} articles. Why: " in text
    the_day = date.fromisoformat(day)
    now = dispatch.entity_totals(con, Filters(preset="custom", start=the_day, end=the_day))
    before = dispatch.entity_totals(con, Filters(preset="custom", start=the_day - timedelta(days=1),
                                                 end=the_day - timedelta(days=1)))
    top = now[now["kind"] == "person"].sort_values(["articles", "entity_id"], ascending=[False, True]).iloc[0]
    prev = before.loc[(before["kind"] == "person") & (before["entity_id"] == top["entity_id"]), "articles"]
    change = int(top["articles"]) - (int(prev.iloc[0]) if len(prev) else 0)
    assert "People (articles, change against the day before):\n  " in text
    assert text.split("People (articles, change against the day before):\n  ")[1].split(":")[1].startswith(
        f" {int(top['articles'])}, {'+' if change > 0 else ''}{change}")
    assert (out / f"digest-day-{day}.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / f"digest-day-{day}.html").read_text().startswith("<!DOCTYPE html>")


def test_the_digest_html_escapes_page_text():
    d = {"subject": "newsmon daily digest: 2024-03-25", "url": "http://x/?a=1&b=2", "period": "day",
         "people": [{"name": "<b>x</b> **y** $z$", "articles": 3, "previous": 1, "change": 2, "pct": 200,
                     "url": "http://x/"}], "topics": [],
         "spikes": [{"name": "A", "day": "2024-03-25", "articles": 4, "url": "http://x/",
                     "terms": [{"term": "<script>", "z": 3.0}]}],
         "discovered": [{"name": "<i>Evil</i> Name", "mentions": 3, "articles": 2, "example": "<img src=x> said"}]}
    page = digest.render_html(d)
    for raw in ("<b>x</b>", "<script>", "<i>Evil</i>", "<img src=x>"):
        assert raw not in page
    assert "&lt;b&gt;x&lt;/b&gt; **y** $z$" in page and "&lt;img src=x&gt; said" in page
    assert 'href="http://x/?a=1&amp;b=2"' in page
