"""Kept pages: the responses the store's articles were extracted from, as compressed WARC files in the store.

Layout: ``ROOT/pages/part-<batch>.warc.gz``, one file per ingest batch, named after the batch's articles file. Each
stored article has two records, each its own gzip member (the standard ``.warc.gz``, which `newsmon ingest
--warc`, warcio, pywb and other archive tools read):

- a ``response`` record: the page's URL after redirects (``WARC-Target-URI``), the fetch time (``WARC-Date``), an
  HTTP head rebuilt from what the fetcher kept (status, ``Content-Type`` with the charset it declared, ETag,
  Last-Modified) and the body as extraction saw it (transfer and content encodings already undone);
- a ``metadata`` record (``WARC-Concurrent-To`` the response) holding JSON: the article's id, its source, the
  URL as listed, the feed entry's time and title, and the language the sources file declares — what
  `newsmon clean --reextract` needs to re-run extraction exactly as the ingest ran it.

The records are built in the extraction workers (`page_records`, compressed there) and appended by the run to
the batch's **pending** file (``ROOT/pages/.part-<batch>.warc.gz.pending``). It is one more file of the batch
(store/batch.py, `BatchPages.into`): renamed to its final name only after the batch's articles file has
committed, and settled like the mentions file after a kill (`settle_pending`: finished for a committed batch,
deleted otherwise), so a kill at any moment leaves exactly the pages of the committed articles.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.store.batch import PENDING, Batch

PAGES_DIR = "pages"
SUFFIX = ".warc.gz"
_REASONS = {200: "OK", 203: "Non-Authoritative Information"}


def pages_dir(root: Path) -> Path:
    return Path(root) / PAGES_DIR


def final_path(root: Path, batch_file: str) -> Path:
    """The kept-pages file of the batch whose articles file is `batch_file` (part-<batch>.parquet)."""
    return pages_dir(root) / (batch_file.removesuffix(".parquet") + SUFFIX)


def pending_path(root: Path, batch_file: str) -> Path:
    return pages_dir(root) / f".{final_path(root, batch_file).name}{PENDING}"


@dataclass(frozen=True)
class KeptPage:
    """Where a kept page is, and what the ingest knew about it besides its bytes."""

    path: Path
    offset: int  # of the response record
    article_id: str
    meta: dict


def page_records(*, article_id: str, url: str, final_url: str, body: bytes, status: int, content_type: str,
                 encoding: str | None, fetched_at: datetime, source: str, feed_published: datetime | None = None,
                 feed_title: str = "", language: str | None = None, etag: str | None = None,
                 last_modified: str | None = None) -> bytes:
    """The gzip-compressed response and metadata records of one stored page, ready to append to a .warc.gz."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=True)
    ctype = content_type or "text/html"
    headers = [("Content-Type", f"{ctype}; charset={encoding}" if encoding else ctype),
               ("Content-Length", str(len(body)))]
    headers += [(k, v) for k, v in (("ETag", etag), ("Last-Modified", last_modified)) if v]
    http = StatusAndHeaders(f"{status} {_REASONS.get(status, 'OK')}", headers, protocol="HTTP/1.1")
    stamp = fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = writer.create_warc_record(final_url, "response", payload=BytesIO(body), http_headers=http,
                                         warc_headers_dict={"WARC-Date": stamp})
    writer.write_record(response)
    meta = {"article_id": article_id, "source": source, "url": url, "feed_title": feed_title,
            "feed_published": feed_published.astimezone(UTC).isoformat() if feed_published else None,
            "language": language, "fetched_at": fetched_at.astimezone(UTC).isoformat()}
    record = writer.create_warc_record(
        final_url, "metadata", payload=BytesIO(json.dumps(meta, ensure_ascii=False).encode("utf-8")),
        warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": stamp, "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
    )
    writer.write_record(record)
    return out.getvalue()


class BatchPages:
    """The pending kept-pages file of the batch being written; the run appends each stored article's records."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._fh = None
        self._path: Path | None = None
        self.bytes = 0

    def add(self, records: bytes, batch_file: str) -> None:
        if not records:
            return
        if self._fh is None:
            pages_dir(self.root).mkdir(parents=True, exist_ok=True)
            self._path = pending_path(self.root, batch_file)
            self._fh = open(self._path, "ab")  # noqa: SIM115 - kept open for the batch, closed in flush()
        self._fh.write(records)
        self.bytes += len(records)

    def flush(self) -> bool:
        """Make the pending file durable before the batch commits; False when the batch kept no page."""
        if self._fh is None:
            return False
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        return True

    def into(self, batch: Batch) -> None:
        """Make the pending file durable and hand it to the batch being written (`StoreWriter.write_batch(extra=)`),
        which renames it after its articles file commits, or removes it if the batch fails."""
        if self.flush():
            path = batch.path(pages_dir(self.root), SUFFIX)
            assert path == self._path, (path, self._path)  # the same pending name: settle_pending keys on it
        self._path = None

    def abandon(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


def page_files(root: Path) -> list[Path]:
    """The committed kept-pages files, oldest batch first."""
    folder = pages_dir(root)
    return sorted(folder.glob(f"part-*{SUFFIX}")) if folder.is_dir() else []


def index_pages(root: Path) -> dict[str, KeptPage]:
    """article id -> its most recently kept page (a refetched article has several: the last one counts)."""
    found: dict[str, KeptPage] = {}
    for path in page_files(root):
        for page in _read_index(path):
            found[page.article_id] = page
    return found


def _read_index(path: Path) -> Iterator[KeptPage]:
    responses: dict[str, int] = {}
    try:
        with path.open("rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                if record.rec_type == "response":
                    responses[record_id] = records.get_record_offset()
                elif record.rec_type == "metadata":
                    response = responses.get(record.rec_headers.get_header("WARC-Concurrent-To") or "")
                    try:
                        meta = json.loads(record.content_stream().read().decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        continue
                    if response is not None and meta.get("article_id"):
                        yield KeptPage(path, response, meta["article_id"], meta)
    except (ArchiveLoadFailed, OSError, EOFError, ValueError):
        return  # a damaged file keeps the pages read before the damage


@dataclass(frozen=True)
class PageBytes:
    url: str
    body: bytes
    encoding: str | None
    fetched_at: datetime


def read_page(page: KeptPage) -> PageBytes | None:
    """The body, URL, declared charset and fetch time of a kept page, or None if its record cannot be read."""
    try:
        with page.path.open("rb") as fh:
            fh.seek(page.offset)
            record = next(iter(ArchiveIterator(fh)), None)
            if record is None or record.rec_type != "response":
                return None
            body = record.content_stream().read()
            ctype = record.http_headers.get_header("Content-Type") or "" if record.http_headers else ""
            encoding = ctype.partition("charset=")[2].strip() or None
            url = record.rec_headers.get_header("WARC-Target-URI") or page.meta.get("url") or ""
            stamp = page.meta.get("fetched_at") or record.rec_headers.get_header("WARC-Date")
            fetched = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime.now(UTC)
            return PageBytes(url, body, encoding, fetched.astimezone(UTC))
    except (ArchiveLoadFailed, OSError, EOFError, ValueError):
        return None

