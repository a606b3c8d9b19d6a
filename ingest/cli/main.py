"""The `newsmon` command group and `newsmon ingest`: a thin click layer over the ingest pipeline.

The group is completed by the commands of each stage (cli/extract.py, cli/mentions.py, cli/sources.py,
cli/store.py, registered at the end of this module) and by `dashboard/cli.py`, which adds `newsmon dashboard`
and `newsmon demo` and is the installed entry point: the one module above both packages.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from ingest import __version__
from ingest.settings import Settings

log = logging.getLogger("newsmon")
# Called with the store's path after each successful run of `newsmon ingest` (and each round of --every). Commands
# above ingest add theirs (dashboard/cli.py: --alerts); ingest never imports them. A hook must not raise.
AFTER_RUN: list[Callable[[Path], None]] = []



class NewsmonGroup(click.Group):
    """Turns the named errors of a whole-run failure into one line and exit code 1; never a traceback,
    unless NEWSMON_DEBUG=1. Every command added to it (and to its subgroups) also takes -v after its name."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_verbose(cmd)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        from ingest.mentions.watchlist import WatchlistError
        from ingest.sources.file import SourcesError
        from ingest.store.parquet import StoreError

        try:
            return super().invoke(ctx)
        except (StoreError, WatchlistError, SourcesError) as exc:
            raise click.ClickException(str(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            sys.stderr.close()
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            if os.environ.get("NEWSMON_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected error: {type(exc).__name__}: {exc} (run with NEWSMON_DEBUG=1 for details)"
            ) from exc


@click.group(cls=NewsmonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsmon")
@click.option("-v", "--verbose", count=True, help="Log more (-v: each skipped page, -vv: debug).")
def main(verbose: int) -> None:
    """newsmon: collect news articles into a Parquet store and chart who is mentioned, when, and where.

    \b
    Quick start:
      newsmon demo                       build the demo store from a fictional corpus, open the dashboard
      newsmon ingest --feed URL ...      collect articles from feeds into ./data/store
      newsmon dashboard                  serve the dashboard on http://localhost:8501
    """
    logging.basicConfig(level=_level(verbose), format="%(levelname)s %(name)s: %(message)s")


def _level(verbose: int) -> int:
    return logging.ERROR if verbose == 0 else logging.WARNING if verbose == 1 else logging.DEBUG


def _more_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    """-v given after a command's name: counts with any given before it (`newsmon -v ingest -v` is -vv)."""
    if value:
        before = ctx.find_root().params.get("verbose") or 0
        logging.getLogger().setLevel(_level(before + value))
    return value


def _add_verbose(cmd: click.Command) -> None:
    if not any(p.name == "verbose_after" for p in cmd.params):
        cmd.params.append(click.Option(["-v", "--verbose", "verbose_after"], count=True, expose_value=False,
                                       callback=_more_verbose, help="Log more (-v: each skipped page, -vv: debug)."))
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _add_verbose(sub)


store_option = click.option(
    "--store", type=click.Path(file_okay=False, path_type=Path), default=Path("data/store"), show_default=True,
    help="Directory of the Parquet store.",
)
watchlist_option = click.option(
    "--watchlist", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Watchlist TOML file of people and topics (default: the packaged one).",
)


@main.command()
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="An RSS or Atom feed URL (repeatable).")
@click.option("--urls", "url_files", multiple=True, type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="A text file of article URLs, one per line; # starts a comment (repeatable).")
@click.option("--html-dir", "html_dirs", multiple=True, type=click.Path(file_okay=False, exists=True), metavar="DIR",
              help="A folder of saved .html pages (repeatable).")
@click.option("--sitemap", "sitemaps", multiple=True, metavar="URL",
              help="A sitemap or sitemap index, news sitemaps and .xml.gz included (repeatable).")
@click.option("--homepage", "homepages", multiple=True, metavar="URL",
              help="A site's front page: the article links on it (repeatable).")
@click.option("--warc", "warcs", multiple=True, type=click.Path(exists=True), metavar="PATH",
              help="A WARC file, or a folder of them (repeatable).")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              metavar="FILE", help="A sources file (TOML, [[source]] entries; see docs/sources.md). Each source is "
              "visited when its interval has passed since its last run.")
@click.option("--source-name", default="", help="Outlet name for the sources given (default: from the feed or host).")
@store_option
@watchlist_option
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST[:PORT]",
              help="Allow one private address, network or host name (127.0.0.1:8765, 10.20.0.0/16, "
                   "intranet.example:8080) and keep the guard for every other, redirects included (repeatable).")
