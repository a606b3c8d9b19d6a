"""The generated store of the dashboard benchmark: 1,000,000 articles with real-article text.

Article bodies are made of paragraphs drawn from the cleaned texts of the 472 real pages of
`../shared/data/extraction-dev` (extracted once with `ingest.extract.article.extract_article` and cached next to the
store, never in the repo): each article takes as many paragraphs as a randomly chosen real page has (capped at
60), drawn at random from all pages, so lengths follow the real pages' (median ~3,600 characters) and the
vocabulary is the real pages' (news, blogs, many languages). Titles are real titles. Every mention row of a
person or topic has that entity's name written into the title or body at its `start`/`end` offsets, so a search
for a name finds the articles the mentions table says mention it.

Limit: 472 pages give ~13,600 distinct paragraphs, each reused ~3,000 times in 1M articles, so no word is rarer
than about 0.2% of articles; a real archive has a long tail of far rarer words (see docs/benchmarks.md).
"""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script too: the repo's packages first

from ingest.store.compact import compact_store  # noqa: E402
from ingest.store.parquet import ARTICLES_SCHEMA, MENTIONS_SCHEMA, Store, _write_atomic  # noqa: E402

DEV_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "extraction-dev"
N_PEOPLE, N_TOPICS, N_SOURCES = 80, 25, 60
START = datetime(2023, 1, 1, tzinfo=UTC)
DAYS = 3 * 365
MAX_PARAGRAPHS = 60
FIRST = ("Amara Boris Chen Dalia Emeka Farah Goran Hana Idris Jonas Katya Luis Mei Nadia Omar Priya Rafael Sione "
         "Tomasz Ulla").split()
LAST = "Okafor Lindqvist Moreau Haddad Kowalski".split()
TOPIC_WORDS = ("ceasefire inflation drought vaccine tariffs wildfire strike referendum pipeline asylum "
               "semiconductor heatwave election blockade austerity cyberattack famine coup hurricane sanctions "
               "bailout ransomware landslide embargo recession").split()


def people_names() -> list[str]:
    """The 80 benchmark people's names: person-000 is 'Amara Okafor', and so on (all distinct)."""
    return [f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST)]}" for i in range(N_PEOPLE)]


class NoDevSet(RuntimeError):
    """The shared extraction dev set is not there, so the store's text cannot be built."""


def corpus(cache: Path) -> list[dict]:
    """The real pages' titles and cleaned texts, extracted once and cached in `cache` (outside the repo)."""
    if cache.exists():
        return json.loads(cache.read_text())
    cases = DEV_SET / "cases.jsonl"
    if not cases.exists():
        raise NoDevSet(f"{DEV_SET} is absent: the benchmark's article text is built from its 472 real pages")
    from ingest.extract.article import extract_article
    from ingest.records import Extracted

    out = []
    for line in cases.read_text().splitlines():
        c = json.loads(line)
        r = extract_article(gzip.decompress((DEV_SET / c["page"]).read_bytes()), c["url"])
        if isinstance(r, Extracted):
            out.append({"title": r.title, "text": r.text})
    cache.write_text(json.dumps(out))
    return out


def _article_text(paras: list[str], title: str, names: list[tuple[str, str]], rng: np.random.Generator):
    """Title and body with each (field, name) written in; returns them and each name's (start, end)."""
    spans: list[tuple[int, int]] = [(0, 0)] * len(names)
    title_names = [(i, n) for i, (f, n) in enumerate(names) if f == "title"]
    if title_names:  # "Name, Name: Title"
        title = ", ".join(n for _, n in title_names) + ": " + title
    pos = 0
    for i, n in title_names:
        spans[i] = (pos, pos + len(n))
        pos += len(n) + 2
    body = list(paras)
    where = rng.integers(0, len(body), len(names))
    at: dict[int, list[int]] = {}
    for i, (f, _) in enumerate(names):
        if f == "body":
            at.setdefault(int(where[i]), []).append(i)
    parts, pos = [], 0
    for j, p in enumerate(body):
        if j:
            parts.append("\n\n")
            pos += 2
        for i in at.get(j, ()):  # "Name said: " before the paragraph
            n = names[i][1]
            spans[i] = (pos, pos + len(n))
            parts.append(n + " said: ")
            pos += len(n) + 7
        parts.append(p)
        pos += len(p)
    return title, "".join(parts), spans


