"""Full-text search: what a search means, the exact scan that defines it, and the index that answers it fast.

A search is a list of terms, all of which must match (AND):

    word           a whole word:   minister  matches "Minister," but not "ministers"
    "two words"    a phrase: the words one after the other (any spaces or punctuation between them)
    word*          a word starting with "word":  minist*  matches minister, ministers, ministry

A word is a run of letters and digits (Unicode categories L and N); everything else separates words, so
"covid-19" is the phrase "covid 19". Case is ignored, accents are not (Zürich is not zurich). A term matches
the title or the cleaned text (a phrase lies within one of them). A search with no letters or digits is no filter.

Two ways to answer it, which give the same articles (tests/test_search.py checks this on real pages):

- the **scan** (`scan_condition`): SQL over `articles_raw` (regular expressions on the lower-cased title and
  text). Always right, always current; about 20 s at a million real-length articles.
- the **index** (`TextIndex`): a tantivy index in the dashboard's cache directory, beside the DuckDB index,
  tokenized the same way (regex `[\\p{L}\\p{N}]+`, then lower case). It returns the matching articles'
  keys, `hash(id) >> 1` as DuckDB computes it, which the queries join with the mentions. It is built and
  brought up to date (new article files added, files gone deleted) in a background thread; until that
  finishes, `keys_or_none` returns None and the queries use the scan, so a query never waits on a build.

Known differences between the two, none seen on the real pages: lower-casing is Rust's in the index and
DuckDB's in the scan (they differ for a few letters such as Turkish İ); tantivy drops words longer than
65,530 bytes; two article ids with the same 63-bit hash would both match (odds ~1e-7 at a million articles).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

HELP = (
    'Words must all appear in the title or text (whole words, case ignored, accents not). '
    '"Quoted words" must appear together, in that order. A * at the end of a word matches any ending: '
    "minist* finds minister and ministry."
)
WORD_CLASS = r"\pL\pN"  # RE2 (DuckDB) and Rust regex spell the same Unicode categories alike
TOKEN_RE = r"[\p{L}\p{N}]+"
SCHEMA_VERSION = "1"  # bump when the schema or the tokenizer changes: an older index is rebuilt
KEY_SQL = "CAST(hash({col}) >> 1 AS BIGINT)"  # the article key both sides compute (DuckDB's hash)


@dataclass(frozen=True)
class Term:
    """One term of a search: its words (lower-cased, in order) and whether the last one is a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


_TERM = re.compile(r'"([^"]*)"?|(\S+)')


def parse(text: str) -> tuple[Term, ...]:
    """The terms of a search box text, in order, duplicates removed; () when nothing searchable is left."""
    terms: list[Term] = []
    for quoted, bare in _TERM.findall(text or ""):
        words = tuple(_tokens(quoted or bare))
        term = Term(words, prefix=(quoted or bare).endswith("*"))
        if words and term not in terms:
            terms.append(term)
    return tuple(terms)


_ANALYZER = None


def _analyzer():
    global _ANALYZER
    if _ANALYZER is None:
        import tantivy

        _ANALYZER = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_RE))
                     .filter(tantivy.Filter.lowercase()).build())
    return _ANALYZER


def _tokens(text: str) -> list[str]:
    """The index's own words of a text: the query is cut exactly as the articles were."""
    return list(_analyzer().analyze(text))


def scan_condition(terms: tuple[Term, ...], params: dict, alias: str = "t") -> str:
    """SQL true for a row of `articles_raw` (as `alias`) exactly when every term matches its title or text."""
    conds = []
    for i, t in enumerate(terms):
        gap = f"[^{WORD_CLASS}]+"
        pattern = f"(^|[^{WORD_CLASS}])" + gap.join(map(re.escape, t.words))
        if not t.prefix:
            pattern += f"([^{WORD_CLASS}]|$)"
        params[f"sre{i}"], params[f"slit{i}"] = pattern, max(t.words, key=len)
        # the plain substring test is a cheap pre-filter: every match contains the term's longest word
        one = [f"(contains(lower({alias}.{c}), $slit{i}) AND regexp_matches(lower({alias}.{c}), $sre{i}))"
               for c in ("title", "text")]
        conds.append("(" + " OR ".join(one) + ")")
    return " AND ".join(conds) or "true"


