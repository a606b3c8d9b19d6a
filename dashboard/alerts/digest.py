"""The digest: one message for a day or a week, with a PDF of its chart beside it (`newsmon digest`).

Takes a connection, the store's root, the period ("day" or "week") and its last day (UTC, inclusive); gives a dict
that `render_text` and `render_html` turn into the message, and `chart_pdf` into the PDF (the dashboard's timeline
figure through its PDF export, with the export's manifest). It holds:

- the top people and topics by articles, with their change against the period before (same length);
- the spikes inside the period (the dashboard's rule, by day, over the whole history) with their "why" terms;
- the names found in the period's articles that are not on the watchlist (ingest/mentions/discover.py);
- a link to the dashboard for each, filters in the URL.

`digest_message` turns it into a message the webhooks send in every format (deliver/webhook.py), as an alert's.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import explain
from dashboard.alerts.evaluate import rule_series
from dashboard.alerts.message import dashboard_link, spike_terms
from dashboard.data import dispatch, queries
from dashboard.data.filters import Filters
from dashboard.data.names import Names
from dashboard.data.selection import PointKey, encode_points
from dashboard.data.series import assemble

PERIODS = {"day": 1, "week": 7}
TOP = 10
SPIKE_ENTITIES = 30  # per kind, the most-mentioned in the period are checked for spikes (bounds the work)
CHART_ENTITIES = 5


def period_days(period: str, to: date) -> tuple[date, date, date, date]:
    """(start, end, previous start, previous end), all inclusive."""
    n = PERIODS[period]
    start = to - timedelta(days=n - 1)
    return start, to, start - timedelta(days=n), start - timedelta(days=1)


def _totals(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    return dispatch.entity_totals(con, Filters(preset="custom", start=start, end=end))


def build_digest(con: duckdb.DuckDBPyConnection, root: Path, period: str, to: date, names: Names,
                 dashboard_url: str, watchlist=None) -> dict:
    """The digest's content (JSON-ready)."""
    start, end, p_start, p_end = period_days(period, to)
    now, before = _totals(con, start, end), _totals(con, p_start, p_end)
    prev = {(k, e): int(a) for k, e, a in zip(before["kind"], before["entity_id"], before["articles"], strict=True)}
    view = Filters(preset="custom", start=p_start, end=end, bucket="day")
    top: dict[str, list[dict]] = {}
    for kind in ("person", "topic"):
        rows = now[now["kind"] == kind].sort_values(["articles", "entity_id"], ascending=[False, True])
        top[kind] = []
        for e, a in zip(rows["entity_id"].head(TOP), rows["articles"].head(TOP), strict=True):
            p = prev.get((kind, e), 0)
            f = view.with_(people=(e,) if kind == "person" else (), topics=(e,) if kind == "topic" else ())
            top[kind].append({"id": e, "name": names.get((kind, e)), "articles": int(a), "previous": p,
                              "change": int(a) - p, "pct": round(100 * (int(a) - p) / p) if p else None,
                              "url": dashboard_link(dashboard_url, "overview", f)})
    watched = [(k, e) for k, e, a in zip(now["kind"], now["entity_id"], now["articles"], strict=True) if a > 0]
    people = tuple(e for k, e in watched if k == "person")[:SPIKE_ENTITIES]
    topics = tuple(e for k, e in watched if k == "topic")[:SPIKE_ENTITIES]
    spikes = []
    if people or topics:
        series = rule_series(con, Filters(people=people, topics=topics, bucket="day"), start, end)
        for r in explain.spikes(series).itertuples(index=False):
            day = pd.Timestamp(r.bucket).date()
            if not start <= day <= end:
                continue
            point = PointKey(r.kind, r.entity_id, day)
            f = view.with_(people=(r.entity_id,) if r.kind == "person" else (),
                           topics=(r.entity_id,) if r.kind == "topic" else ())
            spikes.append({"name": names.get((r.kind, r.entity_id)), "day": day.isoformat(), "articles": int(r.count),
                           "terms": spike_terms(con, f, point, names),
                           "url": dashboard_link(dashboard_url, "overview", f, sel=encode_points([point]))})
    discovered = []
    if watchlist is not None:
        from ingest.mentions.discover import discover_names

        found = discover_names(root, start, end, watchlist, limit=TOP)
        discovered = [{"name": n, "mentions": int(m), "articles": int(a), "example": (ex or [""])[0]}
                      for n, m, a, ex in zip(found["name"], found["mentions"], found["articles"], found["examples"],
                                             strict=True)]
    when = start.isoformat() if period == "day" else f"{start.isoformat()} to {end.isoformat()}"
    return {"period": period, "start": start.isoformat(), "end": end.isoformat(), "previous_start": p_start.isoformat(),
            "subject": f"newsmon {'daily' if period == 'day' else 'weekly'} digest: {when}",
            "people": top["person"], "topics": top["topic"], "spikes": spikes, "discovered": discovered,
            "chart_entities": [("person", x["id"]) for x in top["person"][:CHART_ENTITIES]]
            + [("topic", x["id"]) for x in top["topic"][:CHART_ENTITIES]],
            "url": dashboard_link(dashboard_url, "overview", view.with_(
                people=tuple(x["id"] for x in top["person"][:CHART_ENTITIES]),
                topics=tuple(x["id"] for x in top["topic"][:CHART_ENTITIES])))}


