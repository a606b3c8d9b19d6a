"""Image exports in a real server: the renderer is started before the first export is asked for, and without a
Chromium the image buttons say what to install while HTML, CSV and Parquet still download."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.browserkit import Dashboard, require_chromium, settled, wait_chart

pytestmark = pytest.mark.browser
require_chromium()


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(c) for t in Path(f"/proc/{p}/task").iterdir()
                    for c in (t / "children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def _exe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except OSError:
        return ""


def test_the_image_renderer_starts_with_the_first_page_view(browser, tiny_store_session, tmp_path):
    d = Dashboard(tiny_store_session.root, tmp_path, {"NEWSMON_WATCHLIST": str(tiny_store_session.watchlist)})
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        assert not [p for p in _descendants(d.proc.pid) if "chrom" in _exe(p)]  # nothing before a page is seen
        pg = ctx.new_page()
        pg.goto(f"{d.url}/explore?people=alice-example")
        wait_chart(pg)
        deadline = time.monotonic() + 60
        while not [p for p in _descendants(d.proc.pid) if "chrom" in _exe(p)]:
            assert time.monotonic() < deadline, "no renderer started after the first page view"
            time.sleep(0.5)
    finally:
        ctx.close()
        d.stop()


def test_without_a_chromium_images_say_what_to_install_and_the_rest_downloads(browser, tiny_store_session, tmp_path):
    d = Dashboard(tiny_store_session.root, tmp_path, {"NEWSMON_WATCHLIST": str(tiny_store_session.watchlist),
                                                      "BROWSER_PATH": "/nonexistent/chromium"})
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{d.url}/explore?people=alice-example,bob-sample")
        wait_chart(pg)
        settled(pg)
        for label in ("PNG", "SVG", "PDF"):
            assert pg.get_by_role("button", name=label, exact=True).first.is_disabled()
        assert "sudo apt-get install chromium" in pg.inner_text("body")
        got = {}
        for label in ("HTML", "CSV", "Parquet"):
            with pg.expect_download(timeout=60_000) as dl:
                pg.get_by_role("button", name=label, exact=True).first.click()
            got[label] = Path(dl.value.path()).read_bytes()
        assert b'id="newsmon-manifest"' in got["HTML"]
        with zipfile.ZipFile(io.BytesIO(got["CSV"])) as z:
            assert "newsmon-timeline.csv" in z.namelist()
        assert pq.read_table(io.BytesIO(got["Parquet"])).num_rows > 0
        assert not [p for p in _descendants(d.proc.pid) if "chrom" in _exe(p)]  # and no renderer was started
    finally:
        ctx.close()
        d.stop()
