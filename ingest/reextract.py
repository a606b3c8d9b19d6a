"""`newsmon clean --reextract`: run today's extraction again on the pages the store kept, and bring the articles
and their mentions up to it in one atomic change. Nothing is fetched.

For each stored article:

- with a kept page (STORE/pages/, ingest/store/pages.py): `extract_article` runs again on the kept response with
  what the ingest knew (its URL, the feed entry's time, the fetch time, the source's declared language and its
  learnt boilerplate). Title, text, authors, publication time (with its offset and provenance) and language
  take the new values; id, URL, source, fetch time and story stay. A page that now gives no article keeps its
  row as it was (re-cleaned) and is counted with the reason;
- without one (stored before pages were kept, or with `--no-keep-pages`): its text is re-cleaned as `newsmon
  clean` does (ingest/extract/reclean.py).

Mentions of an article whose title or text changed are recomputed with the current watchlist through the
recount machinery (`ingest.mentions.recount.mentions_for_table`); the others keep theirs, with the publication
time they copy from the article updated. Both tables are built as new generations and swapped together under the
store's write lock (`StoreWriter.swap_generations`, ingest/store/generations.py): a kill at any moment leaves the store as it was
or as it is after the change, never articles without their mentions.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.extract.boilerplate import SiteBoilerplate
from ingest.extract.reclean import MIN_BODY_CHARS, learn_store_boilerplate, reclean_text
from ingest.mentions.matcher import Matcher
from ingest.mentions.recount import articles_files, mentions_for_table
from ingest.mentions.watchlist import Watchlist
from ingest.records import Extracted, Failure
from ingest.store.generations import conform
from ingest.store.pages import KeptPage, index_pages, read_page
from ingest.store.parquet import ARTICLES_SCHEMA, MENTIONS_SCHEMA, Store, StoreError, content_hash

_UPDATED = ("title", "text", "authors", "published_at", "published_source", "published_offset_min", "language")


@dataclass
class ReextractSummary:
    articles: int = 0
    files: int = 0
    files_changed: int = 0
    kept_pages: int = 0  # articles with a kept page, re-extracted
    no_article: Counter = field(default_factory=Counter)  # reason -> kept pages that now give no article
    dates: int = 0  # articles whose publication time, offset or provenance changed
    texts: int = 0
    languages: int = 0
    titles: int = 0
    recleaned: int = 0  # articles without a kept page whose text the re-cleaning changed
    mentions_recounted: int = 0  # articles whose mentions were recomputed
    mentions_before: int = 0
    mentions_after: int = 0
    upgraded: int = 0  # files written before a column existed, rewritten with every column
    dry_run: bool = False


def _reextract_one(page: KeptPage, boilerplate: SiteBoilerplate | None) -> dict | Failure:
    """One kept page through today's extraction (runs in a worker process)."""
    from ingest.extract.article import extract_article
    from ingest.extract.language import choose_language

    data = read_page(page)
    if data is None:
        return Failure("page-unreadable", str(page.path))
    feed = page.meta.get("feed_published")
    result = extract_article(data.body, data.url, feed_published=datetime.fromisoformat(feed) if feed else None,
                             fetched_at=data.fetched_at, boilerplate=boilerplate, encoding=data.encoding)
    if isinstance(result, Failure):
        return result
    assert isinstance(result, Extracted)
    return {
        "title": result.title, "text": result.text, "authors": list(result.authors),
        "published_at": result.published_at, "published_source": result.published_source,
        "published_offset_min": result.published_offset_min,
        # as the ingest's worker does: the page's choice weighed against the source's declared language
        "language": choose_language(result.text, result.language, page.meta.get("language")).language,
    }


