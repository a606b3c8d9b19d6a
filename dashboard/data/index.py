"""The dashboard's DuckDB view of the store, and an optional local index that makes it fast at a million articles.

`connect(root)` gives a connection where these names exist (the queries in `queries.py` use only these):

    articles         article metadata (no text)      mentions         every mention row, with its article's
                     and its key (search.KEY_SQL)                     language, first-of-story flag and key
    articles_raw     every article column, text too  runs, annotations the run log, event annotations
    mentions_raw     the mentions files as they are
    rollup           (day, kind, entity_id, source, language, first) → articles, mentions, in_titles, last_seen
    coverage_rollup  (day, source, language, first)  → articles stored ("first": a story's first article)
    pair_rollup      (day, source, language, first, a, b) → articles mentioning both people a < b

Every table also says whether an article's date is its fetch time (`fetched`: no publication date was found in
the page), so that the timeline can leave such articles out (`Filters.fetched`).

Without an index they are views over the Parquet files (always current, slow past ~100k articles); the queries
then count from the mention rows, not from the rollup views (`has_rollups` is false). With `index_path`, articles
(minus text), mentions and the rollups are kept as native DuckDB tables in that file, sorted by entity and time
so a one-person query reads only that person's blocks; the article view reads the Parquet files. Beside the file, `search.py` keeps a text index of titles and texts (tantivy), brought up to date
in the background at every connect; until it is ready a search uses the text index this process used before if
only the mentions changed (a recount), else scans the Parquet files (dashboard/data/dispatch.py). The DuckDB index is
brought up to date at every connect: files of new batches are added (at once: a second or so); if a file it
holds has gone (a recount swapped the mentions, a compaction rewrote articles), or there is no index yet, it is
built anew in a background thread, and until the new tables are swapped in (one transaction) the five names are
views over the files and the queries count from the mention rows: a store opened for the first time draws its
first chart without waiting for the build (~25 s per million articles on 2 quiet cores).
The rollups are exact: an article and all its mentions are written in one batch (same file name), so per-file
distinct counts add up. This module writes DDL only; every query lives in `queries.py`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import duckdb

from dashboard.data import duck, search
from ingest.store.parquet import Store

ARTICLE_COLS = ("id, url, source, title, authors, published_at, published_source, fetched_at, language,"
                " content_hash")
# The article key the text index returns (search.KEY_SQL), kept as a column: a search joins on it without
# hashing every row per query (in the index file it is computed once, when a batch is loaded).
KEY = search.KEY_SQL.format(col="m.article_id")
MENTION_COLS = 'article_id, entity_id, kind, field, start, "end", matched, rule, published_at, source'
FETCHED_SQL = "coalesce({a}published_source = 'fetched', false)"  # dated by the fetch: no date found in the page
TABLES = ("articles", "mentions", "rollup", "coverage_rollup", "pair_rollup")
FLAGS = "article_flags"  # while the tables are views: each article's flags, for the mention rows (`_views`)
BUILDING = {"articles": "b_articles", "mentions": "b_mentions", "rollup": "b_rollup",
            "coverage_rollup": "b_coverage_rollup", "pair_rollup": "b_pair_rollup"}  # built beside, then renamed
log = logging.getLogger(__name__)


def _mentions_sql(src: str, articles: str = "articles") -> str:
    """Mention rows with their article's language, first-of-story and fetch-dated flags: filters need no join."""
    cols = ", ".join(f"m.{c.strip()}" for c in MENTION_COLS.split(","))
    return (
        f"SELECT {cols}, coalesce(a.language, '') AS language, {KEY} AS key,"
        " coalesce(a.story_id IS NULL OR a.story_id = a.id, true) AS first,"
        f" {FETCHED_SQL.format(a='a.')} AS fetched"
        f" FROM {src} m LEFT JOIN {articles} a ON a.id = m.article_id"
    )


# An article's language, whether it is its story's first article ("first") and whether its date is its fetch
# time ("fetched") are copied into the rollups, so that only a full-text search needs the rows.
ROLLUP_SQL = (
    "SELECT CAST(published_at AS DATE) AS day, kind, entity_id, source, language, first, fetched,"
    " count(DISTINCT article_id) AS articles, count(*) AS mentions,"
    " count(*) FILTER (WHERE field = 'title') AS in_titles, max(published_at) AS last_seen"
    " FROM {src} WHERE published_at IS NOT NULL GROUP BY ALL"
)
PAIRS_SQL = (
    "WITH e AS (SELECT DISTINCT article_id, entity_id, CAST(published_at AS DATE) AS day, source, language, first,"
    " fetched FROM {src} WHERE kind = 'person' AND published_at IS NOT NULL)"
    " SELECT x.day, x.source, x.language, x.first, x.fetched, x.entity_id AS a, y.entity_id AS b, count(*) AS articles"
    " FROM e x JOIN e y ON x.article_id = y.article_id AND x.entity_id < y.entity_id GROUP BY ALL"
)


