"""Chart selections → the keys of the points behind them (a plain function: AppTest cannot click a chart)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

KINDS = ("person", "topic")
K = TypeVar("K")


@dataclass(frozen=True, order=True)
class PointKey:
    """One point of the timeline: an entity in a time bucket (the bucket's first day, UTC)."""

    kind: str
    entity_id: str
    bucket: date


@dataclass(frozen=True, order=True)
class PairKey:
    """One cell of the co-mentions matrix: two people mentioned in the same article."""

    a: str
    b: str


def point_custom_data(kind: str, entity_id: str, bucket: date) -> list[str]:
    """What the chart builder puts in a point's custom_data; `selected_points` reads it back."""
    return [kind, entity_id, bucket.isoformat()]


def _points(event: Any) -> list[Mapping]:
    if event is None:
        return []
    selection = event.get("selection") if isinstance(event, Mapping) else getattr(event, "selection", None)
    if selection is None:
        return []
    points = selection.get("points") if isinstance(selection, Mapping) else getattr(selection, "points", None)
    return list(points or [])


def selected_points(event: Any) -> list[PointKey]:
    """The timeline points in a plotly selection event (click or box), deduplicated, in order.

    Keys come from `customdata` only, never from x/y: bars on a date axis report a shifted x, and a
    point without our custom data (the coverage strip, an annotation) is ignored.
    """
    keys: list[PointKey] = []
    for p in _points(event):
        cd = p.get("customdata") if isinstance(p, Mapping) else None
        if not isinstance(cd, (list, tuple)) or len(cd) < 3 or cd[0] not in KINDS:
            continue
        try:
            key = PointKey(str(cd[0]), str(cd[1]), date.fromisoformat(str(cd[2])[:10]))
        except ValueError:
            continue
        if key not in keys:
            keys.append(key)
    return keys


def selected_pairs(event: Any) -> list[PairKey]:
    """The co-mention cells in a heatmap selection event; custom data is [a, b]."""
    pairs: list[PairKey] = []
    for p in _points(event):
        cd = p.get("customdata") if isinstance(p, Mapping) else None
        if isinstance(cd, (list, tuple)) and len(cd) >= 2 and cd[0] and cd[1] and cd[0] != cd[1]:
            key = PairKey(*sorted((str(cd[0]), str(cd[1]))))
            if key not in pairs:
                pairs.append(key)
    return pairs


MAX_URL_POINTS = 400  # a box over every week of several years for a few people; longer selections are cut


def encode_points(points: list[PointKey]) -> str:
    """The `sel` query parameter: `kind:entity_id:YYYY-MM-DD` items joined by commas, in selection order."""
    return ",".join(f"{p.kind}:{p.entity_id}:{p.bucket.isoformat()}" for p in points[:MAX_URL_POINTS])


def decode_points(raw: str | None) -> list[PointKey]:
    """Read `encode_points` back; a malformed item is skipped (a URL is user input), duplicates dropped."""
    return _decode_items(raw, _point)


def _point(item: str) -> PointKey | None:
    kind, _, rest = item.partition(":")
    entity_id, _, day = rest.rpartition(":")  # an entity id may hold ":"; the day never does
    if kind not in KINDS or not entity_id:
        return None
    try:
        return PointKey(kind, entity_id, date.fromisoformat(day))
    except ValueError:
        return None


def encode_pairs(pairs: list[PairKey]) -> str:
    """The `pair` query parameter: `a:b` items (entity ids, a < b) joined by commas."""
    return ",".join(f"{p.a}:{p.b}" for p in pairs[:MAX_URL_POINTS])


def decode_pairs(raw: str | None) -> list[PairKey]:
    """Read `encode_pairs` back; a malformed item (not two different ids) is skipped, duplicates dropped."""
    return _decode_items(raw, _pair)


def _pair(item: str) -> PairKey | None:
    a, sep, b = item.partition(":")
    if not sep or not a or not b or a == b or ":" in b:
        return None
    return PairKey(*sorted((a, b)))


def _decode_items(raw: str | None, parse: Callable[[str], K | None]) -> list[K]:
    """The comma-separated items of a URL parameter, each read by `parse` (None: malformed, skipped), in order,
    without duplicates, at most MAX_URL_POINTS."""
    keys: list[K] = []
    for item in (raw or "").split(","):
        key = parse(item)
        if key is not None and key not in keys:
            keys.append(key)
            if len(keys) >= MAX_URL_POINTS:
                break
    return keys


@dataclass(frozen=True, order=True)
class SourceKey:
    """One bar of a per-source chart: a source, in one time bucket (its first day) or over the whole period (None).

    `selected`: only the articles that mention a selected person or topic ("Top sources"), or every article
    the source stored ("Articles stored per source")."""

    source: str
    bucket: date | None = None
    selected: bool = True


def selected_sources(event: Any, selected: bool) -> list[SourceKey]:
    """The bars of a per-source chart in a selection event; custom data is [source] or [source, bucket day]."""
    keys: list[SourceKey] = []
    for p in _points(event):
        cd = p.get("customdata") if isinstance(p, Mapping) else None
        if not isinstance(cd, (list, tuple)) or not cd or not isinstance(cd[0], str) or not cd[0]:
            continue
        try:
            day = date.fromisoformat(str(cd[1])[:10]) if len(cd) > 1 and cd[1] else None
        except ValueError:
            continue
        key = SourceKey(cd[0], day, selected)
        if key not in keys:
            keys.append(key)
    return keys


def encode_sources(keys: list[SourceKey]) -> str:
    """The `src` query parameter of one bar: `YYYY-MM-DD:source` (a bucket), `all:source` (the period); a
    leading `*` for every article stored rather than those mentioning the selection. One bar: a source name
    may hold commas."""
    if not keys:
        return ""
    k = keys[0]
    return f"{'' if k.selected else '*'}{k.bucket.isoformat() if k.bucket else 'all'}:{k.source}"


def decode_sources(raw: str | None) -> list[SourceKey]:
    """Read `encode_sources` back; a malformed value gives no selection (a URL is user input)."""
    raw = raw or ""
    selected = not raw.startswith("*")
    when, sep, source = raw.removeprefix("*").partition(":")
    if not sep or not source:
        return []
    if when == "all":
        return [SourceKey(source, None, selected)]
    try:
        return [SourceKey(source, date.fromisoformat(when), selected)]
    except ValueError:
        return []
