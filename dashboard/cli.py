"""The installed `newsmon` command: ingest's command group (ingest/cli) plus the two commands that start the
dashboard, `newsmon dashboard` and `newsmon demo`.

This is the one module above both packages: the dashboard reads the store the ingest writes, so `dashboard`
may import `ingest`, never the reverse, and the commands that need both live here. Each is a thin click layer:
`serve_dashboard` runs `dashboard/serve.py`'s command line; the demo store is `ingest.demo.build`'s.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import click

from dashboard.alerts.commands import alerts_group, digest_cmd
from dashboard.serve import streamlit_command
from ingest.cli.main import AFTER_RUN, is_remote, main, parse_interval, watchlist_option
from ingest.demo.build import DEMO_STORE

__all__ = ["main"]


@main.command("dashboard")
@click.option("--store", default="data/store", show_default=True, metavar="DIR|URI",
              help="Directory of the Parquet store, or the URI a store was published to (s3://, gs://, ...): "
                   "then a local replica is pulled and kept up to date.")
@watchlist_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on; 0.0.0.0 serves your whole network (set a password first: see docs).")
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--feed-port", type=click.IntRange(0, 65535), default=None, metavar="PORT",
              help="Serve the Atom feed of alerts at http://HOST:PORT/alerts/feed.atom for feed readers (default: "
                   "the dashboard's port + 1; 0: not served).")
@click.option("--refresh", default="5m", show_default=True,
              help="With a published store's URI: pull it again this often (e.g. 1m, 15m, 1h).")
def dashboard_cmd(store: str, watchlist: Path | None, host: str, port: int, feed_port: int | None,
                  refresh: str) -> None:
    """Serve the dashboard (Streamlit) on http://HOST:PORT over the store, and its alerts' Atom feed."""
    if not is_remote(store):
        serve_dashboard(Path(store.removeprefix("file://")), watchlist, host, port, feed_port=feed_port)
        return
    from ingest.store.replica import ReplicaError, pull_store

    every = parse_interval(refresh, "--refresh")
    local = replica_dir(store)
    click.echo(f"pulling {store} into {local} ...")
    try:
        report = pull_store(store, local)
    except ReplicaError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"replica ready: {report.downloaded} files downloaded, {report.unchanged} unchanged")

    def pull_again() -> None:
        try:
            r = pull_store(store, local)
        except (ReplicaError, OSError) as exc:
            click.echo(f"warning: cannot pull {store} ({exc}); serving the last copy", err=True)
            return
        if r.downloaded or r.deleted:
            click.echo(f"pulled {store}: {r.downloaded} new files, {r.deleted} removed")

    serve_dashboard(local, watchlist, host, port, every=every, tick=pull_again, feed_port=feed_port)


def replica_dir(uri: str) -> Path:
    """Where `newsmon dashboard --store URI` keeps its replica: $NEWSMON_REPLICAS, else ~/.cache/newsmon/replicas."""
    import hashlib

    base = Path(os.environ.get("NEWSMON_REPLICAS") or Path.home() / ".cache" / "newsmon" / "replicas")
    return base / hashlib.sha256(uri.encode()).hexdigest()[:16]


class _Stop(Exception):
    """A signal that stops the server (SIGTERM from systemd or Docker, SIGHUP when the terminal goes)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stop(signum: int, _frame) -> None:
    raise _Stop(signum)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
CHILD_GRACE = 10.0  # seconds Streamlit gets to stop on SIGTERM before it is killed


def _stop_child(proc: subprocess.Popen, how: int = signal.SIGTERM) -> None:
    """Stop the Streamlit server: `how` (SIGTERM, or SIGINT after a Ctrl-C), then SIGKILL after CHILD_GRACE."""
    if proc.poll() is None:
        try:
            proc.send_signal(how)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=CHILD_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _start_feed(store: Path, host: str, port: int):
    """The alerts' feed server (dashboard/alerts/feedserver.py), or None (port 0, or the port is taken)."""
    if port == 0:
        return None
    from dashboard.alerts.feedserver import FeedServer

    try:
        feed = FeedServer(store, host, port)
    except (OSError, OverflowError) as exc:  # taken, or past 65535 (the dashboard's port + 1)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        click.echo(f"warning: the alerts' feed is not served: port {port}: {why} (choose one with --feed-port)",
                   err=True)
        return None
    click.echo(f"Atom feed of the alerts on {feed.url()}")
    return feed


