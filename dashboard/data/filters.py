"""The dashboard's filters: one frozen object, mirrored in the URL query parameters so a view is a link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta

BUCKETS = ("day", "week", "month")
MEASURES = ("articles", "mentions")  # articles that mention an entity, or mention rows (title + body)
SCALES = ("raw", "share")  # raw counts, or the share of all articles ingested in the bucket
PRESETS = {"7d": 7, "30d": 30, "1y": 365, "all": None}  # days back from the latest article in the store
SORTS = ("published_at", "source", "title", "mentions")


@dataclass(frozen=True)
class Filters:
    """Everything that decides what the charts and lists show. Values are validated on the way in."""

    people: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    start: date | None = None  # inclusive, UTC days
    end: date | None = None  # inclusive
    preset: str = "all"  # a key of PRESETS, or "custom" when start/end were picked by hand
    bucket: str = "week"
    measure: str = "articles"
    scale: str = "raw"
    rolling: int = 0  # buckets in the rolling window; 0 or 1 = off
    sources: tuple[str, ...] = ()  # empty = all
    languages: tuple[str, ...] = ()  # empty = all
    search: str = ""  # words, "phrases", prefix*: see dashboard/data/search.py
    unique: bool = False  # one article per story (near-duplicate cluster): the story's first article
    # Articles whose page gave no publication date are stored dated by their fetch time (published_source
    # "fetched"): on a backfill that is the run's day, a fake spike. Left out unless asked for (docs/dashboard.md).
    fetched: bool = False

    def __post_init__(self) -> None:
        if self.bucket not in BUCKETS:
            raise ValueError(f"bucket must be one of {BUCKETS}, not {self.bucket!r}")
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, not {self.measure!r}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, not {self.scale!r}")
        if self.preset not in PRESETS and self.preset != "custom":
            raise ValueError(f"preset must be one of {tuple(PRESETS)} or 'custom', not {self.preset!r}")
        if self.rolling < 0:
            raise ValueError("rolling must be >= 0")

    @property
    def entities(self) -> tuple[tuple[str, str], ...]:
        """(kind, entity_id) pairs, people first."""
        return tuple(("person", p) for p in self.people) + tuple(("topic", t) for t in self.topics)

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    def resolved(self, latest: date | None) -> Filters:
        """Turn a preset into concrete dates, counting back from `latest` (the newest article's day)."""
        if self.preset == "custom" or latest is None:
            return self
        days = PRESETS[self.preset]
        start = None if days is None else latest - timedelta(days=days - 1)
        return replace(self, start=start, end=None if days is None else latest)

    def to_query_params(self) -> dict[str, str]:
        """Only the settings that differ from the defaults, as strings (lists comma-joined)."""
        default = Filters()
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if f.name in ("start", "end") and self.preset != "custom":
                continue  # a preset is stored by name, so the link keeps meaning "the last 30 days"
            if isinstance(value, tuple):
                out[f.name] = ",".join(value)
            elif isinstance(value, date):
                out[f.name] = value.isoformat()
            else:
                out[f.name] = str(value)
        return out

    @classmethod
    def from_query_params(cls, params: Mapping[str, str]) -> Filters:
        """Parse query parameters; a malformed value falls back to its default rather than failing."""
        kwargs: dict = {}
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None:
                continue
            raw = str(raw)
            try:
                if f.name in ("people", "topics", "sources", "languages"):
                    kwargs[f.name] = tuple(v for v in raw.split(",") if v)
                elif f.name in ("start", "end"):
                    kwargs[f.name] = date.fromisoformat(raw)
                elif f.name == "rolling":
                    kwargs[f.name] = max(0, int(raw))
                elif f.name in ("unique", "fetched"):
                    kwargs[f.name] = raw.lower() in ("1", "true", "yes")
                else:
                    kwargs[f.name] = raw
                cls(**{f.name: kwargs[f.name]})  # validate this one value alone
            except ValueError:
                kwargs.pop(f.name, None)
        if ("start" in kwargs or "end" in kwargs) and "preset" not in kwargs:
            kwargs["preset"] = "custom"
        return cls(**kwargs)

    def describe(self) -> dict:
        """A JSON-ready description, for export manifests."""
        d = asdict(self)
        return {k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v) for k, v in d.items()}
