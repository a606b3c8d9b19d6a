"""Exports: charts as PNG, SVG, PDF and standalone HTML; tables as CSV and Parquet; each with a manifest.

The manifest (filters, watchlist version, data time range, generated at, row count and any limit) goes
into the file's own metadata where the format has it — a PNG iTXt chunk, an SVG <metadata> element, the
PDF Info dictionary, an HTML <script type="application/json">, Parquet key-value metadata — and CSV,
which has none, is shipped in a zip beside a manifest.json. Nothing is truncated; a table is exported whole.

Images are drawn by kaleido with the system chromium. One kaleido server is started per process and
kept (about 0.2 s per image instead of ~5 s for a browser per image); `warm_up` starts it in the background at
the first page view, so the first export does not wait for it. Without a Chromium, `image_problem` says what to
install, and the HTML, CSV and Parquet exports work as ever.
"""

from __future__ import annotations

import io
import json
import logging
import re
import struct
import threading
import time
import warnings
import zipfile
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)
MANIFEST_KEY = "newsmon-manifest"
IMAGE_WIDTH, IMAGE_HEIGHT, IMAGE_SCALE = 1200, 640, 2  # a 2400×1280 PNG: sharp in print and on screen
_kaleido_lock = threading.Lock()
_kaleido_started = False


def manifest(
    what: str,
    filters: dict,
    watchlist_version: str | None,
    first: date | None,
    last: date | None,
    rows: int | None = None,
    limit: str | None = None,
    store: str | None = None,
) -> dict:
    """What an export shows and from what: enough to reproduce or cite it."""
    return {
        "generator": "newsmon",
        "what": what,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filters": filters,
        "watchlist_version": watchlist_version or "unknown",
        "data_time_range": {"first": first.isoformat() if first else None, "last": last.isoformat() if last else None},
        "rows": rows,
        "limit": limit or "none: every row is included",
        "store": store,
    }


IMAGE_HELP = ("PNG, SVG and PDF are drawn by Chromium (through kaleido), which is not installed here. On Debian or "
              "Ubuntu: `sudo apt-get install chromium` (`make demo` and `bash .ci/ensure-chromium` do it when run as "
              "root), then restart the dashboard. HTML, CSV and Parquet need nothing more.")
_browser_checked: tuple[float, str | None] | None = None


def image_problem() -> str | None:
    """None if image exports can be drawn (kaleido finds a Chromium), else what to install (IMAGE_HELP).

    kaleido's own lookup (choreographer's: $BROWSER_PATH, then the PATH, then the usual places), asked at most
    once a minute."""
    global _browser_checked
    now = time.monotonic()
    if _browser_checked is None or now - _browser_checked[0] > 60:
        try:
            from choreographer.browsers.chromium import Chromium

            path = Chromium.find_browser(skip_local=False)
            found = bool(path) and Path(path).is_file()
        except Exception:  # noqa: BLE001 - kaleido's helper missing or broken: no images
            found = False
        _browser_checked = (now, None if found else IMAGE_HELP)
    return _browser_checked[1]


def _start_kaleido() -> None:
    global _kaleido_started
    with _kaleido_lock:
        if not _kaleido_started:
            import kaleido

            kaleido.start_sync_server(silence_warnings=True)
            _kaleido_started = True


_warming: threading.Thread | None = None


def warm_up() -> threading.Thread | None:
    """Start the image renderer (kaleido's Chromium) in the background, once per process, so that the first image
    export does not wait ~2-5 s for it. Nothing happens without a Chromium (`image_problem`)."""
    global _warming
    with _kaleido_lock:
        if _kaleido_started or _warming is not None or image_problem():
            return _warming

        def start() -> None:
            try:
                _start_kaleido()
            except Exception as exc:  # noqa: BLE001 - the first export will try again and say why
                log.warning("the image renderer did not start in the background: %s", exc)

        _warming = threading.Thread(target=start, name="newsmon-kaleido", daemon=True)
        _warming.start()
        return _warming


def _image(fig: go.Figure, fmt: str) -> bytes:
    _start_kaleido()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server": expected
        return fig.to_image(format=fmt, width=IMAGE_WIDTH, height=IMAGE_HEIGHT, scale=IMAGE_SCALE if fmt == "png" else 1)


