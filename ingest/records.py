"""Small typed records that the ingest stages hand to each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Failure:
    """Why a page, feed or URL produced no article; counted by reason in the run summary."""

    reason: str  # short, stable, countable: "http-404", "timeout", "no-article", "empty", ...
    detail: str = ""


@dataclass(frozen=True)
class Candidate:
    """An article URL found by a source, with whatever the source knew about it."""

    url: str
    source: str  # the outlet's display name
    feed_title: str = ""
    feed_published: datetime | None = None  # UTC, from the feed entry
    html_path: str | None = None  # set for saved pages: read from disk instead of fetching
    language: str | None = None  # the language the sources file declares for the source, if any


@dataclass(frozen=True)
class FetchResult:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    encoding: str | None = None
    fetched_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False  # the body is the first max_bytes of a longer one (asked for with truncate=True)


@dataclass(frozen=True)
class Extracted:
    """What extraction makes of one page: metadata and the cleaned body text."""

    title: str
    text: str  # cleaned body: paragraphs separated by a blank line ("\n\n")
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None  # UTC
    published_source: str = ""  # jsonld | meta | htmldate | dateline | url | feed | fetched
    language: str | None = None
    canonical_url: str | None = None
    top_image: str | None = None
    published_offset_min: int | None = None  # the page's own UTC offset (minutes east), when it gave one


@dataclass(frozen=True)
class Mention:
    """One match of a watchlist entity in an article's title or body."""

    entity_id: str
    kind: str  # person | topic
    field: str  # title | body
    start: int  # character offsets into that field's text, end exclusive
    end: int
    matched: str  # the text as it stands in the field
    # alias | middle-name | title-surname | surname-after-full | surname-distinctive | transliteration | fuzzy |
    # context | named-after | topic (docs/watchlist.md, "Rules"; stores before them: surname-after-full-name)
    rule: str = "alias"


@dataclass(frozen=True)
class Article:
    """A stored article: one row of the `articles` table."""

    id: str
    url: str
    source: str
    title: str
    text: str
    content_hash: str
    fetched_at: datetime
    published_at: datetime | None = None
    published_source: str = ""
    authors: tuple[str, ...] = ()
    language: str | None = None
    story_id: str | None = None  # near-duplicate cluster; None until assigned (stored as the article's own id)
    published_offset_min: int | None = None  # the page's own UTC offset of published_at, minutes east of UTC
    mentions: tuple[Mention, ...] = field(default=(), compare=False)
    # The page's response and metadata as compressed WARC records (ingest/store/pages.py), made by the worker and
    # appended to the batch's kept pages by the run; empty when pages are not kept.
    kept_page: bytes = field(default=b"", compare=False, repr=False)
