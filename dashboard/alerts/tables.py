"""The Alerts page's tables, as DataFrames (no Streamlit): the rules, the events fired, the delivery failures, and
the deliveries of each check as the store's run log holds them.

Takes a `RuleSet`, the watchlist's names, the records of state.py and the store's root; gives one DataFrame each. An event's
`view` is its dashboard link made relative to the dashboard (path and query), so the page opens it on the server
it is served from, whatever `dashboard_url` the messages carry.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from dashboard.alerts.rules import RuleSet
from dashboard.alerts.state import DELIVERED, FAILED, PENDING
from dashboard.data import duck
from dashboard.data.names import Names
from ingest.store.parquet import Store
from ingest.store.runlog import ALERTS_SOURCE, RUN_SPOOL


def rules_table(rules: RuleSet, names: Names) -> pd.DataFrame:
    rows = []
    for r in rules.rules:
        rows.append({"rule": r.id, "name": r.title, "trigger": r.trigger,
                     "watches": ", ".join(names.get(e) for e in r.entities),
                     "sources": ", ".join(r.sources) or "all", "languages": ", ".join(r.languages) or "all",
                     "bucket": "day" if r.trigger == "first-seen" else r.bucket,
                     "min_articles": r.min_articles or None, "delivers to": ", ".join(r.channels()) or "nowhere"})
    return pd.DataFrame(rows, columns=["rule", "name", "trigger", "watches", "sources", "languages", "bucket",
                                       "min_articles", "delivers to"])


def view_path(url: str) -> str:
    """The dashboard link's page and query, relative to the server root ("/explore?people=...")."""
    parts = urlsplit(url)
    page = parts.path.rstrip("/").rsplit("/", 1)[-1]
    page = page if page in ("explore", "entities") else ""
    return f"/{page}" + (f"?{parts.query}" if parts.query else "")


def _status(record: dict) -> str:
    ds = record.get("deliveries", {})
    if not ds:
        return "nowhere to deliver"
    return ", ".join(f"{c}: {d['status']}" for c, d in sorted(ds.items()))


def events_table(records: list[dict]) -> pd.DataFrame:
    """Newest first (records come so from state.AlertState.events)."""
    rows = [{"bucket": r.get("start"), "fired_at": pd.Timestamp(r["fired_at"]) if r.get("fired_at") else pd.NaT,
             "rule": r.get("rule_id"), "trigger": r.get("trigger"), "alert": r["message"]["subject"],
             "articles": r.get("count") or r["message"].get("n_articles"), "delivery": _status(r),
             "view": view_path(r["message"]["url"]), "key": r["key"]} for r in records]
    return pd.DataFrame(rows, columns=["bucket", "fired_at", "rule", "trigger", "alert", "articles", "delivery",
                                       "view", "key"])


def failures_table(records: list[dict]) -> pd.DataFrame:
    """Every channel that failed for good, or is pending after a failed try, with its last error."""
    rows = []
    for r in records:
        for channel, d in sorted(r.get("deliveries", {}).items()):
            if d["status"] == FAILED or (d["status"] == PENDING and d.get("last_error")):
                rows.append({"alert": r["message"]["subject"], "channel": channel, "status": d["status"],
                             "attempts": d["attempts"], "last_error": d.get("last_error", ""),
                             "last_try": pd.Timestamp(d["last_try"]) if d.get("last_try") else pd.NaT,
                             "key": r["key"]})
    return pd.DataFrame(rows, columns=["alert", "channel", "status", "attempts", "last_error", "last_try", "key"])


def counts(records: list[dict]) -> dict[str, int]:
    out = {DELIVERED: 0, PENDING: 0, FAILED: 0}
    for r in records:
        for d in r.get("deliveries", {}).values():
            out[d["status"]] = out.get(d["status"], 0) + 1
    return out


DELIVERY_LOG_COLUMNS = ["finished_at", "channel", "due", "tries", "delivered", "not_delivered", "reasons", "run_id"]


def delivery_log(root: Path, limit: int = 200) -> pd.DataFrame:
    """The alerts' rows of the store's run log (and of its spool, rows an ingest's lock kept out for now), newest
    first: per check and channel, deliveries due, tries, delivered, not delivered, and the reasons with counts."""
    store = Store(Path(root))
    if not store.exists():
        return pd.DataFrame(columns=DELIVERY_LOG_COLUMNS)
    globs = [store.glob("runs")]
    if any((store.root / RUN_SPOOL).glob("run-*.parquet")):
        globs.append(str(store.root / RUN_SPOOL / "run-*.parquet"))
    with duck.connect(":memory:") as con:  # in UTC, whatever the machine's TZ
        df = con.execute(
            "SELECT finished_at, substr(source, $n) AS channel, found AS due, fetched AS tries, stored AS delivered,"
            " failed AS not_delivered, failures, run_id FROM read_parquet($globs, union_by_name = true)"
            " WHERE starts_with(source, $prefix) ORDER BY finished_at DESC, channel LIMIT $limit",
            {"globs": globs, "prefix": ALERTS_SOURCE, "n": len(ALERTS_SOURCE) + 1, "limit": limit}).df()
    df["reasons"] = [_reasons(f) for f in df.pop("failures")]
    return df[DELIVERY_LOG_COLUMNS]


def _reasons(failures) -> str:
    """{reason: count} (DuckDB gives a map as a dict, or as key/value lists) -> 'reason (2); other (1)'."""
    if failures is None:
        return ""
    items = failures.items() if isinstance(failures, dict) else zip(failures["key"], failures["value"], strict=True)
    return "; ".join(f"{k} ({v})" for k, v in sorted(items, key=lambda kv: (-kv[1], kv[0])))
