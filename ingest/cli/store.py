"""`newsmon store ...`: look after the Parquet store."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.store.parquet import Store

store_option = click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=Path("data/store"),
                            show_default=True, help="Directory of the Parquet store.")


@click.group("store")
def store_group() -> None:
    """Inspect and maintain the Parquet store."""


@store_group.command("info")
@store_option
def info(store: Path) -> None:
    """Row counts, and per source: runs, last stored article, failures in the last run."""
    from ingest.store.health import silent_sources, source_health

    s = Store(store)
    if not s.exists():
        raise click.ClickException(f"no store at {store} (run `newsmon ingest` first)")
    click.echo(f"store {store}: {s.count('articles')} articles, {s.count('mentions')} mentions, {s.count('runs')} run rows")
    click.echo(_compaction_line(s))
    silent = {h.source for h in silent_sources(s)}
    for h in source_health(s):
        last = h.last_stored.strftime("%Y-%m-%d %H:%M") if h.last_stored else "never"
        flag = "  SILENT" if h.source in silent else ""
        click.echo(f"  {h.source[:40]:<40} runs {h.runs:>5}  stored {h.stored_total:>7}  last stored {last}"
                   f"  failed last run {h.failures_last_run}{flag}")


def _compaction_line(s: Store) -> str:
    """Whether `newsmon store compact` would help, and how (from the files' footers)."""
    from ingest.store.compact import pending

    p = pending(s)
    if not p:
        return "compaction: nothing to do"
    parts = []
    if p.merging:
        parts.append(f"{p.merging} articles files would merge into {p.merged}")
    if p.unsorted:
        parts.append(f"{p.unsorted} large file{'s are' if p.unsorted != 1 else ' is'} not laid out by publication "
                     "time (written by an older newsmon), so the dashboard reads all of "
                     f"{'them' if p.unsorted != 1 else 'it'} for one week's texts")
    return "compaction: " + "; ".join(parts) + ". Run `newsmon store compact` (readers keep working)."


@store_group.command("compact")
@store_option
def compact(store: Path) -> None:
    """Merge small files into large ones; readers keep working, every row is kept once."""
    from ingest.store.compact import compact_store

    s = Store(store)
    if not s.exists():
        raise click.ClickException(f"no store at {store}")
    report = compact_store(s)
    for table in report.files_before:
        click.echo(f"{table}: {report.files_before[table]} files -> {report.files_after[table]} "
                   f"({report.rows[table]} rows)")


@store_group.command("publish")
@click.argument("destination", metavar="URI")
@store_option
def publish(destination: str, store: Path) -> None:
    """Mirror the store to URI (s3://bucket/prefix, gs://..., a path, or any fsspec URL), incrementally.

    The copy is plain Parquet (articles/, mentions/, runs/, signatures/) that any Parquet reader reads.
    Credentials come from the usual environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS). See docs/store.md.
    """
    from ingest.store.publish import publish_store

    s = Store(store)
    if not s.exists():
        raise click.ClickException(f"no store at {store}")
    try:
        report = publish_store(s, destination)
    except (OSError, ValueError, ImportError) as exc:
        raise click.ClickException(f"cannot publish to {destination}: {exc}") from exc
    click.echo(f"published to {destination}: {report.uploaded} files uploaded ({report.bytes_uploaded / 1e6:.1f} MB), "
               f"{report.deleted} deleted, {report.unchanged} unchanged")


@store_group.command("pull")
@click.argument("source", metavar="URI")
@click.option("--store", "local", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory of the local read-only replica (created if missing).")
def pull(source: str, local: Path) -> None:
    """Copy a store published at URI into a local read-only replica, incrementally (for the dashboard).

    `newsmon dashboard --store URI` does this by itself; use this command to keep a replica for other readers.
    """
    from ingest.store.replica import ReplicaError, pull_store

    try:
        report = pull_store(source, local)
    except ReplicaError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot pull {source} into {local}: {exc}") from exc
    click.echo(f"pulled {source} into {local}: {report.downloaded} files downloaded "
               f"({report.bytes_downloaded / 1e6:.1f} MB), {report.deleted} deleted, {report.unchanged} unchanged"
               + (f", {report.missing} gone from the bucket meanwhile (next pull fetches their successors)"
                  if report.missing else ""))
