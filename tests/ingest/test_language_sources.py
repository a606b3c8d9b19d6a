"""A source's declared language (sources file) in a real run: it labels articles whose text is unclear, and a
sure detection that contradicts it is kept and counted in the run summary."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.pipeline import format_summary, run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source
from ingest.store.parquet import Store
from tests.localserver import LocalServer, reply

EN = ("Russian President Vladimir Putin reiterated his calls for Palestinian statehood on Tuesday, telling "
      "reporters in Moscow that a lasting peace in the region was impossible without it. ")
NOUNS = "Hotel Restaurant Bar Pizza Taxi Radio Internet Computer Programm Music Video. "  # unclear (de at p ~0.18)


def page(title: str, text: str) -> str:
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + "".join(f"<p>{text} ({k})</p>" for k in range(4)) + "</article></body></html>")


def test_declared_language_labels_unclear_pages_and_disagreements_are_counted(tmp_path: Path) -> None:
    routes = {"/en": reply(page("Talks in Moscow", EN)), "/nouns": reply(page("Listings", NOUNS)),
              "/robots.txt": reply("User-agent: *\nAllow: /\n", ctype="text/plain")}
    with LocalServer(routes) as srv:
        (tmp_path / "urls.txt").write_text(f"{srv.url}/en\n{srv.url}/nouns\n")
        settings = Settings(store=tmp_path / "store", allow_private=True, host_delay=0, processes=0, progress=False)
        summary = run_ingest([Source("urls", str(tmp_path / "urls.txt"), "Declared French", "fr")], settings)
        assert srv.hits["/robots.txt"] == 1
    rows = dict(duckdb.execute("select url, language from read_parquet(?)",
                               [Store(tmp_path / "store").glob("articles")]).fetchall())
    assert rows[f"{srv.url}/en"] == "en"  # sure: detection kept
    assert rows[f"{srv.url}/nouns"] == "fr"  # unclear: the declaration wins (detection alone says "de")
    stats = summary.stats("Declared French")
    assert stats.stored == 2 and stats.language_disagrees == 1
    assert "language other than declared: Declared French 1" in format_summary(summary)
    # the run log keeps it too, for the Sources & health page
    from dashboard.data import health
    from dashboard.data.index import connect

    log = health.runs(connect(tmp_path / "store"))
    assert log.set_index("source").loc["Declared French", "language_disagrees"] == 1


def test_one_robots_txt_per_host_for_discovery_and_pages(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tests.pages import rss

    routes: dict = {"/robots.txt": reply("User-agent: *\nAllow: /\n", ctype="text/plain"),
                    "/a": reply(page("Talks in Moscow", EN))}
    with LocalServer(routes) as srv:
        routes["/rss"] = reply(rss(srv.url, [("A", "/a", datetime(2025, 6, 1, tzinfo=UTC))]), ctype="application/rss+xml")
        settings = Settings(store=tmp_path / "store", allow_private=True, host_delay=0, processes=0, progress=False)
        summary = run_ingest([Source("feed", srv.url + "/rss", "Feed", "en")], settings)
    assert summary.stats("Feed").stored == 1 and summary.stats("Feed").language_disagrees == 0
    assert srv.hits == {"/robots.txt": 1, "/rss": 1, "/a": 1}
