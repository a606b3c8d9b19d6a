"""A word and word-pair inverted index of the articles' title and text, kept in the dashboard's index file.

The dashboard's full-text search is a case-insensitive substring test: `contains(lower(title), q) OR
contains(lower(text), q)` with `q` the lower-cased query. This index answers it without reading the text:

    text_docs   (doc, id)               one integer per article
    text_vocab  (word)                  every distinct word
    text_words  (word, doc)             each article's distinct words (title and text), sorted by word
    text_pairs  (w1, sep, w2, doc)      each article's distinct adjacent word pairs with the exact separator

A word is a maximal run of letters and digits (`WORD` below) of the lower-cased title or text; a separator is
what lies between two words. Split a query the same way into parts p0 .. pk and separators s1 .. sk. Every
occurrence of the query in a text lies over words so that p0 is the end of a word (the whole word if the query
starts with a separator), pk the start of a word, the parts in between whole words, and the separators equal;
a one-part query lies inside one word. So the articles with a word matching each part (and, for two parts, an
adjacent pair matching both with that separator) contain every hit; the query in `dashboard/queries.py`
decides which cases the index answers exactly and checks the others against the text.

This module writes the build SQL only; every query lives in `queries.py`.
"""

from __future__ import annotations

import duckdb

WORD = r"[\p{L}\p{N}]+"  # RE2, as DuckDB's regexp functions use it
SEP = r"[^\p{L}\p{N}]+"
TABLES = ("text_docs", "text_vocab", "text_words", "text_pairs")


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")


def add(con: duckdb.DuckDBPyConnection, src: str, rebuild: bool) -> None:
    """Index the articles read by `src` (a table expression with id, title, text, published_at).

    With `rebuild` the tables are created (sorted, so a lookup reads few blocks); else new rows are appended.
    Runs inside the caller's transaction.
    """
    if rebuild:
        drop(con)
        con.execute("CREATE TABLE text_docs (doc INTEGER, id VARCHAR)")
    con.execute(
        "CREATE TEMP TABLE tx_new AS SELECT (SELECT coalesce(max(doc), 0) FROM text_docs)"
        " + CAST(row_number() OVER (ORDER BY published_at, id) AS INTEGER) AS doc, id,"
        " lower(coalesce(title, '')) AS title, lower(coalesce(text, '')) AS text"
        f" FROM {src}"
    )
    con.execute("INSERT INTO text_docs SELECT doc, id FROM tx_new")
    con.execute(
        f"CREATE TEMP TABLE tx_tok AS SELECT doc, regexp_split_to_array(s, {_q(SEP)}) AS w,"
        f" regexp_extract_all(s, {_q(SEP)}) AS p"
        " FROM (SELECT doc, title AS s FROM tx_new UNION ALL SELECT doc, text AS s FROM tx_new)"
    )
    words = "SELECT DISTINCT word, doc FROM (SELECT unnest(w) AS word, doc FROM tx_tok) WHERE word <> ''"
    pairs = (
        "SELECT DISTINCT w[i] AS w1, p[i] AS sep, w[i + 1] AS w2, doc"
        " FROM (SELECT doc, w, p, unnest(range(1, len(w))) AS i FROM tx_tok)"
        " WHERE w[i] <> '' AND w[i + 1] <> ''"
    )
    if rebuild:
        con.execute(f"CREATE TABLE text_words AS {words} ORDER BY word, doc")
        con.execute(f"CREATE TABLE text_pairs AS {pairs} ORDER BY w1, w2, doc")
        con.execute("CREATE TABLE text_vocab AS SELECT DISTINCT word FROM text_words ORDER BY word")
    else:
        con.execute(f"CREATE TEMP TABLE tx_words AS {words}")
        con.execute("INSERT INTO text_words SELECT * FROM tx_words ORDER BY word, doc")
        con.execute(f"INSERT INTO text_pairs {pairs} ORDER BY w1, w2, doc")
        con.execute(
            "INSERT INTO text_vocab SELECT DISTINCT word FROM tx_words"
            " WHERE word NOT IN (SELECT word FROM text_vocab) ORDER BY word"
        )
        con.execute("DROP TABLE tx_words")
    con.execute("DROP TABLE tx_tok")
    con.execute("DROP TABLE tx_new")


def has_index(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection holds the text index (a connection of plain views over the files does not)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    return set(TABLES) <= names