def _with_caption(fig: go.Figure, m: dict) -> go.Figure:
    """A copy of the figure with a small source line under it, so a published image says where it came from."""
    rng = m["data_time_range"]
    text = f"Source: newsmon · data {rng['first']} to {rng['last']} · generated {m['generated_at']}"
    out = go.Figure(fig)
    out.add_annotation(text=text, xref="paper", yref="paper", x=0, y=-0.12, showarrow=False,
                       xanchor="left", font={"size": 10, "color": "#6b6b6b"})
    out.update_layout(margin={"b": 70})
    return out


def png(fig: go.Figure, m: dict) -> bytes:
    return png_with_text(_image(_with_caption(fig, m), "png"), MANIFEST_KEY, json.dumps(m))


def svg(fig: go.Figure, m: dict) -> bytes:
    text = _image(_with_caption(fig, m), "svg").decode("utf-8")
    meta = f'<metadata id="{MANIFEST_KEY}"><![CDATA[{json.dumps(m).replace("]]>", "]]]]><![CDATA[>")}]]></metadata>'
    text = re.sub(r"(<svg\b[^>]*>)", lambda mo: mo.group(1) + meta, text, count=1)
    return text.encode("utf-8")


def pdf(fig: go.Figure, m: dict) -> bytes:
    return pdf_with_info(_image(_with_caption(fig, m), "pdf"), m)


def html(fig: go.Figure, m: dict) -> bytes:
    """A standalone page: plotly.js inlined (works offline), the manifest as a JSON script element."""
    page = _with_caption(fig, m).to_html(include_plotlyjs=True, full_html=True)
    blob = json.dumps(m).replace("</", "<\\/")
    tag = f'<script type="application/json" id="{MANIFEST_KEY}">{blob}</script>'
    return page.replace("<head>", "<head>" + tag, 1).encode("utf-8")


def csv_zip(df: pd.DataFrame, m: dict, name: str) -> bytes:
    """`name`.csv and manifest.json in one zip (CSV has no place for metadata)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.csv", df.to_csv(index=False))
        z.writestr("manifest.json", json.dumps(dict(m, rows=len(df)), indent=2))
    return buf.getvalue()


def parquet(df: pd.DataFrame, m: dict) -> bytes:
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[MANIFEST_KEY.encode()] = json.dumps(dict(m, rows=len(df))).encode("utf-8")
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    return buf.getvalue()


def png_with_text(data: bytes, key: str, text: str) -> bytes:
    """Insert an iTXt chunk (UTF-8 text) right after the PNG header chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    ihdr_len = struct.unpack(">I", data[8:12])[0]
    cut = 8 + 12 + ihdr_len
    body = key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    return data[:cut] + chunk + data[cut:]


def png_text(data: bytes, key: str = MANIFEST_KEY) -> str | None:
    """Read back an iTXt chunk written by `png_with_text`."""
    pos = 8
    while pos < len(data):
        n = struct.unpack(">I", data[pos : pos + 4])[0]
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        if kind == b"iTXt" and body.startswith(key.encode("latin-1") + b"\x00"):
            return body[len(key) + 5 :].decode("utf-8")
        pos += 12 + n
    return None


def _pdf_text(s: str) -> bytes:
    return b"<" + (b"\xfe\xff" + s.encode("utf-16-be")).hex().upper().encode() + b">"


def pdf_with_info(data: bytes, m: dict) -> bytes:
    """Append an incremental update whose Info dictionary holds the manifest (a PDF reader keeps the rest)."""
    tail = data[-2048:].decode("latin-1")
    size = int(re.findall(r"/Size\s+(\d+)", tail)[-1])
    root = re.findall(r"/Root\s+(\d+\s+\d+\s+R)", tail)[-1]
    prev = int(re.findall(r"startxref\s+(\d+)", tail)[-1])
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    obj_at = len(out)
    info = (
        f"{size} 0 obj\n<< /Title ".encode() + _pdf_text(f"newsmon: {m.get('what', 'chart')}")
        + b" /Producer " + _pdf_text("newsmon (kaleido + chromium)")
        + b" /Subject " + _pdf_text(json.dumps(m))
        + b" /NewsmonManifest " + _pdf_text(json.dumps(m)) + b" >>\nendobj\n"
    )
    out += info
    xref_at = len(out)
    out += f"xref\n0 1\n0000000000 65535 f \n{size} 1\n{obj_at:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size + 1} /Root {root} /Info {size} 0 R /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)
