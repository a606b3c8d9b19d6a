"""Cleaning text: stored article bodies (`clean_paragraphs`) and pasted page text (`clean_text`).

Both use the furniture rules of `ingest.extract.furniture` (captions and credits, share lines, paywall, newsletter,
cookie and donation prompts, "Read more" lines ...) and, when given one, a source's learnt boilerplate.

`clean_text()` handles a browser's select-all copy of a page, where there is no markup at all: it scores each
line as prose or not, takes the best-scoring run of lines as the body (a maximum-sum subarray), stops that run
at an end marker ("Read more", an appeal's heading, "Comments"), then drops the furniture left inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.extract.boilerplate import SiteBoilerplate, remove_boilerplate
from ingest.extract.furniture import END_MARKER, furniture_kind

__all__ = ["clean_paragraphs", "clean_text", "furniture_kind"]


def clean_paragraphs(paragraphs: Iterable[str], boilerplate: SiteBoilerplate | None = None) -> list[str]:
    """Drop paragraphs that are furniture or the source's learnt boilerplate; keep the rest in order."""
    kept = [p for p in (" ".join(x.split()) for x in paragraphs) if p and furniture_kind(p) is None]
    return remove_boilerplate(kept, boilerplate)


# --- pasted page text --------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…:;»«\"“”’')\]]\s*$")
# Short lines that belong to the body's end: "AFP contributed reporting.", "Reporting by ...", "(Reuters)".
_SIGNOFF = re.compile(
    r"\b(?:contributed (?:to )?(?:this )?report(?:ing)?|additional reporting|reporting by|writing by|editing by"
    r"|mit material von|mitarbeit:)\b|^\((?:reuters|ap|afp|dpa)\)$",
    re.I,
)


def _prose_score(line: str) -> float:
    """How much a line looks like body prose: positive for sentences, negative for labels and titles."""
    words = len(line.split())
    if furniture_kind(line):
        return -3.0
    if _SIGNOFF.search(line) and words <= 20:
        return 0.2
    if words >= 12 and _SENTENCE_END.search(line):
        return 1.0 + min(words, 60) / 30
    if words >= 8 and _SENTENCE_END.search(line):
        return 0.5
    return -1.0


def clean_text(text: str, boilerplate: SiteBoilerplate | None = None) -> str:
    """Clean pasted page text (boilerplate and all) to its article body: paragraphs joined by a blank line.

    The body is the highest-scoring run of lines (each line scored by `_prose_score`, a maximum-sum
    subarray), stopped early at an end marker such as "Read more" or an appeal's heading; the furniture
    rules then drop what remains inside it.
    """
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    best, best_span, run, start = 0.0, (0, 0), 0.0, 0
    for i, line in enumerate(lines):
        if run > 0 and best_span[1] == i and END_MARKER.search(line):
            break  # the run that holds the body so far ends at "Read more", an appeal's heading ...
        score = _prose_score(line)
        run, start = (score, i) if run <= 0 else (run + score, start)
        if run > best:
            best, best_span = run, (start, i + 1)
    if best <= 0:
        return ""  # no run of prose at all: a menu, a form, a list of links
    body = lines[best_span[0]:best_span[1]]
    return "\n\n".join(clean_paragraphs(body, boilerplate))
