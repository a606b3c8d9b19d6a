"""Delivery, checked exactly against receivers on 127.0.0.1: webhook formats, the Atom feed, e-mail; a hostile
title stays text in every one; failures are retried with backoff and never raise."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import explain
from dashboard.alerts.message import own_words
from dashboard.alerts.run import check
from dashboard.alerts.state import AlertState
from dashboard.data import queries
from dashboard.data.filters import Filters
from dashboard.data.selection import PointKey, decode_points
from tests.dashboard.alerts.conftest import (
    EVERY_WEBHOOK_FORMAT,
    HOSTILE_TITLE,
    NOW,
    SPIKE_RULE,
    SPIKE_WEEK,
    rules_from,
)

ESCAPED = "&lt;b&gt;x&lt;/b&gt; **y** $z$ Alice Example"
SINCE = datetime(2024, 3, 20, tzinfo=UTC)
RULES = ('dashboard_url = "http://dash.example/newsmon"' + EVERY_WEBHOOK_FORMAT + SPIKE_RULE
         + 'name = "Alice spikes"\nwebhooks = ["plain", "slack", "teams", "matrix"]\n')
URL = ("http://dash.example/newsmon/?people=alice-example&start=2023-09-25&end=2024-03-31&preset=custom"
       "&sel=person%3Aalice-example%3A2024-03-25")
SUBJECT = "Alice Example spiked: 9 articles in the week of 2024-03-25"
TOP = [(HOSTILE_TITLE, "Daily Fiction", "https://news.example/a/0032")] + [
    (f"Alice Example announces a ceasefire plan ({k})", "The Sample Times" if k % 2 else "Daily Fiction",
     f"https://news.example/a/{24 + k:04d}") for k in (7, 6, 5, 4)]


def _env(url: str) -> dict:
    return {f"NEWSMON_WEBHOOK_{n}_URL": f"{url}/{n.lower()}" for n in ("PLAIN", "SLACK", "TEAMS")} | {
        "NEWSMON_WEBHOOK_MATRIX_URL": f"{url}/_matrix/client/v3/rooms/!r:example/send/m.room.message",
        "NEWSMON_WEBHOOK_MATRIX_TOKEN": "secret-token"}


def _texts(obj) -> list:
    """Every dict in a JSON tree."""
    if isinstance(obj, dict):
        return [obj] + [x for v in obj.values() for x in _texts(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _texts(v)]
    return []


def test_the_link_opens_the_dashboard_view_of_the_spike():
    q = {k: v[0] for k, v in parse_qs(urlsplit(URL).query).items()}
    f = Filters.from_query_params(q)
    assert (f.people, f.start.isoformat(), f.end.isoformat(), f.bucket, f.preset) == (
        ("alice-example",), "2023-09-25", "2024-03-31", "week", "custom")
    assert decode_points(q["sel"]) == [PointKey("person", "alice-example", SPIKE_WEEK)]


def test_every_webhook_format_exactly_and_the_title_stays_text(spike_store, webhook):
    report = check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=SINCE,
                   env=_env(webhook.url))
    assert report.errors == [] and report.pending == 0 and len(report.new) == 1
    key = report.new[0]
    by_path = {r.path: r for r in webhook.received}
    assert len(webhook.received) == 4 and all(r.headers["Idempotency-Key"] == key for r in webhook.received)

    generic = by_path["/plain"].body
    assert (generic["id"], generic["subject"], generic["url"]) == (key, SUBJECT, URL)
    assert [(a["title"], a["source"], a["url"]) for a in generic["articles"]] == TOP
    assert generic["n_articles"] == 9 and generic["event"]["start"] == "2024-03-25"
    assert generic["summary"] == ("Alice Example: 9 articles in the week of 2024-03-25, against 2 on average over the "
                                  "8 weeks before.")
    assert f"Open in the dashboard: {URL}" in generic["text"] and f"- {HOSTILE_TITLE}\n" in generic["text"]

    slack = by_path["/slack"].body
    assert slack["text"] == SUBJECT and slack["mrkdwn"] is False
    assert not [d for d in _texts(slack) if d.get("type") == "mrkdwn"]  # page text only in plain_text
    titled = [d for d in _texts(slack) if isinstance(d.get("text"), str) and HOSTILE_TITLE in d["text"]]
    assert titled and all(d["type"] == "plain_text" for d in titled)
    assert [e["url"] for d in _texts(slack) if d.get("type") == "actions" for e in d["elements"]] == [URL]

    teams = by_path["/teams"].body
    card = teams["attachments"][0]["content"]
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert not [d for d in _texts(card) if d.get("type") == "TextBlock"]  # TextBlock would read Markdown
    runs = [d for d in _texts(card) if d.get("type") == "TextRun"]
    assert {"type": "TextRun", "text": HOSTILE_TITLE, "weight": "Bolder",
            "selectAction": {"type": "Action.OpenUrl", "url": TOP[0][2]}} in runs
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in the dashboard", "url": URL}]

    matrix = by_path[f"/_matrix/client/v3/rooms/!r:example/send/m.room.message/{key}"]
    assert matrix.method == "PUT" and matrix.headers["Authorization"] == "Bearer secret-token"
    assert matrix.body["msgtype"] == "m.notice" and matrix.body["format"] == "org.matrix.custom.html"
    assert ESCAPED in matrix.body["formatted_body"] and "<b>x</b>" not in matrix.body["formatted_body"]
    assert f'<a href="{URL.replace("&", "&amp;")}">' in matrix.body["formatted_body"]
    assert HOSTILE_TITLE in matrix.body["body"]  # the plain-text body is never rendered as markup


def test_the_spike_is_explained_with_the_dashboards_terms(spike_store, webhook):
    report = check(spike_store.root, rules_from(RULES), spike_store.names, now=NOW, since=SINCE,
                   env=_env(webhook.url))
    terms = AlertState(spike_store.root).load(report.new[0])["message"]["terms"]
    con = queries.connect(spike_store.root)
    view = Filters(people=("alice-example",), preset="custom", start=SPIKE_WEEK.replace(year=2023, month=9, day=25),
                   end=SPIKE_WEEK.replace(day=31))
    point = PointKey("person", "alice-example", SPIKE_WEEK)
    target, base, _, _ = explain.why_inputs(con, view, [point])
    want, _, _ = explain.explain_selection(target, base, exclude=own_words(spike_store.names,
                                                                           [("person", "alice-example")]))
    assert [t["term"] for t in terms] == list(want["term"])[:8] and "ceasefire plan" in [t["term"] for t in terms]


def test_the_atom_feed_holds_each_event_once_with_its_link_and_escaped_text(spike_store):
    rules = rules_from(RULES.replace('webhooks = ["plain", "slack", "teams", "matrix"]', ""))
    first = check(spike_store.root, rules, spike_store.names, now=NOW, since=SINCE)
    check(spike_store.root, rules, spike_store.names, now=NOW, since=SINCE)  # again: no second entry
    state = AlertState(spike_store.root)
    root = ET.fromstring(state.feed_path.read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert [e.find("a:id", ns).text for e in entries] == [f"urn:newsmon:alert:{first.new[0]}"]
    e = entries[0]
    assert e.find("a:title", ns).text == SUBJECT and e.find("a:link", ns).get("href") == URL
    content = e.find("a:content", ns)
    assert content.get("type") == "html" and ESCAPED in content.text and "<b>x</b>" not in content.text
    assert b"<b>x</b>" not in state.feed_path.read_bytes()  # the XML escapes the escaped HTML once more


def test_a_failed_delivery_is_retried_with_backoff_then_left_pending_never_raised(spike_store, webhook):
    rules = rules_from(RULES.replace('["plain", "slack", "teams", "matrix"]', '["plain"]'))
    webhook.statuses = [500, 503]
    waits: list[float] = []
    report = check(spike_store.root, rules, spike_store.names, now=NOW, since=SINCE, env=_env(webhook.url),
                   sleep=waits.append)
    assert waits == [2.0, 4.0] and report.errors == [] and len(webhook.received) == 3
    record = AlertState(spike_store.root).load(report.new[0])
    assert record["deliveries"]["webhook:plain"]["status"] == "delivered"
    assert record["deliveries"]["webhook:plain"]["attempts"] == 3

    # the receiver is down for a whole check: nothing raises, the channel stays pending with its reason
    rules2 = rules_from(RULES.replace('["plain", "slack", "teams", "matrix"]', '["plain"]').replace(
        'id = "alice-spike"', 'id = "alice-spike-2"'))
    webhook.statuses = [500, 500, 500]
    report = check(spike_store.root, rules2, spike_store.names, now=NOW, since=SINCE, env=_env(webhook.url),
                   sleep=waits.append)
    assert report.pending == 1 and [(c, e) for _, c, e in report.errors] == [
        ("webhook:plain", "webhook plain: HTTP 500 'ok'")]
    # the next check sends it (the receiver is back)
    later = check(spike_store.root, rules2, spike_store.names, now=NOW, env=_env(webhook.url), sleep=waits.append)
    assert later.pending == 0 and later.delivered == [(report.new[0], "webhook:plain")]
    # no URL in the environment: a clear reason, no exception
    rules3 = rules_from(RULES.replace('["plain", "slack", "teams", "matrix"]', '["plain"]').replace(
        'id = "alice-spike"', 'id = "alice-spike-3"'))
    r3 = check(spike_store.root, rules3, spike_store.names, now=NOW, since=SINCE, env={}, sleep=waits.append)
    assert r3.errors[0][2] == "NEWSMON_WEBHOOK_PLAIN_URL is not set"


def test_email_has_recipients_subject_link_both_parts_and_the_inline_chart(spike_store, smtp_server):
    import email
    from email import policy

    controller, handler = smtp_server
    rules = rules_from(RULES.replace('webhooks = ["plain", "slack", "teams", "matrix"]',
                                     'email = ["desk@example.org", "chief@example.org"]'))
    env = {"NEWSMON_SMTP_HOST": "127.0.0.1", "NEWSMON_SMTP_PORT": str(controller.port),
           "NEWSMON_SMTP_SECURITY": "none", "NEWSMON_SMTP_FROM": "alerts@newsroom.example"}
    report = check(spike_store.root, rules, spike_store.names, now=NOW, since=SINCE, env=env)
    assert report.errors == [] and len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.mail_from == "alerts@newsroom.example"
    assert envelope.rcpt_tos == ["desk@example.org", "chief@example.org"]
    mail = email.message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == SUBJECT and mail["To"] == "desk@example.org, chief@example.org"
    assert mail["Message-ID"] == f"<{report.new[0]}@newsmon>"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"Open in the dashboard: {URL}" in text and f"- {HOSTILE_TITLE}" in text
    assert f'<a href="{URL.replace("&", "&amp;")}">' in html and ESCAPED in html and "<b>x</b>" not in html
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key (the test trusts it through NEWSMON_SMTP_CAFILE)."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_starttls_or_ssl_with_login(spike_store, tmp_path, security: str):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.dashboard.alerts.conftest import free_port

    cert, key = _self_signed(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    got: list = []
    logins: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            got.append((envelope, session.ssl is not None))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"newsmon" and auth_data.password == b"s3cret")

    # (aiosmtpd offers AUTH over implicit TLS only with auth_require_tls off: it counts STARTTLS alone as TLS)
    tls = ({"tls_context": ctx, "require_starttls": True, "auth_require_tls": True} if security == "starttls"
           else {"ssl_context": ctx, "auth_require_tls": False})
    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_required=True, **tls)
    controller.start()
    try:
        rules = rules_from(RULES.replace('webhooks = ["plain", "slack", "teams", "matrix"]',
                                         'email = ["desk@example.org"]'))
        env = {"NEWSMON_SMTP_HOST": "127.0.0.1", "NEWSMON_SMTP_PORT": str(controller.port),
               "NEWSMON_SMTP_SECURITY": security, "NEWSMON_SMTP_USER": "newsmon", "NEWSMON_SMTP_PASSWORD": "s3cret",
               "NEWSMON_SMTP_CAFILE": str(cert), "NEWSMON_SMTP_FROM": "alerts@newsroom.example"}
        report = check(spike_store.root, rules, spike_store.names, now=NOW, since=SINCE, env=env, sleep=lambda s: None)
    finally:
        controller.stop()
    assert report.errors == [] and logins == [(b"newsmon", b"s3cret")]
    assert len(got) == 1 and got[0][0].rcpt_tos == ["desk@example.org"]
