"""An event's message: what it says, the link to the dashboard view that shows it, the top articles with their
sources, the spike's explanation and the chart's points; and its plain-text and HTML renderings.

`build_message` reads the store once, when the event fires; the message is kept with the event (state.py), so a
resend after a crash sends the very same words. Everything that came from a page or a feed (titles, sources,
terms) is data: the HTML escapes it, the webhooks put it in plain-text fields (deliver/webhook.py).
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from urllib.parse import urlencode

import duckdb
import pandas as pd

from dashboard import explain
from dashboard.alerts.evaluate import Event, rule_series
from dashboard.alerts.rules import Rule
from dashboard.data import alertq, dispatch
from dashboard.data.buckets import bucket_end
from dashboard.data.filters import Filters
from dashboard.data.names import Names
from dashboard.data.selection import PairKey, PointKey, encode_pairs, encode_points
from dashboard.ownforms import OwnForms, own_forms

TOP_ARTICLES = 5
TOP_TERMS = 8
CHART_BUCKETS = 26  # buckets drawn before the event's: half a year of weeks, a month of days
PAGES = {"overview": "", "explore": "explore", "entities": "entities"}  # st.Page url paths (dashboard/app.py)


def dashboard_link(base: str, page: str, f: Filters, **extra: str) -> str:
    """A link to a dashboard page showing `f`, with its filters in the URL exactly as the dashboard writes them."""
    params = {**f.to_query_params(), **extra}
    path = PAGES[page]
    return f"{base.rstrip('/')}/{path}" + (f"?{urlencode(params)}" if params else "")


def _view(f: Filters, start: date, end: date) -> Filters:
    """The rule's filters over the chart's period (custom dates, so the link shows what the message showed)."""
    first = start - (bucket_end(start, f.bucket) - start) * CHART_BUCKETS
    return f.with_(preset="custom", start=first, end=end - timedelta(days=1))


def _articles(df: pd.DataFrame) -> list[dict]:
    return [{"title": str(r.title or "(no title)"), "url": str(r.url or ""), "source": str(r.source or ""),
             "published_at": pd.Timestamp(r.published_at).isoformat() if pd.notna(r.published_at) else ""}
            for r in df.head(TOP_ARTICLES).itertuples(index=False)]


def build_message(con: duckdb.DuckDBPyConnection, event: Event, rule: Rule, names: Names, dashboard_url: str) -> dict:
    """The message of a new event (a JSON-ready dict; see the module's docstring)."""
    ents = [names.get(e) for e in event.entities]
    who = " and ".join(ents)
    f = rule.filters()
    where = _where(rule)
    msg: dict = {"rule": {"id": rule.id, "name": rule.title, "trigger": rule.trigger}, "terms": [], "chart": None}
    if event.trigger in ("spike", "threshold"):
        kind, eid = event.entities[0]
        view = _view(f.with_(people=(eid,) if kind == "person" else (), topics=(eid,) if kind == "topic" else ()),
                     event.start, event.end)
        point = PointKey(kind, eid, event.start)
        rows = dispatch.drilldown(con, view, [point], limit=TOP_ARTICLES)
        when = f"the {event.bucket} of {event.start.isoformat()}"
        if event.trigger == "spike":
            usual = event.detail.get("mean")
            msg["subject"] = f"{who} spiked: {event.count} articles in {when}{where}"
            msg["summary"] = (f"{who}: {event.count} articles in {when}{where}"
                              + (f", against {usual:g} on average over the {event.detail.get('history', '')} "
                                 f"{event.bucket}s before" if usual is not None else "") + ".")
            msg["terms"] = spike_terms(con, view, point, names)
            msg["url"] = dashboard_link(dashboard_url, "overview", view, sel=encode_points([point]))
        else:
            msg["subject"] = f"{who}: {event.count} articles in {when}{where}"
            msg["summary"] = (f"{who}: {event.count} articles in {when}{where}, at or above the rule's threshold "
                              f"of {rule.min_articles}.")
            msg["url"] = dashboard_link(dashboard_url, "explore", view, sel=encode_points([point]))
        msg["chart"] = _chart(con, view, [point], names, event)
    elif event.trigger == "first-seen":
        kind, eid = event.entities[0]
        dim, value = event.detail["dim"], event.detail["value"]
        narrowed = f.with_(bucket="day", people=(eid,) if kind == "person" else (),
                           topics=(eid,) if kind == "topic" else (),
                           **({"sources": (value,)} if dim == "source" else {"languages": (value,)}))
        view = narrowed.with_(preset="custom", start=event.start, end=event.start)
        point = PointKey(kind, eid, event.start)
        rows = dispatch.drilldown(con, view, [point], limit=TOP_ARTICLES)
        place = value if dim == "source" else f"language '{value}'"
        msg["subject"] = f"{who}: first seen in {place}"
        msg["summary"] = f"{who} is mentioned in {place} for the first time, on {event.start.isoformat()}."
        msg["url"] = dashboard_link(dashboard_url, "explore", view, sel=encode_points([point]))
    else:  # together
        a, b = event.entities
        view = _view(f, event.start, event.end)
        rows = alertq.together_articles(con, view, a, b, event.start, event.end, TOP_ARTICLES)
        when = f"the {event.bucket} of {event.start.isoformat()}"
        msg["subject"] = f"{who} together: {event.count} articles in {when}{where}"
        msg["summary"] = (f"{event.count} articles in {when}{where} mention both {who} (the rule's threshold: "
                          f"{rule.min_articles}).")
        if a[0] == b[0] == "person":
            msg["url"] = dashboard_link(dashboard_url, "entities", view, pair=encode_pairs([PairKey(*sorted((a[1],
                                                                                                             b[1])))]))
        else:
            msg["url"] = dashboard_link(dashboard_url, "explore", view,
                                        sel=encode_points([PointKey(*a, event.start), PointKey(*b, event.start)]))
        msg["chart"] = _chart(con, view, [PointKey(*a, event.start), PointKey(*b, event.start)], names, event)
    msg["articles"] = _articles(rows)
    msg["n_articles"] = int(rows["n_total"].iloc[0]) if len(rows) else 0
    return msg


def _where(rule: Rule) -> str:
    parts = []
    if rule.sources:
        parts.append("in " + ", ".join(rule.sources))
    if rule.languages:
        parts.append("in language " + ", ".join(rule.languages))
    return (" " + " ".join(parts)) if parts else ""


def own_words(names: Names, keys) -> OwnForms:
    """The entities' own forms (names, possessives, derived forms, titles), left out exactly as the dashboard's
    "why the spike?" leaves them out (dashboard/ownforms.py): a person's name is not news in their own spike."""
    return own_forms(names.forms, names.titles, keys)


def spike_terms(con: duckdb.DuckDBPyConnection, f: Filters, point: PointKey, names: Names) -> list[dict]:
    """The dashboard's "why the spike?" for this one point: the same inputs, the same statistic."""
    target, base, _, _ = explain.why_inputs(con, f, [point])
    terms, _, _ = explain.explain_selection(target, base, exclude=own_words(names, [(point.kind, point.entity_id)]))
    return [{"term": str(t), "z": float(z)} for t, z in zip(terms["term"], terms["z"], strict=False)][:TOP_TERMS]


def _chart(con: duckdb.DuckDBPyConnection, view: Filters, points: list[PointKey], names: Names, event: Event) -> dict:
    """The points of the chart drawn in the e-mail: the entities' series over the view's period."""
    series = rule_series(con, view.with_(people=tuple(p.entity_id for p in points if p.kind == "person"),
                                         topics=tuple(p.entity_id for p in points if p.kind == "topic")),
                         view.start, view.end)
    series = series[pd.to_datetime(series["bucket"]).dt.date >= view.start]
    return {"filters": view.to_query_params(), "marked": event.start.isoformat(),
            "names": {f"{k}:{e}": names.get((k, e)) for k, e in {(p.kind, p.entity_id) for p in points}},
            "rows": [[pd.Timestamp(r.bucket).date().isoformat(), r.kind, r.entity_id,
                      None if pd.isna(r.count) else int(r.count), None if pd.isna(r.total) else int(r.total),
                      None if pd.isna(r.value) else float(r.value), bool(r.gap)]
                     for r in series.itertuples(index=False)]}


# --- renderings -----------------------------------------------------------------------------------------------


def render_text(msg: dict) -> str:
    """The plain-text body (e-mail's text part, the webhook's fallback text)."""
    lines = [msg["summary"], "", f"Open in the dashboard: {msg['url']}"]
    if msg.get("terms"):
        lines += ["", "Why the spike (words over-represented against the weeks before, z):",
                  "  " + ", ".join(f"{t['term']} ({t['z']:.1f})" for t in msg["terms"])]
    if msg.get("articles"):
        more = msg["n_articles"] - len(msg["articles"])
        lines += ["", f"Top articles ({msg['n_articles']} in all{'' if more <= 0 else ', newest first'}):"]
        for a in msg["articles"]:
            lines += [f"- {a['title']}", f"  {a['source']}, {a['published_at'][:16].replace('T', ' ')} UTC",
                      f"  {a['url']}"]
    lines += ["", f"Rule: {msg['rule']['name']} ({msg['rule']['trigger']}). Sent by newsmon."]
    return "\n".join(lines) + "\n"


def render_html(msg: dict, chart_cid: str | None = None) -> str:
    """The HTML body; every text is escaped. `chart_cid`: the Content-ID of the inline chart image, if any."""
    e = html.escape
    parts = [f"<p>{e(msg['summary'])}</p>",
             f'<p><a href="{e(msg["url"])}">Open this view in the dashboard</a></p>']
    if chart_cid:
        parts.append(f'<p><img src="cid:{e(chart_cid)}" alt="{e(msg["subject"])}" width="600"></p>')
    if msg.get("terms"):
        parts.append("<p><b>Why the spike</b> (words over-represented against the weeks before):</p><ul>"
                     + "".join(f"<li>{e(t['term'])} (z {t['z']:.1f})</li>" for t in msg["terms"]) + "</ul>")
    if msg.get("articles"):
        parts.append(f"<p><b>Top articles</b> ({msg['n_articles']} in all):</p><ul>")
        for a in msg["articles"]:
            when = e(a["published_at"][:16].replace("T", " "))
            title = (f'<a href="{e(a["url"])}">{e(a["title"])}</a>' if a["url"].startswith(("http://", "https://"))
                     else e(a["title"]))  # a javascript: or data: URL from a page is never a link
            parts.append(f"<li>{title}<br>{e(a['source'])}, {when} UTC</li>")
        parts.append("</ul>")
    parts.append(f"<p style=\"color:#666\">Rule: {e(msg['rule']['name'])} ({e(msg['rule']['trigger'])}). "
                 "Sent by newsmon.</p>")
    return "<!DOCTYPE html><html><body>" + "\n".join(parts) + "</body></html>\n"