def _rust_escape(word: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):X}}}" for c in word)


class TextIndex:
    """A tantivy index of the store's article titles and texts, kept in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.ready = threading.Event()  # set when the index answers for the store's current files
        self.done = threading.Event()  # set when the sync has finished, well or not
        self.error: str | None = None
        self._searcher = None
        self._schema = None

    def _open(self, rebuild: bool):
        import tantivy

        meta = self.directory / "newsmon.json"
        want = {"schema": SCHEMA_VERSION, "duckdb": duckdb.__version__}  # keys are DuckDB's hash()
        if rebuild or not meta.exists() or json.loads(meta.read_text()) != want:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("key", fast=True)
        sb.add_text_field("batch", tokenizer_name="raw")
        sb.add_text_field("title", tokenizer_name="words")
        sb.add_text_field("body", tokenizer_name="words")
        self._schema = sb.build()
        index = tantivy.Index(self._schema, path=str(self.directory))
        index.register_tokenizer("words", _analyzer())
        meta.write_text(json.dumps(want))
        return index

    def sync(self, files: list[Path], threads: int = 2) -> None:
        """Index the article files not yet in the index and delete those gone from the store, then get ready.

        A file is known by name, size and mtime, so a compaction's hard-linked unchanged files are not redone.
        """
        index = self._open(rebuild=False)
        index.reload()
        have = {t for t, _ in index.searcher().terms_with_prefix("batch", "")}
        now = {_file_id(p): p for p in files}
        gone, new = sorted(have - now.keys()), sorted(now.keys() - have)
        if gone or new:
            con = duckdb.connect(":memory:")
            writer = index.writer(heap_size=96_000_000, num_threads=threads)
            for b in gone:
                writer.delete_documents_by_term("batch", b)
            import tantivy

            for b in new:
                keys = con.sql(f"SELECT {KEY_SQL.format(col='id')} FROM read_parquet($p)",
                               params={"p": str(now[b])}).fetchnumpy()
                keys = next(iter(keys.values())).tolist()
                # streamed in small batches: a store file can hold 200 MB of text, the server has 600 MB in all
                batches = pq.ParquetFile(now[b]).iter_batches(batch_size=2_000, columns=["title", "text"])
                i = 0
                for chunk in batches:
                    for ti, bo in zip(chunk.column(0).to_pylist(), chunk.column(1).to_pylist(), strict=True):
                        writer.add_document(tantivy.Document(key=keys[i], batch=b, title=ti or "", body=bo or ""))
                        i += 1
                if i != len(keys):
                    raise RuntimeError(f"{now[b]}: {len(keys)} ids but {i} texts")
                writer.commit()  # one commit per file: an interrupted build keeps the files it finished
            writer.wait_merging_threads()
            con.close()
            index.reload()
        self._searcher = index.searcher()
        self.ready.set()

    def keys(self, terms: tuple[Term, ...]) -> np.ndarray:
        """The keys of the articles matching every term (int64, unordered)."""
        import tantivy

        Q, Occur = tantivy.Query, tantivy.Occur
        musts = []
        for t in terms:
            ors = []
            for field in ("title", "body"):
                if t.prefix and len(t.words) == 1:
                    q = Q.regex_query(self._schema, field, _rust_escape(t.words[0]) + ".*")
                elif t.prefix:
                    pats = [_rust_escape(w) for w in t.words[:-1]] + [_rust_escape(t.words[-1]) + ".*"]
                    q = Q.regex_phrase_query(self._schema, field, pats)
                elif len(t.words) == 1:
                    q = Q.term_query(self._schema, field, t.words[0])
                else:
                    q = Q.phrase_query(self._schema, field, list(t.words))
                ors.append((Occur.Should, q))
            musts.append((Occur.Must, Q.boolean_query(ors)))
        # constant scores: no ranking wanted, only the set (cheaper to collect)
        query = Q.const_score_query(Q.boolean_query(musts), 1.0)
        s = self._searcher
        n = s.search(query, limit=1, count=True).count
        if not n:
            return np.zeros(0, np.int64)
        hits = s.search(query, limit=n, count=False).hits
        return np.array(s.fast_field_values("key", [h[1] for h in hits]), np.int64)

    def doc_freq(self, word: str) -> int:
        """Articles whose body has the word (the benchmark picks its search words by this)."""
        return self._searcher.doc_freq("body", word)


def _file_id(p: Path) -> str:
    st = p.stat()
    return f"{p.name}:{st.st_size}:{st.st_mtime_ns}"


_INDEXES: dict[str, TextIndex] = {}
_LOCK = threading.Lock()
_SYNC_LOCKS: dict[str, threading.Lock] = {}


def text_index_dir(index_path: Path) -> Path:
    """Where the text index of a dashboard index file lives: beside it, `<name>.text/`."""
    return index_path.with_name(index_path.stem + ".text")


def start(index_path: Path, files: list[Path], wait: bool = False) -> TextIndex:
    """Bring the text index of a DuckDB index file up to date in a background thread (or now, with `wait`)."""
    key = str(Path(index_path).resolve())
    with _LOCK:
        ti = TextIndex(text_index_dir(Path(index_path)))
        _INDEXES[key] = ti  # until its sync is done, searches scan (the old one may miss new files)

    def run() -> None:
        try:
            with _SYNC_LOCKS.setdefault(key, threading.Lock()):  # one writer per index in this process
                ti.sync(files)
        except Exception as exc:  # a broken index must not break the dashboard: search scans instead
            ti.error = f"{type(exc).__name__}: {exc}"
            log.warning("text index %s not usable, search scans the text: %s", ti.directory, ti.error)
        finally:
            ti.done.set()

    if wait:
        run()
    else:
        threading.Thread(target=run, name="newsmon-text-index", daemon=True).start()
    return ti


def for_connection(con: duckdb.DuckDBPyConnection) -> TextIndex | None:
    """The text index of the connection's DuckDB index file, if one was started."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return _INDEXES.get(str(Path(rows[0][0]).resolve())) if rows and rows[0][0] else None


def keys_or_none(con: duckdb.DuckDBPyConnection, terms: tuple[Term, ...]) -> np.ndarray | None:
    """The matching article keys from the text index, or None while it is not ready (then: scan)."""
    ti = for_connection(con)
    if ti is None or not ti.ready.is_set() or ti.error:
        return None
    return ti.keys(terms)


def status_line(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """A line for the page under the search box, or None when there is nothing to say."""
    if not parse(text):
        return None
    state = status(con)
    if state == "building":
        return "The search index is being built or brought up to date: results come from a full scan meanwhile (slower)."
    if state == "scan":
        return "No search index for this store: results come from a full scan of the text (slower)."
    return None


def wait(con: duckdb.DuckDBPyConnection, timeout: float | None = None) -> bool:
    """Wait until the connection's text index is ready; False if there is none or it failed (tests, benchmark)."""
    ti = for_connection(con)
    return ti is not None and ti.done.wait(timeout) and ti.ready.is_set()


def status(con: duckdb.DuckDBPyConnection) -> str:
    """For the UI: "index" (searches use the text index), "building" (they scan meanwhile) or "scan"."""
    ti = for_connection(con)
    if ti is None or ti.error:
        return "scan"
    return "index" if ti.ready.is_set() else "building"
