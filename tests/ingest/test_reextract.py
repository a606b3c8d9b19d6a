"""Kept pages and `newsmon clean --reextract`: the responses are kept as WARC in the store; re-extraction
brings dates, texts, titles and languages back to today's extractor with the same ids, recomputes the mentions
of changed texts, keeps old stores working, and survives SIGKILL at any moment."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ingest.cli.main import main as cli
from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import load_watchlist
from ingest.pipeline import run_ingest
from ingest.reextract import format_reextract, reextract_store
from ingest.settings import Settings
from ingest.sources.discover import Source
from ingest.sources.warc import discover_warc
from ingest.store.generations import JOURNAL as SWAP_JOURNAL
from ingest.store.pages import index_pages, page_files, pages_dir
from ingest.store.parquet import ARTICLES_SCHEMA, Store
from tests.localserver import LocalServer, reply
from tests.pages import rss, site
from tests.paths import REPO


def settings(root: Path, **kw) -> Settings:
    return Settings(store=root, allow_private=True, host_delay=0.0, per_host=8, processes=0, progress=False,
                    read_timeout=5, deadline=10, batch_size=kw.pop("batch_size", 10)).with_(**kw)


def ingest_site(root: Path, n: int, **kw) -> None:
    pages, items = site(n, seed=5)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        run_ingest([Source("feed", srv.url + "/rss")], settings(root, **kw))


def articles(root: Path) -> pa.Table:
    return pq.read_table(root / "articles").sort_by("id")


def mentions(root: Path) -> pa.Table:
    return pq.read_table(root / "mentions")


def tamper(root: Path, every: int = 3) -> dict[str, int]:
    """Make the store look written by an older extractor: every `every`-th article gets the fetch time as its
    date, another a text with a trailing share line, another the wrong language; mentions stay consistent."""
    counts = {"dates": 0, "texts": 0, "languages": 0}
    for path in sorted((root / "articles").glob("part-2*.parquet")):
        rows = pq.read_table(path).to_pylist()
        moved: dict[str, datetime] = {}
        for i, row in enumerate(rows):
            if i % every == 0:
                row["published_at"], row["published_source"] = row["fetched_at"], "fetched"
                row["published_offset_min"] = None
                moved[row["id"]] = row["fetched_at"]
                counts["dates"] += 1
            elif i % every == 1:
                row["text"] += "\n\nShare this article on social media."
                counts["texts"] += 1
            else:
                row["language"] = "de"
                counts["languages"] += 1
        pq.write_table(pa.Table.from_pylist(rows, schema=ARTICLES_SCHEMA), path)
        mpath = root / "mentions" / path.name
        if mpath.exists():
            m = pq.read_table(mpath)
            stamps = [moved.get(a, p) for a, p in zip(m.column("article_id").to_pylist(),
                                                        m.column("published_at").to_pylist(), strict=True)]
            m = m.set_column(m.schema.get_field_index("published_at"), "published_at",
                             pa.array(stamps, m.schema.field("published_at").type))
            pq.write_table(m, mpath)
    return counts


def assert_mentions_match(root: Path) -> None:
    """Every mention points at its article's text or title, with the article's publication time, and they are
    exactly what the watchlist finds in today's texts."""
    arts = {r["id"]: r for r in pq.read_table(root / "articles").to_pylist()}
    found = {}
    for m in mentions(root).to_pylist():
        a = arts[m["article_id"]]
        field = a["text"] if m["field"] == "body" else a["title"]
        assert field[m["start"]:m["end"]] == m["matched"]
        assert m["published_at"] == a["published_at"]
        found.setdefault(m["article_id"], set()).add((m["entity_id"], m["field"], m["start"]))
    matcher = Matcher(load_watchlist())
    for aid, a in arts.items():
        expected = {(x.entity_id, x.field, x.start) for x in matcher.find(a["title"], a["text"])}
        assert found.get(aid, set()) == expected


