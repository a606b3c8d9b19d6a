"""`newsmon clean`: re-clean the stored articles with the current furniture rules and learnt boilerplate.

Stored texts predate what the store has since learnt about each source (the first pages of a new source are
stored before its donation appeal has been seen often enough to be learnt), and older extraction versions
kept furniture that the rules now catch. This re-run:

1. learns each source's boilerplate from all its stored texts, united with its sidecar memory
   (`ingest.extract.boilerplate`), and saves the sidecars;
2. re-cleans every stored text (`ingest.extract.clean.clean_paragraphs`); a text that would become shorter than an
   article (`ingest.extract.article.MIN_BODY_CHARS`) is kept as it was and counted, never emptied;
3. writes the changed articles files as a new generation of the `articles` table, same file names, same
   ids and every other column unchanged (`content_hash` recomputed), and swaps it in atomically under the
   store's write lock (`StoreWriter.swap_generation`): readers see the old table or the new one.

Mention spans point into the old texts, so after a change the mentions need a recount
(`newsmon mentions recount`); `RecleanSummary.needs_recount` says so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.extract.boilerplate import (
    BoilerplateLearner,
    SiteBoilerplate,
    load_boilerplate,
    save_boilerplate,
)
from ingest.extract.clean import clean_paragraphs
from ingest.store.parquet import SCHEMA_FILE, Store, content_hash

MIN_BODY_CHARS = 120  # the same floor as ingest.extract.article (not imported: this module need not load the extractors)


@dataclass
class RecleanSummary:
    files: int = 0  # articles files read
    files_changed: int = 0
    articles: int = 0
    changed: int = 0  # articles whose text changed
    paragraphs_removed: int = 0
    kept_too_short: int = 0  # articles left as they were because cleaning would leave too little
    changed_by_source: Counter = field(default_factory=Counter)
    learnt_by_source: dict = field(default_factory=dict)  # source -> number of learnt boilerplate lines
    dry_run: bool = False

    @property
    def needs_recount(self) -> bool:
        return self.changed > 0 and not self.dry_run


def _article_files(store: Store) -> list[Path]:
    return sorted(p for p in store.articles_dir.glob("part-*.parquet") if p.name != SCHEMA_FILE)


LEARN_PAGES = 1000  # recent pages per source to learn from; the sidecar remembers what older pages taught


def learn_store_boilerplate(store: Store, save: bool = True, max_pages: int = LEARN_PAGES) -> dict[str, SiteBoilerplate]:
    """Each source's boilerplate, learnt from its most recent stored texts (at most `max_pages` a source) and
    united with its sidecar (which is saved if `save`).

    Reads the store one file at a time, newest first, two columns; memory grows with distinct paragraphs.
    The ingest can call this at the start of a run (under the writer lock) and pass each source's result to
    `extract_article(..., boilerplate=...)`. Learning costs ~0.15 ms a text (20 paragraphs) on the dev machine."""
    learners: dict[str, BoilerplateLearner] = defaultdict(BoilerplateLearner)
    for path in reversed(_article_files(store)):  # batch files are named by time: newest first
        table = pq.read_table(path, columns=["source", "text"])
        for source, text in zip(table.column("source").to_pylist(), table.column("text").to_pylist(), strict=True):
            learner = learners[source or ""]
            if learner.pages < max_pages:
                learner.add(text or "")
    learnt = {}
    for source, learner in learners.items():
        boilerplate = learner.result().union(load_boilerplate(store.root, source))
        if save:
            save_boilerplate(store.root, source, boilerplate)
        learnt[source] = boilerplate
    return learnt


def reclean_text(text: str, boilerplate: SiteBoilerplate | None) -> str:
    """A stored text re-cleaned: furniture and the source's boilerplate dropped, paragraphs kept in order."""
    return "\n\n".join(clean_paragraphs(text.split("\n\n"), boilerplate))


def reclean_store(root: Path, *, dry_run: bool = False, wait: bool = False) -> RecleanSummary:
    """Re-clean every stored article (see the module docstring); `dry_run` only counts."""
    store = Store(Path(root))
    summary = RecleanSummary(dry_run=dry_run)
    with store.writer(wait=wait) as writer:
        learnt = learn_store_boilerplate(store, save=not dry_run)
        summary.learnt_by_source = {s: len(b) for s, b in learnt.items()}
        files: dict[str, pa.Table | Path] = {}
        for path in _article_files(store):
            summary.files += 1
            table = pq.read_table(path)
            texts = table.column("text").to_pylist()
            sources = table.column("source").to_pylist()
            new_texts = []
            for source, text in zip(sources, texts, strict=True):
                summary.articles += 1
                text = text or ""
                new = reclean_text(text, learnt.get(source or ""))
                if new == text:
                    new_texts.append(text)
                    continue
                if len(new) < MIN_BODY_CHARS:
                    summary.kept_too_short += 1
                    new_texts.append(text)
                    continue
                summary.changed += 1
                summary.changed_by_source[source] += 1
                summary.paragraphs_removed += text.count("\n\n") - new.count("\n\n")
                new_texts.append(new)
            if new_texts == texts:
                files[path.name] = path  # unchanged: hard-linked into the new generation
                continue
            summary.files_changed += 1
            table = table.set_column(table.schema.get_field_index("text"), "text", pa.array(new_texts, pa.string()))
            hashes = pa.array([content_hash(t) for t in new_texts], pa.string())
            files[path.name] = table.set_column(table.schema.get_field_index("content_hash"), "content_hash", hashes)
        if summary.files_changed and not dry_run:
            writer.swap_generation("articles", files)
    return summary


def format_reclean(summary: RecleanSummary) -> str:
    verb = "would change" if summary.dry_run else "changed"
    lines = [f"{summary.articles} articles in {summary.files} files: {verb} {summary.changed} "
             f"({summary.paragraphs_removed} paragraphs removed) in {summary.files_changed} files"]
    if summary.kept_too_short:
        lines.append(f"{summary.kept_too_short} articles kept as they were: cleaning would leave too little text")
    for source, n in summary.changed_by_source.most_common():
        lines.append(f"  {source}: {n} changed, {summary.learnt_by_source.get(source, 0)} boilerplate lines learnt")
    if summary.needs_recount:
        lines.append("mention spans now point into old texts: run `newsmon mentions recount`")
    return "\n".join(lines)