def _coverage_sql(src: str) -> str:
    return (
        "SELECT CAST(published_at AS DATE) AS day, source, coalesce(language, '') AS language,"
        f" (story_id IS NULL OR story_id = id) AS first, {FETCHED_SQL.format(a='')} AS fetched,"
        f" count(*) AS articles FROM {src} WHERE published_at IS NOT NULL GROUP BY ALL"
    )


INDEX_VERSION = "6"  # bump when a table's columns change: an older index is rebuilt (6: the `fetched` flag)


def cache_dir() -> Path:
    """The dashboard's cache: $NEWSMON_DASHBOARD_CACHE, else ~/.cache/newsmon/dashboard/."""
    return Path(os.environ.get("NEWSMON_DASHBOARD_CACHE") or Path.home() / ".cache" / "newsmon" / "dashboard")


def default_index_path(root: Path) -> Path:
    """Where a store's index lives, in the cache directory."""
    key = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return cache_dir() / f"index-{key}.duckdb"


def temp_dir(index_path: Path | None) -> Path:
    """Where DuckDB spills: beside the index file (one process holds it), else a folder of this process in the cache."""
    if index_path is not None:
        return index_path.with_name(index_path.name + ".tmp")
    return cache_dir() / "tmp" / str(os.getpid())


def _q(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _files(d: Path) -> list[str]:
    return sorted(str(p.resolve()) for p in d.glob("*.parquet"))


def _parquet(files: list[str]) -> str:
    return f"read_parquet([{', '.join(map(_q, files))}], union_by_name = true)"


def _has_story(con: duckdb.DuckDBPyConnection, glob: str) -> bool:
    cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_q(glob)}, union_by_name = true)").fetchall()
    return any(c[0] == "story_id" for c in cols)


_LOCK = threading.Lock()
_KEY_LOCKS: dict[str, threading.Lock] = {}  # index file -> held while its tables are checked, added to or swapped
_BUILDS: dict[str, threading.Thread] = {}  # index file -> the thread building its tables anew
_READY: set[str] = set()  # index files whose tables are in place: the rollups answer
# A build started by the server (connect(wait=False)) waits until the first page has been drawn, or BUILD_DELAY
# seconds: the first page's queries and the build share DuckDB's threads, and on the 1M-article store under load
# the first chart came after 77 s with both at once. (`page_drawn` is called by dashboard/app.py.)
BUILD_DELAY = 30.0
_PAGE_DRAWN = threading.Event()


def page_drawn() -> None:
    """A page has been drawn in this process: a build waiting for it may start."""
    _PAGE_DRAWN.set()


def _key_lock(key: str) -> threading.Lock:
    with _LOCK:
        return _KEY_LOCKS.setdefault(key, threading.Lock())


