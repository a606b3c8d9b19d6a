"""`newsmon extract`, `newsmon clean-text`, `newsmon clean`: the extraction stage from the command line.

A thin click layer: each command reads its input, calls one plain function (`extract_article`, `clean_text`,
`reclean_store`) and prints the result. `extract` runs exactly the code the ingest runs, so anyone can check
what a saved page turns into.
"""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import click

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
MAX_PAGE_BYTES = 8 * 1024 * 1024  # the ingest's default size cap (Settings.max_bytes), after decompression


def _is_page(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(HTML_SUFFIXES) or name.endswith(tuple(s + ".gz" for s in HTML_SUFFIXES))


def _pages(paths: tuple[Path, ...]) -> list[Path]:
    """The given files, and the HTML files (gzipped or not) inside the given folders (recursively, sorted)."""
    pages: list[Path] = []
    for path in paths:
        if path.is_dir():
            pages.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_page(p)))
        else:
            pages.append(path)
    return pages


def read_list(list_file: Path) -> list[tuple[Path, str | None]]:
    """The (page, URL) pairs of a list file: one "path<TAB>url" a line (the URL may be left out); blank lines and
    lines starting with # are skipped; a relative path is relative to the list file's folder. Every page is
    checked before any is extracted, so a typo stops the command before it prints anything."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the list {list_file}: {exc}") from exc
    pairs = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        path_text, _, url = line.partition("\t")
        path = Path(path_text.strip())
        if not path.is_absolute():
            path = list_file.parent / path
        if not path.is_file():
            raise click.ClickException(f"{list_file}, line {number}: no such file: {path_text.strip()}")
        pairs.append((path, url.strip() or None))
    if not pairs:
        raise click.ClickException(f"no pages listed in {list_file}")
    return pairs


def read_page(path: Path) -> bytes:
    """A saved page's bytes; a gzipped page (.gz, or gzip's magic bytes) is decompressed, up to the size cap."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            if head == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=fh) as gz:
                    return gz.read(MAX_PAGE_BYTES + 1)
            return fh.read()
    except (OSError, EOFError) as exc:
        raise click.ClickException(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def _local(dt: datetime | None, offset_min: int | None) -> str | None:
    """The time in the page's own offset ("2024-08-13T18:05:00+03:00"), or None when the page gave none."""
    if dt is None or offset_min is None:
        return None
    return dt.astimezone(timezone(timedelta(minutes=offset_min))).isoformat()


def page_record(path: Path, url: str, result) -> dict:
    """One JSON line of `newsmon extract --jsonl`: the article, or the reason there is none."""
    from ingest.records import Failure

    if isinstance(result, Failure):
        return {"path": str(path), "url": url, "error": result.reason, "detail": result.detail}
    return {
        "path": str(path), "url": url, "title": result.title, "authors": list(result.authors),
        "published": _iso(result.published_at),
        "published_local": _local(result.published_at, result.published_offset_min),
        "published_source": result.published_source, "language": result.language, "text": result.text,
    }


@click.command("extract")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--url", default=None, metavar="URL",
              help="The page's address (used for its date and site); only with a single page. "
                   "Default: the file's file:// URI.")
@click.option("--list", "list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="A list of saved pages with their addresses: one \"path<TAB>url\" a line "
                                   "(# comments; relative paths from the list's folder). All run in one process.")
@click.option("--jsonl", is_flag=True, help="One JSON object per page: path, url, title, authors, published (UTC), "
                                            "published_local (with the page's own offset, when it gave one), "
                                            "published_source, language, text (or error and detail).")
