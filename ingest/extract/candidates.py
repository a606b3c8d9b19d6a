"""Body candidates from each extractor, as lists of paragraphs, from one parsed tree.

The page is parsed once (`parse_html`); each extractor gets that tree (trafilatura copies it itself,
newspaper3k's cleaner mutates, so it gets a deep copy — a C-level copy, several times cheaper than a parse).
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.xml import xmltotxt

from ingest.extract.newspaper_fast import NewspaperOutput, run_newspaper

__all__ = ["Para", "parse_html", "trafilatura_paragraphs", "run_newspaper", "newspaper_paragraphs"]

# Same settings as trafilatura's own parser: comments and processing instructions are never text.
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "p"  # p | head | item | quote | cell | code (trafilatura's element names)


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


def newspaper_paragraphs(result: NewspaperOutput) -> list[Para]:
    """newspaper3k's body (from `run_newspaper`) as paragraphs."""
    return [Para(" ".join(p.split())) for p in result.text.split("\n\n") if p.strip()]
