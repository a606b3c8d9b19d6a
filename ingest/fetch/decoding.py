"""Bytes of a page → Unicode text, or a countable reason why not (binary, too large, bad encoding, empty).

The order of trust for the character set: a byte-order mark, then the encoding declared by HTTP or the
caller, then the page's own ``<meta charset>``, then UTF-8 if the bytes are valid UTF-8, then a detector.
A declaration is checked against the bytes: a page declared Latin-1/cp1252 whose bytes are valid multibyte
UTF-8 is UTF-8 (the commonest lie on the web), and a declared UTF-8 that does not decode is re-detected.
"""

from __future__ import annotations

import codecs
import re

from ingest.records import Failure

MAX_HTML_BYTES = 8 * 1024 * 1024  # the fetcher's default cap (ingest.settings.max_bytes); saved pages get the same

_MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ", "xz"),
    (b"RIFF", "riff"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x00\x00\x00", "binary"),  # mp4/ftyp, ico ...
    (b"wOFF", "woff"),
    (b"wOF2", "woff2"),
    (b"\x7fELF", "elf"),
    (b"\xd0\xcf\x11\xe0", "ms-office"),
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.I)
_SINGLE_BYTE_LATIN = {"iso8859-1", "latin-1", "cp1252", "ascii", "iso8859-15"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def check_bytes(body: bytes, max_bytes: int = MAX_HTML_BYTES) -> Failure | None:
    """A reason to refuse the bytes before decoding them, or None."""
    if len(body) > max_bytes:
        return Failure("too-large", f"{len(body)} bytes, over the {max_bytes}-byte cap")
    head = body[:1024].lstrip()
    if not head.strip():
        return Failure("empty", "no content")
    for bom, _ in _BOMS:
        if head.startswith(bom):
            return None  # UTF-16/32 pages contain NULs legitimately
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return Failure("binary", f"{kind} content, not HTML")
    sample = body[:4096]
    nul = sample.count(0)
    ctrl = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if nul > 0 or ctrl > len(sample) * 0.05:  # text never has NULs; tolerate a few stray control bytes
        return Failure("binary", f"{nul} NUL and {ctrl} control bytes in the first {len(sample)}")
    return None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _valid_utf8(body: bytes) -> bool:
    """Valid UTF-8, allowing a few stray bytes: a UTF-8 page with one Latin-1 byte pasted into a script
    comment is still a UTF-8 page (seen on the extraction dev set)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        good = sum(1 for ch in text if ch > "\x7f") - bad
        return good >= 10 * bad
    return True


def _has_multibyte(body: bytes) -> bool:
    return any(b > 0x7F for b in body)


def guess_encoding(body: bytes, declared: str | None = None) -> str | None:
    """The codec name to decode `body` with (see the module docstring for the order of trust)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    meta = _META_CHARSET.search(body[:8192])
    for claim in (_codec(declared), _codec(meta.group(1).decode("ascii", "ignore")) if meta else None):
        if claim is None:
            continue
        if claim in _SINGLE_BYTE_LATIN and _has_multibyte(body) and _valid_utf8(body):
            return "utf-8"
        if claim == "utf-8" and not _valid_utf8(body):
            break  # a false claim: detect instead
        try:
            body.decode(claim)
        except (UnicodeDecodeError, LookupError):
            break
        return claim
    if _valid_utf8(body):
        return "utf-8"
    from charset_normalizer import from_bytes  # only for the few pages that need it

    best = from_bytes(body[:200_000]).best()
    return best.encoding if best else None


def decode_html(body: bytes | str, declared: str | None = None,
                max_bytes: int = MAX_HTML_BYTES) -> str | Failure:
    """Decode a page to text ready for lxml, or say why it cannot be read."""
    if isinstance(body, str):
        if len(body) > max_bytes:
            return Failure("too-large", f"{len(body)} characters, over the {max_bytes} cap")
        text = body
    else:
        refused = check_bytes(body, max_bytes)
        if refused:
            return refused
        encoding = guess_encoding(body, declared)
        if encoding is None:
            return Failure("bad-encoding", "no character set fits the bytes")
        text = body.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    if bad > max(20, len(text) * 0.01):
        return Failure("bad-encoding", f"{bad} undecodable characters")
    text = _XML_DECL.sub("", text, count=1)
    text = _CONTROL.sub("", text)  # lxml refuses control characters (newspaper3k crashes on them)
    if not text.strip():
        return Failure("empty", "no content")
    return text
