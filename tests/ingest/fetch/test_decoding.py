"""Bytes → text: encodings declared, undeclared and wrong; binary and oversized content."""

from __future__ import annotations

import codecs

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
