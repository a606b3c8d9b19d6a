"""Discovery: the most-mentioned person names in a date window that are not on the watchlist, with example sentences.

No model is downloaded (none can be, and a name list would go stale); this is a documented heuristic, tuned for English
news prose:

1. A candidate is a run of 2-4 capitalised words, allowing name particles between them ("bin", "al-", "von der"):
   "Francesca Albanese", "Mohammed bin Abdulrahman", "Ursula von der Leyen".
2. Leading words that are not part of a name are peeled off ("The", "After", "Russian", "Foreign Minister"), and a
   title peeled off this way is recorded as evidence that a person follows ("Foreign Minister Abbas Araghchi").
3. A candidate is dropped if any of its words is a known non-name word (months, weekdays, institutions such as
   "Ministry", "Council", "University", countries and demonyms), or if the watchlist already matches it.
4. A candidate is reported only if at least one occurrence has **person evidence** (a title or "said" before it, a
   speech verb or ", who" after it) and no more occurrences read as a place ("in", "at", "from" before it) than as a
   person. This keeps "Gaza Strip", "Red Sea" and "Sharm el-Sheikh" out.

Counts are occurrences of the full name; a surname alone is not counted. The heuristic misses names of one word and
names written all in capitals, and may list an organisation with a person-like name that "said" something.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ingest.mentions.fold import fold_form
from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import Watchlist
from ingest.store.parquet import Store

MAX_ARTICLES = (
    50_000  # newest articles of the window scanned; ~1 ms each, so a dashboard call stays under a minute
)

_LOWER = "a-zß-öø-ÿ\u0100-\u017f"  # with Latin Extended-A: Erdoğan, Łukasz, Šefčovič
_WORD = rf"[A-ZÀ-ÖØ-Þ\u0100-\u017f][{_LOWER}'’]*[{_LOWER}](?:-[A-Z]?[{_LOWER}]+)?"
_PARTICLE = r"(?:bin|bint|ibn|al|el|de|da|do|dos|das|du|van|von|der|den|la|le|abu|abd|ul)"
_CANDIDATE = re.compile(rf"(?<![\w.])({_WORD}(?:\s+(?:{_PARTICLE}\s+|(?:al|el)-)*{_WORD}){{1,6}})(?![\w])")
_AFTER = re.compile(
    r"\s*(?:,\s*(?:who|whose)\b|(?:said|says|told|tells|added|wrote|argued|warned|insisted"
    r"|announced|stated|noted|replied|recalled|explained|tweeted|posted)\b)"
)
_PLACE_BEFORE = frozenset("in at from to near across outside inside into via".split())
_SPEECH_BEFORE = frozenset("said says told asked according".split())
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+|\n")

TITLES = frozenset(
    """president presidents prime minister ministers chancellor premier king queen prince princess sheikh emir
    crown secretary general gen lt col colonel commander chief spokesman spokeswoman spokesperson envoy ambassador
    senator sen rep representative governor mayor judge justice lawyer attorney leader deputy vice speaker
    foreign defense defence interior finance economy health justice mr mrs ms dr professor prof rabbi imam pope
    cardinal archbishop bishop ayatollah captain sgt sergeant admiral marshal director head chairman chairwoman
    chair ceo founder negotiator official rapporteur analyst mediator activist journalist correspondent researcher
    economist candidate nominee adviser advisor aide diplomat lawmaker legislator politician businessman
    billionaire oligarch commentator historian author pastor father sister brother officer executive""".split()
)
LEADING = frozenset(
    """the a an in on at after before when while but and if as for from with by last this that these those former
    acting then since until under over during about according meanwhile however also only both neither either
    some many most why how what where who new said says told asked earlier later yesterday today tomorrow
    russian ukrainian israeli palestinian american british french german chinese indian iranian turkish saudi
    egyptian qatari lebanese syrian iraqi japanese korean brazilian mexican canadian australian italian spanish
    polish dutch european african arab western eastern northern southern us u s uk un eu nato hamas hezbollah""".split()
)
NOT_NAMES = frozenset(
    """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday ministry council party union nations times news agency court army
    forces force bank university street house square office department committee commission parliament assembly
    republic state states kingdom authority front group organization organisation company corp inc ltd airlines
    airport hospital school college institute center centre foundation fund museum church mosque temple station
    river sea ocean strip bank mountains island islands valley city county province region district agreement
    treaty summit conference forum games cup league club festival prize award day week year war crisis act law
    bill plan initiative programme program project operation guard corps brigade brigades battalion division
    police service services ministry reuters associated press afp tass bloomberg post journal herald telegraph
    tribune guardian observer review magazine television radio channel network media online street road avenue
    palace hall tower building hotel park international national federal central global world east west north
    south middle gulf red black dead white holy god allah christ jesus islamic jewish christian muslim catholic
    orthodox sunni shia democratic republican labour labor conservative liberal green social socialist communist
    israel gaza russia ukraine iran iraq syria lebanon egypt jordan qatar turkey china india japan korea brazil
    mexico canada australia france germany italy spain britain england america africa europe asia moscow kyiv kiev
    washington london paris berlin beijing tehran cairo doha riyadh ankara jerusalem tel aviv rafah khan younis
    beirut damascus baghdad brussels geneva vienna new york york los angeles san silicon valley wall research
    protection security defence defense affairs relations development management health education border customs
    neck bay beach lake port""".split()
)


@dataclass
class _Name:
    occurrences: int = 0
    evidence: int = 0  # occurrences that read as a person
    place: int = 0  # occurrences that read as a place
    articles: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    examples: list[tuple[str, str]] = field(default_factory=list)  # (article id, sentence)


def _to_utc(value: date | datetime | str | None, end: bool) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    day = value + timedelta(days=1) if end else value  # an end date is inclusive: up to the next midnight
    return datetime.combine(day, time(), tzinfo=UTC)


def _sentence(text: str, start: int, end: int) -> str:
    left = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 300), start):
        left = m.end()
    m = _SENTENCE_END.search(text, end)
    right = m.end() if m else len(text)
    s = " ".join(text[left:right].split())
    return s if len(s) <= 300 else s[:297] + "..."


def candidates(text: str) -> list[tuple[str, int, int, bool]]:
    """(name, start, end, evidence) for each person-like name in a text.

    evidence is 1 where the occurrence reads as a person (a title or "said" before, a speech verb or ", who" after),
    -1 where it reads as a place ("in", "at", "from" before), 0 otherwise.
    """
    out = []
    for m in _CANDIDATE.finditer(text):
        words = m.group(1).split()
        start = m.start(1)
        titled = False
        while words and (words[0].lower().strip("'’") in LEADING or words[0].lower() in TITLES):
            titled = titled or words[0].lower() in TITLES
            start += len(words[0])
            start += len(text[start:]) - len(text[start:].lstrip())
            words = words[1:]
        words = words[:4]
        if len(words) < 2 or any(w.lower().strip("'’") in NOT_NAMES or w.lower() in TITLES for w in words):
            continue
        name = " ".join(words)
        end = start + len(text[start : m.end(1)])
        if not titled:
            before = text[max(0, start - 40) : start].lower().split()
            titled = bool(before) and before[-1].strip(",.") in TITLES | _SPEECH_BEFORE
        if titled or _AFTER.match(text, end):
            evidence = 1
        else:
            before = text[max(0, start - 12) : start].split()
            evidence = -1 if before and before[-1].lower() in _PLACE_BEFORE else 0
        out.append((name, start, end, evidence))
    return out


def discover_names(
    store_root: Path | str,
    since: date | datetime | str | None,
    until: date | datetime | str | None,
    watchlist: Watchlist,
    limit: int = 20,
    max_articles: int = MAX_ARTICLES,
) -> pd.DataFrame:
    """The `limit` most-mentioned person names in [since, until] (dates inclusive, UTC) not on the watchlist.

    Columns: name, mentions, articles, first_seen, last_seen, examples (up to 3 sentences from different articles),
    toml (an entry to paste into a watchlist). `df.attrs` holds scanned (articles read) and capped (True when the
    window had more than `max_articles` articles and only the newest were read).
    """
    columns = ["name", "mentions", "articles", "first_seen", "last_seen", "examples", "toml"]
    store = Store(Path(store_root))
    empty = pd.DataFrame(columns=columns)
    empty.attrs.update(scanned=0, capped=False)
    if not store.exists():
        return empty
    lo, hi = _to_utc(since, end=False), _to_utc(until, end=True)
    dataset = ds.dataset(store.articles_dir, format="parquet")
    flt = None
    if lo is not None:
        flt = pc.field("published_at") >= lo
    if hi is not None:
        flt = (pc.field("published_at") < hi) if flt is None else flt & (pc.field("published_at") < hi)
    table = dataset.to_table(columns=["id", "title", "text", "published_at"], filter=flt)
    capped = table.num_rows > max_articles
    if capped:
        order = pc.sort_indices(table, sort_keys=[("published_at", "descending")])
        table = table.take(order[:max_articles])
    matcher = Matcher(watchlist)
    known: dict[str, bool] = {}
    names: dict[str, _Name] = defaultdict(_Name)
    for aid, title, text, published in zip(
        *(table.column(c).to_pylist() for c in ("id", "title", "text", "published_at")), strict=True
    ):
        for body in (title or "", text or ""):
            for name, start, end, evidence in candidates(body):
                key = fold_form(name)
                if key not in known:
                    known[key] = any(m.kind == "person" for m in matcher.find("", name))
                if known[key]:
                    continue
                n = names[name]
                n.occurrences += 1
                n.evidence += evidence > 0
                n.place += evidence < 0
                n.articles.add(aid)
                if published is not None:
                    n.first = published if n.first is None else min(n.first, published)
                    n.last = published if n.last is None else max(n.last, published)
                if len(n.examples) < 3 and all(a != aid for a, _ in n.examples):
                    n.examples.append((aid, _sentence(body, start, end)))
    rows = [
        {
            "name": name,
            "mentions": n.occurrences,
            "articles": len(n.articles),
            "first_seen": n.first,
            "last_seen": n.last,
            "examples": [s for _, s in n.examples],
            "toml": _toml(name),
        }
        for name, n in names.items()
        if n.evidence > 0 and n.evidence >= n.place
    ]
    rows.sort(key=lambda r: (-r["mentions"], -r["articles"], r["name"]))
    df = pd.DataFrame(rows[:limit], columns=columns)
    df.attrs.update(scanned=table.num_rows, capped=capped)
    return df


def _toml(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold_form(name).split()[-1]).strip("-") or "person"
    return f'[[people]]\nid = "{slug}"\nname = "{name}"\naliases = []'
