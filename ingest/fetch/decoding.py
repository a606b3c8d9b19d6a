"""Bytes of a page → Unicode text, or a countable reason why not (binary, too large, bad encoding, empty).

The order of trust for the character set: a byte-order mark, then the encoding declared by HTTP or the
caller, then the page's own ``<meta charset>``, then UTF-8 if the bytes are valid UTF-8, then a detector.
A declaration is checked against the bytes, and a single-byte one (windows-125x, ISO 8859-x, KOI8, ...) gives
way to UTF-8 when the bytes say otherwise:

- declared Latin-1/cp1252 and the bytes are valid multibyte UTF-8 (the commonest lie on the web: a server's
  default charset);
- declared any other single-byte charset, and the bytes are valid multibyte UTF-8 while the page's own
  ``<meta charset>`` says UTF-8 (a UTF-8 page behind a server configured for windows-1251);
- or the bytes are strictly valid UTF-8 with at least UTF8_EVIDENCE multibyte characters, whatever the page says.

A declared UTF-8 that does not decode is re-detected.
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
# Strictly valid UTF-8 with this many multibyte characters is UTF-8 whatever the declaration. Calibrated on the
# 957 pages of ../shared/data (extraction-dev and dates-dev): each page's text encoded in 19 single-byte charsets
# (windows-1250..1258, ISO 8859-1/2/5/7/8/9, KOI8-R, cp866, mac-cyrillic, TIS-620): of ~13,000 byte strings
# with non-ASCII bytes, one was valid UTF-8 (cp866, 5 multibyte characters), none with more.
UTF8_EVIDENCE = 8
# Byte pairs that a multibyte charset reads as one character (UTF-8, Shift_JIS, GBK/EUC, Big5, UTF-16 alike).
_PAIRS = (b"\xc4\x9f", b"\x82\xa0", b"\xa4\xa2", b"\xb0\xa1", b"\x8e\xa1", b"\xe3\x81")
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


_single_byte_codecs: dict[str, bool] = {}


def _single_byte(codec: str) -> bool:
    """Whether `codec` reads every byte as one character (windows-1251 yes; UTF-8, Shift_JIS, GBK no)."""
    if codec not in _single_byte_codecs:
        _single_byte_codecs[codec] = all(len(pair.decode(codec, errors="replace")) == 2 for pair in _PAIRS)
    return _single_byte_codecs[codec]


def _strict_utf8_evidence(body: bytes) -> bool:
    """Strictly valid UTF-8 with at least UTF8_EVIDENCE multibyte characters (a cut last character allowed)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 3 or exc.reason != "unexpected end of data":
            return False
        text = body[:exc.start].decode("utf-8")
    return sum(1 for ch in text if ch > "\x7f") >= UTF8_EVIDENCE


def _utf8_despite(claim: str, meta: str | None, body: bytes) -> bool:
    """Whether a single-byte declaration `claim` gives way to UTF-8 (see the module docstring)."""
    if claim == "utf-8" or not _single_byte(claim) or not _has_multibyte(body):
        return False
    if claim in _SINGLE_BYTE_LATIN or meta == "utf-8":
        return _valid_utf8(body)
    return _strict_utf8_evidence(body)


def guess_encoding(body: bytes, declared: str | None = None) -> str | None:
    """The codec name to decode `body` with (see the module docstring for the order of trust)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    found = _META_CHARSET.search(body[:8192])
    meta = _codec(found.group(1).decode("ascii", "ignore")) if found else None
    for claim in (_codec(declared), meta):
        if claim is None:
            continue
        if _utf8_despite(claim, meta, body):
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
