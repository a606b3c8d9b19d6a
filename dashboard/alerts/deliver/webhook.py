"""A webhook: the message as JSON, POSTed (Matrix: PUT) to a URL taken from the environment.

Formats (`[webhooks.<name>] format = ...` in the rules file):

- generic: every field of the message as data (`id` is the idempotency key), for your own receiver;
- slack: an incoming-webhook payload (blocks). Page text goes in `plain_text` objects only, which Slack never
  formats; the fallback `text` is sent with `mrkdwn: false` and &, <, > escaped as Slack requires;
- teams: a message with an Adaptive Card. Page text goes in `TextRun`s of `RichTextBlock`s, which take no
  Markdown (a `TextBlock` would);
- matrix: an `m.room.message` (m.notice) with the plain text in `body` and escaped HTML in `formatted_body`. The
  URL is the room's send endpoint (`.../rooms/<room>/send/m.room.message`); the event key is appended as the
  transaction id, so the homeserver itself drops a resend; the token comes from the environment.

A digest (`newsmon digest --webhook NAME`, dashboard/alerts/digest.py `digest_message`) goes through the same
formats: its message carries `sections` (a heading and its lines, each line text with an optional link), shown
after the summary as plain-text blocks (Slack), TextRuns (Teams) or in the HTML (Matrix), and its own `text` and
`html` renderings.

Environment, for a webhook named `newsroom`: NEWSMON_WEBHOOK_NEWSROOM_URL (required), and for Matrix
NEWSMON_WEBHOOK_NEWSROOM_TOKEN. Every request carries an `Idempotency-Key` header (the event key).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import httpx

from dashboard.alerts.deliver.errors import DeliveryError
from dashboard.alerts.message import render_html, render_text

TIMEOUT = 15.0


def env_name(name: str, what: str) -> str:
    return f"NEWSMON_WEBHOOK_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_{what}"


def _when(a: dict) -> str:
    return a["published_at"][:16].replace("T", " ") + " UTC" if a.get("published_at") else "date unknown"


def _http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def payload(msg: dict, fmt: str, key: str, event: Mapping | None = None) -> dict:
    """The JSON body of `msg` in format `fmt` (generic, slack, teams, matrix)."""
    text = msg["text"] if "text" in msg else render_text(msg)
    if fmt == "generic":
        body = {"id": key, "subject": msg["subject"], "summary": msg["summary"], "url": msg["url"],
                "rule": msg["rule"], "articles": msg.get("articles", []), "n_articles": msg.get("n_articles", 0),
                "terms": msg.get("terms", []), "event": dict(event or {}), "text": text}
        if "sections" in msg:
            body["sections"] = msg["sections"]
        return body
    if fmt == "slack":
        return _slack(msg)
    if fmt == "teams":
        return _teams(msg)
    if fmt == "matrix":
        fragment = (msg["html"] if "html" in msg else render_html(msg)).split("<body>", 1)[1].rsplit("</body>", 1)[0]
        return {"msgtype": "m.notice", "body": f"{msg['subject']}\n\n{text}",
                "format": "org.matrix.custom.html", "formatted_body": f"<h4>{_esc_html(msg['subject'])}</h4>{fragment}"}
    raise ValueError(f"unknown webhook format {fmt!r}")


def _esc_html(s: str) -> str:
    import html

    return html.escape(s)


def slack_escape(s: str) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = 3000) -> dict:
    return {"type": "plain_text", "text": text[:limit], "emoji": False}


def _slack(msg: dict) -> dict:
    blocks: list[dict] = [
        {"type": "header", "text": _plain(msg["subject"], 150)},
        {"type": "section", "text": _plain(msg["summary"])},
        {"type": "actions", "elements": [{"type": "button", "text": _plain("Open in the dashboard"),
                                          "url": msg["url"]}]},
    ]
    if msg.get("terms"):
        words = ", ".join(f"{t['term']} ({t['z']:.1f})" for t in msg["terms"])
        blocks.append({"type": "context", "elements": [_plain(f"Why the spike: {words}")]})
    for a in msg.get("articles", []):
        block = {"type": "section", "text": _plain(f"{a['title']}\n{a['source']}, {_when(a)}")}
        if _http(a["url"]):
            block["accessory"] = {"type": "button", "text": _plain("Read"), "url": a["url"][:3000]}
        blocks.append(block)
    for sec in msg.get("sections", []):
        blocks.append({"type": "section", "text": _plain(sec["heading"].upper(), 150)})
        plain = [x["text"] for x in sec["lines"] if not _http(x.get("url") or "")]
        if plain:
            blocks.append({"type": "section", "text": _plain("\n".join(plain))})
        for x in (x for x in sec["lines"] if _http(x.get("url") or "")):
            blocks.append({"type": "section", "text": _plain(x["text"]),
                           "accessory": {"type": "button", "text": _plain("Open"), "url": x["url"][:3000]}})
    return {"text": slack_escape(msg["subject"]), "mrkdwn": False, "blocks": blocks[:50]}


def _run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": text, **style}


def _teams(msg: dict) -> dict:
    body: list[dict] = [
        {"type": "RichTextBlock", "inlines": [_run(msg["subject"], weight="Bolder", size="Medium")]},
        {"type": "RichTextBlock", "inlines": [_run(msg["summary"])]},
    ]
    if msg.get("terms"):
        words = ", ".join(f"{t['term']} ({t['z']:.1f})" for t in msg["terms"])
        body.append({"type": "RichTextBlock", "inlines": [_run(f"Why the spike: {words}", isSubtle=True)]})
    for a in msg.get("articles", []):
        title = _run(a["title"], weight="Bolder")
        if _http(a["url"]):
            title["selectAction"] = {"type": "Action.OpenUrl", "url": a["url"]}
        body.append({"type": "RichTextBlock", "inlines": [title, _run(f"\n{a['source']}, {_when(a)}", isSubtle=True)]})
    for sec in msg.get("sections", []):
        body.append({"type": "RichTextBlock", "inlines": [_run(sec["heading"], weight="Bolder")]})
        for x in sec["lines"]:
            line = _run(x["text"])
            if _http(x.get("url") or ""):
                line["selectAction"] = {"type": "Action.OpenUrl", "url": x["url"]}
            body.append({"type": "RichTextBlock", "inlines": [line]})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": "Open in the dashboard", "url": msg["url"]}]}
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


def send(name: str, fmt: str, msg: dict, key: str, event: Mapping | None = None,
         env: Mapping[str, str] | None = None) -> None:
    """Deliver `msg` to the webhook `name`; raises DeliveryError unless the receiver answered 2xx."""
    env = os.environ if env is None else env
    url = env.get(env_name(name, "URL"), "").strip()
    if not url:
        raise DeliveryError(f"{env_name(name, 'URL')} is not set")
    if not _http(url):
        raise DeliveryError(f"{env_name(name, 'URL')} is not an http(s) URL")
    headers = {"Idempotency-Key": key, "User-Agent": "newsmon-alerts"}
    method = "POST"
    if fmt == "matrix":
        token = env.get(env_name(name, "TOKEN"), "").strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if "/_matrix/client/" in url:
            method, url = "PUT", f"{url.rstrip('/')}/{key}"  # the transaction id: a resend is dropped by the server
    try:
        r = httpx.request(method, url, json=payload(msg, fmt, key, event), headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook {name}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= r.status_code < 300:
        raise DeliveryError(f"webhook {name}: HTTP {r.status_code} {r.text[:200]!r}")
