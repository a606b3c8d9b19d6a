"""Body candidates from each extractor, as lists of paragraphs, from one parsed tree.

The page is parsed once (`parse_html`); each extractor gets that tree (trafilatura copies it itself,
newspaper3k's cleaner mutates, so it gets a deep copy — a C-level copy, several times cheaper than a parse).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from ingest import newspaper_fix

newspaper_fix.apply()

from newspaper import Article as _NpArticle  # noqa: E402  (after the fix, so every use is patched)
from newspaper.cleaners import DocumentCleaner  # noqa: E402
from newspaper.outputformatters import OutputFormatter  # noqa: E402
from trafilatura import bare_extraction  # noqa: E402
from trafilatura.xml import xmltotxt  # noqa: E402

# Same settings as trafilatura's own parser: comments and processing instructions are never text.
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "p"  # p | head | item | quote | cell | code (trafilatura's element names)


@dataclass(frozen=True)
class NewspaperResult:
    title: str
    authors: tuple[str, ...]
    meta_lang: str | None
    canonical: str | None
    top_image: str | None
    paragraphs: tuple[Para, ...]


def parse_html(text: str) -> HtmlElement | None:
    """Parse decoded page text once; None if lxml finds no document in it."""
    try:
        doc = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return doc if doc is not None and len(doc) else None


def trafilatura_paragraphs(doc: HtmlElement, url: str, *, precision: bool = False,
                           fast: bool = False) -> list[Para]:
    """trafilatura's body as paragraphs (a list item, table row or heading is a paragraph of its own)."""
    result = bare_extraction(doc, url=url, with_metadata=False, include_comments=False, include_tables=True,
                             include_images=False, favor_precision=precision, fast=fast, deduplicate=False)
    if result is None or result.body is None:
        return []
    out: list[Para] = []
    for child in result.body:
        kind = {"list": "item", "table": "cell"}.get(child.tag, child.tag)
        for line in xmltotxt(child, False).split("\n"):
            line = line.strip()
            if line:
                out.append(Para(line, kind))
    return out


def newspaper_extract(doc: HtmlElement, url: str) -> NewspaperResult:
    """newspaper3k's metadata and body, run on our tree (its own parse and chardet pass are skipped)."""
    article = _NpArticle(url, fetch_images=False)
    ex, config = article.extractor, article.config
    title = ex.get_title(doc) or ""
    authors = tuple(ex.get_authors(doc) or ())
    meta_lang = ex.get_meta_lang(doc) or None
    canonical = ex.get_canonical_link(url, doc) or None
    top_image = ex.get_meta_img_url(url, doc) or None
    body_doc = DocumentCleaner(config).clean(copy.deepcopy(doc))
    paragraphs: tuple[Para, ...] = ()
    top = ex.calculate_best_node(body_doc)
    if top is not None:
        top = ex.post_cleanup(top)
        text, _ = OutputFormatter(config).get_formatted(top)
        paragraphs = tuple(Para(p.strip()) for p in text.split("\n\n") if p.strip())
    return NewspaperResult(title, authors, meta_lang, canonical, top_image, paragraphs)
