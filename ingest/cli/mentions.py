"""`newsmon mentions ...`: find mentions in text files, recount the store, discover names not on the watchlist.

A thin click layer: each command parses its options, calls one plain function (Matcher.find, recount, discover_names)
and prints the result. Named errors (WatchlistError, StoreError) become one line and exit code 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ingest.mentions.watchlist import WatchlistError, load_watchlist
from ingest.store.parquet import StoreError

_STORE = click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/store"),
    show_default=True,
    help="Directory of the Parquet store.",
)
_WATCHLIST = click.option(
    "--watchlist",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Watchlist TOML file of people and topics (default: the packaged one).",
)


def _load(watchlist: Path | None):
    try:
        return load_watchlist(watchlist)
    except WatchlistError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("mentions")
def mentions() -> None:
    """Find, recount and discover mentions of people and topics."""


@mentions.command("find")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path)
)
@_WATCHLIST
@click.option("--jsonl", is_flag=True, help="One JSON object per mention instead of aligned text.")
def find(paths: tuple[Path, ...], watchlist: Path | None, jsonl: bool) -> None:
    """Print the mentions found in plain-text files (- reads standard input).

    Each file is read as UTF-8 article body text and matched with the same matcher as the ingest. Each mention shows
    the file, entity id, kind, character span, matched text and the rule that made it count.
    """
    from ingest.mentions.matcher import Matcher

    wl = _load(watchlist)
    matcher = Matcher(wl)
    total = 0
    for path in paths:
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: cannot read as UTF-8 text: {exc}") from exc
        for m in matcher.find("", text):
            total += 1
            if jsonl:
                row = {
                    "file": str(path),
                    "entity_id": m.entity_id,
                    "kind": m.kind,
                    "start": m.start,
                    "end": m.end,
                    "matched": m.matched,
                    "rule": m.rule,
                }
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{path}:{m.start}-{m.end}\t{m.entity_id}\t{m.kind}\t{m.rule}\t{m.matched!r}")
    click.echo(
        f"{total} mentions in {len(paths)} file(s); watchlist {wl.version} ({wl.path}, people as of {wl.as_of or '?'})",
        err=True,
    )


@mentions.command("recount")
@_STORE
@_WATCHLIST
@click.option(
    "--processes", type=int, default=None, help="Worker processes (default: one per core; 0: none)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def recount_cmd(store: Path, watchlist: Path | None, processes: int | None, no_progress: bool) -> None:
    """Recompute every stored mention from the stored text with the (new) watchlist. Nothing is refetched.

    The new mentions are swapped in atomically with the watchlist's version; the dashboard meanwhile shows the old
    counts. The store is locked against ingest runs while the recount works.
    """
    from tqdm import tqdm

    from ingest.mentions.recount import recount
    from ingest.store.parquet import Store

    wl = _load(watchlist)
    if not Store(store).exists():
        raise click.ClickException(f"no store at {store} (run `newsmon ingest` first)")
    bar = None if no_progress else tqdm(unit="file", desc="recount", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        report = recount(store, wl, processes=processes, progress=progress)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.close()
    click.echo(
        f"recounted {report.articles} articles in {report.files} files: {report.mentions} mentions "
        f"with watchlist {report.watchlist_version} in {report.seconds:.1f} s"
    )


@mentions.command("discover")
@_STORE
@_WATCHLIST
@click.option("--since", default=None, metavar="DATE", help="First day (YYYY-MM-DD, UTC) of the window.")
@click.option("--until", default=None, metavar="DATE", help="Last day (inclusive) of the window.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Names to list.")
@click.option("--jsonl", is_flag=True, help="One JSON object per name.")
def discover_cmd(
    store: Path, watchlist: Path | None, since: str | None, until: str | None, limit: int, jsonl: bool
):
    """List the most-mentioned person names that are not on the watchlist, with example sentences.

    A heuristic (docs/watchlist.md, "Discovering names"): runs of capitalised words with evidence of being a person
    (a title before, "said" after). Paste the printed TOML into your watchlist and run `newsmon mentions recount`.
    """
    from ingest.mentions.discover import discover_names

    wl = _load(watchlist)
    if not (store / "articles").is_dir():
        raise click.ClickException(f"no store at {store} (run `newsmon ingest` first)")
    try:
        df = discover_names(store, since, until, wl, limit)
    except ValueError as exc:
        raise click.ClickException(f"bad date: {exc} (use YYYY-MM-DD)") from exc
    if df.attrs.get("capped"):
        click.echo(f"note: the window has more articles than the newest {df.attrs['scanned']} read", err=True)
    if df.empty:
        click.echo(f"no names found outside the watchlist in {df.attrs.get('scanned', 0)} articles", err=True)
        return
    for row in df.itertuples(index=False):
        if jsonl:
            click.echo(
                json.dumps(
                    {
                        "name": row.name,
                        "mentions": row.mentions,
                        "articles": row.articles,
                        "first_seen": row.first_seen.isoformat() if row.first_seen is not None else None,
                        "last_seen": row.last_seen.isoformat() if row.last_seen is not None else None,
                        "examples": row.examples,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        click.echo(f"{row.mentions:>6}  {row.articles:>5} articles  {row.name}")
        for example in row.examples:
            click.echo(f"          “{example}”")
