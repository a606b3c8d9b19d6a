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
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--list",
    "list_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A file of paths, one a line (after a tab, the rest of a line is ignored); relative to the list's folder.",
)
@_WATCHLIST
@click.option("--jsonl", is_flag=True, help="One JSON object per mention instead of aligned text.")
@click.option("--language", default=None, metavar="CODE", help="The texts' language (ISO 639-1); default: detected.")
@click.option("--explain", "explain_id", default=None, metavar="ID", help="Show what is derived for one entry.")
def find(
    paths: tuple[Path, ...],
    list_file: Path | None,
    watchlist: Path | None,
    jsonl: bool,
    language: str | None,
    explain_id: str | None,
) -> None:
    """Print the mentions found in plain-text files or folders of them (- reads standard input).

    Each file is read as UTF-8 article body text and matched with the same matcher as the ingest. Each mention shows
    the file, entity id, kind, character span, matched text and the rule that made it count. Every path is checked
    before anything is printed. --explain ID prints the forms newsmon derives for that entry (and needs no path).
    """
    from ingest.mentions.matcher import Matcher

    wl = _load(watchlist)
    if explain_id is not None:
        _explain(wl, explain_id)
        if not paths and list_file is None:
            return
    files = _collect(paths, list_file)
    if not files:
        raise click.ClickException("no text to read: give files, folders, - (standard input) or --list FILE")
    texts = []
    for path in files:  # read everything first: a bad file stops the command before any output
        try:
            texts.append(sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: cannot read as UTF-8 text: {exc}") from exc
    matcher = Matcher(wl)
    total = 0
    for path, text in zip(files, texts, strict=True):
        for m in matcher.find("", text, language):
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
        f"{_plural(total, 'mention')} in {_plural(len(files), 'file')}; watchlist {wl.version} ({wl.path}, "
        f"people as of {wl.as_of or '?'})",
        err=True,
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _collect(paths: tuple[Path, ...], list_file: Path | None) -> list[Path]:
    """The files to read: each path, every file under each folder (sorted, hidden ones skipped), the list's paths."""
    given = list(paths)
    if list_file is not None:
        try:
            lines = list_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{list_file}: cannot read the list: {exc}") from exc
        for line in lines:
            entry = line.split("\t", 1)[0].strip()
            if entry and not entry.startswith("#"):
                p = Path(entry)
                given.append(p if p.is_absolute() else list_file.parent / p)
    files: list[Path] = []
    for p in given:
        if str(p) == "-":
            files.append(p)
        elif p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            files += found
        elif p.is_file():
            files.append(p)
        else:
            where = f" (listed in {list_file})" if list_file is not None and p not in paths else ""
            raise click.ClickException(f"{p}: no such file or folder{where}")
    return files


def _explain(wl, entity_id: str) -> None:
    """What the matcher derives for one entry, one fact a line."""
    from ingest.mentions.aliases import is_acronym
    from ingest.mentions.derive import derive, name_data

    person = next((p for p in wl.people if p.id == entity_id), None)
    if person is None:
        known = ", ".join(p.id for p in wl.people[:8])
        raise click.ClickException(f"no person with id {entity_id!r} in {wl.path} (people: {known}, ...)")
    d = derive(person)
    click.echo(f"{person.id}: {person.name}")
    acronyms = [a for a in person.aliases if is_acronym(a)]
    plain = [a for a in person.aliases if a not in acronyms]
    click.echo(f"  counted wherever they stand (rule alias), unless an institution word follows: {', '.join(plain)}")
    if acronyms:
        click.echo(f"  acronyms (as written, where the article shows the person): {', '.join(acronyms)}")
    for note in d.notes:
        click.echo(f"  {note}")
    if d.given:
        click.echo(f"  given names (with the family name: a full name): {', '.join(sorted(d.given_forms))}")
    forms = [f for f, tag in d.family_forms.items() if tag == "surname"]
    spellings = [f for f, tag in d.family_forms.items() if tag == "transliteration"]
    if forms:
        click.echo(f"  family-name forms (licensed, see docs/watchlist.md): {', '.join(forms)}")
    if spellings:
        click.echo(f"  other spellings (rule transliteration): {', '.join(spellings)}")
    if d.family_keys:
        click.echo(f"  other scripts: Cyrillic and Greek words with the sound key of {', '.join(d.family)}, case endings included")
    if d.family_first:
        click.echo("  the family name alone counts only with a licence (a full name or a title in the article)")
    titles = name_data()["titles"]
    click.echo(f"  titles before the family name: {sum(len(t) for t in titles.values())} in {len(titles)} languages")
    for label, values in (("short", person.short), ("titles", person.titles), ("cues", person.cues),
                          ("exclude", person.exclude)):
        if values:
            click.echo(f"  {label} (by hand): {', '.join(values)}")


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
        f"recounted {_plural(report.articles, 'article')} in {_plural(report.files, 'file')}: "
        f"{_plural(report.mentions, 'mention')} with watchlist {report.watchlist_version} in {report.seconds:.1f} s"
    )
    if report.rules:
        click.echo("rules now: " + ", ".join(f"{r} {n:,}" for r, n in sorted(report.rules.items())))
    if report.previous_rules:
        click.echo("rules before: " + ", ".join(f"{r} {n:,}" for r, n in sorted(report.previous_rules.items())))


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
