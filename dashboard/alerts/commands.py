"""The command-line shell of the alerts: `newsmon alerts check`, `newsmon digest`, and the after-run hook of
`newsmon ingest --alerts FILE`. `dashboard/cli.py` adds them to the `newsmon` group (ingest never imports this).

Thin: parse the options, load the rules and names, call run.py / digest.py, print. A bad rules file is one line
naming the file, the rule and the field, and exit code 1.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from dashboard.alerts.rules import AlertsError, RuleSet, load_rules
from dashboard.alerts.state import AlertsBusy
from dashboard.data.names import Names, load_names

alerts_file_option = click.option(
    "--alerts", "alerts_file", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
    help="Alert rules (TOML; docs/alerts.md). Default: the packaged ingest/data/alerts.toml.")
_store = click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=Path("data/store"),
                      show_default=True, help="Directory of the Parquet store.")
_watchlist = click.option("--watchlist", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                          help="Watchlist TOML file (default: the packaged one): names and the ids rules may use.")


def parse_when(text: str | None, option: str) -> datetime | None:
    """'2025-05-01', '2025-05-01T06:00', '2025-05-01T06:00+02:00' or '7d' / '12h' back from now, in UTC."""
    if not text:
        return None
    t = text.strip()
    if t[:-1].isdigit() and t[-1:] in ("d", "h"):
        return datetime.now(UTC) - timedelta(**{"days" if t[-1] == "d" else "hours": int(t[:-1])})
    try:
        when = datetime.fromisoformat(t)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date (2025-05-01), a time (2025-05-01T06:00) or an age (7d, "
                                 "12h)", param_hint=option) from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def load(alerts_file: Path | None, watchlist: Path | None) -> tuple[RuleSet, Names]:
    """The rules, checked against the watchlist's ids, and the watchlist's names; AlertsError → one line."""
    names = load_names(str(watchlist) if watchlist else None)
    try:
        rules = load_rules(alerts_file, known=set(names.names) if names.names and not names.error else None)
    except AlertsError as exc:
        raise click.ClickException(str(exc)) from exc
    url = os.environ.get("NEWSMON_DASHBOARD_URL", "").strip()
    return (replace(rules, dashboard_url=url.rstrip("/")) if url else rules), names


def _who(names: Names, entities) -> str:
    return " + ".join(names.get(tuple(e)) for e in entities)


def _store_ready(store: Path) -> None:
    from ingest.store.parquet import Store

    if not Store(store).exists():
        raise click.ClickException(f"no store at {store}: run `newsmon ingest` (or `newsmon demo`) first")


@click.group("alerts")
def alerts_group() -> None:
    """Alert rules: evaluate them and deliver what fires (docs/alerts.md)."""


@alerts_group.command("check")
@_store
@alerts_file_option
@_watchlist
@click.option("--since", default=None, metavar="WHEN",
              help="Look at every bucket that ends after WHEN (2025-05-01, 2025-05-01T06:00, 7d), instead of after "
                   "each rule's last check.")
@click.option("--dry-run", is_flag=True, help="List what would fire; record and send nothing.")
def check_cmd(store: Path, alerts_file: Path | None, watchlist: Path | None, since: str | None, dry_run: bool) -> None:
    """Evaluate the alert rules on the store, record each new event once, and deliver it.

    \b
    Example (the demo store, its 18 months, nothing sent):
      newsmon alerts check --store data/demo-store --since 2025-05-01 --dry-run
    """
    from dashboard.alerts.run import check
    from dashboard.alerts.state import AlertState

    when = parse_when(since, "--since")
    rules, names = load(alerts_file, watchlist)
    _store_ready(store)
    try:
        report = check(store, rules, names, since=when, dry_run=dry_run)
    except AlertsBusy as exc:
        raise click.ClickException(str(exc)) from exc
    state = AlertState(store)
    verb = "would fire" if dry_run else "found"
    new = set(report.new)
    click.echo(f"{len(rules.rules)} rules checked; {len(report.events)} events {verb}"
               + ("" if dry_run else f" ({len(new)} new, the others fired before)"))
    for e in report.events:
        status = "new" if e.key in new else ("fired before" if state.has(e.key) else verb)
        extra = f" in {e.detail['dim']} {e.detail['value']}" if e.trigger == "first-seen" else (
            f" ({e.count} articles)" if e.count else "")
        click.echo(f"  {e.start.isoformat()}  {e.bucket:<5}  {e.trigger:<10}  {e.rule_id}: "
                   f"{_who(names, e.entities)}{extra}  [{status}]")
    if not dry_run:
        click.echo(f"delivered {len(report.delivered)}; {report.pending} pending"
                   + (f"; {len(report.errors)} failed this time (retried at the next check):" if report.errors else ""))
        for key, channel, error in report.errors:
            click.echo(f"  {key} {channel}: {error}", err=True)
        if report.log_error:
            click.echo(f"warning: {report.log_error}", err=True)


def after_run(alerts_file: Path | None, watchlist: Path | None):
    """The hook `newsmon ingest --alerts FILE` runs after each run: a check that never stops the ingest."""
    rules, names = load(alerts_file, watchlist)  # a bad rules file stops the command before it ingests

    def hook(store: Path) -> None:
        from dashboard.alerts.run import check

        try:
            report = check(Path(store), rules, names)
        except AlertsBusy as exc:
            click.echo(f"alerts: skipped this round ({exc})", err=True)
            return
        except Exception as exc:  # noqa: BLE001 - an alert problem must never stop the ingest
            click.echo(f"alerts: the check failed ({type(exc).__name__}: {exc}); the next run tries again", err=True)
            return
        click.echo(f"alerts: {len(report.new)} new events, {len(report.delivered)} delivered, "
                   f"{report.pending} pending" + (f", {len(report.errors)} failed this time" if report.errors else ""),
                   err=True)
        for key, channel, error in report.errors:
            click.echo(f"alerts: {key} {channel}: {error}", err=True)
        if report.log_error:
            click.echo(f"alerts: warning: {report.log_error}", err=True)

    hook.newsmon_alerts = True  # type: ignore[attr-defined]
    return hook


def day_option(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a day (2025-05-01)", param_hint="--to") from exc


# The digest's rows in the run log are `alerts:digest:<channel>` (alerts:digest:email, alerts:digest:webhook:<name>):
# under the alerts' prefix, so the per-source health leaves them out as it does an alerts check's.
DIGEST_CHANNEL = "digest:"


@click.command("digest")
@_store
@click.option("--period", type=click.Choice(["day", "week"]), default="day", show_default=True)
@click.option("--to", "to", default=None, metavar="DAY",
              help="The period's last day, UTC (default: yesterday, the last whole day).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write digest-<period>-<day>.txt, .html and .pdf (default: STORE/alerts/digests).")
@click.option("--email", "emails", multiple=True, metavar="ADDRESS",
              help="Also send it (text, HTML, the PDF attached) to ADDRESS (repeatable); the server is set in the "
                   "environment (docs/alerts.md).")
@click.option("--webhook", "webhooks", multiple=True, metavar="NAME",
              help="Also post it to the webhook NAME of the rules file ([webhooks.NAME]: its format, generic, slack, "
                   "teams or matrix; its URL in NEWSMON_WEBHOOK_<NAME>_URL), repeatable.")
@alerts_file_option
@_watchlist
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (it needs chromium, through kaleido).")
def digest_cmd(store: Path, period: str, to: str | None, out: Path | None, emails: tuple[str, ...],
               webhooks: tuple[str, ...], alerts_file: Path | None, watchlist: Path | None, no_pdf: bool) -> None:
    """Write (and send) the digest of a day or a week: top people and topics with their change, the spikes with
    their explanations, the names found that are not on the watchlist, and a PDF of the chart beside it."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    from dashboard.alerts import digest
    from dashboard.alerts.deliver import smtp, webhook
    from dashboard.alerts.deliver.errors import DeliveryError
    from dashboard.alerts.run import ChannelLog, CheckReport, connect, log_deliveries
    from ingest.mentions.watchlist import load_watchlist
    from ingest.store.atomic import replace_atomic

    started = datetime.now(UTC)
    last = day_option(to) or (datetime.now(UTC).date() - timedelta(days=1))
    rules, names = load(alerts_file, watchlist)
    for name in webhooks:
        if name not in (rules.webhook_formats or {}):
            raise click.BadParameter(f"{name!r} is not a webhook of {rules.path} (it has: "
                                     f"{', '.join(sorted(rules.webhook_formats or {})) or 'none'})", param_hint="--webhook")
    _store_ready(store)
    con = connect(store)
    try:
        d = digest.build_digest(con, store, period, last, names, rules.dashboard_url,
                                load_watchlist(str(watchlist) if watchlist else None))
        pdf = None if no_pdf else digest.chart_pdf(con, d, names)
    finally:
        con.close()
    out = out or store / "alerts" / "digests"
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"digest-{period}-{d['end']}"
    text, page = digest.render_text(d), digest.render_html(d)
    for suffix, data in ((".txt", text.encode()), (".html", page.encode()), (".pdf", pdf)):
        if data:
            replace_atomic(base.with_suffix(suffix), lambda fh, d=data: fh.write(d))
    click.echo(text)
    click.echo(f"written: {base}.txt, .html" + (", .pdf" if pdf else ""))
    failed = []
    report = CheckReport()  # the digest's deliveries, for the run log: a row per channel, as an alerts check writes

    def logged(channel: str, tries: int, error: str) -> None:
        report.channels[DIGEST_CHANNEL + channel] = ChannelLog(
            due=1, tries=tries, delivered=0 if error else 1, failed=1 if error else 0,
            reasons=Counter({error: 1} if error else {}))

    if emails:
        mail = EmailMessage()
        mail["Subject"], mail["To"], mail["Date"] = d["subject"], ", ".join(emails), format_datetime(datetime.now(UTC))
        mail.set_content(text)
        mail.add_alternative(page, subtype="html")
        if pdf:
            mail.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{base.name}.pdf")
        try:
            smtp.send_mail(mail, tuple(emails))
        except DeliveryError as exc:
            failed.append(f"e-mail: {exc}")
            logged("email", 1, str(exc))
        else:
            logged("email", 1, "")
            click.echo(f"sent to {', '.join(emails)}")
    if webhooks:
        msg, key = digest.digest_message(d), digest.digest_key(d)
        for name in webhooks:
            error, tries = _retrying(lambda n=name: webhook.send(n, rules.webhook_format(n), msg, key, {"digest": key}))
            logged(f"webhook:{name}", tries, error)
            if error:
                failed.append(error)
            else:
                click.echo(f"posted to webhook {name} ({rules.webhook_format(name)})")
    log_deliveries(store, report, started)  # never raises: a run log that cannot be written is a warning
    if report.log_error:
        click.echo(f"warning: {report.log_error}", err=True)
    if failed:
        raise click.ClickException("written, but not sent: " + "; ".join(failed))


def _retrying(send) -> tuple[str, int]:
    """`send()` with the alerts' retries and backoff (run.py): (the last error or "" once it went through, tries)."""
    import time

    from dashboard.alerts import run
    from dashboard.alerts.deliver.errors import DeliveryError

    error = ""
    for attempt in range(run.RETRIES):
        if attempt:
            time.sleep(run.BACKOFF * 2 ** (attempt - 1))
        try:
            send()
        except DeliveryError as exc:
            error = str(exc)
            continue
        return "", attempt + 1
    return error, run.RETRIES
