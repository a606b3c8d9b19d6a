"""Display names from the watchlist; ids stand in for names when there is no watchlist module or file."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Names:
    """(kind, entity_id) → display name, the watchlist's version, and why loading failed if it did."""

    names: dict[tuple[str, str], str] = field(default_factory=dict)
    version: str | None = None
    error: str | None = None
    # The watchlist's own words for each entity (dashboard/explain.py leaves them out of "why the spike?"):
    # forms = display name, aliases, short forms (a topic: its label and phrases); titles = its role and titles.
    forms: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    titles: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def get(self, key: tuple[str, str], default: str | None = None) -> str:
        return self.names.get(key, key[1] if default is None else default)

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self.get(key)


def load_names(path: str | None) -> Names:
    """Read the watchlist through `ingest.mentions.watchlist.load_watchlist(path)` (None = the packaged default)."""
    try:
        from ingest.mentions.watchlist import load_watchlist
    except ImportError:
        return Names(error="ingest.mentions.watchlist is not available: showing entity ids")
    try:
        wl = load_watchlist(path)
    except Exception as exc:  # a bad watchlist must not take the dashboard down: show ids and say why
        return Names(error=f"watchlist not loaded ({exc}): showing entity ids")
    people, topics = getattr(wl, "people", ()), getattr(wl, "topics", ())
    names = {("person", p.id): p.name for p in people}
    names.update({("topic", t.id): t.label for t in topics})
    forms = {("person", p.id): (p.name, *p.aliases, *p.short) for p in people}
    forms.update({("topic", t.id): (t.label, *t.any_of) for t in topics})
    titles = {("person", p.id): tuple(x for x in (p.role, *p.titles) if x) for p in people}
    return Names(names=names, version=str(getattr(wl, "version", "") or "") or None, forms=forms, titles=titles)
