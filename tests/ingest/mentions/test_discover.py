"""Discovery: person names outside the watchlist, ranked by mentions in a date window, with example sentences."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from ingest.cli.mentions import mentions
from ingest.mentions.discover import candidates, discover_names
from ingest.mentions.watchlist import load_watchlist
from ingest.records import Article
from ingest.store.parquet import Store, article_id, content_hash

TEXTS = [
    (
        date(2024, 3, 1),
        "UN special rapporteur Francesca Albanese said the report was ready. Vladimir Putin was silent.",
    ),
    (
        date(2024, 3, 2),
        "Francesca Albanese told reporters in Geneva that access was denied. The Gaza Strip was quiet.",
    ),
    (
        date(2024, 3, 3),
        "Iranian Foreign Minister Abbas Araghchi met Francesca Albanese. Red Sea shipping resumed.",
    ),
    (
        date(2024, 3, 4),
        '"We are ready," said Jake Sullivan. Anthony Albanese, the Australian leader, agreed.',
    ),
    (
        date(2024, 3, 5),
        "Jake Sullivan, who advised the president, left. The White House declined to comment.",
    ),
    (
        date(2024, 6, 1),
        "Hamas negotiator Khalil al-Hayya said the deal was close. Antonio Guterres said little.",
    ),
    (
        date(2024, 6, 2),
        "Antonio Guterres warned of famine. Antonio Guterres said aid must flow. New York was hot.",
    ),
]


@pytest.fixture
def store(tmp_path):
    articles = []
    for n, (day, text) in enumerate(TEXTS):
        url = f"https://news.example/{n}"
        articles.append(
            Article(
                id=article_id(url),
                url=url,
                source="Example Post",
                title=f"Story {n}",
                text=text,
                content_hash=content_hash(text),
                fetched_at=datetime(2024, 7, 1, tzinfo=UTC),
                published_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            )
        )
    s = Store(tmp_path / "store")
    with s.writer() as w:
        w.write_batch(articles)
    return s


CANDIDATES = {
    "titled": ("Iranian Foreign Minister Abbas Araghchi arrived.", [("Abbas Araghchi", True)]),
    "speech-verb-after": ("Jake Sullivan told reporters.", [("Jake Sullivan", True)]),
    "speech-verb-before": ('"No," said Jake Sullivan.', [("Jake Sullivan", True)]),
    "particles": (
        "Ursula von der Leyen spoke; Khalil al-Hayya said no.",
        [("Ursula von der Leyen", False), ("Khalil al-Hayya", True)],
    ),
    "places-are-not-names": ("The Gaza Strip and the Red Sea and New York.", []),
    "non-ascii-letters": (
        "Turkish President Recep Tayyip Erdoğan met Maroš Šefčovič.",
        [("Recep Tayyip Erdoğan", True), ("Maroš Šefčovič", False)],
    ),
    "months-and-institutions": ("In March the Security Council met. Foreign Ministry officials said.", []),
}


@pytest.mark.parametrize(("text", "want"), CANDIDATES.values(), ids=CANDIDATES.keys())
def test_candidates(text, want):
    assert [(c[0], c[3] > 0) for c in candidates(text)] == want


def test_discover_ranks_names_off_the_watchlist_in_the_window(store):
    df = discover_names(store.root, "2024-03-01", "2024-03-31", load_watchlist(), limit=10)
    assert list(df["name"]) == ["Francesca Albanese", "Jake Sullivan"]
    row = df.iloc[0]
    assert (row["mentions"], row["articles"]) == (3, 3)
    assert row["first_seen"] == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert row["last_seen"] == datetime(2024, 3, 3, 12, tzinfo=UTC)
    assert row["examples"][0] == "UN special rapporteur Francesca Albanese said the report was ready."
    assert 'name = "Francesca Albanese"' in row["toml"]
    # On the watchlist, so never listed: Putin, Araghchi, Anthony Albanese.
    assert not {"Vladimir Putin", "Abbas Araghchi", "Anthony Albanese"} & set(df["name"])
    assert df.attrs["scanned"] == 5


def test_a_name_read_more_often_as_a_place_is_not_listed(store):
    df = discover_names(store.root, "2024-06-01", "2024-06-30", load_watchlist(), limit=10)
    assert "Sharm el-Sheikh" not in set(df["name"])


def test_discover_window_limit_and_empty_store(store, tmp_path):
    df = discover_names(store.root, date(2024, 6, 1), None, load_watchlist(), limit=1)
    assert list(df["name"]) == ["Antonio Guterres"]
    assert df.iloc[0]["mentions"] == 3
    assert discover_names(tmp_path / "none", None, None, load_watchlist(), 5).empty


def test_discover_command(store):
    result = CliRunner().invoke(
        mentions, ["discover", "--store", str(store.root), "--until", "2024-03-31", "--jsonl"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["name"] == "Francesca Albanese" and rows[0]["mentions"] == 3
    bad = CliRunner().invoke(mentions, ["discover", "--store", str(store.root), "--since", "March"])
    assert bad.exit_code == 1 and "bad date" in bad.output
