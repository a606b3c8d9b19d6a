"""newspaper3k's metadata and body extraction, run on a tree we already parsed, without its slow paths.

`Article.parse()` re-decodes the page (chardet on every page without a declared charset), parses it again,
and spends most of its time in whole-document XPath scans: ``//*[re:test(@class, ...)]`` once per pattern
(EXSLT regex, evaluated in Python callbacks) and ``descendant-or-self::tag`` for every node it looks at.
The classes here give the same answers from single passes:

- `FastParser.getElementsByTag` / `getElementsByTags` walk with ``iter(tag)`` instead of XPath;
- `FastCleaner` tests the id/class/name patterns of ``DocumentCleaner`` with compiled `re` in one walk;
- `FastExtractor.get_authors` buckets the candidate author nodes in one walk, in newspaper's own order.

They are subclasses used only by newsmon's pipeline (the library's classes are untouched, so the
benchmark's "newspaper3k alone" is the stock library). `tests/ingest/extract/test_newspaper_fast.py` checks that the text,
title and authors equal `Article.parse()`'s on real pages.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml.html import HtmlElement

from ingest.extract import newspaper_fix

newspaper_fix.apply()

from newspaper.cleaners import DocumentCleaner  # noqa: E402
from newspaper.configuration import Configuration  # noqa: E402
from newspaper.extractors import ContentExtractor  # noqa: E402
from newspaper.outputformatters import OutputFormatter  # noqa: E402
from newspaper.parsers import Parser  # noqa: E402

_SIMPLE_TAG = re.compile(r"^[a-z][a-z0-9]*$")


class FastParser(Parser):
    @classmethod
    def getElementsByTag(cls, node, tag=None, attr=None, value=None, childs=False, use_regex=False):  # noqa: N802
        if tag and not attr and not value and _SIMPLE_TAG.match(tag):
            elems = list(node.iter(tag))  # descendant-or-self, document order
            if elems and elems[0] is node:
                elems.pop(0)  # newspaper drops the node itself when a tag is asked for
            return elems
        return super().getElementsByTag(node, tag=tag, attr=attr, value=value, childs=childs, use_regex=use_regex)

    @classmethod
    def getElementsByTags(cls, node, tags):  # noqa: N802
        if tags == ["*"]:
            return [e for e in node.iterdescendants() if isinstance(e.tag, str)]
        if all(_SIMPLE_TAG.match(t) for t in tags):
            return list(node.iterdescendants(*tags))
        return super().getElementsByTags(node, tags)


class _FastConfig(Configuration):
    @staticmethod
    def get_parser():
        return FastParser


class FastCleaner(DocumentCleaner):
    """DocumentCleaner with its attribute-regex removals done in one Python walk each."""

    def __init__(self, config):
        super().__init__(config)
        self._bad = re.compile(self.remove_nodes_re, re.I)
        self._named = [re.compile(p, re.I) for p in (self.caption_re, self.google_re, self.entries_re,
                                                      self.facebook_re, self.facebook_braodcasting_re,
                                                      self.twitter_re)]

    def clean_bad_tags(self, doc):
        # newspaper runs 3 whole-tree EXSLT-regex XPath scans here and 12 more in remove_nodes_regex; one
        # walk over the elements that have an id, class or name finds the same nodes. They are removed in
        # newspaper's order (first the "bad" names, keeping nodes that contain the article; then the
        # caption/google/entries/facebook/twitter patterns on id and class).
        bad, named = [], []
        seen: dict[str, tuple[bool, bool]] = {}  # class strings repeat: test each distinct value once

        def test(value: str | None, with_named: bool) -> tuple[bool, bool]:
            if not value:
                return False, False
            hit = seen.get(value)
            if hit is None:
                hit = (bool(self._bad.search(value)), any(rx.search(value) for rx in self._named))
                seen[value] = hit
            return hit[0], hit[1] and with_named

        for node in doc.xpath("//*[@id or @class or @name]"):
            tests = (test(node.get("id"), True), test(node.get("class"), True), test(node.get("name"), False))
            if any(t[0] for t in tests):
                bad.append(node)
            if any(t[1] for t in tests):
                named.append(node)
        for node in bad:
            if not node.xpath(self.contains_article):
                self.parser.remove(node)
        for node in named:
            self.parser.remove(node)
        return doc

    def remove_nodes_regex(self, doc, pattern):
        return doc  # done in clean_bad_tags' single walk


class FastExtractor(ContentExtractor):
    _ATTRS = ("name", "rel", "itemprop", "class", "id")
    _VALS = ("author", "byline", "dc.creator", "byl")

    def get_authors(self, doc):
        buckets: dict[tuple[str, str], list] = {}
        for e in doc.iter():
            if not isinstance(e.tag, str):
                continue
            for attr in self._ATTRS:
                v = e.get(attr)
                if v:
                    lv = v.lower()
                    for val in self._VALS:
                        if val in lv:
                            buckets.setdefault((attr, val), []).append(e)
        original = self.parser.getElementsByTag
        ordered = [buckets.get((a, v), []) for a in self._ATTRS for v in self._VALS]
        it = iter(ordered)
        try:
            # newspaper's get_authors asks the parser once per (attr, value), in this order; answer from the walk
            self.parser.getElementsByTag = staticmethod(lambda *a, **k: next(it))  # type: ignore[method-assign]
            return super().get_authors(doc)
        finally:
            self.parser.getElementsByTag = original  # type: ignore[method-assign]


@dataclass(frozen=True)
class NewspaperOutput:
    title: str
    authors: tuple[str, ...]
    meta_lang: str | None
    canonical: str | None
    top_image: str | None
    text: str  # newspaper's body text: paragraphs separated by blank lines


@lru_cache(maxsize=1)
def stopword_languages() -> frozenset[str]:
    """The languages newspaper3k has a stopwords file for; its body scorer counts stopwords, so for any other
    language it raises OSError ("bs", "sq", "hy", "lt", "ca", "bn", "la", "du" for Dutch, ...)."""
    import newspaper

    folder = Path(newspaper.__file__).parent / "resources" / "text"
    return frozenset(p.name[len("stopwords-"):-len(".txt")] for p in folder.glob("stopwords-*.txt"))


def body_language(detected: str | None, declared: str | None) -> str | None:
    """The language newspaper3k's body scorer should use: the detected one when newspaper has its stopwords, else
    the page's declared one when it has them, else None (no newspaper body: trafilatura's, which counts no
    words of any language, stands alone). With neither known, newspaper's default (English) as before."""
    available = stopword_languages()
    for code in (detected, declared):
        if code and code in available:
            return code
    if detected is None and declared is None:
        return "en"
    return None


