"""Exports: valid files of each format, each carrying its manifest (kaleido draws with the system chromium)."""

from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq
import pytest

from dashboard import export

M = export.manifest("timeline", {"people": ["alice"]}, "abc123", date(2024, 1, 1), date(2024, 3, 31), rows=3)


@pytest.fixture(scope="module")
def fig():
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 1, 3], mode="lines+markers", name="<alice>"))


needs_chromium = pytest.mark.skipif(not shutil.which("chromium"), reason="kaleido needs Debian's chromium")


@needs_chromium
def test_png_has_magic_and_manifest_chunk(fig):
    data = export.png(fig, M)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    back = json.loads(export.png_text(data))
    assert back["filters"] == {"people": ["alice"]} and back["watchlist_version"] == "abc123"


@needs_chromium
def test_svg_parses_and_holds_manifest(fig):
    root = ET.fromstring(export.svg(fig, M))
    meta = root.find("{http://www.w3.org/2000/svg}metadata")
    assert meta is not None and json.loads(meta.text)["data_time_range"]["last"] == "2024-03-31"


@needs_chromium
def test_pdf_has_magic_and_info_manifest(fig):
    data = export.pdf(fig, M)
    assert data[:5] == b"%PDF-" and data.rstrip().endswith(b"%%EOF")
    xref_at = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[xref_at:xref_at + 4] == b"xref"  # the appended update is well-formed
    hexes = re.findall(rb"/NewsmonManifest <FEFF([0-9A-F]+)>", data)
    assert json.loads(bytes.fromhex(hexes[0].decode()).decode("utf-16-be"))["what"] == "timeline"
    assert b"/Prev " in data and b"/Info " in data


def test_pdf_info_on_a_minimal_pdf():
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    xref = len(body)
    pdf = body + b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\n" \
        + f"startxref\n{xref}\n%%EOF\n".encode()
    out = export.pdf_with_info(pdf, M)
    assert out.startswith(pdf) and b"2 0 obj" in out and b"/Size 3 /Root 1 0 R /Info 2 0 R /Prev " in out


def test_html_is_standalone_with_manifest(fig):
    page = export.html(fig, M).decode()
    assert "<script src=" not in page and "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inlined
    blob = re.search(r'<script type="application/json" id="newsmon-manifest">(.*?)</script>', page).group(1)
    assert json.loads(blob)["generator"] == "newsmon"


def test_csv_zip_and_parquet_round_trip():
    df = pd.DataFrame({"bucket": pd.to_datetime(["2024-01-01", "2024-01-08"]), "value": [1.0, None],
                       "name": ["a,\"b\"", "c"]})
    with zipfile.ZipFile(io.BytesIO(export.csv_zip(df, M, "series"))) as z:
        assert sorted(z.namelist()) == ["manifest.json", "series.csv"]
        back = pd.read_csv(z.open("series.csv"))
        assert json.loads(z.read("manifest.json"))["rows"] == 2
    assert list(back["name"]) == ["a,\"b\"", "c"] and pd.isna(back["value"][1])  # a gap stays empty
    t = pq.read_table(io.BytesIO(export.parquet(df, M)))
    assert t.num_rows == 2
    assert json.loads(t.schema.metadata[b"newsmon-manifest"])["limit"].startswith("none")


def test_without_a_chromium_the_image_exports_say_what_to_install(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")  # kaleido's own override: the browser is hidden
    monkeypatch.setattr(export, "_browser_checked", None)
    monkeypatch.setattr(export, "_warming", None)  # (an app run of this process may have started one)
    monkeypatch.setattr(export, "_kaleido_started", False)
    assert export.image_problem() == export.IMAGE_HELP
    assert "apt-get install chromium" in export.IMAGE_HELP and "HTML, CSV and Parquet" in export.IMAGE_HELP
    assert export.warm_up() is None  # nothing to start
    monkeypatch.setattr(export, "_browser_checked", None)


@needs_chromium
def test_the_renderer_is_started_in_the_background(monkeypatch):
    monkeypatch.setattr(export, "_browser_checked", None)
    assert export.image_problem() is None
    thread = export.warm_up()
    if thread is not None:  # (None: already started by an earlier test of this process)
        thread.join(120)
    assert export._kaleido_started
