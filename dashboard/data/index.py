"""The dashboard's DuckDB view of the store, and an optional local index that makes it fast at a million articles.

`connect(root)` gives a connection where these names exist (the queries in `queries.py` use only these):

    articles         article metadata (no text)      mentions         every mention row, with its article's
                     and its key (search.KEY_SQL)                     language, first-of-story flag and key
    articles_raw     every article column, text too  runs, annotations the run log, event annotations
    rollup           (day, kind, entity_id, source, language, first) → articles, mentions, in_titles, last_seen
    coverage_rollup  (day, source, language, first)  → articles stored ("first": a story's first article)
    pair_rollup      (day, source, language, first, a, b) → articles mentioning both people a < b

Without an index they are views over the Parquet files (always current, slow past ~100k articles). With
`index_path`, articles (minus text), mentions and both rollups are kept as native DuckDB tables in that file,
sorted by entity and time so a one-person query reads only that person's blocks; the article view reads the
Parquet files. Beside the file, `search.py` keeps a text index of titles and texts (tantivy), brought up to date
in the background at every connect; until it is ready a search uses the text index this process used before if
only the mentions changed (a recount), else scans the Parquet files (dashboard/data/dispatch.py). The DuckDB index is
brought up to date at every connect: files of new batches are added; if a file it holds has gone (a recount
swapped the mentions, a compaction rewrote articles) it is rebuilt.
The rollups are exact: an article and all its mentions are written in one batch (same file name), so per-file
distinct counts add up. This module writes DDL only; every query lives in `queries.py`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from dashboard.data import search
from ingest.store.parquet import Store

ARTICLE_COLS = "id, url, source, title, authors, published_at, published_source, fetched_at, language, content_hash"
# The article key the text index returns (search.KEY_SQL), kept as a column: a search joins on it without
# hashing every row per query (in the index file it is computed once, when a batch is loaded).
KEY = search.KEY_SQL.format(col="m.article_id")
MENTION_COLS = 'article_id, entity_id, kind, field, start, "end", matched, rule, published_at, source'


def _mentions_sql(src: str) -> str:
    """Mention rows with their article's language and first-of-story flag, so filters on them need no join."""
    cols = ", ".join(f"m.{c.strip()}" for c in MENTION_COLS.split(","))
    return (
        f"SELECT {cols}, coalesce(a.language, '') AS language, {KEY} AS key,"
        " coalesce(a.story_id IS NULL OR a.story_id = a.id, true) AS first"
        f" FROM {src} m LEFT JOIN articles a ON a.id = m.article_id"
    )

# An article's language and whether it is its story's first article ("first") are copied into the rollups,
# so that only a full-text search needs the raw rows.
_FIRST = "(a.story_id IS NULL OR a.story_id = a.id)"
ROLLUP_SQL = (
    "SELECT CAST(m.published_at AS DATE) AS day, m.kind, m.entity_id, m.source, coalesce(a.language, '') AS language,"
    f" {_FIRST} AS first, count(DISTINCT m.article_id) AS articles, count(*) AS mentions,"
    " count(*) FILTER (WHERE m.field = 'title') AS in_titles, max(m.published_at) AS last_seen"
    " FROM {src} m JOIN articles a ON a.id = m.article_id WHERE m.published_at IS NOT NULL GROUP BY ALL"
)
PAIRS_SQL = (
    "WITH e AS (SELECT DISTINCT m.article_id, m.entity_id, CAST(m.published_at AS DATE) AS day, m.source,"
    f" coalesce(a.language, '') AS language, {_FIRST} AS first"
    " FROM {src} m JOIN articles a ON a.id = m.article_id WHERE m.kind = 'person' AND m.published_at IS NOT NULL)"
    " SELECT x.day, x.source, x.language, x.first, x.entity_id AS a, y.entity_id AS b, count(*) AS articles"
    " FROM e x JOIN e y ON x.article_id = y.article_id AND x.entity_id < y.entity_id GROUP BY ALL"
)


def _coverage_sql(src: str, story: bool) -> str:
    first = "(story_id IS NULL OR story_id = id)" if story else "true"
    return (
        "SELECT CAST(published_at AS DATE) AS day, source, coalesce(language, '') AS language,"
        f" {first} AS first, count(*) AS articles FROM {src} WHERE published_at IS NOT NULL GROUP BY ALL"
    )


INDEX_VERSION = "5"  # bump when a table's columns change: an older index is rebuilt


def default_index_path(root: Path) -> Path:
    """Where a store's index lives: $NEWSMON_DASHBOARD_CACHE, else ~/.cache/newsmon/dashboard/."""
    base = Path(os.environ.get("NEWSMON_DASHBOARD_CACHE") or Path.home() / ".cache" / "newsmon" / "dashboard")
    key = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return base / f"index-{key}.duckdb"


def _q(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _files(d: Path) -> list[str]:
    return sorted(str(p.resolve()) for p in d.glob("*.parquet"))


def _has_story(con: duckdb.DuckDBPyConnection, glob: str) -> bool:
    cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_q(glob)}, union_by_name = true)").fetchall()
    return any(c[0] == "story_id" for c in cols)


