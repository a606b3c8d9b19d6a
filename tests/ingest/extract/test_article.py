"""extract_article on the seed page and on every kind of bad input."""

from __future__ import annotations

import gzip
import json
import pickle
from datetime import UTC, datetime

import pytest

from ingest.extract.article import extract_article
from ingest.records import Extracted, Failure
from tests.paths import SHARED_DATA

DATA = SHARED_DATA
SEED = DATA / "seed"
SEED_URL = "https://www.themoscowtimes.com/2024/08/13/putin-calls-for-full-fledged-state-of-palestine-in-talks-with-abbas-a86021"
FETCHED = datetime(2024, 8, 14, 9, 0, tzinfo=UTC)

needs_seed = pytest.mark.skipif(not (SEED / "article.html").exists(),
                                reason=f"shared seed data not found at {SEED} (../shared/data from the repo root)")


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((SEED / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed() -> Extracted:
    result = extract_article((SEED / "article.html").read_bytes(), SEED_URL, fetched_at=FETCHED)
    assert isinstance(result, Extracted), result
    return result


def assert_body(text: str, expected: dict) -> None:
    paragraphs = text.split("\n\n")
    positions = []
    for snippet in expected["body_paragraphs_in_order"]:
        hits = [i for i, p in enumerate(paragraphs) if snippet in p]
        assert hits, f"missing body paragraph: {snippet!r}"
        positions.append(hits[0])
    assert positions == sorted(positions), "body paragraphs out of order"
    for snippet in expected["must_not_contain"]:
        assert snippet not in text, f"furniture kept: {snippet!r}"


@needs_seed
def test_seed_body_exact(seed, expected):
    assert_body(seed.text, expected)
    assert all(p.strip() == p and p for p in seed.text.split("\n\n"))


@needs_seed
def test_seed_metadata(seed, expected):
    assert seed.title == expected["title"]
    assert seed.published_at == datetime(2024, 8, 13, 15, 5, tzinfo=UTC)
    assert seed.published_at.tzinfo is not None
    assert seed.published_source == "meta"
    assert seed.published_offset_min == 180  # the page says 18:05 Moscow time (+03:00)
    assert seed.language == "en"
    assert "Vladimir Putin and Palestinian President Mahmoud Abbas." not in seed.text  # the caption


@needs_seed
def test_seed_from_str_and_declared_encoding(expected):
    html = (SEED / "article.html").read_bytes()
    for arg, enc in ((html.decode("utf-8"), None), (html, "utf-8"), (html, "iso-8859-1")):
        result = extract_article(arg, SEED_URL, encoding=enc, fetched_at=FETCHED)
        assert isinstance(result, Extracted)
        assert_body(result.text, expected)


def test_result_and_arguments_pickle():
    page = "<html><body><article>" + "".join(
        f"<p>The council met on Monday {i} to discuss the budget for next year and agreed on most points.</p>"
        for i in ("morning", "at noon", "in the evening")) + "</article></body></html>"
    result = extract_article(page.encode(), "https://example.org/2024/01/02/budget", fetched_at=FETCHED)
    assert isinstance(result, Extracted)
    assert pickle.loads(pickle.dumps(result)) == result


ARTICLE_P = "<p>The regional government approved the new budget on Monday after a long debate in parliament, and the opposition said it would challenge parts of it in court next month.</p>"

BAD_INPUTS = [
    ("empty-bytes", b"", "empty"),
    ("whitespace", b"   \n\t  ", "empty"),
    ("empty-document", b"<html><head></head><body></body></html>", "no-article"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 50, "binary"),
    ("png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "binary"),
    ("gzip-body", gzip.compress(b"<html><body>" + ARTICLE_P.encode() * 5 + b"</body></html>"), "binary"),
    ("random-bytes", bytes((i * 7919) % 256 for i in range(20000)), "binary"),
    ("too-large", b"<html><body>" + ARTICLE_P.encode() * 60000 + b"</body></html>", "too-large"),
    ("not-found", b"<html><head><title>Page not found - Example News</title></head><body><h1>404 - Page not found</h1>"
     b"<p>Sorry, the page you are looking for does not exist. Try the search or go back to the home page.</p></body></html>",
     "not-found-page"),
    ("login-wall", b"<html><head><title>Sign in - Example Daily</title></head><body><h1>Sign in to continue</h1><form>"
     b"<input name='user'><input type='password' name='pw'><button>Log in</button></form></body></html>", "login-wall"),
    ("section-front", ("<html><head><title>World news</title></head><body><h1>World</h1><ul>" + "".join(
        f"<li><a href='/world/story-{i}'>Headline number {i} about the world</a></li>" for i in range(40))
        + "</ul></body></html>").encode(), "no-article"),
    ("script-only", b"<html><head><script>var a = 1;</script></head><body><script>document.write('x')</script></body></html>",
     "no-article"),
]


@pytest.mark.parametrize("name,body,reason", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_a_counted_reason(name, body, reason):
    result = extract_article(body, f"https://example.org/{name}", fetched_at=FETCHED)
    assert isinstance(result, Failure), result
    assert result.reason == reason, result


def test_wrong_declared_encoding_is_corrected():
    text = "<html><head><title>Größere Straßen</title></head><body><article>" + (
        "<p>Die Bürgermeisterin sagte am Montag, die Straßen würden größer, und die Anwohner müssten sich "
        "auf Bauarbeiten bis zum Frühjahr einstellen, weil die Leitungen erneuert würden.</p>") * 3 + "</article></body></html>"
    result = extract_article(text.encode("utf-8"), "https://example.de/a", encoding="iso-8859-1", fetched_at=FETCHED)
    assert isinstance(result, Extracted)
    assert "Bürgermeisterin" in result.text and "Ã" not in result.text
    assert result.language == "de"


def test_undeclared_legacy_encoding_is_detected():
    text = "<html><body><article>" + (
        "<p>Le président a déclaré lundi que le gouvernement présenterait un projet de loi sur l'énergie "
        "avant l'été, après des mois de débats à l'Assemblée nationale et au Sénat.</p>") * 3 + "</article></body></html>"
    result = extract_article(text.encode("cp1252"), "https://example.fr/a", fetched_at=FETCHED)
    assert isinstance(result, Extracted)
    assert "président a déclaré" in result.text
    assert result.language == "fr"


def test_undecodable_bytes_are_bad_encoding():
    body = b"<html><body><p>" + bytes(range(0x80, 0x100)) * 200 + b"</p></body></html>"
    result = extract_article(body, "https://example.org/x", encoding="utf-8", fetched_at=FETCHED)
    assert isinstance(result, Failure)
    assert result.reason in {"bad-encoding", "no-article"}


def test_never_raises_on_odd_input():
    for body in ("<", "<<<>>>", "<html><body>\x00\x01</body></html>", "<?xml version='1.0' encoding='utf-8'?><html/>"):
        assert isinstance(extract_article(body, "https://example.org/odd", fetched_at=FETCHED), Failure)


def _extract_in_worker(args):
    from ingest.extract.article import extract_article as fn

    return fn(*args[:2], fetched_at=args[2])


def test_runs_in_a_spawned_worker_process():
    """A pool with the spawn start method imports ingest.extract.article afresh: the newspaper3k fix must apply there."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    page = BLOG_STYLE_PAGE.encode()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        remote = pool.submit(_extract_in_worker, (page, "https://example.org/2024/05/02/resort", FETCHED)).result()
    local = extract_article(page, "https://example.org/2024/05/02/resort", fetched_at=FETCHED)
    assert remote == local
    assert "a shuttle will run every hour" in remote.text


def test_article_about_something_not_found_is_kept():
    page = ("<html><head><title>Missing hikers not found after three-day search</title></head><body><article>"
            "<h1>Missing hikers not found after three-day search</h1>" + ARTICLE_P * 2 + "</article></body></html>")
    result = extract_article(page.encode(), "https://example.org/news/hikers", fetched_at=FETCHED)
    assert isinstance(result, Extracted)


from tests.ingest.extract.test_newspaper_fix import BARE_TEXT_PAGE as BLOG_STYLE_PAGE  # noqa: E402 - one copy of the page


def test_learnt_boilerplate_is_removed_from_new_articles():
    from ingest.extract.boilerplate import learn_boilerplate

    furniture = ["The Harbour Gazette is published by the Harbour Gazette Trust, a charity registered in 1921.",
                 "More from the Harbour Gazette"]

    def page(i: int) -> str:
        paragraphs = [f"The harbour authority said on day {i} that ships would wait {i} hours longer than usual, as "
                      f"cranes number {i} and {i + 1} were repaired after the storm that hit the port last week.",
                      f"Shipping companies asked for compensation for the {i} days of delays, the authority said.",
                      *furniture]
        return "<html><body><article>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>"

    first = [extract_article(page(i), f"https://gazette.example/{i}", fetched_at=FETCHED) for i in range(8)]
    assert all(furniture[0] in r.text for r in first)  # a first page cannot know the source's furniture
    bp = learn_boilerplate(r.text for r in first)
    later = extract_article(page(99), "https://gazette.example/99", fetched_at=FETCHED, boilerplate=bp)
    assert isinstance(later, Extracted)
    assert furniture[0] not in later.text and furniture[1] not in later.text
    assert later.text.startswith("The harbour authority said on day 99")


def test_demo_outlets_come_out_exact():
    """The demo's four fictional outlets, each with its own template and furniture (cookie bars, donation
    pop-ups and appeals, captions with credits, newsletter boxes, "Read more" lists): the first pages of each,
    with nothing learnt yet, come out as exactly their body paragraphs."""
    from ingest.demo.corpus import ORIGIN, build_corpus

    corpus = build_corpus(seed=7, n_articles=120)
    checked = 0
    for art in corpus.articles[::3]:
        _, body = corpus.files[art.path]
        url = ORIGIN + art.path if ORIGIN.startswith("http") else f"http://{ORIGIN}{art.path}"
        result = extract_article(body, url, fetched_at=datetime(2030, 1, 1, tzinfo=UTC))
        assert isinstance(result, Extracted), (art.path, result)
        assert result.text.split("\n\n") == list(art.paragraphs), art.path
        assert result.title == art.title
        if result.published_source == "url":  # an outlet without date metadata: the URL's day
            assert result.published_at.date() == art.published.date()
        else:
            assert (result.published_at, result.published_source) == (art.published.astimezone(UTC), "meta")
        checked += 1
    assert checked >= 30


def test_chinese_article_without_spaces_is_an_article():
    sentence = "国家统计局周一发布的数据显示，今年前三个季度全国居民人均可支配收入实际增长百分之五点二，消费市场继续恢复。"
    page = ("<html lang='zh-CN'><head><title>前三季度居民收入增长</title></head><body><article>"
            + "".join(f"<p>{sentence}</p>" for _ in range(1)) + f"<p>{sentence[::-1]}</p></article></body></html>")
    result = extract_article(page.encode(), "https://example.cn/2024/10/21/income", fetched_at=FETCHED)
    assert isinstance(result, Extracted), result
    assert result.language == "zh"


def test_the_bodys_dateline_dates_a_page_without_date_metadata():
    page = ("<html><head><title>Harbour plan approved</title></head><body><div class='calendar'><ul>"
            "<li>Sat 13.11.2021 <a href='/e'>Organ concert</a></li></ul></div><article><h1>Harbour plan approved</h1>"
            "<p>Kiel, (12.11.2021). " + ARTICLE_P[3:] + ARTICLE_P + "</article></body></html>")
    result = extract_article(page.encode(), "https://example.org/detail/id/35204", fetched_at=FETCHED)
    assert (result.published_at.date().isoformat(), result.published_source) == ("2021-11-12", "dateline")


def test_a_page_whose_marked_body_is_empty_says_so():
    # The shape of a regional news page whose text a script fills in: headline, an empty articleBody and a
    # column of links to other stories.
    links = "".join(f"<p><a href='/social/story-{i}'>Another story from the region, number {i}</a></p>"
                    for i in range(30))
    page = ("<html><head><title>Journalists honoured</title></head><body><h1 itemprop='headline'>Journalists "
            f"honoured</h1><div itemprop='articleBody' class='inread-content'> </div><div>{links}</div></body></html>")
    result = extract_article(page.encode(), "https://example.org/social/2020/01/13/honoured.html",
                             fetched_at=FETCHED)
    assert isinstance(result, Failure)
    assert (result.reason, result.detail) == ("no-article",
                                              "the page's article body is empty in its HTML (filled in by a script)")
