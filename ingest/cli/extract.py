"""`newsmon extract`, `newsmon clean-text`, `newsmon clean`: the extraction stage from the command line.

A thin click layer: each command reads its input, calls one plain function (`extract_article`, `clean_text`,
`reclean_store`) and prints the result. `extract` runs exactly the code the ingest runs, so anyone can check
what a saved page turns into.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


def _pages(paths: tuple[Path, ...]) -> list[Path]:
    """The given files, and the HTML files inside the given folders (recursively, sorted)."""
    pages: list[Path] = []
    for path in paths:
        if path.is_dir():
            pages.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in HTML_SUFFIXES))
        else:
            pages.append(path)
    return pages


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


@click.command("extract")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", default=None, metavar="URL",
              help="The page's address (used for its date and site); only with a single page. "
                   "Default: the file's file:// URI.")
@click.option("--jsonl", is_flag=True, help="One JSON object per page: path, url, title, authors, published, "
                                            "published_source, language, text (or error and detail).")
def extract_cmd(paths: tuple[Path, ...], url: str | None, jsonl: bool) -> None:
    """Print the cleaned article body of each saved page (or of every .html page in a folder).

    Runs the same extraction as `newsmon ingest`. A page that yields no article is reported with its reason
    (on stderr, or as an "error" field with --jsonl), and the exit code is 1.
    """
    from ingest.extract.article import extract_article
    from ingest.records import Failure

    pages = _pages(paths)
    if not pages:
        raise click.ClickException("no .html pages found in " + ", ".join(str(p) for p in paths))
    if url and len(pages) > 1:
        raise click.UsageError("--url names one page's address; give a single page with it")
    failed = 0
    for i, path in enumerate(pages):
        page_url = url or path.resolve().as_uri()
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
        result = extract_article(body, page_url, fetched_at=datetime.fromtimestamp(path.stat().st_mtime, UTC))
        if isinstance(result, Failure):
            failed += 1
            if jsonl:
                click.echo(json.dumps({"path": str(path), "url": page_url, "error": result.reason,
                                       "detail": result.detail}, ensure_ascii=False))
            else:
                click.echo(f"{path}: no article ({result.reason}: {result.detail})", err=True)
            continue
        if jsonl:
            click.echo(json.dumps({
                "path": str(path), "url": page_url, "title": result.title, "authors": list(result.authors),
                "published": _iso(result.published_at), "published_source": result.published_source,
                "language": result.language, "text": result.text,
            }, ensure_ascii=False))
        else:
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
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@click.option("--wait", is_flag=True, help="Wait for a running ingest to release the store instead of failing.")
def clean_cmd(store: Path, dry_run: bool, wait: bool) -> None:
    """Re-clean the stored articles with the current rules and each source's learnt boilerplate.

    Learns every source's recurring furniture from its stored texts (remembered in STORE/boilerplate/),
    removes it and the rule-matched furniture from every stored text, and swaps the rewritten articles
    files in atomically (same files, same ids). Mentions then need `newsmon mentions recount`.
    """
    from ingest.extract.reclean import format_reclean, reclean_store
    from ingest.store.parquet import Store

    if not Store(store).exists():
        raise click.ClickException(f"no store at {store} (run `newsmon ingest` first)")
    click.echo(format_reclean(reclean_store(store, dry_run=dry_run, wait=wait)))