@click.option("--allow-private", is_flag=True,
              help="Allow every loopback/private address (prefer --allow-host: this turns the guard off).")
@click.option("--per-host", type=click.IntRange(1), default=None,
              help="Requests at once to one host (default 2; a source's per_host wins).")
@click.option("--host-delay", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="Seconds between two requests to one host (default 1: 3,600 pages an hour per host; a source's "
                   "host_delay wins, robots.txt's Crawl-delay may lengthen it).")
@click.option("--refetch", is_flag=True, help="Fetch URLs again even if the store already has them.")
@click.option("--keep-pages/--no-keep-pages", default=None,
              help="Keep each stored article's response as compressed WARC in STORE/pages/ (default: keep; "
                   "`newsmon clean --reextract` re-runs extraction on them). See docs/store.md.")
@click.option("--processes", type=click.IntRange(0), default=None, help="Extraction processes (default: one per core).")
@click.option("--threads", type=click.IntRange(1), default=None, help="Pages fetched at once (default 8).")
@click.option("--batch-size", type=click.IntRange(1), default=None,
              help="Articles written per store batch (default 200): a kill loses at most the batch in flight.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Fetch and extract on a Dask distributed cluster; the store is written here.")
@click.option("--every", metavar="INTERVAL", default=None,
              help="Run again every INTERVAL (e.g. 15m, 1h, 1d) until stopped; see docs/operations.md for cron/systemd.")
@click.option("--publish", "publish_to", metavar="URI", default=None,
              help="After each run, mirror the store to URI (s3://, gs://, a path): see `newsmon store publish`.")
def ingest(feeds, url_files, html_dirs, sitemaps, homepages, warcs, sources_file, source_name, store, watchlist,
           allow_hosts, allow_private, per_host, host_delay, refetch, keep_pages, processes, threads, batch_size, no_progress,
           scheduler, every, publish_to) -> None:
    """Collect articles from feeds, URL lists and saved pages into the store.

    Each page is fetched (with timeouts and a size cap), its article text extracted and cleaned, mentions of
    the watchlist's people and topics found, and the result written to the store. URLs already stored are
    not fetched again; a bad page, feed or URL is counted with its reason and the run goes on. Prints a
    summary per source at the end, and the failures by reason and source with their first URLs.

    \b
    Exit status (docs/operations.md): 0 new articles stored; 3 every source failed; 4 some sources failed;
    5 nothing new; 1 the run could not start (bad config, store locked); 2 a usage error.

    \b
    Example:
      newsmon ingest --feed https://www.themoscowtimes.com/rss/news --store data/store
    """
    from ingest.pipeline import format_summary, run_ingest
    from ingest.sources.discover import Source
    from ingest.sources.file import load_sources_file
    from ingest.store.parquet import StoreLocked
    from ingest.summary import Outcome, outcome

    given = [("feed", feeds), ("urls", url_files), ("html-dir", html_dirs), ("sitemap", sitemaps),
             ("homepage", homepages), ("warc", warcs)]
    sources = [Source(kind, location, source_name) for kind, locations in given for location in locations]
    listed = load_sources_file(sources_file) if sources_file else None
    configs = listed.sources if listed else []
    if not sources and not configs:
        raise click.UsageError("give at least one source: --feed, --sitemap, --homepage, --urls, --html-dir, "
                               "--warc or --sources FILE")
    settings = Settings().with_(
        store=store, watchlist=watchlist, allow_private=allow_private or None, refetch=refetch or None,
        keep_pages=keep_pages,
        processes=processes, fetch_threads=threads, progress=False if no_progress else None, scheduler=scheduler,
        allow_hosts=check_allow_hosts(allow_hosts) + (listed.allow_hosts if listed else ()), per_host=per_host,
        host_delay=host_delay, batch_size=batch_size,
    )
    interval = parse_interval(every) if every else None
    if publish_to and not is_remote(publish_to) and Path(publish_to).resolve() == Path(store).resolve():
        raise click.BadParameter("publish to another place than the store itself", param_hint="--publish")
    while True:
        started = time.monotonic()
        due = sources + due_sources(configs, settings.store)
        result = Outcome.NOTHING_NEW
        try:
            if not due:
                raise NothingDue()
            summary = run_ingest(due, settings)
        except NothingDue:
            click.echo("no source is due yet (each waits its interval since its last run)", err=True)
        except StoreLocked as exc:
            if interval is None:
                raise
            click.echo(f"skipped this round: {exc}", err=True)
        else:
            click.echo(format_summary(summary))
            warn_silent(settings.store)
            if publish_to:
                publish_after_run(settings.store, publish_to, fatal=interval is None)
            for hook in AFTER_RUN:
                hook(settings.store)
            result = outcome(summary)
        if interval is None:
            if result != Outcome.STORED:
                raise click.exceptions.Exit(int(result))
            return
        pause = max(0.0, interval - (time.monotonic() - started))
        click.echo(f"next run in {pause:.0f}s (Ctrl-C stops)", err=True)
        time.sleep(pause)


