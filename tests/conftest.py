"""Shared fixtures: a tiny deterministic store built through the real store writer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ingest.records import Article, Mention
from ingest.store.parquet import Store, article_id, content_hash
from tests.browserkit import browser, dashboard, page  # noqa: F401 - the browser tests' shared fixtures (one server)

PEOPLE = {"alice-example": "Alice Example", "bob-sample": "Bob Sample", "carol-test": "Carol Test"}
TOPICS = {"ceasefire": "ceasefire", "elections": "election"}
SOURCES = ("Daily Fiction", "The Sample Times", "Example Post")
FIRST_DAY = date(2024, 1, 1)  # a Monday
LAST_DAY = date(2024, 3, 31)
GAP_WEEK = date(2024, 2, 12)  # nothing at all is stored in this Monday-to-Sunday week
HOSTILE = "Alice Example said <script>alert('xss')</script> and <img src=x onerror=alert(1)> were seen."
PLACES = ("Geneva", "Cairo", "Oslo", "Brasilia", "Jakarta")


@dataclass(frozen=True)
class TinyStore:
    root: Path
    articles: tuple[Article, ...]
    hostile_id: str  # the article whose text holds <script> and <img onerror>
    watchlist: Path  # a watchlist TOML naming the store's people and topics

    @property
    def names(self) -> dict[tuple[str, str], str]:
        return {("person", k): v for k, v in PEOPLE.items()} | {("topic", k): f"Topic {v}" for k, v in TOPICS.items()}

    @property
    def store(self) -> Store:
        return Store(self.root)

    @property
    def charted(self) -> tuple[Article, ...]:
        """The articles the charts, lists and counts count by default: not those dated by their fetch time (no
        publication date found in the page: `Filters.fetched`)."""
        return tuple(a for a in self.articles if a.published_source != "fetched")


def write_tiny_watchlist(path: Path) -> Path:
    lines = ['[meta]', 'as_of = "2024-04-01"', '']
    for eid, name in PEOPLE.items():
        lines += ["[[people]]", f'id = "{eid}"', f'name = "{name}"', ""]
    for eid, phrase in TOPICS.items():
        lines += ["[[topics]]", f'id = "{eid}"', f'label = "Topic {phrase}"', f'any = ["{phrase}"]', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _mentions(title: str, text: str) -> tuple[Mention, ...]:
    out = []
    for field_name, s in (("title", title), ("body", text)):
        for kind, table in (("person", PEOPLE), ("topic", TOPICS)):
            for eid, phrase in table.items():
                i = s.find(phrase)
                while i >= 0:
                    rule = "alias" if kind == "person" else "topic"
                    out.append(Mention(eid, kind, field_name, i, i + len(phrase), phrase, rule))
                    i = s.find(phrase, i + 1)
    return tuple(out)


def _days(rng: random.Random) -> list[date]:
    span = (LAST_DAY - FIRST_DAY).days + 1
    days = [FIRST_DAY + timedelta(days=rng.randrange(span)) for _ in range(90)]
    return sorted(d for d in days if not (GAP_WEEK <= d < GAP_WEEK + timedelta(days=7)))


def build_tiny_store(root: Path, seed: int = 42) -> TinyStore:
    """About 85 articles over Q1 2024 from three fictional outlets; one week has nothing stored at all."""
    rng = random.Random(seed)
    articles: list[Article] = []
    for n, day in enumerate(_days(rng)):
        people = rng.sample(sorted(PEOPLE.values()), k=rng.choice((0, 1, 1, 2, 3)))
        place = rng.choice(PLACES)
        topic = rng.choice(("ceasefire", "election", "trade"))
        title = f"{people[0]} visits {place}" if people and rng.random() < 0.6 else f"News from {place}"
        paras = [f"{p} met officials in {place} to discuss the {topic}." for p in people]
        paras.append(f"Officials in {place} said the talks on the {topic} would go on next week.")
        if people and rng.random() < 0.3:
            paras.append(f"Later, {people[0]} spoke again about the {topic}.")
        text = "\n\n".join(paras)
        when = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=UTC)
        url = f"https://news.example/{n:03d}"
        articles.append(
            Article(
                id=article_id(url),
                url=url,
                source=SOURCES[n % 3],
                title=title,
                text=text,
                content_hash=content_hash(text),
                fetched_at=datetime(2024, 4, 1, tzinfo=UTC),
                published_at=when,
                published_source=rng.choice(("meta", "meta", "jsonld", "url", "fetched")),
                authors=("Staff",),
                language="fr" if n % 10 == 7 else "en",
                mentions=_mentions(title, text),
                # every 9th article is a syndicated copy: it joins the story of the article before it
                story_id=articles[-1].story_id or articles[-1].id if n % 9 == 8 else None,
            )
        )
    url = "https://news.example/hostile"
    hostile_text = HOSTILE + "\n\nThe ceasefire talks went on."
    hostile = Article(
        id=article_id(url), url=url, source=SOURCES[0], title="Alice Example <b>bold</b> claims",
        text=hostile_text, content_hash=content_hash(hostile_text), fetched_at=datetime(2024, 4, 1, tzinfo=UTC),
        published_at=datetime(2024, 3, 20, 12, 0, tzinfo=UTC), published_source="fetched", language="en",
        mentions=_mentions("Alice Example <b>bold</b> claims", hostile_text),
    )
    articles.append(hostile)
    store = Store(root)
    with store.writer() as w:
        half = len(articles) // 2
        w.write_batch(articles[:half], watchlist_version="test-1")
        w.write_batch(articles[half:], watchlist_version="test-1")
        t0 = datetime(2024, 4, 1, tzinfo=UTC)
        w.write_run(
            [
                {"run_id": "r1", "source": s, "started_at": t0, "finished_at": t0 + timedelta(minutes=2),
                 "found": 40, "fetched": 30, "stored": 28, "duplicate": 2, "failed": 10 if i == 0 else 0,
                 "failures": [("http-404", 6), ("timeout", 4)] if i == 0 else [], "watchlist_version": "test-1"}
                for i, s in enumerate(SOURCES)
            ]
        )
    watchlist = write_tiny_watchlist(root.parent / "tiny-watchlist.toml")
    return TinyStore(root=root, articles=tuple(articles), hostile_id=hostile.id, watchlist=watchlist)


@pytest.fixture
def tiny_store(tmp_path: Path) -> TinyStore:
    """A small deterministic store (seeded random.Random(42)) in tmp_path/store."""
    return build_tiny_store(tmp_path / "store")


@pytest.fixture(scope="session")
def tiny_store_session(tmp_path_factory: pytest.TempPathFactory) -> TinyStore:
    """The same store, built once per session (for slow consumers such as a browser test)."""
    return build_tiny_store(tmp_path_factory.mktemp("tiny") / "store")


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    """A store with only its empty schema files."""
    store = Store(tmp_path / "empty")
    store.init()
    return store
