"""Article text as safe HTML with the mentions highlighted; every byte of the article is escaped.

Each highlight is a <mark> whose title says which person or topic it is and which matching rule found it,
so a reader can check the tool's work. Spans that overlap an earlier, longer span are dropped (the
longest match at a position wins), so the output never nests or crosses tags.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The matcher's rule (ingest/mentions/matcher.py RULE_HELP) -> the words shown on a highlight for why it counted.
# Plain text, short: they go into a title attribute and the legend table. "surname-after-full-name" is the rule
# name of stores written before the derived forms (the matcher's OLD_RULES); an unknown rule is shown as it is.
RULES = {
    "alias": "an alias",
    "middle-name": "full name with a middle name or initial",
    "title-surname": "title and family name",
    "surname-after-full": "family name after the full name",
    "surname-after-full-name": "surname after the full name",
    "surname-distinctive": "family name alone (unambiguous)",
    "transliteration": "another script or spelling",
    "fuzzy": "a one-letter slip",
    "context": "a cue word in context",
    "named-after": "institution named after the person",
    "topic": "a topic term",
}

STYLE = (
    "<style>"
    ".nm-text{white-space:pre-wrap;line-height:1.6;font-size:1rem;max-width:46rem}"
    ".nm-text mark{padding:0 .15em;border-radius:.2em}"
    ".nm-text mark.nm-person{background:#fde68a;color:#1f2937}"
    ".nm-text mark.nm-topic{background:#bfdbfe;color:#1f2937}"
    ".nm-text mark sub{font-size:.65em;color:#4b5563;margin-left:.15em}"
    "</style>"
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity_id: str
    kind: str
    rule: str


def spans_for(mentions: Iterable[Mapping], field: str) -> list[Span]:
    """The non-overlapping spans of one field (title or body), longest first at equal starts."""
    raw = sorted(
        (
            Span(int(m["start"]), int(m["end"]), str(m["entity_id"]), str(m["kind"]), str(m.get("rule") or ""))
            for m in mentions
            if m["field"] == field and int(m["end"]) > int(m["start"])
        ),
        key=lambda s: (s.start, -(s.end - s.start)),
    )
    kept: list[Span] = []
    for s in raw:
        if not kept or s.start >= kept[-1].end:
            kept.append(s)
    return kept


def label(span: Span, names: Mapping[tuple[str, str], str]) -> str:
    who = names.get((span.kind, span.entity_id), span.entity_id)
    rule = RULES.get(span.rule, span.rule or "unknown rule")
    return f"{'Person' if span.kind == 'person' else 'Topic'}: {who} · rule: {rule}"


def highlight(text: str, spans: Iterable[Span], names: Mapping[tuple[str, str], str] | None = None) -> str:
    """`text` as HTML with each span wrapped in <mark title="Person: … · rule: …">; all text escaped.

    Spans beyond the text (a stale mention) are skipped rather than cutting the text.
    """
    names = names or {}
    out: list[str] = []
    pos = 0
    for s in spans:
        if s.start < pos or s.end > len(text):
            continue
        out.append(html.escape(text[pos : s.start]))
        tip = html.escape(label(s, names), quote=True)
        kind = "nm-person" if s.kind == "person" else "nm-topic"
        out.append(
            f'<mark class="{kind}" title="{tip}" data-entity="{html.escape(s.entity_id, quote=True)}"'
            f' data-rule="{html.escape(s.rule, quote=True)}">{html.escape(text[s.start : s.end])}</mark>'
        )
        pos = s.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def article_html(
    title: str, text: str, mentions: Iterable[Mapping], names: Mapping[tuple[str, str], str] | None = None
) -> str:
    """The title and cleaned text with highlights, as one self-contained HTML fragment."""
    mentions = list(mentions)
    head = highlight(title or "", spans_for(mentions, "title"), names)
    body = highlight(text or "", spans_for(mentions, "body"), names)
    return f'{STYLE}<div class="nm-text"><h3 class="nm-title">{head}</h3><div class="nm-body">{body}</div></div>'
