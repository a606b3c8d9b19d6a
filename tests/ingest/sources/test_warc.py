from __future__ import annotations

import gzip
import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.records import FetchResult
from ingest.settings import Settings
from ingest.sources.discover import Source, discover
from ingest.sources.warc import is_warc_ref, read_page

PAGE = "<html><head><title>Été</title></head><body><p>Le président a parlé à Kyiv.</p></body></html>"


def write_warc(path: Path, gz: bool = True) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)

        def response(url: str, body: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8",
                     extra: list[tuple[str, str]] = ()) -> None:
            headers = StatusAndHeaders(status, [("Content-Type", ctype), *extra], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                               warc_headers_dict={"WARC-Date": "2024-08-13T15:05:00Z"})
            writer.write_record(record)

        writer.write_record(writer.create_warc_record("urn:x", "warcinfo", payload=io.BytesIO(b"software: test")))
        response("https://news.example/one", PAGE.encode("utf-8"))
        response("https://news.example/style.css", b"body{}", ctype="text/css")
        response("https://news.example/moved", b"", status="301 Moved", extra=[("Location", "/one")])
        response("https://news.example/missing", b"<html>not found</html>", status="404 Not Found")
        # saved with its transfer compression: the reader must undo it
        response("https://news.example/two", gzip.compress(PAGE.replace("Kyiv", "Gaza").encode("cp1252", "replace")),
                 ctype="text/html; charset=windows-1252", extra=[("Content-Encoding", "gzip")])


def test_warc_responses_become_candidates_read_back_by_offset(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path)
    found = discover(Source("warc", str(path), "Archive"), None, Settings())
    assert [c.url for c in found.candidates] == ["https://news.example/one", "https://news.example/two"]
    assert [(f.reason, f.detail) for f in found.failures] == [("warc-http-404", "https://news.example/missing")]
    assert all(is_warc_ref(c.html_path) and c.source == "Archive" for c in found.candidates)
    # read in the reverse order: each read seeks to its own record
    two = read_page(found.candidates[1].html_path, found.candidates[1].url, 1_000_000)
    one = read_page(found.candidates[0].html_path, found.candidates[0].url, 1_000_000)
    assert isinstance(one, FetchResult) and one.body == PAGE.encode("utf-8") and one.encoding == "utf-8"
    assert one.fetched_at.isoformat() == "2024-08-13T15:05:00+00:00"
    assert isinstance(two, FetchResult) and b"Gaza" in two.body and two.encoding == "windows-1252"
    assert read_page(found.candidates[0].html_path, found.candidates[0].url, 10).reason == "too-large"


def test_uncompressed_warc_and_folder_of_warcs(tmp_path: Path) -> None:
    write_warc(tmp_path / "a.warc", gz=False)
    write_warc(tmp_path / "b.warc.gz")
    (tmp_path / "notes.txt").write_text("ignored")
    found = discover(Source("warc", str(tmp_path)), None, Settings())
    assert len(found.candidates) == 4
    assert found.name == tmp_path.name
    pages = [read_page(c.html_path, c.url, 1_000_000) for c in found.candidates]
    assert all(isinstance(p, FetchResult) and b"<html>" in p.body for p in pages)


def test_bad_warcs_are_reasons(tmp_path: Path) -> None:
    assert discover(Source("warc", str(tmp_path / "nope.warc")), None, Settings()).failures[0].reason == "warc-missing"
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not a WARC file\r\n\r\n" * 10)
    found = discover(Source("warc", str(junk)), None, Settings())
    assert not found.candidates and [f.reason for f in found.failures] == ["warc-unreadable"]
    # a whole-file gzip (not one member per record) cannot be seeked into
    plain = tmp_path / "plain.warc"
    write_warc(plain, gz=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    found = discover(Source("warc", str(whole)), None, Settings())
    assert not found.candidates and [f.reason for f in found.failures] == ["warc-unreadable"]
    assert "non-chunked gzip" in found.failures[0].detail
    assert read_page(f"{plain}#warc=3", "https://x", 1000).reason == "warc-unreadable"
    assert read_page(str(plain), "https://x", 1000).reason == "warc-unreadable"