def _db_key(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return str(Path(rows[0][0]).resolve()) if rows and rows[0][0] else ""


def has_rollups(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's rollups are tables (an index in place), not views over the files."""
    return _db_key(con) in _READY


def status(con: duckdb.DuckDBPyConnection) -> str:
    """"index" (the tables answer), "building" (views over the files answer while the index is built) or "files"."""
    key = _db_key(con)
    if key in _READY:
        return "index"
    return "building" if key in _BUILDS else "files"


def wait_built(con: duckdb.DuckDBPyConnection, timeout: float | None = None) -> bool:
    """Wait until a background build of the connection's index is over; True if its tables are in place."""
    thread = _BUILDS.get(_db_key(con))
    if thread is not None:
        thread.join(timeout)
    return has_rollups(con)


def connect(
    root: Path | str, threads: int | None = None, index_path: Path | None = None, memory_limit: str | None = None,
    wait: bool = True,
    text_index: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A connection with the names above; falls back to plain views if the index file cannot be opened.

    `wait=False` (the server): a build of the index runs in the background and views over the files answer
    meanwhile; else it is waited for (tests, benchmarks). `text_index=False`: no text index is started beside the
    DuckDB index (alert evaluation needs no search)."""
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
            con = duck.connect(index_path, config, temp_dir(index_path))
        except (duckdb.Error, OSError):
            con = None  # another process holds it, or no place to write: work from the files
    indexed = con is not None
    if con is None:
        try:
            con = duck.connect(":memory:", config, temp_dir(None))
        except OSError:  # no cache directory to spill to: DuckDB's default then
            con = duck.connect(":memory:", config)
    globs = {t: store.glob(t) for t in ("articles", "mentions", "runs", "annotations")}
    story = _has_story(con, globs["articles"])
    for t in ("articles_raw", "mentions_raw", "runs", "annotations"):
        src = globs[{"articles_raw": "articles", "mentions_raw": "mentions"}.get(t, t)]
        if t == "annotations" and not (store.root / "annotations").is_dir():
            continue
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet({_q(src)}, union_by_name = true)")
    art_cols = (ARTICLE_COLS + (", story_id" if story else ", NULL::VARCHAR AS story_id")
                + f", {search.KEY_SQL.format(col='id')} AS key")
    if not indexed:
        _views(con, art_cols, globs["mentions"])
        return con
    key = _db_key(con)
    with _key_lock(key):
        if key in _BUILDS:  # while a build runs, the views answer: they read the files as they are now
            _flags(con, story)
        else:
            _sync(con, key, store, art_cols, globs["mentions"], delay=not wait)
    if wait:
        wait_built(con)
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


def _views(con: duckdb.DuckDBPyConnection, art_cols: str, mentions_glob: str) -> None:
    """The five names as views over the store's files (no index, or while it is built).

    The mention rows and the coverage take their articles' fields from `article_flags`, a small table of each
    article's id, time, source, language, story and date source read from the files at connect (a join with the
    articles' Parquet files in every query took 2 s more at a million articles)."""
    _flags(con, "NULL::VARCHAR AS story_id" not in art_cols)
    con.execute(f"CREATE OR REPLACE VIEW articles AS SELECT {art_cols} FROM articles_raw")
    con.execute("CREATE OR REPLACE VIEW mentions AS "
                + _mentions_sql(f"read_parquet({_q(mentions_glob)}, union_by_name = true)", FLAGS))
    con.execute(f"CREATE OR REPLACE VIEW rollup AS {ROLLUP_SQL.format(src='mentions')}")
    con.execute(f"CREATE OR REPLACE VIEW coverage_rollup AS {_coverage_sql(FLAGS)}")
    con.execute(f"CREATE OR REPLACE VIEW pair_rollup AS {PAIRS_SQL.format(src='mentions')}")


def _flags(con: duckdb.DuckDBPyConnection, story: bool) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {FLAGS} AS SELECT id, published_at, source, language,"
                f" {'story_id' if story else 'NULL::VARCHAR AS story_id'}, published_source FROM articles_raw")


def _store_files(store: Store) -> tuple[list[str], list[str]]:
    """The committed batches' files: (articles, mentions)."""
    art_files = _files(store.articles_dir)  # listed first: an articles file is its batch's commit point
    committed = {Path(p).name for p in art_files}
    # A mentions file lands before its articles file; until that lands, the batch is not committed: skip it.
    return art_files, [p for p in _files(store.mentions_dir) if Path(p).name in committed]


def _sync(con: duckdb.DuckDBPyConnection, key: str, store: Store, art_cols: str, mentions_glob: str,
          delay: bool = False) -> None:
    """Bring the native tables up to date with the store's files: add new batches now, or build anew in the
    background (views over the files answer meanwhile)."""
    art_files, men_files = _store_files(store)
    con.execute("CREATE TABLE IF NOT EXISTS loaded (tbl VARCHAR, path VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    stale = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchall() != [(INDEX_VERSION,)]
    have = {(t, p) for t, p in con.execute("SELECT tbl, path FROM loaded").fetchall()}
    now = {("articles", p) for p in art_files} | {("mentions", p) for p in men_files}
    exists = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    if stale or bool(have - now) or not set(TABLES) <= exists:
        _READY.discard(key)
        con.execute("BEGIN TRANSACTION")
        try:
            _drop(con, [*TABLES, *BUILDING.values(), FLAGS])
            _views(con, art_cols, mentions_glob)
            con.execute("DELETE FROM loaded")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        thread = threading.Thread(target=_build, args=(con, key, store, art_cols, art_files, men_files, delay),
                                  name="newsmon-index-build", daemon=True)
        _BUILDS[key] = thread
        thread.start()
        return
    new_art = sorted(p for t, p in now - have if t == "articles")
    new_men = sorted(p for t, p in now - have if t == "mentions")
    if new_art or new_men:
        # The update runs under the server's memory target too; a batch too large for it is added with more.
        duck.retry_oom(con, lambda: _add(con, new_art, new_men, art_cols, None),
                       "adding new batches to the dashboard's index")
    _READY.add(key)


def _add(con: duckdb.DuckDBPyConnection, new_art: list[str], new_men: list[str], art_cols: str,
         names: dict[str, str] | None) -> None:
    """Add batches' files to the tables (`names`: the tables being built, else the live ones), in one transaction."""
    n = names or {t: t for t in TABLES}
    con.execute("BEGIN TRANSACTION")
    try:
        if new_art:
            con.execute(f"CREATE TEMP TABLE new_articles AS SELECT {art_cols} FROM {_parquet(new_art)}")
            con.execute(f"INSERT INTO {n['articles']} SELECT * FROM new_articles")
            con.execute(f"INSERT INTO {n['coverage_rollup']} {_coverage_sql('new_articles')}")
            con.execute("DROP TABLE new_articles")
        if new_men:
            con.execute(f"CREATE TEMP TABLE new_mentions AS {_mentions_sql(_parquet(new_men), n['articles'])}")
            con.execute(f"INSERT INTO {n['mentions']} SELECT * FROM new_mentions")
            con.execute(f"INSERT INTO {n['rollup']} {ROLLUP_SQL.format(src='new_mentions')}")
            con.execute(f"INSERT INTO {n['pair_rollup']} {PAIRS_SQL.format(src='new_mentions')}")
            con.execute("DROP TABLE new_mentions")
        if names is None:
            con.executemany("INSERT INTO loaded VALUES (?, ?)",
                            [["articles", p] for p in new_art] + [["mentions", p] for p in new_men])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _build(con: duckdb.DuckDBPyConnection, key: str, store: Store, art_cols: str, art_files: list[str],
           men_files: list[str], delay: bool = False) -> None:
    """The background build: every table anew beside the views, then (holding the index's lock, after adding any
    batch committed meanwhile) the views swapped for the tables in one transaction. With `delay`, it starts once
    the first page has been drawn (or after BUILD_DELAY seconds)."""
    if delay:
        _PAGE_DRAWN.wait(BUILD_DELAY)
    c = duck.cursor(con)
    b = BUILDING
    try:
        while True:
            _build_tables(c, art_cols, art_files, men_files)
            with _key_lock(key):
                now_art, now_men = _store_files(store)
                if not (set(art_files) <= set(now_art) and set(men_files) <= set(now_men)):
                    art_files, men_files = now_art, now_men  # a compaction or a recount meanwhile: again
                    continue
                new_art = sorted(set(now_art) - set(art_files))
                new_men = sorted(set(now_men) - set(men_files))
                if new_art or new_men:
                    duck.retry_oom(c, lambda a=new_art, m=new_men: _add(c, a, m, art_cols, b),
                                   "building the dashboard's index")
                _swap(c, now_art, now_men)
                _READY.add(key)
                _BUILDS.pop(key, None)
            break
    except Exception as exc:  # noqa: BLE001 - the views keep answering; the next connect builds again
        log.warning("building the dashboard's index failed; pages read the store's files meanwhile: %s", exc)
    finally:
        _BUILDS.pop(key, None)
        c.close()
    try:
        con.execute("CHECKPOINT")  # write the tables into the file now (not possible while others read: later then)
    except duckdb.Error:
        pass


def _drop(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Drop these tables or views, whichever each is (DROP TABLE refuses a view of the name, and the reverse)."""
    kinds = dict(con.execute("SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE NOT temporary UNION ALL"
                             " SELECT view_name, 'VIEW' FROM duckdb_views() WHERE NOT internal AND NOT temporary")
                 .fetchall())
    for name in names:
        if name in kinds:
            con.execute(f"DROP {kinds[name]} {name}")


def _build_tables(c: duckdb.DuckDBPyConnection, art_cols: str, art_files: list[str], men_files: list[str]) -> None:
    """The tables of these files under their building names (BUILDING), each statement committed by itself."""
    b = BUILDING
    steps = [
        f"CREATE OR REPLACE TABLE {b['articles']} AS SELECT {art_cols} FROM {_parquet(art_files)} ORDER BY published_at",
        f"CREATE OR REPLACE TABLE {b['coverage_rollup']} AS {_coverage_sql(b['articles'])}",
        f"CREATE OR REPLACE TABLE {b['mentions']} AS {_mentions_sql(_parquet(men_files), b['articles'])}"
        " ORDER BY kind, entity_id, published_at",
        f"CREATE OR REPLACE TABLE {b['rollup']} AS {ROLLUP_SQL.format(src=b['mentions'])} ORDER BY kind, entity_id, day",
        f"CREATE OR REPLACE TABLE {b['pair_rollup']} AS {PAIRS_SQL.format(src=b['mentions'])} ORDER BY day",
    ]
    for sql in steps:
        duck.retry_oom(c, lambda sql=sql: c.execute(sql), "building the dashboard's index")


def _swap(c: duckdb.DuckDBPyConnection, art_files: list[str], men_files: list[str]) -> None:
    """The views out, the built tables in under their names, and the files they hold recorded: one transaction."""
    c.execute("BEGIN TRANSACTION")
    try:
        _drop(c, [*TABLES, FLAGS])
        for t in TABLES:
            c.execute(f"ALTER TABLE {BUILDING[t]} RENAME TO {t}")
        c.execute("DELETE FROM loaded")
        c.executemany("INSERT INTO loaded VALUES (?, ?)",
                      [["articles", p] for p in art_files] + [["mentions", p] for p in men_files])
        c.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", [INDEX_VERSION])
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