def run_newspaper(doc: HtmlElement, url: str, detected: str | None = None,
                  with_body: bool = True) -> NewspaperOutput:
    """newspaper3k's `Article.parse()` steps that newsmon uses, on a parsed tree (not modified).

    `detected` is the language detected on the page's text (`language.sure_language`), which outranks the page's
    declaration (`<html lang>` is often a template's default). The body is left empty (`text=""`) when newspaper
    has no stopwords for the page's language, or when `with_body` is False."""
    from ingest.extract.language import declared_language

    config = _FastConfig()
    config.fetch_images = False
    ex = FastExtractor(config)
    title = ex.get_title(doc) or ""
    authors = tuple(ex.get_authors(doc) or ())
    meta_lang = ex.get_meta_lang(doc) or None
    canonical = ex.get_canonical_link(url, doc) or None
    top_image = ex.get_meta_img_url(url, doc) or None
    language = body_language(detected, declared_language(meta_lang)) if with_body else None
    text = ""
    if language is not None:
        formatter = OutputFormatter(config)
        ex.update_language(language)
        formatter.update_language(language)
        body_doc = FastCleaner(config).clean(copy.deepcopy(doc))
        top = ex.calculate_best_node(body_doc)
        if top is not None:
            top = ex.post_cleanup(top)
            text, _ = formatter.get_formatted(top)
    return NewspaperOutput(title, authors, meta_lang, canonical, top_image, text)
