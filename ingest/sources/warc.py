"""WARC files as a source: each saved HTML response becomes a candidate whose page is read back from the file.

A candidate points into the archive with `html_path = "<file>#warc=<offset>"` (the byte offset of its record,
as warcio reports it). `read_page()` seeks there and returns the payload as a `FetchResult`, so the pipeline
treats it like a fetched page; nothing is fetched. Gzipped WARCs must be record-per-member (the standard
`.warc.gz`, as wget, warcio, Heritrix and browsertrix write them); a whole-file gzip cannot be seeked into and
is reported as `warc-unreadable`.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ingest.fetch.http import HTML_TYPES
from ingest.records import Candidate, Failure, FetchResult

log = logging.getLogger(__name__)

_REF = re.compile(r"^(?P<path>.+)#warc=(?P<offset>\d+)$")
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def warc_ref(path: Path | str, offset: int) -> str:
    return f"{path}#warc={offset}"


def is_warc_ref(html_path: str | None) -> bool:
    return bool(html_path and _REF.match(html_path))


def warc_files(location: Path) -> list[Path]:
    """The file itself, or every WARC file under a folder (sorted)."""
    if location.is_file():
        return [location]
    return sorted(p for p in location.rglob("*") if p.is_file() and p.name.lower().endswith(WARC_SUFFIXES))


def discover_warc(location: Path, name: str) -> tuple[list[Candidate], list[Failure]]:
    """One candidate per HTML response record with status 2xx; error pages are failures with their status."""
    if not location.exists():
        return [], [Failure("warc-missing", str(location))]
    files = warc_files(location)
    if not files:
        return [], [Failure("warc-missing", f"no WARC files under {location}")]
    candidates: list[Candidate] = []
    failures: list[Failure] = []
    for path in files:
        try:
            with path.open("rb") as fh:
                records = ArchiveIterator(fh, arc2warc=_is_arc(path))
                seen = 0
                for record in records:
                    seen += 1
                    if record.format == "arc" and not _is_arc(path):  # warcio reads any text as ARC lines
                        raise ValueError("not a WARC file (no WARC/1.x record header)")
                    if record.rec_type != "response" or record.http_headers is None:
                        continue
                    url = _target(record)
                    ctype = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
                    if not url.startswith(("http://", "https://")) or (ctype and ctype not in HTML_TYPES):
                        continue
                    status = int(record.http_headers.get_statuscode() or 0)
                    if 300 <= status < 400:
                        continue
                    if status >= 400 or status < 200:
                        failures.append(Failure(f"warc-http-{status}", url[:200]))
                        continue
                    candidates.append(Candidate(url=url, source=name, html_path=warc_ref(path, records.get_record_offset())))
                if not seen:
                    failures.append(Failure("warc-unreadable", f"{path}: no records"))
        except (ArchiveLoadFailed, OSError, ValueError, EOFError) as exc:
            failures.append(Failure("warc-unreadable", f"{path}: {' '.join(str(exc).split())[:200]}"))
    return candidates, failures


def read_page(ref: str, url: str, max_bytes: int) -> FetchResult | Failure:
    """The HTTP payload of the response record at `ref` (de-chunked and decompressed), within `max_bytes`."""
    match = _REF.match(ref)
    if not match:
        return Failure("warc-unreadable", f"not a WARC reference: {ref}")
    path, offset = Path(match["path"]), int(match["offset"])
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh, arc2warc=_is_arc(path))), None)
            if record is None or record.rec_type != "response" or record.http_headers is None:
                return Failure("warc-unreadable", f"no response record at {ref}")
            body = record.content_stream().read(max_bytes + 1)
            if len(body) > max_bytes:
                return Failure("too-large", f"{ref}: over {max_bytes} bytes")
            ctype_header = record.http_headers.get_header("Content-Type") or ""
            charset = _CHARSET.search(ctype_header)
            return FetchResult(
                url=url,
                final_url=_target(record) or url,
                status=int(record.http_headers.get_statuscode() or 200),
                content_type=ctype_header.split(";")[0].strip().lower() or "text/html",
                body=body,
                encoding=charset.group(1) if charset else None,
                fetched_at=_warc_date(record.rec_headers.get_header("WARC-Date")),
            )
    except (ArchiveLoadFailed, OSError, ValueError, EOFError) as exc:
        return Failure("warc-unreadable", f"{ref}: {str(exc)[:200]}")


def _is_arc(path: Path) -> bool:
    return path.name.lower().endswith((".arc", ".arc.gz"))


def _target(record) -> str:
    return (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")


def _warc_date(value: str | None) -> datetime:
    if value:
        try:
            stamp = datetime.fromisoformat(value.strip())
            return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)
