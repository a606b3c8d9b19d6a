"""The demo corpus (ingest.demo.corpus) and its local server (ingest.demo.server)."""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import statistics
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import feedparser
import pytest

from ingest.demo import phrasebook as pb
from ingest.demo.corpus import END, LABEL, ORIGIN, START, Corpus, build_corpus
from ingest.demo.server import DemoServer


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus()


@pytest.fixture(scope="module")
def server(corpus: Corpus):
    with DemoServer(corpus) as running:
        yield running


def _digest(c: Corpus) -> str:
    h = hashlib.sha256()
    for path, (ctype, body) in c.files.items():
        h.update(path.encode() + b"\0" + ctype.encode() + b"\0" + body + b"\0")
    return h.hexdigest()


def _get(url: str, method: str = "GET") -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


def _pages(c: Corpus) -> dict[str, bytes]:
    return {p: b for p, (ct, b) in c.files.items() if ct.startswith("text/html")}


# --- the corpus ------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(corpus: Corpus) -> None:
    again = build_corpus()
    assert list(again.files) == list(corpus.files)
    assert _digest(again) == _digest(corpus)
    assert again.articles == corpus.articles


def test_another_seed_gives_another_corpus(corpus: Corpus) -> None:
    other = build_corpus(seed=7, n_articles=200)
    assert len(other.articles) == 200
    assert [a.title for a in other.articles[:20]] != [a.title for a in corpus.articles[:20]]


def test_four_fictional_outlets_with_their_own_feed(corpus: Corpus) -> None:
    assert [o.slug for o in corpus.outlets] == ["meridian", "harbor", "northgate", "atlas"]
    assert all(o.name.endswith("(fictional)") for o in corpus.outlets)
    assert len({o.feed_path for o in corpus.outlets}) == 4
    per_outlet = Counter(a.outlet for a in corpus.articles)
    assert set(per_outlet) == {o.slug for o in corpus.outlets}
    assert min(per_outlet.values()) > 200


def test_article_count_and_date_range(corpus: Corpus) -> None:
    assert len(corpus.articles) == 1500
    assert len({a.path for a in corpus.articles}) == 1500
    assert all(START <= a.published.date() <= END for a in corpus.articles)
    assert all(a.published.utcoffset() is not None for a in corpus.articles)
    months = {(a.published.year, a.published.month) for a in corpus.articles}
    assert len(months) == 18
    assert [a.published for a in corpus.articles] == sorted(a.published for a in corpus.articles)


def test_bursts_give_the_timeline_shape(corpus: Corpus) -> None:
    weeks = Counter(a.published.isocalendar()[:2] for a in corpus.articles)
    median = statistics.median(weeks.values())
    busiest, top = weeks.most_common(1)[0]
    assert top > 4 * median, (busiest, top, median)
    ceasefire = next(b for b in corpus.bursts if b.name == "Gaza ceasefire negotiations")
    inside = [a for a in corpus.articles if ceasefire.start <= a.published.date() <= ceasefire.end]
    assert sum(a.theme == "gaza" for a in inside) > 0.6 * len(inside)


def test_every_page_and_feed_is_labelled_synthetic(corpus: Corpus) -> None:
    for path, (ctype, body) in corpus.files.items():
        if path == "/robots.txt":
            continue
        text = body.decode("utf-8")
        assert html.escape(LABEL) in text or LABEL in text, path
        if ctype.startswith("text/html"):
            assert '<meta name="newsmon:synthetic" content="true">' in text, path


def test_article_pages_are_realistic_in_size_and_metadata(corpus: Corpus) -> None:
    pages = _pages(corpus)
    for art in corpus.articles:
        page = pages[art.path].decode("utf-8")
        assert 5_000 <= len(pages[art.path]) <= 60_000, art.path
        assert f'<meta property="og:title" content="{html.escape(art.title)}">' in page
        assert f'<meta name="author" content="{html.escape(art.authors[0])}">' in page
        published = re.search(r'property="article:published_time" content="([^"]+)"', page)
        if art.outlet == "northgate":  # the date only in the URL and the visible byline
            assert published is None and "ld+json" not in page
            assert f"/{art.published:%Y-%m-%d}/" in art.path
            assert f"{art.published.day} {art.published:%B %Y}, {art.published:%H:%M}" in page
        else:
            assert published and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", published[1])
            assert published[1] == art.published.isoformat()
            ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page)[1])
            assert ld["datePublished"] == art.published.isoformat() and ld["headline"] == art.title


