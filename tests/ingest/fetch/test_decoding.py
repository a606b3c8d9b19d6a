"""Bytes → text: encodings declared, undeclared and wrong; binary and oversized content."""

from __future__ import annotations

import codecs

import pytest

from ingest.fetch.decoding import check_bytes, decode_html, guess_encoding
from ingest.records import Failure

GERMAN = "<html><head><title>Straße</title></head><body><p>Die Bürgermeisterin begrüßt die Größe.</p></body></html>"


def test_utf8_without_declaration():
    assert decode_html(GERMAN.encode("utf-8")) == GERMAN


def test_meta_charset_is_used():
    html = GERMAN.replace("<head>", '<head><meta charset="windows-1252">')
    assert "Bürgermeisterin" in decode_html(html.encode("cp1252"))


def test_latin1_declaration_on_utf8_bytes_is_corrected():
    assert guess_encoding(GERMAN.encode("utf-8"), "iso-8859-1") == "utf-8"
    assert "Bürgermeisterin" in decode_html(GERMAN.encode("utf-8"), "iso-8859-1")


def test_false_utf8_declaration_is_redetected():
    text = decode_html(GERMAN.encode("cp1252"), "utf-8")
    assert isinstance(text, str) and "Bürgermeisterin" in text


def test_stray_latin1_byte_in_utf8_page():
    body = GERMAN.encode("utf-8") * 5 + b"<!-- M\xe4scot -->"
    assert guess_encoding(body) == "utf-8"


def test_bom():
    assert "Bürgermeisterin" in decode_html(codecs.BOM_UTF16_LE + GERMAN.encode("utf-16-le"))


def test_binary_and_size():
    assert check_bytes(b"%PDF-1.4 ...").reason == "binary"
    assert check_bytes(b"<html>" + b"\x00" * 100).reason == "binary"
    assert check_bytes(b"x" * 101, max_bytes=100).reason == "too-large"
    assert check_bytes(b"  ").reason == "empty"
    assert check_bytes(GERMAN.encode()) is None


def test_control_characters_and_xml_declaration_removed():
    text = decode_html("<?xml version='1.0' encoding='utf-8'?><html><body>a\x00b\x08c</body></html>")
    assert text == "<html><body>abc</body></html>"


def test_mostly_undecodable_is_bad_encoding():
    result = decode_html("<html><body>" + "\ufffd" * 500 + "</body></html>")
    assert isinstance(result, Failure) and result.reason == "bad-encoding"


TURKISH = ('<html><head><meta charset="utf-8"><title>Erdoğan in Ankara</title></head><body>'
           "<p>Cumhurbaşkanı Recep Tayyip Erdoğan said on Monday that the talks would go on.</p></body></html>")
SINGLE_BYTE = ["windows-1251", "koi8-r", "iso-8859-5", "windows-1253", "iso-8859-7", "windows-1255", "windows-1256",
               "windows-1250", "iso-8859-2", "windows-1254", "iso-8859-9", "windows-1257", "cp866", "iso-8859-1",
               "windows-1252"]


@pytest.mark.parametrize("declared", SINGLE_BYTE)
def test_utf8_page_whose_meta_says_utf8_wins_over_any_single_byte_header(declared: str) -> None:
    """A UTF-8 page served with a wrong single-byte charset (windows-1251, not only Latin-1) and whose own
    <meta charset> says UTF-8 is read as UTF-8, not stored as mojibake ("ErdoДџan")."""
    text = decode_html(TURKISH.encode("utf-8"), declared)
    assert isinstance(text, str) and "Recep Tayyip Erdoğan" in text and "Cumhurbaşkanı" in text


@pytest.mark.parametrize("declared", SINGLE_BYTE)
def test_plenty_of_valid_utf8_wins_over_any_single_byte_header_without_meta(declared: str) -> None:
    page = RUSSIAN_UTF8.replace('<meta charset="utf-8">', "")
    text = decode_html(page.encode("utf-8"), declared)
    assert isinstance(text, str) and "Президент Владимир Путин" in text


RUSSIAN_UTF8 = ('<html><head><meta charset="utf-8"><title>Новости</title></head><body>'
                "<p>Президент Владимир Путин встретился с делегацией в Москве.</p></body></html>")


@pytest.mark.parametrize("declared", ["windows-1251", "koi8-r", "iso-8859-5"])
def test_single_byte_page_with_a_lying_utf8_meta_keeps_its_charset(declared: str) -> None:
    """The other way round: the bytes are really windows-1251 (not valid UTF-8), the meta says UTF-8."""
    text = decode_html(RUSSIAN_UTF8.encode(declared), declared)
    assert isinstance(text, str) and "Президент Владимир Путин" in text


def test_a_single_byte_page_that_happens_to_be_valid_utf8_in_a_few_bytes_keeps_its_charset() -> None:
    """Two windows-1251 letters that form one UTF-8 character are not evidence enough ("ВЕЧЕР»" ends in the
    bytes of "л")."""
    page = "<html><head><title>«ВЕЧЕР»</title></head><body><p>Programme of the week.</p></body></html>"
    text = decode_html(page.encode("cp1251"), "windows-1251")
    assert isinstance(text, str) and "«ВЕЧЕР»" in text
