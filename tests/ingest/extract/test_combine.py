"""`needs_second_candidate`: newspaper3k's body is skipped only where the merge cannot depend on it."""

from __future__ import annotations

import gzip
import json

import pytest

from ingest.extract.candidates import newspaper_paragraphs, parse_html, run_newspaper, trafilatura_paragraphs
from ingest.extract.combine import Para, merge_candidates, needs_second_candidate
from ingest.fetch.decoding import decode_html
from tests.paths import SHARED_DATA

PROSE = ("Delegations are expected to continue talks on grain exports next week, and analysts said the outcome "
         "would depend on energy prices and on regional mediators.")
NEWSLETTER = ("Sign up for our daily newsletter to get the most important stories of the day delivered to your inbox "
              "every morning, with analysis from our reporters around the world.")


def test_short_trafilatura_body_needs_newspaper():
    assert needs_second_candidate([Para("Too short.")])
    assert needs_second_candidate([])


def test_long_prose_that_a_weak_rule_would_drop_needs_newspaper():
    traf = [Para(PROSE), Para(NEWSLETTER)]
    assert needs_second_candidate(traf)
    # and the merge does depend on it: agreement keeps the paragraph
    assert NEWSLETTER in merge_candidates(traf, [Para(NEWSLETTER)]).paragraphs
    assert NEWSLETTER not in merge_candidates(traf, []).paragraphs


def test_plain_long_body_does_not():
    traf = [Para(PROSE), Para(PROSE.replace("next week", "on Monday"))]
    assert not needs_second_candidate(traf)


EXTRACTION_DEV = SHARED_DATA / "extraction-dev"


@pytest.mark.skipif(not (EXTRACTION_DEV / "cases.jsonl").exists(), reason=f"no dev set at {EXTRACTION_DEV}")
def test_skipping_newspaper_never_changes_the_merge_on_real_pages():
    cases = [json.loads(line) for line in (EXTRACTION_DEV / "cases.jsonl").read_text().splitlines()][:120]
    skipped = 0
    for case in cases:
        doc = parse_html(decode_html(gzip.decompress((EXTRACTION_DEV / case["page"]).read_bytes())))
        if doc is None:
            continue
        traf = trafilatura_paragraphs(doc, case["url"])
        if needs_second_candidate(traf):
            continue
        skipped += 1
        news = newspaper_paragraphs(run_newspaper(doc, case["url"]))
        assert merge_candidates(traf, news).paragraphs == merge_candidates(traf, []).paragraphs, case["url"]
    assert skipped >= 60  # most pages: the point of the shortcut