def test_body_paragraphs_are_on_the_page_in_order_and_furniture_is_not_body(corpus: Corpus) -> None:
    pages = _pages(corpus)
    for art in corpus.articles[::7]:
        page = pages[art.path].decode("utf-8")
        positions = [page.index(f">{html.escape(p)}</p>") for p in art.paragraphs]
        assert positions == sorted(positions), art.path
        assert 4 <= len(art.paragraphs) <= 10
        flat = html.unescape(re.sub(r"\s+", " ", page))
        for phrase in corpus.furniture[art.outlet]:
            assert phrase in flat, (art.outlet, phrase)
            assert all(phrase not in p for p in art.paragraphs), (art.path, phrase)
        if art.caption:
            caption_text = art.caption.partition(". ")[0]
            assert re.search(r"<figcaption>(?:(?!</figcaption>).)*" + re.escape(html.escape(caption_text)), page), art.path
            assert all(caption_text not in p for p in art.paragraphs)


def test_no_quotations_in_the_invented_text(corpus: Corpus) -> None:
    for art in corpus.articles:
        for text in (art.title, *art.paragraphs):
            assert not re.search(r'["“”«»]', text), (art.path, text)


def test_body_mentions_count_every_reference_to_each_person(corpus: Corpus) -> None:
    for art in corpus.articles:
        body = "\n".join(art.paragraphs)
        truth = dict(art.body_mentions)
        for person in pb.PEOPLE:
            names = {person.surname, person.alt_surname} - {""}
            found = sum(len(re.findall(rf"\b{re.escape(n)}\b", body)) for n in names)
            assert found == truth.get(person.id, 0), (art.path, person.id)
        assert len(truth) >= 1
        assert set(art.title_people) <= set(truth)  # whoever the headline names, the body names too
    surname_only = sum(bool(re.search(r"(?<!Vladimir )\bPutin\b", "\n".join(a.paragraphs))) for a in corpus.articles)
    possessive = sum("'s " in " ".join(a.paragraphs) for a in corpus.articles)
    assert surname_only > 50 and possessive > 100  # later references are realistic, not always the full name


def test_topic_tags_of_templates_name_their_topic() -> None:
    for theme in pb.THEMES.values():
        for template, tags in theme.titles + theme.ledes + theme.sentences:
            for tag in tags:
                assert any(pb.says(p, template) for p in pb.TOPIC_RULES[tag][0]), (template, tag)


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("They discussed the war in Gaza.", ("israel-gaza-war",)),
        ("They discussed the ceasefire in Gaza.", ("gaza-ceasefire",)),
        ("They discussed a ceasefire in Ukraine.", ("ukraine-peace-talks",)),
        ("They discussed the ceasefire.", ()),  # a ceasefire, but where?
        ("Ukrainian officials said negotiations would resume.", ("ukraine-peace-talks",)),
        ("The elections were held; voters turned out.", ("elections",)),
        ("The electorate was tired.", ()),  # whole words only
        ("A two state solution and new sanctions.", ("palestinian-statehood", "sanctions")),
        ("The G20 summit discussed climate finance and aid convoys.", ("climate", "g20", "humanitarian-aid")),
        ("The climate was mild.", ()),
    ],
)
def test_topics_in(text: str, topics: tuple[str, ...]) -> None:
    assert pb.topics_in(text) == topics


def test_topic_context_meets_all_groups_but_not_any_phrases() -> None:
    assert pb.topics_in("Talks on the ceasefire resumed.", context="Gaza talks resume") == ("gaza-ceasefire",)
    assert pb.topics_in("Talks resumed.", context="Gaza ceasefire talks resume") == ()


def test_topics_are_those_named_in_the_body(corpus: Corpus) -> None:
    counts = Counter(t for a in corpus.articles for t in a.topics)
    assert set(counts) == set(pb.TOPIC_RULES)
    assert all(a.topics == pb.topics_in("\n".join(a.paragraphs), a.title) for a in corpus.articles[::5])
    g20 = next(b for b in corpus.bursts if b.name == "G20 leaders' summit")
    summit = [a for a in corpus.articles if a.theme == "summit"]
    assert summit and all(g20.start <= a.published.date() <= g20.end for a in summit)
    assert sum("g20" in a.topics for a in summit) > 0.9 * len(summit)