def serve_dashboard(store: Path, watchlist: Path | None, host: str, port: int,
                    every: float | None = None, tick: Callable[[], None] | None = None,
                    feed_port: int | None = None) -> None:
    """Run the Streamlit server until it stops; with `tick`, call it every `every` seconds meanwhile. Meanwhile
    this process serves the alerts' Atom feed on `feed_port` (default port + 1; 0: not at all), whose port the
    Alerts page learns from $NEWSMON_FEED_PORT; a feed port already taken is a warning, the dashboard still runs.

    The server is a child process; it stops with this one, whatever stops this one: Ctrl-C, SIGTERM (systemd,
    Docker) and SIGHUP are passed on to it, and after it has stopped this process ends by the same signal,
    so a supervisor sees the usual exit. A SIGHUP this process was started ignoring (nohup) stays ignored."""
    env = dict(os.environ, NEWSMON_STORE=str(store.resolve()))
    if watchlist:
        env["NEWSMON_WATCHLIST"] = str(watchlist.resolve())
    cmd = streamlit_command(host, port, preload=True)  # the first page then skips ~0.5 s of imports
    click.echo(f"newsmon dashboard on http://{'localhost' if host == '127.0.0.1' else host}:{port} "
               f"(store {store}); Ctrl-C stops it")
    feed = _start_feed(store, host, port + 1 if feed_port is None else feed_port)
    if feed is not None:
        env["NEWSMON_FEED_PORT"] = str(feed.port)
    # A signal this process was started ignoring stays ignored: `nohup newsmon dashboard &` must outlive its terminal.
    before = {s: signal.signal(s, _raise_stop) for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN}
    proc = None
    ended = False  # the server stopped by itself
    stopped_by: int | None = None
    try:
        proc = subprocess.Popen(cmd, env=env)
        while not ended:
            try:
                proc.wait(timeout=every)
                ended = True
            except subprocess.TimeoutExpired:
                if tick is not None:
                    tick()
    except KeyboardInterrupt:
        if proc is not None:
            _stop_child(proc, signal.SIGINT)
            ended = True
    except _Stop as stop:
        stopped_by = stop.signum
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        if proc is not None and not ended:  # a signal, or an error in `tick`: never leave it running
            _stop_child(proc)
        if feed is not None:
            feed.close()
    if stopped_by is not None:
        os.kill(os.getpid(), stopped_by)  # the handler before ours (by default: end the process)


@main.command()
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=DEMO_STORE, show_default=True,
              help="Directory of the demo store (kept apart from your real store).")
@click.option("--articles", type=click.IntRange(10, 20000), default=1500, show_default=True,
              help="Articles in the synthetic corpus.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the synthetic corpus.")
@click.option("--no-dashboard", is_flag=True, help="Build the demo store, then stop.")
@click.option("--port", type=int, default=8501, show_default=True, help="Dashboard port.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def demo(store: Path, articles: int, seed: int, no_dashboard: bool, port: int, no_progress: bool) -> None:
    """Build a demo store from a fictional corpus through the real ingest, then serve the dashboard.

    A deterministic synthetic corpus of fictional outlets (each with its own page template, furniture
    and RSS feed) is served on 127.0.0.1 and ingested exactly as real feeds are. Every outlet and
    article is labelled fictional; the people are real leaders in generic invented sentences.
    """
    from ingest.demo.build import build_demo_store
    from ingest.pipeline import format_summary

    summary = build_demo_store(store, articles, seed, progress=False if no_progress else None, say=click.echo)
    click.echo(format_summary(summary))
    if not no_dashboard:
        serve_dashboard(store, None, "127.0.0.1", port)


main.add_command(alerts_group)
main.add_command(digest_cmd)


def _with_alerts(command: click.Command) -> None:
    """`newsmon ingest --alerts FILE`: check the alert rules after each run (ingest/cli/main.py's AFTER_RUN)."""
    from functools import wraps

    from dashboard.alerts.commands import after_run

    command.params.append(click.Option(
        ["--alerts", "alerts_file"], type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
        help="After each run, check these alert rules and deliver what fires (docs/alerts.md); "
             "a delivery problem never stops the ingest."))
    run = command.callback

    @wraps(run)
    def callback(*args, alerts_file: Path | None = None, **kwargs):
        AFTER_RUN[:] = [h for h in AFTER_RUN if not getattr(h, "newsmon_alerts", False)]
        if alerts_file is not None:
            AFTER_RUN.append(after_run(alerts_file, kwargs.get("watchlist")))
        return run(*args, **kwargs)

    command.callback = callback


_with_alerts(main.commands["ingest"])


def _dashboard_with_alerts(command: click.Command) -> None:
    """`newsmon dashboard --alerts FILE`: the Alerts page lists these rules (it reads $NEWSMON_ALERTS)."""
    from functools import wraps

    command.params.append(click.Option(
        ["--alerts", "alerts_file"], type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
        metavar="FILE", help="Alert rules the Alerts page lists (default: $NEWSMON_ALERTS, else the packaged ones)."))
    run = command.callback

    @wraps(run)
    def callback(*args, alerts_file: Path | None = None, **kwargs):
        if alerts_file is not None:
            os.environ["NEWSMON_ALERTS"] = str(alerts_file.resolve())  # the server inherits the environment
        return run(*args, **kwargs)

    command.callback = callback


_dashboard_with_alerts(main.commands["dashboard"])


if __name__ == "__main__":
    main()