def check_allow_hosts(entries: tuple[str, ...], option: str = "--allow-host") -> tuple[str, ...]:
    """The --allow-host entries, each checked (a bad one is a usage error naming it)."""
    from ingest.fetch.http import parse_allowed

    for entry in entries:
        try:
            parse_allowed(entry)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=option) from exc
    return tuple(entries)


def parse_interval(text: str, option: str = "--every") -> float:
    """'15m' -> 900.0 (units s, m, h, d, combinable: 1h30m); at least a minute."""
    from ingest.sources.file import parse_interval as seconds_in

    try:
        seconds = seconds_in(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
    if seconds < 60:
        raise click.BadParameter("the shortest interval is 1m", param_hint=option)
    return float(seconds)


def publish_after_run(store: Path, uri: str, fatal: bool) -> None:
    """`--publish`: mirror the store after a run; in an `--every` loop a failure warns and the loop goes on."""
    from ingest.store.parquet import Store
    from ingest.store.publish import publish_store

    try:
        report = publish_store(Store(store), uri)
    except (OSError, ValueError, ImportError) as exc:
        if fatal:
            raise click.ClickException(f"stored, but cannot publish to {uri}: {exc}") from exc
        click.echo(f"warning: cannot publish to {uri} ({exc}); the next run tries again", err=True)
        return
    click.echo(f"published to {uri}: {report.uploaded} files uploaded, {report.deleted} deleted", err=True)


class NothingDue(Exception):
    pass


def due_sources(configs: list, store: Path) -> list:
    """The sources of a sources file whose interval has passed since their last run (from the run log)."""
    from datetime import UTC, datetime

    from ingest.sources.file import due_sources as due
    from ingest.store.health import source_health
    from ingest.store.parquet import Store

    if not configs:
        return []
    last = {h.source: h.last_run for h in source_health(Store(store))}
    return [c.to_source() for c in due(configs, last, datetime.now(UTC))]


def is_remote(store: str) -> bool:
    """True for a URI with a scheme other than file:// (s3://, gs://, memory://, ...)."""
    return "://" in store and not store.startswith("file://")


def warn_silent(store: Path) -> None:
    from ingest.store.health import silent_sources
    from ingest.store.parquet import Store

    for h in silent_sources(Store(store)):
        click.echo(f"warning: {h.source} has stored nothing since {h.last_stored:%Y-%m-%d %H:%M} UTC "
                   f"({h.failures_last_run} failures in its last run)", err=True)


# Commands that live beside their stage's module.
from ingest.cli.extract import clean_cmd, clean_text_cmd, extract_cmd  # noqa: E402
from ingest.cli.mentions import mentions as mentions_group  # noqa: E402
from ingest.cli.sources import sources as sources_group  # noqa: E402
from ingest.cli.store import store_group  # noqa: E402

main.add_command(store_group)
main.add_command(extract_cmd)
main.add_command(clean_text_cmd)
main.add_command(clean_cmd)
main.add_command(sources_group)
main.add_command(mentions_group)

if __name__ == "__main__":
    main()