def test_awkward_cases_are_exposed(corpus: Corpus) -> None:
    paths = {a.path for a in corpus.articles}
    assert len(corpus.feed_duplicates) == 2
    for link in corpus.feed_duplicates:
        parts = urlsplit(link)
        assert parts.path in paths
        assert all(k.startswith("utm_") for k, _ in parse_qsl(parts.query))
    assert len(corpus.missing_paths) == 1 and corpus.missing_paths[0] not in corpus.files
    assert len(corpus.section_paths) == 1
    section = corpus.files[corpus.section_paths[0]][1].decode()
    assert '<meta property="og:type" content="website">' in section and "<article" not in section
    assert section.count('class="card"') >= 10


# --- the server ------------------------------------------------------------------------------------


def test_server_serves_pages_and_feeds_on_localhost(corpus: Corpus, server: DemoServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
    assert [name for name, _ in server.feed_urls()] == [o.name for o in corpus.outlets]
    for art in corpus.articles[::150]:
        status, ctype, body = _get(server.url(art.path))
        assert (status, ctype) == (200, "text/html; charset=utf-8")
        text = body.decode()
        assert f'<link rel="canonical" href="{server.base_url}{art.path}">' in text
        assert ORIGIN not in text
    ctypes = {_get(url)[1].split(";")[0] for _, url in server.feed_urls()}
    assert ctypes == {"application/rss+xml", "application/atom+xml"}


def test_server_404s_unknown_and_missing_paths(corpus: Corpus, server: DemoServer) -> None:
    assert _get(server.url("/no/such/page"))[0] == 404
    assert _get(server.url(corpus.missing_paths[0]))[0] == 404
    status, _, body = _get(server.url(corpus.feed_duplicates[0]))
    assert status == 200 and body == _get(server.url(urlsplit(corpus.feed_duplicates[0]).path))[2]
    assert _get(server.url(corpus.articles[0].path), method="HEAD")[:2] == (200, "text/html; charset=utf-8")


def test_feeds_parse_and_list_every_article(corpus: Corpus, server: DemoServer) -> None:
    total = 0
    for outlet, (name, url) in zip(corpus.outlets, server.feed_urls(), strict=True):
        feed = feedparser.parse(_get(url)[2])
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert feed.feed.title == name
        links = [e.link.removeprefix(server.base_url) for e in feed.entries]
        assert all(e.link.startswith(server.base_url + "/") for e in feed.entries)
        own = {a.path: a for a in corpus.articles if a.outlet == outlet.slug}
        assert set(own) <= set(links)
        assert len(links) == corpus.feed_items(outlet.slug)
        total += len(own)
        for entry in feed.entries:
            art = own.get(entry.link.removeprefix(server.base_url))
            if art is not None:
                assert entry.title == art.title
                assert calendar.timegm(entry.published_parsed) == int(art.published.timestamp())
    assert total == len(corpus.articles)
    extras = {link for _, url in server.feed_urls()
              for link in (e.link.removeprefix(server.base_url) for e in feedparser.parse(_get(url)[2]).entries)}
    assert set(corpus.feed_duplicates) | set(corpus.missing_paths) | set(corpus.section_paths) <= extras


def test_small_corpus_builds_and_serves() -> None:
    small = build_corpus(seed=3, n_articles=40)
    assert len(small.articles) == 40
    with DemoServer(small) as srv:
        name, url = srv.feed_urls()[0]
        assert _get(url)[0] == 200
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_server_sends_without_nagle_delay(corpus: Corpus) -> None:
    # Headers and body are two writes; with Nagle on each page waits ~40 ms for a delayed ACK
    # (benchmarks/demo.py: 22 vs 1595 pages/s on one connection).
    srv = DemoServer(corpus)
    try:
        assert srv._httpd.RequestHandlerClass.disable_nagle_algorithm is True
    finally:
        srv.stop()


def test_default_watchlist_finds_exactly_the_ground_truth(corpus: Corpus) -> None:
    """The demo's ground truth agrees with the real matcher over the default watchlist (same ids, same reading)."""
    from ingest.mentions.matcher import Matcher
    from ingest.mentions.watchlist import load_watchlist

    matcher = Matcher(load_watchlist())
    for art in corpus.articles[::3]:
        found = matcher.find(art.title, "\n\n".join(art.paragraphs))
        body = Counter(m.entity_id for m in found if m.kind == "person" and m.field == "body")
        assert dict(body) == dict(art.body_mentions), art.path
        assert sorted({m.entity_id for m in found if m.kind == "person" and m.field == "title"}) == list(art.title_people)
        assert tuple(sorted({m.entity_id for m in found if m.kind == "topic" and m.field == "body"})) == art.topics
