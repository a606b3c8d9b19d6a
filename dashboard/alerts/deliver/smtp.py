"""E-mail over SMTP: a plain-text part and an HTML part with the chart as an inline PNG (Content-ID).

Settings come from the environment only, never from the rules file (which names only the recipients):

    NEWSMON_SMTP_HOST       the server (required)
    NEWSMON_SMTP_PORT       default 587 (starttls), 465 (ssl), 25 (none)
    NEWSMON_SMTP_SECURITY   starttls (default) | ssl | none
    NEWSMON_SMTP_USER, NEWSMON_SMTP_PASSWORD   log in when both are set
    NEWSMON_SMTP_FROM       the sender (default: newsmon@<the host's name>)
    NEWSMON_SMTP_CAFILE     a CA bundle to trust (a private CA); default: the system's

The Message-ID is made from the event's key, so a mail client can tell a resend after a crash from a new alert.
The chart is the dashboard's own timeline figure (charts.timeline_figure) drawn by its PNG export (kaleido).
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pandas as pd

from dashboard.alerts.deliver.errors import DeliveryError
from dashboard.alerts.message import render_html, render_text
from dashboard.data.filters import Filters
from dashboard.data.names import Names
from dashboard.data.series import COLUMNS

SECURITY = ("starttls", "ssl", "none")
TIMEOUT = 30.0


def chart_png(chart: dict | None, subject: str) -> bytes | None:
    """The message's chart as PNG (None if it has none), through the dashboard's figure and export code."""
    if not chart or not chart.get("rows"):
        return None
    from dashboard import charts, explain, export

    series = pd.DataFrame(chart["rows"], columns=COLUMNS)
    series["bucket"] = pd.to_datetime(series["bucket"]).dt.date
    f = Filters.from_query_params(chart["filters"])
    names = Names(names={tuple(k.split(":", 1)): v for k, v in chart["names"].items()})
    marks = explain.spikes(series)
    fig = charts.timeline_figure(series, names, f, spikes=marks, title=subject[:120])
    m = export.manifest(f"alert: {subject}", f.describe(), None, f.start, f.end, rows=len(series))
    return export.png(fig, m)


def build_email(msg: dict, key: str, recipients: tuple[str, ...], sender: str, png: bytes | None) -> EmailMessage:
    """The e-mail: text part, HTML part (related: the inline chart)."""
    mail = EmailMessage()
    mail["Subject"] = msg["subject"]
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = f"<{key}@newsmon>"
    mail["X-Newsmon-Event"] = key
    mail.set_content(render_text(msg))
    cid = make_msgid(idstring="chart", domain="newsmon") if png else None
    mail.add_alternative(render_html(msg, chart_cid=cid[1:-1] if cid else None), subtype="html")
    if png and cid:
        html_part = mail.get_payload()[1]
        html_part.add_related(png, maintype="image", subtype="png", cid=cid, filename="chart.png")
    return mail


def settings(env: Mapping[str, str] | None = None) -> dict:
    env = os.environ if env is None else env
    host = env.get("NEWSMON_SMTP_HOST", "").strip()
    if not host:
        raise DeliveryError("NEWSMON_SMTP_HOST is not set")
    security = env.get("NEWSMON_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SECURITY:
        raise DeliveryError(f"NEWSMON_SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
    port_raw = env.get("NEWSMON_SMTP_PORT", "").strip()
    if port_raw and not port_raw.isdigit():
        raise DeliveryError(f"NEWSMON_SMTP_PORT is not a port number: {port_raw!r}")
    port = int(port_raw) if port_raw else {"starttls": 587, "ssl": 465, "none": 25}[security]
    return {"host": host, "port": port, "security": security, "user": env.get("NEWSMON_SMTP_USER", ""),
            "password": env.get("NEWSMON_SMTP_PASSWORD", ""), "cafile": env.get("NEWSMON_SMTP_CAFILE") or None,
            "sender": env.get("NEWSMON_SMTP_FROM") or f"newsmon@{socket.getfqdn() or 'localhost'}"}


def send(msg: dict, key: str, recipients: tuple[str, ...], env: Mapping[str, str] | None = None) -> None:
    """Send the alert to `recipients`; raises DeliveryError with the reason when the server does not take it."""
    s = settings(env)
    try:
        png = chart_png(msg.get("chart"), msg["subject"])
    except Exception as exc:  # noqa: BLE001 - no chart is better than no alert: the mail says so
        png = None
        msg = {**msg, "summary": msg["summary"] + f" (The chart could not be drawn: {type(exc).__name__}.)"}
    send_mail(build_email(msg, key, recipients, s["sender"], png), recipients, env)


def send_mail(mail: EmailMessage, recipients: tuple[str, ...], env: Mapping[str, str] | None = None) -> None:
    """Send a built e-mail through the server the environment names (the alerts' and the digest's transport)."""
    s = settings(env)
    if not mail["From"]:
        mail["From"] = s["sender"]
    context = ssl.create_default_context(cafile=s["cafile"])
    try:
        if s["security"] == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(s["host"], s["port"], timeout=TIMEOUT, context=context)
        else:
            server = smtplib.SMTP(s["host"], s["port"], timeout=TIMEOUT)
        with server:
            if s["security"] == "starttls":
                server.starttls(context=context)
            if s["user"] and s["password"]:
                server.login(s["user"], s["password"])
            server.send_message(mail, from_addr=s["sender"], to_addrs=list(recipients))
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"smtp {s['host']}:{s['port']}: {type(exc).__name__}: {exc}") from exc