def generate(root: Path, n: int, seed: int = 7, batch: int = 50_000) -> None:
    """Articles and mentions: Zipf-popular entities, bursty days, 60 sources, 4 languages, real-page text.

    Laid out as a store that has been ingested and compacted is: batches follow publication time (an ingest run
    stores what was published lately), then `compact_store` merges them into time-sorted files of small row
    groups (ingest/store/layout.py). Batches that each spanned all three years, as before, were a layout no
    ingest leaves, and made every period's texts cost every file."""
    pages = corpus(root.parent / (root.name + "-corpus.json"))
    pool = [p for x in pages for p in x["text"].split("\n\n") if p.strip()]
    n_paras = np.array([min(MAX_PARAGRAPHS, max(1, x["text"].count("\n\n") + 1)) for x in pages])
    titles = [x["title"] or "Untitled" for x in pages]
    rng = np.random.default_rng(seed)
    store = Store(root)
    store.init()
    people = np.array([f"person-{i:03d}" for i in range(N_PEOPLE)])
    topics = np.array([f"topic-{i:02d}" for i in range(N_TOPICS)])
    surface = dict(zip(people.tolist(), people_names(), strict=True)) | dict(zip(topics.tolist(), TOPIC_WORDS, strict=True))
    sources = np.array([f"Outlet {i:02d}" for i in range(N_SOURCES)])
    langs = np.array(["en", "en", "en", "fr", "de", "es", None], dtype=object)
    day_weight = rng.gamma(2.0, 1.0, DAYS)
    day_weight[rng.choice(DAYS, 20, replace=False)] *= 6  # bursts
    day_weight[rng.choice(DAYS, 10, replace=False)] = 0  # days with nothing stored: gaps
    day_weight /= day_weight.sum()
    pz = 1 / np.arange(1, N_PEOPLE + 1) ** 1.1
    pz /= pz.sum()
    tz = 1 / np.arange(1, N_TOPICS + 1) ** 0.9
    tz /= tz.sum()
    ts_type = MENTIONS_SCHEMA.field("published_at").type
    days = np.sort(rng.choice(DAYS, n, p=day_weight))  # batch after batch, as ingest runs store them
    for b0 in range(0, n, batch):
        m = min(batch, n - b0)
        idx = np.arange(b0, b0 + m)
        ids = np.array([f"{(i * 2654435761) % (1 << 62):016x}" for i in idx.tolist()])
        day = days[b0:b0 + m]
        secs = rng.integers(0, 86400, m)
        pub = np.datetime64(START.replace(tzinfo=None), "s") + (day * 86400 + secs).astype("timedelta64[s]")
        src = sources[rng.integers(0, N_SOURCES, m)]
        k = rng.poisson(5.2, m)  # mentions per article: ~5.2M mentions per 1M articles
        rows = np.repeat(np.arange(m), k)
        is_person = rng.random(len(rows)) < 0.7
        ent = np.where(is_person, people[rng.choice(N_PEOPLE, len(rows), p=pz)],
                       topics[rng.choice(N_TOPICS, len(rows), p=tz)])
        field = np.where(rng.random(len(rows)) < 0.15, "title", "body")
        npar = n_paras[rng.integers(0, len(pages), m)]
        para_ix = rng.integers(0, len(pool), int(npar.sum()))
        title_ix = rng.integers(0, len(titles), m)
        starts = np.zeros(len(rows), np.int32)
        ends = np.zeros(len(rows), np.int32)
        out_titles, out_texts = [], []
        bounds = np.concatenate([[0], np.cumsum(k)])
        pbounds = np.concatenate([[0], np.cumsum(npar)])
        ent_l, field_l = ent.tolist(), field.tolist()
        for a in range(m):
            r0, r1 = int(bounds[a]), int(bounds[a + 1])
            names = [(field_l[r], surface[ent_l[r]]) for r in range(r0, r1)]
            paras = [pool[j] for j in para_ix[pbounds[a]:pbounds[a + 1]]]
            t, body, spans = _article_text(paras, titles[title_ix[a]], names, rng)
            out_titles.append(t)
            out_texts.append(body)
            for r, (s, e) in zip(range(r0, r1), spans, strict=True):
                starts[r], ends[r] = s, e
        published = pa.array(pub.astype("datetime64[us]"), pa.timestamp("us")).cast(ts_type)
        art = pa.table({
            "id": ids, "url": np.char.add("https://bench.example/", ids), "source": src,
            "title": out_titles, "authors": pa.array([[]] * m, pa.list_(pa.string())),
            "published_at": published,
            "published_source": np.where(rng.random(m) < 0.1, "fetched", "meta"),
            "fetched_at": published,
            "language": langs[rng.integers(0, len(langs), m)], "text": out_texts, "content_hash": ids,
            "story_id": ids, "published_offset_min": pa.nulls(m, pa.int16()),
        }).cast(ARTICLES_SCHEMA)
        men = pa.table({
            "article_id": ids[rows], "entity_id": ent, "kind": np.where(is_person, "person", "topic"),
            "field": field, "start": starts, "end": ends,
            "matched": [surface[e] for e in ent_l], "rule": np.full(len(rows), "alias"),
            "published_at": published.take(pa.array(rows)),
            "source": src[rows], "watchlist_version": np.full(len(rows), "bench"),
        }).cast(MENTIONS_SCHEMA)
        name = f"part-bench-{b0 // batch:04d}.parquet"
        _write_atomic(men, store.mentions_dir / name)
        _write_atomic(art, store.articles_dir / name)
        print(f"  generated {b0 + m:,} articles", file=sys.stderr)
    report = compact_store(store)
    print(f"  compacted into {report.files_after['articles']} files", file=sys.stderr)