def chart_pdf(con: duckdb.DuckDBPyConnection, digest: dict, names: Names) -> bytes:
    """The digest's chart (the top entities by day over this period and the one before) as the dashboard's PDF."""
    from dashboard import charts, export

    ents = [tuple(e) for e in digest["chart_entities"]]
    f = Filters(people=tuple(e for k, e in ents if k == "person"), topics=tuple(e for k, e in ents if k == "topic"),
                preset="custom", start=date.fromisoformat(digest["previous_start"]),
                end=date.fromisoformat(digest["end"]), bucket="day")
    series = assemble(dispatch.timeline_counts(con, f), queries.coverage(con, f), f, f.start, f.end)
    fig = charts.timeline_figure(series, names, f, spikes=explain.spikes(series), title=digest["subject"])
    m = export.manifest(digest["subject"], f.describe(), names.version, f.start, f.end, rows=len(series))
    return export.pdf(fig, m)


def _change(x: dict) -> str:
    sign = "+" if x["change"] > 0 else ""
    return f"{sign}{x['change']}" + (f" ({sign}{x['pct']}%)" if x["pct"] is not None else " (new)" if x["articles"]
                                     and not x["previous"] else "")


def render_text(d: dict) -> str:
    lines = [d["subject"], "", f"Open in the dashboard: {d['url']}", ""]
    for title, key in (("People", "people"), ("Topics", "topics")):
        lines.append(f"{title} (articles, change against the {d['period']} before):")
        lines += [f"  {x['name']}: {x['articles']}, {_change(x)}" for x in d[key]] or ["  none"]
        lines.append("")
    lines.append("Spikes:")
    for s in d["spikes"]:
        terms = ", ".join(t["term"] for t in s["terms"]) or "no word stands out"
        lines += [f"  {s['name']} on {s['day']}: {s['articles']} articles. Why: {terms}", f"    {s['url']}"]
    if not d["spikes"]:
        lines.append("  none")
    lines += ["", "Names found that are not on the watchlist:"]
    lines += [f"  {n['name']}: {n['mentions']} mentions in {n['articles']} articles. {n['example']}"
              for n in d["discovered"]] or ["  none"]
    return "\n".join(lines) + "\n"


def render_html(d: dict) -> str:
    e = html.escape
    out = [f"<h2>{e(d['subject'])}</h2>", f'<p><a href="{e(d["url"])}">Open in the dashboard</a></p>']
    for title, key in (("People", "people"), ("Topics", "topics")):
        out.append(f"<h3>{title}</h3><table><tr><th></th><th>articles</th><th>change</th></tr>")
        out += [f'<tr><td><a href="{e(x["url"])}">{e(x["name"])}</a></td><td>{x["articles"]}</td>'
                f"<td>{e(_change(x))}</td></tr>" for x in d[key]]
        out.append("</table>")
    out.append("<h3>Spikes</h3><ul>")
    out += [f'<li><a href="{e(s["url"])}">{e(s["name"])} on {e(s["day"])}</a>: {s["articles"]} articles. Why: '
            f"{e(', '.join(t['term'] for t in s['terms']) or 'no word stands out')}</li>" for s in d["spikes"]]
    out.append("</ul><h3>Names found that are not on the watchlist</h3><ul>")
    out += [f"<li>{e(n['name'])}: {n['mentions']} mentions in {n['articles']} articles. <i>{e(n['example'])}</i></li>"
            for n in d["discovered"]]
    out.append("</ul>")
    return "<!DOCTYPE html><html><body>" + "\n".join(out) + "</body></html>\n"


def digest_key(d: dict) -> str:
    """The digest's idempotency key (Idempotency-Key, Matrix transaction id): one per period and last day."""
    return f"digest-{d['period']}-{d['end']}"


def digest_message(d: dict) -> dict:
    """The digest as a webhook message: subject, summary, link, its text and HTML, and one section per part, each
    line plain text (page text stays data) with the spike's link where it has one."""
    def who(xs: list[dict]) -> list[dict]:
        return [{"text": f"{x['name']}: {x['articles']}, {_change(x)}", "url": None} for x in xs] or [
            {"text": "none", "url": None}]

    spikes = [{"text": f"{s['name']} on {s['day']}: {s['articles']} articles. Why: "
                       + (", ".join(t["term"] for t in s["terms"]) or "no word stands out"), "url": s["url"]}
              for s in d["spikes"]] or [{"text": "none", "url": None}]
    names = [{"text": f"{n['name']}: {n['mentions']} mentions in {n['articles']} articles. {n['example']}",
              "url": None} for n in d["discovered"]] or [{"text": "none", "url": None}]
    lead = ", ".join(f"{x['name']} ({x['articles']})" for x in (d["people"] + d["topics"])[:3]) or "no mention"
    summary = (f"{lead}; {len(d['spikes'])} spike{'s' * (len(d['spikes']) != 1)}; {len(d['discovered'])} name"
               f"{'s' * (len(d['discovered']) != 1)} not on the watchlist.")
    return {"subject": d["subject"], "summary": summary, "url": d["url"],
            "rule": {"id": "digest", "name": d["subject"], "trigger": "digest"}, "articles": [], "n_articles": 0,
            "terms": [], "text": render_text(d), "html": render_html(d),
            "sections": [{"heading": f"People (articles, change against the {d['period']} before)",
                          "lines": who(d["people"])},
                         {"heading": "Topics", "lines": who(d["topics"])},
                         {"heading": "Spikes", "lines": spikes},
                         {"heading": "Names found that are not on the watchlist", "lines": names}]}
