"""Merge the extractors' body candidates paragraph by paragraph."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.candidates import Para


def merge_candidates(traf: Sequence[Para], news: Sequence[Para]) -> list[str]:
    """The merged body as a list of paragraph texts (first version: trafilatura, else newspaper3k)."""
    chosen = traf or news
    return [p.text for p in chosen]
