"""The extraction worker's per-page task: the article, its mentions and its story signature."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np

from ingest import worker
from ingest.records import Article, Candidate, Failure
from ingest.store.stories import NO_SIGNATURE, signature
from tests.pages import article_html


def test_process_for_store_sends_the_article_and_its_signature() -> None:
    worker.init_worker(None)
    when = datetime(2025, 5, 5, 8, tzinfo=UTC)
    _, html, _ = article_html(1, random.Random(3), when)
    url = "https://news.example/world/talks-1"
    page = (Candidate(url, "Example"), html.encode(), url, "utf-8", when)
    article, sig = worker.process_for_store(*page)
    assert isinstance(article, Article) and article == worker.process_page(*page)
    assert np.array_equal(sig, signature(article.text)) and sig.dtype == np.uint32


def test_process_for_store_sends_no_signature_for_a_failure_or_a_short_text() -> None:
    worker.init_worker(None)
    when = datetime(2025, 5, 5, 8, tzinfo=UTC)
    failed, sig = worker.process_for_store(Candidate("https://x.example/a", "X"), b"", "https://x.example/a", None, when)
    assert isinstance(failed, Failure) and sig is NO_SIGNATURE
    brief = ("Markets across Europe closed higher on Friday after a quiet week of trading, "
             "with banks and energy companies leading the gains in London.")  # 23 words: 19 shingles, under 20
    html = f"<html><head><title>Brief</title></head><body><article><h1>Brief</h1><p>{brief}</p></article></body></html>"
    result, sig = worker.process_for_store(Candidate("https://x.example/b", "X"), html.encode(), "https://x.example/b",
                                           "utf-8", when)
    assert isinstance(result, Article) and signature(result.text) is None
    assert sig is NO_SIGNATURE