def extract_cmd(paths: tuple[Path, ...], url: str | None, list_file: Path | None, jsonl: bool) -> None:
    """Print the cleaned article body of each saved page (or of every .html/.html.gz page in a folder).

    Runs the same extraction as `newsmon ingest`. A page that yields no article is reported with its reason
    (on stderr, or as an "error" field with --jsonl), and the exit code is 1.
    """
    from ingest.extract.article import extract_article
    from ingest.records import Failure

    if not paths and list_file is None:
        raise click.UsageError("give saved pages (files or folders) or --list FILE")
    pages: list[tuple[Path, str | None]] = [(p, None) for p in _pages(paths)]
    if list_file is not None:
        if url:
            raise click.UsageError("--url names one page's address; give addresses in the --list file instead")
        pages += read_list(list_file)
    if not pages:
        raise click.ClickException("no .html pages found in " + ", ".join(str(p) for p in paths))
    if url and len(pages) > 1:
        raise click.UsageError("--url names one page's address; give a single page with it")
    failed = 0
    for i, (path, listed_url) in enumerate(pages):
        page_url = listed_url or url or path.resolve().as_uri()
        body = read_page(path)
        result = extract_article(body, page_url, fetched_at=datetime.fromtimestamp(path.stat().st_mtime, UTC))
        if jsonl:
            click.echo(json.dumps(page_record(path, page_url, result), ensure_ascii=False))
            failed += isinstance(result, Failure)
            continue
        if isinstance(result, Failure):
            failed += 1
            click.echo(f"{path}: no article ({result.reason}: {result.detail})", err=True)
            continue
        if len(pages) > 1:
            click.echo(("\n" if i else "") + f"==> {path} <==")
        click.echo(result.text)
    if failed:
        sys.exit(1)


@click.command("clean-text")
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"))
def clean_text_cmd(file) -> None:
    """Clean pasted page text (a browser's select-all copy, boilerplate and all) to the article body.

    FILE is a text file, or - for standard input. Prints the body paragraphs separated by blank lines.
    """
    from ingest.extract.clean import clean_text

    text = clean_text(file.read())
    if not text:
        raise click.ClickException(f"no article text found in {getattr(file, 'name', '-')}")
    click.echo(text)


@click.command("clean")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=Path("data/store"),
              show_default=True, help="Directory of the Parquet store.")
@click.option("--reextract", is_flag=True,
              help="Run today's extraction again on the kept pages (STORE/pages/): dates, texts, titles and "
                   "languages; re-clean the articles without one; recompute the mentions of changed texts.")
@click.option("--watchlist", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="With --reextract: the watchlist for recomputed mentions (default: the packaged one).")
@click.option("--processes", type=click.IntRange(0), default=None,
              help="With --reextract: extraction processes (default: one per core; 0: in this process).")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@click.option("--wait", is_flag=True, help="Wait for a running ingest to release the store instead of failing.")
def clean_cmd(store: Path, reextract: bool, watchlist: Path | None, processes: int | None, dry_run: bool,
              wait: bool) -> None:
    """Re-clean the stored articles with the current rules and each source's learnt boilerplate.

    Learns every source's recurring furniture from its stored texts (remembered in STORE/boilerplate/),
    removes it and the rule-matched furniture from every stored text, and swaps the rewritten articles
    files in atomically (same files, same ids). Mentions then need `newsmon mentions recount`.

    With --reextract, the articles whose page the store kept are extracted again from it instead (same ids),
    and the mentions of every changed text are recomputed in the same atomic change; it prints how many
    dates, texts, languages and titles changed.
    """
    from ingest.store.parquet import Store

    if not Store(store).exists():
        raise click.ClickException(f"no store at {store} (run `newsmon ingest` first)")
    if reextract:
        from ingest.mentions.watchlist import load_watchlist
        from ingest.reextract import format_reextract, reextract_store

        summary = reextract_store(store, load_watchlist(watchlist), processes=processes, dry_run=dry_run, wait=wait)
        click.echo(format_reextract(summary))
        return
    if watchlist or processes is not None:
        raise click.UsageError("--watchlist and --processes go with --reextract")
    from ingest.extract.reclean import format_reclean, reclean_store

    click.echo(format_reclean(reclean_store(store, dry_run=dry_run, wait=wait)))