def _same_time(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a == b


def reextract_store(root: Path | str, watchlist: Watchlist, *, processes: int | None = None, dry_run: bool = False,
                    wait: bool = False) -> ReextractSummary:
    """Re-extract every kept page of the store at `root` and re-clean the rest (see the module docstring)."""
    store = Store(Path(root))
    if not store.exists():
        raise StoreError(f"no store at {store.root} (run `newsmon ingest` first)")
    summary = ReextractSummary(dry_run=dry_run)
    matcher = Matcher(watchlist)
    workers = (os.cpu_count() or 1) if processes is None else processes
    with store.writer(wait=wait) as writer:
        learnt = learn_store_boilerplate(store, save=not dry_run)
        kept = index_pages(store.root)
        new_articles: dict[str, pa.Table | Path] = {}
        new_mentions: dict[str, pa.Table | Path] = {}
        pool = ProcessPoolExecutor(workers) if workers > 0 else None
        try:
            for path in articles_files(store):
                summary.files += 1
                table = conform(pq.read_table(path), ARTICLES_SCHEMA)
                mentions_path = store.mentions_dir / path.name
                changed = _reextract_table(table, kept, learnt, pool, summary)
                # a file of an older store lacks a column: the swap below rewrites it with every column
                summary.upgraded += bool(set(ARTICLES_SCHEMA.names) - set(pq.read_schema(path).names))
                if changed is None:
                    new_articles[path.name] = path
                    if mentions_path.exists():
                        new_mentions[path.name] = mentions_path
                        summary.mentions_before += pq.read_metadata(mentions_path).num_rows
                        summary.mentions_after += pq.read_metadata(mentions_path).num_rows
                    continue
                summary.files_changed += 1
                new_table, recount_ids = changed
                new_articles[path.name] = new_table
                old = (conform(pq.read_table(mentions_path), MENTIONS_SCHEMA) if mentions_path.exists()
                       else MENTIONS_SCHEMA.empty_table())
                summary.mentions_before += old.num_rows
                mentions = _new_mentions(old, new_table, recount_ids, matcher, watchlist.version)
                summary.mentions_recounted += len(recount_ids)
                summary.mentions_after += mentions.num_rows
                new_mentions[path.name] = mentions
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if (summary.files_changed or summary.upgraded) and not dry_run:
            writer.swap_generations({"mentions": new_mentions, "articles": new_articles})
    return summary


def _reextract_table(table: pa.Table, kept: dict[str, KeptPage], learnt: dict[str, SiteBoilerplate],
                     pool: ProcessPoolExecutor | None, summary: ReextractSummary) -> tuple[pa.Table, set[str]] | None:
    """The articles table with today's extraction, and the ids whose mentions need recomputing; None if unchanged."""
    rows = table.to_pylist()
    summary.articles += len(rows)
    jobs = [(i, kept[row["id"]], learnt.get(row["source"] or "")) for i, row in enumerate(rows) if row["id"] in kept]
    if pool is not None:
        results = pool.map(_reextract_one, [j[1] for j in jobs], [j[2] for j in jobs], chunksize=8)
    else:
        results = map(_reextract_one, [j[1] for j in jobs], [j[2] for j in jobs])
    fresh = {i: result for (i, _, _), result in zip(jobs, results, strict=True)}
    recount: set[str] = set()
    any_change = False
    for i, row in enumerate(rows):
        new = fresh.get(i)
        failed = isinstance(new, Failure)
        if failed:
            summary.no_article[new.reason] += 1
            new = None
        if new is None:
            if i not in fresh or failed:  # no kept page, or no article from it: re-cleaned as `newsmon clean` does
                text = reclean_text(row["text"] or "", learnt.get(row["source"] or ""))
                if text != (row["text"] or "") and len(text) >= MIN_BODY_CHARS:
                    summary.recleaned += 1
                    new = {"text": text}
            if new is None:
                continue
        else:
            summary.kept_pages += 1
        update = {k: v for k, v in new.items() if k in _UPDATED}
        dates = not (_same_time(update.get("published_at", row["published_at"]), row["published_at"])
                     and update.get("published_offset_min", row["published_offset_min"]) == row["published_offset_min"]
                     and update.get("published_source", row["published_source"]) == row["published_source"])
        text_changed = update.get("text", row["text"]) != row["text"]
        title_changed = update.get("title", row["title"]) != row["title"]
        lang_changed = update.get("language", row["language"]) != row["language"]
        others = update.get("authors", row["authors"]) != row["authors"]
        summary.dates += dates
        summary.texts += text_changed
        summary.titles += title_changed
        summary.languages += lang_changed
        if text_changed or title_changed:
            recount.add(row["id"])
        if dates or text_changed or title_changed or lang_changed or others:
            any_change = True
            row.update(update)
            row["content_hash"] = content_hash(row["text"] or "")
    if not any_change:
        return None
    return pa.Table.from_pylist(rows, schema=ARTICLES_SCHEMA), recount


def _new_mentions(old: pa.Table, articles: pa.Table, recount: set[str], matcher: Matcher,
                  watchlist_version: str) -> pa.Table:
    """Old mentions of the articles whose title and text stayed (their publication time refreshed), and the
    recomputed mentions of the others."""
    ids = pa.array(sorted(recount), pa.string())
    keep = old.filter(pc.invert(pc.is_in(old.column("article_id"), value_set=ids)))
    published = dict(zip(articles.column("id").to_pylist(), articles.column("published_at").to_pylist(), strict=True))
    keep = keep.set_column(keep.schema.get_field_index("published_at"), "published_at",
                           pa.array([published.get(a) for a in keep.column("article_id").to_pylist()],
                                    MENTIONS_SCHEMA.field("published_at").type))
    changed = articles.filter(pc.is_in(articles.column("id"), value_set=ids))
    fresh = mentions_for_table(changed, matcher, watchlist_version)
    return pa.concat_tables([keep, conform(fresh, MENTIONS_SCHEMA)])


def format_reextract(summary: ReextractSummary) -> str:
    verb = "would change" if summary.dry_run else "changed"
    lines = [f"{summary.articles} articles in {summary.files} files; {summary.kept_pages} re-extracted from their "
             f"kept pages, the others re-cleaned",
             f"{verb}: {summary.dates} dates, {summary.texts} texts, {summary.languages} languages, "
             f"{summary.titles} titles ({summary.recleaned} of the texts re-cleaned without a kept page) "
             f"in {summary.files_changed} files"]
    if summary.no_article:
        lines.append("kept as they were, no article on re-extraction: "
                     + ", ".join(f"{reason} {n}" for reason, n in summary.no_article.most_common()))
    if summary.upgraded:
        lines.append(f"{summary.upgraded} articles files of an older store rewritten with every column")
    lines.append(f"mentions: {summary.mentions_recounted} articles recounted with the current watchlist; "
                 f"{summary.mentions_before} mentions before, {summary.mentions_after} after")
    return "\n".join(lines)
