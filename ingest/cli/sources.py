"""`newsmon sources ...`: look at the sources file. `check` tries each source and says what it finds or why not.

Registered in ingest/cli/main.py with `main.add_command(sources)`; the logic is in plain functions below the commands.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from ingest.fetch.http import make_client
from ingest.fetch.politeness import PoliteFetcher, origin
from ingest.settings import Settings
from ingest.sources.discover import Discovery, discover
from ingest.sources.file import (
    SourceConfig,
    SourcesError,
    default_sources_path,
    load_sources,
    load_sources_file,
)

sources_option = click.option(
    "--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
    help="Sources file (TOML, [[source]] entries); default: the packaged list of international outlets.",
)


@click.group()
def sources() -> None:
    """Inspect the sources file: feeds, sitemaps, front pages, URL lists, saved pages, WARC files."""


@sources.command("list", short_help="Print the sources of a sources file, one a line.")
@sources_option
def list_(sources_file: Path | None) -> None:
    """Print each source of the sources file: name, kind, interval, whether enabled, and its URL or path."""
    path = sources_file or default_sources_path()
    try:
        configs = load_sources(path)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    width = max(len(c.name) for c in configs)
    for c in configs:
        state = "on " if c.enabled else "off"
        click.echo(f"{state}  {c.name:<{width}}  {c.kind:<8}  every {format_interval(c.interval):<6}  {c.location}")


def format_interval(seconds: int) -> str:
    """90 -> "1m30s", 5400 -> "1h30m", 86400 -> "1d" (the inverse of parse_interval)."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


@sources.command("check", short_help="Try each source once: what it lists, or why it fails.")
@sources_option
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST[:PORT]",
              help="Allow one private address, network or host name, keeping the guard for the rest (repeatable).")
@click.option("--allow-private", is_flag=True, help="Allow every loopback/private address (local test servers).")
@click.option("--timeout", type=click.FloatRange(1), default=30.0, show_default=True,
              help="Seconds allowed for each source (per request, redirects included).")
@click.option("--all", "include_disabled", is_flag=True, help="Also try sources marked enabled = false.")
def check(sources_file: Path | None, allow_hosts: tuple[str, ...], allow_private: bool, timeout: float,
          include_disabled: bool) -> None:
    """Try each source once and print one line per source: how many articles it lists and the newest date,
    or why it fails. Nothing is stored. Exits 1 when a source fails."""
    from ingest.cli.main import check_allow_hosts

    path = sources_file or default_sources_path()
    try:
        listed = load_sources_file(path)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    configs = listed.sources
    settings = Settings(allow_private=allow_private, deadline=timeout, read_timeout=min(20.0, timeout),
                        connect_timeout=min(10.0, timeout), progress=False,
                        allow_hosts=check_allow_hosts(allow_hosts) + listed.allow_hosts)
    click.echo(f"checking {len(configs)} sources from {path}")
    results = check_sources(configs, settings, include_disabled)
    width = max(len(c.name) for c in configs)
    for config, found in results:
        click.echo(describe_check(config, found, width))
    tried = [f for _, f in results if f is not None]
    failed = sum(not source_ok(f) for f in tried)
    click.echo(f"{len(tried)} tried: {len(tried) - failed} ok, {failed} failed"
               + (f"; {len(results) - len(tried)} disabled" if len(results) > len(tried) else ""))
    if failed:
        raise click.exceptions.Exit(1)


def check_sources(configs: list[SourceConfig], settings: Settings,
                  include_disabled: bool = False) -> list[tuple[SourceConfig, Discovery | None]]:
    """Discover every (enabled) source, a few at a time; None for a disabled one. Order is the file's.
    One `PoliteFetcher` serves them all: robots.txt once per host, the per-host limit and delay across sources."""
    todo = [c for c in configs if c.enabled or include_disabled]
    with make_client(settings) as client, ThreadPoolExecutor(max(1, min(8, len(todo)))) as pool:
        fetcher = PoliteFetcher(client, settings)
        for c in todo:
            fetcher.set_policy(origin(c.location), c.per_host, c.host_delay)
        found = dict(zip([c.name for c in todo],
                         pool.map(lambda c: discover(c.to_source(), fetcher, settings), todo), strict=True))
    return [(c, found.get(c.name)) for c in configs]


def source_ok(found: Discovery) -> bool:
    return bool(found.candidates) or found.not_modified or not found.failures


def describe_check(config: SourceConfig, found: Discovery | None, width: int = 30) -> str:
    """One line: state, name, kind, then what was found (count, newest date, bad entries) or why it failed."""
    head = f"{config.name:<{width}}  {config.kind:<8}"
    if found is None:
        return f"off   {head}  disabled"
    reasons = Counter(f.reason for f in found.failures)
    if not source_ok(found):
        first = found.failures[0]
        more = f" (+{len(found.failures) - 1} more)" if len(found.failures) > 1 else ""
        return f"FAIL  {head}  {first.reason}: {first.detail}{more}"
    dates = [c.feed_published for c in found.candidates if c.feed_published]
    n = len(found.candidates)
    text = f"{n} article{'s' if n != 1 else ''}"
    if dates:
        text += f", newest {max(dates):%Y-%m-%d %H:%M} UTC"
    if reasons:
        text += "; skipped " + ", ".join(f"{n} {r}" for r, n in reasons.most_common())
    if not found.candidates:
        text = "no articles listed" + (f"; {text}" if reasons else "")
    if found.note:
        text += f" ({found.note})"
    return f"ok    {head}  {text}"
