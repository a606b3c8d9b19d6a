"""The per-page work that runs in extraction processes: extract the article, find its mentions, and (for the
ingest) compute its story signature, so the main process only compares signatures.

Module-level state is one Matcher per process, built by `init_worker` (a process pool initializer), so a
page's task carries only its own bytes.
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from urllib.parse import urlsplit

import numpy as np

from ingest.extract.article import extract_article
from ingest.extract.language import choose_language
from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import load_watchlist
from ingest.records import Article, Candidate, Failure
from ingest.sources.urls import canonical_url
from ingest.store.pages import page_records
from ingest.store.parquet import article_id, content_hash
from ingest.store.stories import NO_SIGNATURE, signature

_matcher: Matcher | None = None


def init_worker(watchlist_path: str | None, pool: bool = False) -> None:
    """Build this process's Matcher. In a pool's process (`pool=True`, a forked child), everything inherited from
    the parent is also moved out of the garbage collector's reach (`gc.freeze`): collections would otherwise walk
    the parent's objects again and again (and copy the memory pages they touch). On the ingest benchmark's pages
    the collector's time went from 1.6 to 1.1 ms a page (300 pages, one process, a busy machine)."""
    global _matcher
    _matcher = Matcher(load_watchlist(watchlist_path))
    if pool:
        gc.freeze()


def process_page(candidate: Candidate, body: bytes, final_url: str, encoding: str | None,
                 fetched_at: datetime, boilerplate=None, keep: tuple | None = None) -> Article | Failure:
    """One fetched page → a stored-to-be Article with its mentions, or a Failure with a reason.

    `keep` = (status, content type, ETag, Last-Modified) of the response: the article then carries the page as
    compressed WARC records (`Article.kept_page`, ingest/store/pages.py), compressed here rather than in the
    run's single main process."""
    assert _matcher is not None, "init_worker() was not called in this process"
    extracted = extract_article(
        body, final_url, feed_published=candidate.feed_published, fetched_at=fetched_at,
        boilerplate=boilerplate, encoding=encoding,
    )
    if isinstance(extracted, Failure):
        return extracted
    url = canonical_url(_trusted_canonical(extracted.canonical_url, final_url))
    mentions = _matcher.find(extracted.title, extracted.text, extracted.language)
    kept = b""
    if keep is not None:
        status, content_type, etag, last_modified = keep
        kept = page_records(article_id=article_id(url), url=candidate.url, final_url=final_url, body=body,
                            status=status, content_type=content_type, encoding=encoding, fetched_at=fetched_at,
                            source=candidate.source, feed_published=candidate.feed_published,
                            feed_title=candidate.feed_title, language=candidate.language, etag=etag,
                            last_modified=last_modified)
    return Article(
        id=article_id(url),
        url=url,
        source=candidate.source,
        title=extracted.title,
        text=extracted.text,
        content_hash=content_hash(extracted.text),
        fetched_at=fetched_at.astimezone(UTC),
        published_at=extracted.published_at,
        published_source=extracted.published_source,
        published_offset_min=extracted.published_offset_min,
        authors=tuple(extracted.authors),
        # the page's choice (detection, else its <html lang>) weighed against the source's declared language
        language=choose_language(extracted.text, extracted.language, candidate.language).language,
        mentions=tuple(mentions),
        kept_page=kept,
    )


def process_for_store(candidate: Candidate, body: bytes, final_url: str, encoding: str | None,
                      fetched_at: datetime, boilerplate=None, keep: tuple | None = None,
                      ) -> tuple[Article | Failure, np.ndarray]:
    """`process_page` and the article's MinHash (`stories.signature`, NO_SIGNATURE when the text is too short),
    for `StoryIndex.assign(..., minhash=)`: the signature costs ~0.5 ms a page, spent here rather than in the
    ingest's single main process."""
    result = process_page(candidate, body, final_url, encoding, fetched_at, boilerplate, keep)
    if isinstance(result, Failure):
        return result, NO_SIGNATURE
    sig = signature(result.text)
    return result, NO_SIGNATURE if sig is None else sig


def _trusted_canonical(canonical: str | None, final_url: str) -> str:
    """A page's rel=canonical is trusted only on its own site: a canonical pointing at another host or at
    the home page is a template mistake more often than the truth."""
    if not canonical or not canonical.startswith(("http://", "https://")):
        return final_url
    c, f = urlsplit(canonical), urlsplit(final_url)
    same_site = (c.hostname or "").removeprefix("www.") == (f.hostname or "").removeprefix("www.")
    if f.scheme == "file" or (same_site and c.path not in ("", "/")):
        return canonical
    return final_url