def connect(
    root: Path | str, threads: int | None = None, index_path: Path | None = None, memory_limit: str | None = None,
    text_index: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A connection with the names above; falls back to plain views if the index file cannot be opened.

    `text_index=False`: no text index is started beside the DuckDB index (alert evaluation needs no search)."""
    store = Store(Path(root))
    config: dict = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = None
    if index_path is not None:
        try:
            index_path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(index_path), config=config)
        except (duckdb.Error, OSError):
            con = None  # another process holds it, or no place to write: work from the files
    indexed = con is not None
    con = con or duckdb.connect(":memory:", config=config)
    con.execute("SET TimeZone = 'UTC'")
    globs = {t: store.glob(t) for t in ("articles", "mentions", "runs", "annotations")}
    story = _has_story(con, globs["articles"])
    for t in ("articles_raw", "runs", "annotations"):
        src = globs["articles" if t == "articles_raw" else t]
        if t == "annotations" and not (store.root / "annotations").is_dir():
            continue
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet({_q(src)}, union_by_name = true)")
    art_cols = (ARTICLE_COLS + (", story_id" if story else ", NULL::VARCHAR AS story_id")
                + f", {search.KEY_SQL.format(col='id')} AS key")
    if not indexed:
        con.execute(f"CREATE OR REPLACE VIEW articles AS SELECT {art_cols} FROM articles_raw")
        con.execute("CREATE OR REPLACE VIEW mentions AS "
                    + _mentions_sql(f"read_parquet({_q(globs['mentions'])}, union_by_name = true)"))
        con.execute(f"CREATE OR REPLACE VIEW rollup AS {ROLLUP_SQL.format(src='mentions')}")
        con.execute(f"CREATE OR REPLACE VIEW coverage_rollup AS {_coverage_sql('articles', True)}")
        con.execute(f"CREATE OR REPLACE VIEW pair_rollup AS {PAIRS_SQL.format(src='mentions')}")
        return con
    _sync(con, store, art_cols)
    if not text_index:
        return con
    # The text index (dashboard/data/search.py) catches up in the background. Meanwhile the one this process used
    # until now still gives a search's keys if the articles files are the same (a recount): dashboard/data/dispatch.py.
    from dashboard.data import dispatch

    previous = search.for_connection(con)
    ti = search.start(index_path, [Path(p) for p in _files(store.articles_dir)],
                      {Path(p).name: Path(p) for p in _files(store.mentions_dir)})
    dispatch.keep_previous(ti, previous)
    return con


def _sync(con: duckdb.DuckDBPyConnection, store: Store, art_cols: str) -> None:
    """Bring the native tables up to date with the store's files (add new batches, or rebuild)."""
    art_files = _files(store.articles_dir)  # listed first: an articles file is its batch's commit point
    committed = {Path(p).name for p in art_files}
    # A mentions file lands before its articles file; until that lands, the batch is not committed: skip it.
    men_files = [p for p in _files(store.mentions_dir) if Path(p).name in committed]
    con.execute("CREATE TABLE IF NOT EXISTS loaded (tbl VARCHAR, path VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    stale = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchall() != [(INDEX_VERSION,)]
    have = {(t, p) for t, p in con.execute("SELECT tbl, path FROM loaded").fetchall()}
    now = {("articles", p) for p in art_files} | {("mentions", p) for p in men_files}
    exists = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    rebuild = stale or bool(have - now) or not {"articles", "mentions", "rollup", "coverage_rollup", "pair_rollup"} <= exists
    new_art = sorted(p for t, p in now - have if t == "articles") if not rebuild else art_files
    new_men = sorted(p for t, p in now - have if t == "mentions") if not rebuild else men_files
    if not rebuild and not new_art and not new_men:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        if rebuild:
            for t in ("articles", "mentions", "rollup", "coverage_rollup", "pair_rollup"):
                con.execute(f"DROP TABLE IF EXISTS {t}")
            con.execute("DELETE FROM loaded")
        if new_art:
            src = f"read_parquet([{', '.join(map(_q, new_art))}], union_by_name = true)"
            sel = f"SELECT {art_cols} FROM {src}"
            if rebuild:
                con.execute(f"CREATE TABLE articles AS {sel} ORDER BY published_at")
                con.execute(f"CREATE TABLE coverage_rollup AS {_coverage_sql('articles', True)}")
            else:
                con.execute(f"CREATE TEMP TABLE new_articles AS {sel}")
                con.execute("INSERT INTO articles SELECT * FROM new_articles")
                con.execute(f"INSERT INTO coverage_rollup {_coverage_sql('new_articles', True)}")
                con.execute("DROP TABLE new_articles")
        if new_men:
            src = f"read_parquet([{', '.join(map(_q, new_men))}], union_by_name = true)"
            if rebuild:
                con.execute(f"CREATE TABLE mentions AS {_mentions_sql(src)} ORDER BY kind, entity_id, published_at")
                con.execute(f"CREATE TABLE rollup AS {ROLLUP_SQL.format(src='mentions')} ORDER BY kind, entity_id, day")
                con.execute(f"CREATE TABLE pair_rollup AS {PAIRS_SQL.format(src='mentions')} ORDER BY day")
            else:
                con.execute(f"INSERT INTO mentions {_mentions_sql(src)}")
                con.execute(f"INSERT INTO rollup {ROLLUP_SQL.format(src=src)}")
                con.execute(f"INSERT INTO pair_rollup {PAIRS_SQL.format(src=src)}")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", [INDEX_VERSION])
        con.executemany("INSERT INTO loaded VALUES (?, ?)",
                        [["articles", p] for p in new_art] + [["mentions", p] for p in new_men])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("CHECKPOINT")
