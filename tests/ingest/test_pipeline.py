"""The ingest pipeline end to end: saved pages, feeds over a local server, idempotence, the seed page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.pipeline import format_summary, run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source
from ingest.store.parquet import Store
from tests.localserver import LocalServer, reply
from tests.pages import rss, site
from tests.paths import SHARED_DATA

SEED = SHARED_DATA / "seed"
needs_seed = pytest.mark.skipif(not (SEED / "article.html").exists(), reason=f"seed page not found at {SEED}")


def settings(tmp_path: Path, **kw) -> Settings:
    base = Settings(store=tmp_path / "store", allow_private=True, host_delay=0.0, per_host=8, processes=0,
                    progress=False, read_timeout=5, deadline=10)
    return base.with_(**kw)


@needs_seed
def test_seed_page_through_the_real_pipeline(tmp_path: Path) -> None:
    expected = json.loads((SEED / "expected.json").read_text())
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SEED / "article.html", pages / "article.html")
    summary = run_ingest([Source("html-dir", str(pages))], settings(tmp_path))
    assert summary.total().stored == 1, format_summary(summary)
    store = Store(tmp_path / "store")
    art = duckdb.execute("select * from read_parquet(?)", [store.glob("articles")]).df().iloc[0]
    assert art["title"] == expected["title"]
    assert art["source"] == expected["source"]
    assert art["published_at"].isoformat() == "2024-08-13T15:05:00+00:00"
    text = art["text"]
    positions = [text.find(p) for p in expected["body_paragraphs_in_order"]]
    assert all(p >= 0 for p in positions), [p for p, x in zip(expected["body_paragraphs_in_order"], positions, strict=True) if x < 0]
    assert positions == sorted(positions)
    leaked = [s for s in expected["must_not_contain"] if s.lower() in text.lower()]
    assert not leaked
    counts = duckdb.execute(
        "select field, entity_id, count(*) from read_parquet(?) where kind = 'person' group by all",
        [store.glob("mentions")],
    ).fetchall()
    got = {(f, e): n for f, e, n in counts}
    names = {"Vladimir Putin": "putin", "Mahmoud Abbas": "abbas", "Ismail Haniyeh": "haniyeh"}
    want = {("body", names[k]): v for k, v in expected["mentions_in_body"].items()}
    want |= {("title", names[k]): v for k, v in expected["mentions_in_title"].items()}
    assert got == want
    # every mention points at the text it claims
    for row in duckdb.execute("select field, start, \"end\", matched from read_parquet(?)", [store.glob("mentions")]).fetchall():
        field_text = art["title"] if row[0] == "title" else text
        assert field_text[row[1]:row[2]] == row[3]


def test_feed_ingest_counts_everything_and_is_idempotent(tmp_path: Path) -> None:
    pages, items = site(12)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv:
        feed_items = items + [(items[0][0], items[0][1] + "?utm_source=rss&utm_medium=feed", items[0][2]),
                              ("Gone", "/world/gone", items[0][2])]
        srv.routes["/rss"] = reply(rss(srv.url, feed_items), ctype="application/rss+xml")
        first = run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path))
        t = first.total()
        assert (t.found, t.fetched, t.stored, t.duplicate, dict(t.failures)) == (14, 12, 12, 1, {"http-404": 1}), format_summary(first)
        hits = dict(srv.hits)
        second = run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path))
    t2 = second.total()
    assert (t2.found, t2.skipped, t2.fetched, t2.stored, dict(t2.failures)) == (14, 13, 0, 0, {"http-404": 1})
    assert all(srv.hits.get(p, 0) == hits.get(p, 0) for p in pages)  # stored pages were not fetched again
    store = Store(tmp_path / "store")
    assert store.count() == 12
    ids = duckdb.execute("select count(distinct id), count(distinct content_hash) from read_parquet(?)",
                         [store.glob("articles")]).fetchall()
    assert ids == [(12, 12)]
    runs = duckdb.execute("select count(distinct run_id), sum(stored) from read_parquet(?)", [store.glob("runs")]).fetchall()
    assert runs == [(2, 12)]


def test_same_content_under_another_url_is_a_duplicate(tmp_path: Path) -> None:
    pages, items = site(3)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    first = next(iter(pages))
    routes["/mirror/copy"] = routes[first]
    with LocalServer(routes) as srv:
        urls = tmp_path / "urls.txt"
        urls.write_text("\n".join(srv.url + p for p in [*pages, "/mirror/copy"]) + "\n")
        summary = run_ingest([Source("urls", str(urls), "Test Daily")], settings(tmp_path))
    t = summary.total()
    assert (t.stored, t.duplicate) == (3, 1)


def test_process_pool_gives_the_same_store(tmp_path: Path) -> None:
    pages, items = site(10, seed=11)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path / "a", processes=0))
        run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path / "b", processes=2))

    def dump(root: Path) -> list:
        return duckdb.execute(
            "select a.id, a.title, a.text, m.entity_id, m.start from read_parquet(?) a "
            "left join read_parquet(?) m on m.article_id = a.id order by all",
            [Store(root / "store").glob("articles"), Store(root / "store").glob("mentions")],
        ).fetchall()

    assert dump(tmp_path / "a") == dump(tmp_path / "b") and len(dump(tmp_path / "a")) > 10


@pytest.mark.parametrize("processes", [0, 2])  # signatures computed in the main process, or in the workers
def test_syndicated_copies_share_a_story(tmp_path: Path, processes: int) -> None:
    import random
    from datetime import UTC, datetime

    from tests.pages import article_html

    rng = random.Random(21)
    when = datetime(2025, 5, 5, 8, tzinfo=UTC)
    _, original, paragraphs = article_html(1, rng, when)
    copy = original.replace("<h1>", "<h1>WIRE: ").replace(paragraphs[-1], paragraphs[-1] + " Local editors added this.")
    _, other, _ = article_html(2, rng, when)
    routes = {"/a": reply(original), "/b": reply(copy), "/c": reply(other)}
    with LocalServer(routes) as srv:
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{srv.url}/{p}\n" for p in "abc"))
        summary = run_ingest([Source("urls", str(urls), "Wire")], settings(tmp_path, processes=processes))
    assert summary.total().stored == 3
    rows = duckdb.execute("select url, id, story_id from read_parquet(?) order by url",
                          [Store(tmp_path / "store").glob("articles")]).fetchall()
    (_, a_id, a_story), (_, b_id, b_story), (_, c_id, c_story) = rows
    assert a_story == b_story and a_story in (a_id, b_id)  # the copy joins whichever was assigned first
    assert c_story == c_id


def test_feed_with_a_page_failing_for_a_passing_reason_is_fetched_in_full_next_time(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler

    pages, items = site(2, seed=5)
    (good, (_, good_body)), (flaky, (_, flaky_body)) = pages.items()
    state = {"flaky_up": False}

    def feed(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.end_headers()
            return
        reply(rss(srv.url, items), ctype="application/rss+xml", headers={"ETag": '"v1"'})(h)

    def flaky_page(h: BaseHTTPRequestHandler) -> None:
        reply(flaky_body)(h) if state["flaky_up"] else reply("down", 503, headers={"Retry-After": "0"})(h)

    with LocalServer({"/rss": feed, good: reply(good_body), flaky: flaky_page}) as srv:
        first = run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path))
        state["flaky_up"] = True
        second = run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path))
        third = run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path))
    assert (first.total().stored, dict(first.total().failures)) == (1, {"http-503": 1})
    assert second.total().stored == 1 and second.total().found == 2  # the feed came in full, not as a 304
    assert third.total().found == 0 and third.total().failed == 0  # nothing new: a 304, not a failure


def test_site_furniture_is_learnt_during_the_first_run(tmp_path: Path) -> None:
    """A recurring line the rules cannot know is learnt from the first stored batches and kept out of later pages;
    a line repeated inside one article only is never learnt."""
    line = "The Widget Gazette has answered to its readers alone since 1887, and to no owner or party."
    pages, items = site(16, seed=13)
    routes = {}
    for k, (p, (ct, body)) in enumerate(pages.items()):
        twice = "<p>Talks resumed in the afternoon after a short break for prayers and lunch.</p>" * 2 if k == 15 else ""
        routes[p] = reply(body.replace("</article>", f"{twice}<p>{line}</p></article>"), ctype=ct)
    with LocalServer(routes) as srv:
        srv.routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        run_ingest([Source("feed", srv.url + "/rss")], settings(tmp_path, batch_size=4))
    texts = duckdb.execute("select url, text from read_parquet(?) order by fetched_at",
                           [Store(tmp_path / "store").glob("articles")]).fetchall()
    with_line = [u for u, t in texts if line in t]
    assert len(texts) == 16
    assert 0 < len(with_line) <= 8, "the line was never learnt"  # the first batches keep it, later pages lose it
    assert any("short break for prayers" in t for _, t in texts)  # repeated inside one article: kept


def test_relearning_runs_in_the_process_pool_and_reaches_the_workers(tmp_path: Path) -> None:
    """With extraction processes, a source's boilerplate is relearnt there; the result replaces what the workers
    get (keys only) and the sidecar is saved."""
    import time
    from concurrent.futures import ProcessPoolExecutor
    from datetime import UTC, datetime

    from ingest.extract.boilerplate import load_boilerplate
    from ingest.pipeline import _Learning
    from ingest.records import Article

    line = "The Widget Gazette has answered to its readers alone since 1887."
    now = datetime(2025, 5, 5, tzinfo=UTC)
    batch = [Article(f"a{i}", f"https://w.example/{i}", "Widget", "t", f"Talks went on for day {i} in Geneva.\n\n{line}",
                     f"h{i}", now) for i in range(8)]
    learning = _Learning({})
    with ProcessPoolExecutor(1) as pool:
        learning.pool = pool
        # the one worker is kept busy first, so the relearning is still queued when in_flight is read (without
        # it, a quick worker could finish before the assertion, as it once did)
        pool.submit(time.sleep, 2)
        learning.after_batch(tmp_path, batch)
        assert learning.in_flight == {"Widget"}
    assert not learning.in_flight  # shutting the pool down waited for it
    assert line in learning.for_workers["Widget"] and learning.for_workers["Widget"].examples == ()
    assert line in learning.boilerplate["Widget"].examples
    assert line in load_boilerplate(tmp_path, "Widget")


class _Gate:
    """A server-side request log for feeds that answer only once `width` requests have been open at the same time
    (or after `patience` seconds), then after `hold` seconds more: discovery one source after another shows up as
    start, end, start, end ..."""

    def __init__(self, width: int, patience: float = 5.0, hold: float = 0.0) -> None:
        import threading

        self.width, self.patience, self.hold = width, patience, hold
        self.log: list[tuple[str, str]] = []
        self.open = self.most_open = 0
        self.cond = threading.Condition()

    def route(self, body: str):
        import time
        from http.server import BaseHTTPRequestHandler

        def serve(h: BaseHTTPRequestHandler) -> None:
            with self.cond:
                self.log.append(("start", h.path))
                self.open += 1
                self.most_open = max(self.most_open, self.open)
                self.cond.notify_all()
                self.cond.wait_for(lambda: self.most_open >= self.width, timeout=self.patience)
            time.sleep(self.hold)
            try:
                reply(body, ctype="application/rss+xml")(h)
            finally:
                with self.cond:
                    self.open -= 1
                    self.log.append(("end", h.path))

        return serve


def test_sources_are_discovered_at_once(tmp_path: Path) -> None:
    """Four slow feeds on one host: all four requests are open before the first is answered."""
    from ingest.fetch.http import make_client
    from ingest.fetch.politeness import PoliteFetcher
    from ingest.pipeline import RunSummary, _plan

    pages, items = site(8, seed=3)
    gate = _Gate(width=4)
    with LocalServer({}) as srv:
        for k in range(4):
            srv.routes[f"/feed{k}"] = gate.route(rss(srv.url, items[2 * k:2 * k + 2]))
        s = settings(tmp_path, per_host=4, fetch_threads=8, respect_robots=False)
        summary = RunSummary("r", __import__("datetime").datetime.now())
        with make_client(s) as client:
            todo = _plan([Source("feed", f"{srv.url}/feed{k}", f"F{k}") for k in range(4)],
                         PoliteFetcher(client, s), s, summary, set())
    assert [event for event, _ in gate.log[:4]] == ["start"] * 4, gate.log
    assert gate.most_open == 4, gate.log
    assert [c.url for c in todo] == [srv.url + path for _, path, _ in items]  # in the sources' order


def test_parallel_discovery_keeps_each_hosts_limit(tmp_path: Path) -> None:
    """With per_host = 2, discovery of four feeds on one host never has more than two requests open."""
    from ingest.fetch.http import make_client
    from ingest.fetch.politeness import PoliteFetcher
    from ingest.pipeline import RunSummary, _plan

    pages, items = site(4, seed=3)
    gate = _Gate(width=2, hold=0.3)
    with LocalServer({}) as srv:
        for k in range(4):
            srv.routes[f"/feed{k}"] = gate.route(rss(srv.url, items[k:k + 1]))
        s = settings(tmp_path, per_host=2, fetch_threads=8, respect_robots=False)
        summary = RunSummary("r", __import__("datetime").datetime.now())
        with make_client(s) as client:
            _plan([Source("feed", f"{srv.url}/feed{k}", f"F{k}") for k in range(4)], PoliteFetcher(client, s), s,
                  summary, set())
    assert gate.most_open == 2 and len(gate.log) == 8, gate.log


def test_parallel_discovery_gives_the_sequential_result(tmp_path: Path) -> None:
    """Sources discovered at once or one by one: the same candidates in the same order, the same counts and reasons
    per source (a feed listed twice gets its 304 the second time either way)."""
    from datetime import UTC, datetime
    from http.server import BaseHTTPRequestHandler

    from ingest.fetch.http import make_client
    from ingest.fetch.politeness import PoliteFetcher
    from ingest.pipeline import RunSummary, _plan
    from ingest.sources.feedstate import FeedState

    pages, items = site(9, seed=17)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}

    def etag_feed(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.end_headers()
            return
        reply(rss(srv.url, items[6:] + items[:1]), ctype="application/rss+xml", headers={"ETag": '"v1"'})(h)

    with LocalServer(routes) as srv:
        srv.routes["/a"] = reply(rss(srv.url, items[:4]), ctype="application/rss+xml")
        srv.routes["/b"] = reply(rss(srv.url, items[3:6]), ctype="application/rss+xml")  # one URL also in /a
        srv.routes["/e"] = etag_feed
        urls = tmp_path / "urls.txt"
        urls.write_text(f"{srv.url}{items[8][1]}\n{srv.url}/nowhere\n")
        sources = [Source("feed", srv.url + "/a", "A"), Source("feed", srv.url + "/gone", "Gone"),
                   Source("feed", srv.url + "/b", "B"), Source("feed", srv.url + "/e", "E"),
                   Source("urls", str(urls), "U"), Source("feed", srv.url + "/e", "E")]

        def outcome(threads: int) -> tuple:
            s = settings(tmp_path, fetch_threads=threads)
            summary = RunSummary("r", datetime.now(UTC))
            with make_client(s) as client:
                todo = _plan(sources, PoliteFetcher(client, s), s, summary, set(), FeedState())
            stats = {n: (s.found, s.skipped, s.duplicate, dict(s.failures)) for n, s in summary.sources.items()}
            return [c.url for c in todo], stats

        one_by_one, at_once = outcome(1), outcome(8)
    assert one_by_one == at_once
    todo, stats = at_once
    assert list(stats) == ["A", "Gone", "B", "E", "U"] and stats["Gone"][3] == {"feed-http-404": 1}, stats
    assert stats["B"][:3] == (3, 0, 1) and stats["E"][:3] == (4, 0, 1), stats  # the second /e got a 304: no more
    assert len(todo) == 10 and todo[-1].endswith("/nowhere"), todo


def test_utf8_page_served_as_windows_1251_is_stored_as_written(tmp_path: Path) -> None:
    """The page says <meta charset="utf-8">, its server says windows-1251: the text is stored as UTF-8 (not
    "ErdoДџan") and the mention of Erdoğan is counted."""
    page = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Erdoğan meets delegates</title></head>'
            "<body><article><h1>Erdoğan meets delegates</h1>"
            + "".join(f"<p>President Recep Tayyip Erdoğan met delegates in Ankara on Monday to discuss grain "
                      f"exports, officials said after the meeting, point {k}.</p>" for k in range(5))
            + "</article></body></html>")
    with LocalServer({"/a": reply(page.encode("utf-8"), ctype="text/html; charset=windows-1251")}) as srv:
        urls = tmp_path / "urls.txt"
        urls.write_text(srv.url + "/a\n")
        summary = run_ingest([Source("urls", str(urls), "Test Daily")], settings(tmp_path))
    assert summary.total().stored == 1, format_summary(summary)
    store = Store(tmp_path / "store")
    text = duckdb.execute("select text from read_parquet(?)", [store.glob("articles")]).fetchone()[0]
    assert "Recep Tayyip Erdoğan met delegates" in text
    people = duckdb.execute("select distinct entity_id from read_parquet(?)", [store.glob("mentions")]).fetchall()
    assert ("erdogan",) in people


def test_pages_of_many_hosts_are_fetched_side_by_side(tmp_path: Path) -> None:
    """Eight outlets, one feed each, four pages a feed, every host 1 request at a time 0.4 s apart: the first
    eight page requests go to eight different hosts (the old order gave two: the candidates came feed by feed and
    every fetch thread waited on the first hosts' slots), and no host ever sees two requests closer than 0.4 s."""
    import threading
    import time as clock

    log: list[tuple[float, int, str]] = []
    lock = threading.Lock()

    def logged(host: int, route):
        def handler(h):
            with lock:
                log.append((clock.monotonic(), host, h.path))
            route(h)
        return handler

    servers, sources = [], []
    rng_pages, items = site(32, seed=11)
    try:
        for k in range(8):
            srv = LocalServer({}).__enter__()
            servers.append(srv)
            mine = items[4 * k:4 * k + 4]
            for _, path, _ in mine:
                srv.routes[path] = logged(k, reply(rng_pages[path][1]))
            srv.routes["/rss"] = logged(k, reply(rss(srv.url, mine), ctype="application/rss+xml"))
            srv.routes["/robots.txt"] = logged(k, reply("User-agent: *\nAllow: /\n", ctype="text/plain"))
            sources.append(Source("feed", srv.url + "/rss", f"Outlet {k}"))
        summary = run_ingest(sources, settings(tmp_path, per_host=1, host_delay=0.4, fetch_threads=8))
    finally:
        for srv in servers:
            srv.__exit__(None, None, None)
    assert summary.total().stored == 32, format_summary(summary)
    pages = [(t, host) for t, host, path in log if path.startswith("/world/")]
    assert len({host for _, host in pages[:8]}) == 8, pages[:8]
    for k in range(8):
        starts = sorted(t for t, host, _ in log if host == k)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert min(gaps) >= 0.4 - 0.1, (k, gaps)  # server-side stamps: a loaded machine shifts them a little


def test_a_sources_own_host_delay_spaces_its_requests(tmp_path: Path) -> None:
    import threading
    import time as clock

    starts: list[float] = []
    lock = threading.Lock()
    pages, items = site(4, seed=12)

    def logged(route):
        def handler(h):
            with lock:
                starts.append(clock.monotonic())
            route(h)
        return handler

    with LocalServer({}) as srv:
        for path, (ct, body) in pages.items():
            srv.routes[path] = logged(reply(body, ctype=ct))
        srv.routes["/rss"] = logged(reply(rss(srv.url, items), ctype="application/rss+xml"))
        summary = run_ingest([Source("feed", srv.url + "/rss", "Slow", host_delay=0.3, per_host=1)],
                             settings(tmp_path, host_delay=0.0, per_host=8))
    assert summary.total().stored == 4, format_summary(summary)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # stamped by the server's threads as they get the CPU: a loaded machine shifts them by some tens of ms
    assert len(starts) == 5 and min(gaps) >= 0.3 - 0.1, gaps