def test_ingest_keeps_every_stored_page_as_warc(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ingest_site(root, 25)
    ids = set(articles(root).column("id").to_pylist())
    assert len(ids) == 25
    assert len(page_files(root)) == 3  # one file a batch of 10
    assert set(index_pages(root)) == ids
    assert not list(pages_dir(root).glob(".*"))  # nothing pending
    # plain WARC: newsmon's own WARC source reads the kept responses back
    candidates, failures = discover_warc(pages_dir(root), "kept")
    assert len(candidates) == 25 and not failures


def test_keep_pages_off(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ingest_site(root, 5, keep_pages=False)
    assert len(articles(root)) == 5 and not page_files(root)


def test_reextract_restores_dates_texts_languages_with_the_same_ids(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ingest_site(root, 30)
    fresh = articles(root)
    counts = tamper(root)
    summary = reextract_store(root, load_watchlist(), processes=0)
    assert (summary.dates, summary.texts, summary.languages, summary.titles) == (
        counts["dates"], counts["texts"], counts["languages"], 0)
    assert summary.kept_pages == 30 and summary.mentions_recounted == counts["texts"]
    after = articles(root)
    for column in ("id", "url", "title", "text", "published_at", "published_source", "published_offset_min",
                   "language", "content_hash", "story_id", "fetched_at"):
        assert after.column(column).to_pylist() == fresh.column(column).to_pylist(), column
    assert_mentions_match(root)
    again = reextract_store(root, load_watchlist(), processes=0)
    assert (again.dates, again.texts, again.languages, again.files_changed) == (0, 0, 0, 0)


def test_reextract_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ingest_site(root, 12)
    counts = tamper(root)
    before = articles(root)
    summary = reextract_store(root, load_watchlist(), processes=0, dry_run=True)
    assert summary.dates == counts["dates"] and articles(root).equals(before)


def test_old_store_without_kept_pages_or_offset_column(tmp_path: Path) -> None:
    """A store written before this change: no pages/, articles files without published_offset_min."""
    root = tmp_path / "store"
    ingest_site(root, 12, keep_pages=False)
    for path in (root / "articles").glob("part-*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["published_offset_min"]), path)
    (root / "articles" / "part-0-schema.parquet").unlink()
    pq.write_table(ARTICLES_SCHEMA.remove(ARTICLES_SCHEMA.get_field_index("published_offset_min")).empty_table(),
                   root / "articles" / "part-0-schema.parquet")
    ingest_site(root, 20)  # a new run into the old store: 8 more articles, with kept pages and the new column
    con = duckdb.connect()
    glob = str(root / "articles" / "*.parquet")
    assert con.execute("select count(*) from read_parquet(?)", [glob]).fetchone()[0] == 20
    offsets = con.execute("select count(*), count(published_offset_min) from read_parquet(?, union_by_name=true)",
                          [glob]).fetchone()
    assert offsets[0] == 20
    summary = reextract_store(root, load_watchlist(), processes=0)
    assert summary.kept_pages == 8 and summary.articles == 20
    # every file now has every column: plain readers see the new column too
    for path in (root / "articles").glob("*.parquet"):
        assert "published_offset_min" in pq.read_schema(path).names
    assert con.execute("select count(*) from read_parquet(?) where published_offset_min is null",
                       [glob]).fetchone()[0] >= 12
    assert_mentions_match(root)


def test_cli_clean_reextract(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ingest_site(root, 9)
    counts = tamper(root)
    result = CliRunner().invoke(cli, ["clean", "--reextract", "--store", str(root), "--processes", "0"])
    assert result.exit_code == 0, result.output
    assert (f"{counts['dates']} dates, {counts['texts']} texts, {counts['languages']} languages, 0 titles"
            in result.output)
    assert f"mentions: {counts['texts']} articles recounted" in result.output
    result = CliRunner().invoke(cli, ["clean", "--store", str(root), "--processes", "1"])
    assert result.exit_code == 2 and "--reextract" in result.output


def test_format_mentions_failures() -> None:
    from collections import Counter

    from ingest.reextract import ReextractSummary

    text = format_reextract(ReextractSummary(articles=3, files=1, no_article=Counter({"no-article": 1})))
    assert "no article on re-extraction: no-article 1" in text


CHILD = """
import sys
from ingest.mentions.watchlist import load_watchlist
from ingest.reextract import reextract_store
reextract_store(sys.argv[1], load_watchlist(), processes=0, wait=True)
"""


def _consistent_after_recovery(root: Path) -> None:
    store = Store(root)
    half = (root / SWAP_JOURNAL).exists()
    if not half:  # without a journal a reader sees one whole state
        assert_mentions_match_loose(root)
    with store.writer(wait=True):
        pass  # recovery finishes an interrupted swap
    assert not (root / SWAP_JOURNAL).exists()
    assert_mentions_match_loose(root)


def assert_mentions_match_loose(root: Path) -> None:
    """Articles and mentions of one state: spans point into the texts, times are the articles'."""
    arts = {r["id"]: r for r in pq.read_table(root / "articles", columns=["id", "text", "title",
                                                                          "published_at"]).to_pylist()}
    for m in mentions(root).to_pylist():
        a = arts[m["article_id"]]
        field = a["text"] if m["field"] == "body" else a["title"]
        assert field[m["start"]:m["end"]] == m["matched"]
        assert m["published_at"] == a["published_at"]


@pytest.mark.slow
def test_sigkill_during_reextract_leaves_the_store_exact(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ingest_site(root, 120, batch_size=40)
    fresh = articles(root)
    tamper(root)
    ids = set(fresh.column("id").to_pylist())
    rng = random.Random(14)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _ in range(8):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.5, 6.0))
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        assert set(articles(root).column("id").to_pylist()) == ids
        _consistent_after_recovery(root)
    done = subprocess.run([sys.executable, "-c", CHILD, str(root)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    after = articles(root)
    for column in ("id", "text", "published_at", "published_source", "language", "content_hash"):
        assert after.column(column).to_pylist() == fresh.column(column).to_pylist(), column
    assert_mentions_match(root)


def test_kept_pages_do_not_count_when_their_batch_never_committed(tmp_path: Path) -> None:
    """A pending kept-pages file without its articles file is dropped; with it, it takes its final name."""
    root = tmp_path / "store"
    ingest_site(root, 10)
    folder = pages_dir(root)
    (folder / ".part-20990101T000000000000-deadbeef.warc.gz.pending").write_bytes(b"junk")
    committed = next(p for p in (root / "articles").glob("part-2*.parquet"))
    final = folder / (committed.name.removesuffix(".parquet") + ".warc.gz")
    final.rename(folder / f".{final.name}.pending")
    with Store(root).writer():
        pass
    assert sorted(p.name for p in folder.iterdir()) == [final.name]
    assert len(index_pages(root)) == 10


def test_reextract_counts_a_page_that_now_gives_no_article(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "store"
    ingest_site(root, 6)
    before = articles(root)
    from ingest.records import Failure

    monkeypatch.setattr("ingest.extract.article.extract_article", lambda *a, **k: Failure("no-article", "x"))
    summary = reextract_store(root, load_watchlist(), processes=0)
    assert summary.no_article == {"no-article": 6} and summary.files_changed == 0
    assert articles(root).equals(before)
    _ = pc  # (pyarrow.compute is used by the module under test)


def test_published_offset_reaches_the_store(tmp_path: Path) -> None:
    root = tmp_path / "store"
    pages, items = site(3, seed=2)
    shifted = {}
    for path, (ct, body) in pages.items():
        shifted[path] = (ct, body.replace("+00:00\">", "+03:00\">"))
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in shifted.items()}
    with LocalServer(routes) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        run_ingest([Source("feed", srv.url + "/rss")], settings(root))
    table = articles(root)
    assert set(table.column("published_offset_min").to_pylist()) == {180}
    for at, (_, _, published) in zip(sorted(table.column("published_at").to_pylist()),
                                      sorted(items, key=lambda x: x[2]), strict=True):
        assert at == published - timedelta(hours=3)
    assert all(a.tzinfo is not None and a.utcoffset() == timedelta(0) for a in table.column("published_at").to_pylist())
    _ = UTC
