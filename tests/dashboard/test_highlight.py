"""Highlighted article text: escaped, non-overlapping, each mark saying who or what and which rule."""

import re

import pytest

from dashboard.highlight import RULES, Span, article_html, highlight, spans_for

NAMES = {("person", "ah"): "Ahmed <Hostile> Name", ("topic", "cf"): "Ceasefire"}


def m(field, start, end, eid="ah", kind="person", rule="alias"):
    return {"field": field, "start": start, "end": end, "entity_id": eid, "kind": kind, "rule": rule}


def test_escapes_everything_and_marks_spans():
    text = "<script>alert(1)</script> Ahmed met <img src=x onerror=alert(1)> & co."
    i = text.index("Ahmed")
    out = highlight(text, [Span(i, i + 5, "ah", "person", "fuzzy")], NAMES)
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co." in out
    assert 'title="Person: Ahmed &lt;Hostile&gt; Name · rule: a one-letter slip"' in out
    assert '<mark class="nm-person"' in out and ">Ahmed</mark>" in out


@pytest.mark.parametrize("mentions, marked", [
    ([m("body", 0, 5), m("body", 0, 11)], ["Ahmed Aboud"]),  # longest at a start wins
    ([m("body", 0, 11), m("body", 6, 11)], ["Ahmed Aboud"]),  # inside an earlier span: dropped
    ([m("body", 0, 5), m("body", 12, 21, "cf", "topic", "topic")], ["Ahmed", "ceasefire"]),
    ([m("title", 0, 5)], []),  # another field
    ([m("body", 15, 99)], []),  # beyond the text: skipped, text kept whole
])
def test_spans(mentions, marked):
    text = "Ahmed Aboud ceasefire"
    out = highlight(text, spans_for(mentions, "body"), NAMES)
    import re

    assert re.findall(r">([^<>]*)</mark>", out) == marked
    assert re.sub(r"<[^>]+>", "", out) == text  # no character lost or added


def test_article_html_has_title_and_body_marks():
    out = article_html("Ahmed <b>x</b>", "Body: Ahmed.", [m("title", 0, 5), m("body", 6, 11)], NAMES)
    assert out.count("<mark") == 2
    assert "&lt;b&gt;x&lt;/b&gt;" in out
    assert 'class="nm-title"' in out and 'class="nm-body"' in out


def test_unknown_entity_falls_back_to_id_and_unknown_rule_is_named():
    out = highlight("abc", [Span(0, 3, "who", "person", "")], {})
    assert 'title="Person: who · rule: unknown rule"' in out


def test_every_rule_label_is_plain_text():
    """The labels go into a title attribute and the legend table: words only, no markup, on one line."""
    import html

    from ingest.mentions import matcher

    assert set(matcher.RULE_HELP) <= set(RULES), set(matcher.RULE_HELP) - set(RULES)  # every rule has its words
    assert set(getattr(matcher, "OLD_RULES", {})) <= set(RULES)  # and a store written before a rename
    assert {"middle-name", "title-surname", "surname-after-full", "surname-after-full-name", "surname-distinctive",
            "transliteration", "named-after", "alias", "fuzzy", "context", "topic"} <= set(RULES)
    for rule, text in RULES.items():
        assert text and text == text.strip() and text == " ".join(text.split()), rule
        assert html.escape(text, quote=True) == text, rule  # nothing HTML would read as markup
        assert not re.search(r"[*_`$\\[\]#|~:]", text), rule  # nor Markdown
        out = highlight("abc", [Span(0, 3, "ah", "person", rule)], NAMES)
        assert f"rule: {text}\"" in out
