"""Full-text search: what a search means, the exact scan that defines it, and the index that answers it fast.

A search is a list of terms, all of which must match (AND):

    word           a whole word:   minister  matches "Minister," but not "ministers"
    "two words"    a phrase: the words one after the other (any spaces or punctuation between them)
    word*          a word starting with "word":  minist*  matches minister, ministers, ministry

A word is a run of letters, combining marks and digits (Unicode categories L, M and N: a vowel sign or a
virama is part of its word); everything else separates words, so "covid-19" is the phrase "covid 19". Case is
ignored, accents are not (Zürich is not zurich), and an accent is the same however the page wrote it: as one
character (NFC, what keyboards give) or as its letter followed by a combining mark (NFD, as macOS writes), so
"résumé" finds both. A term matches the title or the cleaned text (a phrase lies within one of them). A search
with no letters or digits is no filter.

Two ways to answer it, which give the same articles (tests/dashboard/data/test_search.py checks this on real pages):

- the **scan** (`dashboard/data/scan.py`): SQL over `articles_raw` (regular expressions on the lower-cased title and
  text). Always right, always current; about 20 s at a million real-length articles.
- the **index** (`TextIndex`): a tantivy index in the dashboard's cache directory, beside the DuckDB index,
  tokenized the same way (regex `[\\p{L}\\p{M}\\p{N}]+`, then lower case), of the texts in NFC (`nfc`). The pairs of
  adjacent words of the title and of the text are terms too (`pairs`, as Elasticsearch's `index_phrases` does): a
  two-word phrase is then one term, not two long posting lists intersected and their positions compared, in two
  fields (a name in quotes in 58% of a million articles: ~70 ms as a phrase; see docs/dashboard.md); longer phrases
  check positions only where all their pairs are. Each article document also carries what the filters and the
  timeline need (day, time, source, language, first-of-story flag, the entities its mention rows name and how many
  rows each), so that `dashboard/data/facets.py` aggregates a search's counts in tantivy; where DuckDB must finish
  the work it gets the matching articles' keys, `hash(id) >> 1` as DuckDB computes it (a column of the DuckDB
  index). A batch is its articles file and its mentions file: a recount's new mentions files re-index their batches,
  so the index never answers with stale mentions. It is built and brought up to date (new batches added, batches
  gone or changed deleted) in a child process (`dashboard/data/search_build.py`: a thread of the server held its GIL
  and slowed the first page); until that finishes, `ready` returns None and the queries use the scan, so a query
  never waits on a build.

Known differences between the two, none seen on the real pages: a word written half composed, half decomposed (the
scan looks for the word's NFC and NFD forms, the index reads every text in NFC); lower-casing is Rust's in the index
and DuckDB's in the scan (they differ for a few letters such as Turkish İ); tantivy drops words longer than 65,530
bytes (and pairs of words longer than that together); two article ids with the same 63-bit hash would both match
(odds ~1e-7 at a million articles).
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import duckdb
import numpy as np

from dashboard.data.textform import nfc

log = logging.getLogger(__name__)

HELP = (
    'Words must all appear in the title or text (whole words, case ignored, accents not). '
    '"Quoted words" must appear together, in that order. A * at the end of a word matches any ending: '
    "minist* finds minister and ministry."
)
# A word: letters, combining marks and digits (RE2 in DuckDB and Rust's regex spell the categories alike). Without
# the marks (M), a vowel sign or a virama cut Hindi, Bengali, Tamil or Thai words into pieces: "समाचार" matched
# "समाचारों" and any text holding the same consonants in a row; accents written apart (NFD) cut words too.
WORD_CLASS = r"\pL\pM\pN"
TOKEN_RE = r"[\p{L}\p{M}\p{N}]+"
SCHEMA_VERSION = "8"  # bump when the schema or the tokenizer changes: an older index is rebuilt (7: marks in words;
# 8: texts in NFC)
KEY_SQL = "CAST(hash({col}) >> 1 AS BIGINT)"
FIELDS = ("title", "body")  # a term matches in either  # the article key both sides compute (DuckDB's hash)


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
        words = tuple(_tokens(nfc(quoted or bare)))
        term = Term(words, prefix=(quoted or bare).endswith("*"))
        if words and term not in terms:
            terms.append(term)
    return tuple(terms)


_ANALYZER = None
_PAIRS = None
PAIR_JOIN = "_"  # between the two words of a `pairs` term: never inside a word (not a letter or digit)


def _analyzer():
    global _ANALYZER
    if _ANALYZER is None:
        import tantivy

        _ANALYZER = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_RE))
                     .filter(tantivy.Filter.lowercase()).build())
    return _ANALYZER


def _pairs_analyzer():
    """`pairs` terms are written out by `pairs_text`, one per space-separated token."""
    global _PAIRS
    if _PAIRS is None:
        import tantivy

        _PAIRS = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    return _PAIRS


def pairs_text(*texts: str) -> str:
    """The `pairs` value of an article's title and text: each two adjacent words of either (the index's own
    words, "a_b"), space-separated; none across from the title to the text."""
    return " ".join(" ".join(map(PAIR_JOIN.join, pairwise(_tokens(t)))) for t in texts if t)


def _tokens(text: str) -> list[str]:
    """The index's own words of a text: the query is cut exactly as the articles were."""
    return list(_analyzer().analyze(text))


def _rust_escape(word: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):X}}}" for c in word)


class TextIndex:
    """A tantivy index of the store's article titles and texts, kept in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.ready = threading.Event()  # set when the index answers for the store's current files
        self.done = threading.Event()  # set when the sync has finished, well or not
        self.error: str | None = None
        self.pid: int | None = None  # the build process, once one is started (dashboard/data/search_build.py)
        self._searcher = None
        self._schema = None

    def _open(self, rebuild: bool):
        import tantivy

        meta = self.directory / "newsmon.json"
        want = self._want()
        if rebuild or not meta.exists() or json.loads(meta.read_text()) != want:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("key", fast=True)
        sb.add_text_field("batch", tokenizer_name="raw")
        sb.add_text_field("title", tokenizer_name="words")
        sb.add_text_field("body", tokenizer_name="words")
        sb.add_text_field("pairs", tokenizer_name="pairs", index_option="basic")  # docs only: no positions
        # What the filters and the timeline need, so that a search's counts are aggregated in tantivy and only
        # small results cross into Python (dashboard/data/facets.py). Absent day/ts: the article has no date.
        sb.add_integer_field("day", indexed=True, fast=True)  # UTC days since 1970-01-01
        sb.add_integer_field("ts", fast=True)  # published_at, microseconds since the epoch (drill-down order)
        sb.add_text_field("source", tokenizer_name="raw", fast=True)
        sb.add_text_field("lang", tokenizer_name="raw")  # "=" + coalesce(language, "")
        sb.add_integer_field("first", indexed=True)  # 1: the first article of its story (or in none)
        sb.add_integer_field("fetched", indexed=True)  # 1: dated by its fetch time (no date found in the page)
        sb.add_text_field("ent", tokenizer_name="raw", fast=True)  # "kind:entity_id" of each entity it mentions
        sb.add_json_field("mc", fast=True, tokenizer_name="raw")  # {ent_key(kind, id): mention rows}
        sb.add_text_field("pair", tokenizer_name="raw", fast=True)  # pair_key(a, b) of each two people it names
        sb.add_text_field("ec", tokenizer_name="raw", fast=True)  # "kind:entity_id|rows|title rows" of each entity
        self._schema = sb.build()
        index = tantivy.Index(self._schema, path=str(self.directory))
        _register(index)
        meta.write_text(json.dumps(want))
        return index

    def _want(self) -> dict:
        return {"schema": SCHEMA_VERSION, "duckdb": duckdb.__version__}  # keys are DuckDB's hash()

    @contextmanager
    def _writing(self):
        """The index's lock file, held while writing: one writer per index, across threads and processes."""
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        with open(self.directory.with_name(self.directory.name + ".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # waits for a writer that is already at it (flock: per open file)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def sync(self, files: list[Path], mentions: dict[str, Path] | None = None, threads: int = 2) -> None:
        """Index the batches not yet in the index and delete those gone from the store, then get ready.

        A batch is its articles file and its mentions file (`mentions`: file name -> path), each known by
        name, size and mtime: a compaction's hard-linked unchanged files are not redone, and a recount (new
        mentions files) re-indexes its batches, so the index never answers with stale mentions.
        """
        from dashboard.data import search_build  # the documents' making lives with the build process

        now = _batches(files, mentions or {})
        with self._writing():
            index = self._open(rebuild=False)
            index.reload()
            have = {t for t, _ in index.searcher().terms_with_prefix("batch", "")}
            gone, new = sorted(have - now.keys()), sorted(now.keys() - have)
            if gone or new:
                writer = index.writer(heap_size=96_000_000, num_threads=threads)
                for b in gone:
                    writer.delete_documents_by_term("batch", b)
                for b in new:
                    search_build.add_batch(writer, b, *now[b])
                    writer.commit()  # one commit per batch: an interrupted build keeps the batches it finished
                    search_build.release_memory()
                writer.wait_merging_threads()
                index.reload()
            tmp = self.directory / "batches.json.tmp"  # what open_current compares: written once all is committed
            tmp.write_text(json.dumps(sorted(now)))
            tmp.replace(self.directory / "batches.json")
        self._searcher = index.searcher()
        self.ready.set()

    def open_current(self, files: list[Path], mentions: dict[str, Path] | None = None) -> bool:
        """Open the index for searching if its last completed sync was of exactly these batches (then ready).

        False, and nothing opened, if not. Read only, no lock: the server opens what a build process (or an
        earlier server) finished. (The index's own batch terms cannot tell: an empty batch has none, and a
        deleted batch's term stays in the term dictionary until its segment is merged.)
        """
        meta, done = self.directory / "newsmon.json", self.directory / "batches.json"
        if not (meta.exists() and done.exists()) or json.loads(meta.read_text()) != self._want():
            return False
        if set(json.loads(done.read_text())) != _batches(files, mentions or {}).keys():
            return False
        import tantivy

        index = tantivy.Index.open(str(self.directory))
        _register(index)
        self._schema, self._searcher = index.schema, index.searcher()
        self.ready.set()
        return True

    def alternatives(self, t: Term) -> list:
        """Tantivy queries, one of which is true exactly when the term matches the title or the text.

        A phrase's pairs of words are terms of `pairs`: two words are that one term, in either field, and
        "two wor*" is the pairs starting "two_wor"; more words must have all their pairs (the last one as
        such a prefix), and only there are positions compared, in the title or in the text (tantivy's
        intersection is led by the shortest posting list). For "three words t*" the words that follow
        "words" and start with "t" are read from the pairs' term dictionary, and the last word of the phrase
        must be one of them: at a million articles "in dem j*" took 0.8 s with "j" expanded over the whole
        text field, 77 ms inside the pairs, 14 ms with its 9 endings (65 ms as 9 phrases). One alternative
        per field otherwise: the caller puts each inside its own intersection with the filters
        (dashboard/data/facets.py)."""
        import tantivy

        Q, Occur = tantivy.Query, tantivy.Occur
        whole = t.words[:-1] if t.prefix else t.words
        pairs = [Q.term_query(self._schema, "pairs", a + PAIR_JOIN + b) for a, b in pairwise(whole)]
        if t.prefix and len(t.words) > 1:
            pairs.append(Q.regex_query(self._schema, "pairs", _rust_escape(t.words[-2]) + PAIR_JOIN
                                       + _rust_escape(t.words[-1]) + ".*"))
        if len(t.words) == 2:
            return pairs  # the one pair: the whole term
        ends = self._pair_ends(t.words[-2], t.words[-1]) if t.prefix and len(t.words) > 2 else None
        if ends == []:  # no pair starts so: nothing matches (the pairs' prefix query finds no article)
            return [Q.boolean_query([(Occur.Must, x) for x in pairs])]
        alts = []
        for field in FIELDS:
            if t.prefix and len(t.words) == 1:
                q = Q.regex_query(self._schema, field, _rust_escape(t.words[0]) + ".*")
            elif len(t.words) == 1:
                q = Q.term_query(self._schema, field, t.words[0])
            elif t.prefix:  # the last word: one of the endings the pairs allow, else any word with the prefix
                last = ("(?:" + "|".join(map(_rust_escape, ends)) + ")" if ends is not None
                        else _rust_escape(t.words[-1]) + ".*")
                q = Q.regex_phrase_query(self._schema, field, [*map(_rust_escape, whole), last])
            else:
                q = Q.phrase_query(self._schema, field, list(t.words))
            alts.append(Q.boolean_query([(Occur.Must, x) for x in [*pairs, q]]) if pairs else q)
        return alts

    def _pair_ends(self, word: str, prefix: str, most: int = 256) -> list[str] | None:
        """The words that follow `word` somewhere and start with `prefix` (from the pairs' term dictionary),
        or None if there are more than `most`. (A word whose articles were all deleted may still be listed
        until its segment is merged: its phrase then finds nothing.)"""
        got = self._searcher.terms_with_prefix("pairs", word + PAIR_JOIN + prefix, limit=most + 1)
        ends = sorted({term.partition(PAIR_JOIN)[2] for term, _ in got})
        return ends if len(ends) <= most else None

    def search_query(self, terms: tuple[Term, ...]):
        """The tantivy query true for the articles matching every term (title or body)."""
        import tantivy

        Q, Occur = tantivy.Query, tantivy.Occur
        musts = [(Occur.Must, Q.boolean_query([(Occur.Should, a) for a in self.alternatives(t)])) for t in terms]
        # constant scores: no ranking wanted, only the set (cheaper to collect)
        return Q.const_score_query(Q.boolean_query(musts), 1.0)

    def keys(self, terms: tuple[Term, ...]) -> np.ndarray:
        """The keys of the articles matching every term (int64, unordered)."""
        return self.keys_of(self.search_query(terms))

    def keys_of(self, query) -> np.ndarray:
        """The keys of the articles a tantivy query matches (int64, unordered)."""
        s = self._searcher
        n = s.search(query, limit=1, count=True).count
        if not n:
            return np.zeros(0, np.int64)
        hits = s.search(query, limit=n, count=False).hits
        return np.array(s.fast_field_values("key", [h[1] for h in hits]), np.int64)

    def doc_freq(self, word: str) -> int:
        """Articles whose body has the word (the benchmark picks its search words by this)."""
        return self._searcher.doc_freq("body", word)


def _register(index) -> None:
    index.register_tokenizer("words", _analyzer())
    index.register_tokenizer("pairs", _pairs_analyzer())


def pair_key(a: str, b: str) -> str:
    """The `pair` term of two people's ids, a < b: co-mentions count pairs in one flat aggregation (facets.py)."""
    return f"{a}\t{b}"


def ent_key(kind: str, entity_id: str) -> str:
    """The JSON key of an entity's mention count in the `mc` field (hex: any id is a safe path segment)."""
    return "x" + f"{kind}:{entity_id}".encode().hex()


def _batches(files: list[Path], mentions: dict[str, Path]) -> dict[str, tuple[Path, Path | None]]:
    """The store's batches as the index names them: "articles file id|mentions file id" -> the two paths."""
    now = {}
    for p in files:
        m = mentions.get(p.name)
        now[_file_id(p) + "|" + (_file_id(m) if m is not None and m.exists() else "-")] = (p, m)
    return now


def _file_id(p: Path) -> str:
    st = p.stat()
    return f"{p.name}:{st.st_size}:{st.st_mtime_ns}"


_INDEXES: dict[str, TextIndex] = {}
_LOCK = threading.Lock()


def text_index_dir(index_path: Path) -> Path:
    """Where the text index of a dashboard index file lives: beside it, `<name>.text/`."""
    return index_path.with_name(index_path.stem + ".text")


def start(index_path: Path, files: list[Path], mentions: dict[str, Path] | None = None, wait: bool = False) -> TextIndex:
    """Bring the text index of a DuckDB index file up to date in a child process (or in this one, now, with `wait`).

    `files` are the store's articles files, `mentions` its mentions files by name (a batch's two files share it).
    An index that already holds exactly these batches is opened at once, with no build.
    """
    key = str(Path(index_path).resolve())
    mentions = mentions or {}
    with _LOCK:
        ti = TextIndex(text_index_dir(Path(index_path)))
        _INDEXES[key] = ti  # until it is ready, searches scan (the old one may miss new files)
    try:
        if ti.open_current(files, mentions):
            ti.done.set()
            return ti
    except Exception as exc:  # noqa: BLE001 - unreadable or half-written: the build below redoes it
        log.info("text index %s not opened as it is (%s): building", ti.directory, exc)
    if not wait:
        from dashboard.data import search_build

        search_build.spawn(ti, files, mentions)
        return ti
    try:
        ti.sync(files, mentions)
    except Exception as exc:  # a broken index must not break the dashboard: search scans instead
        failed(ti, f"{type(exc).__name__}: {exc}")
    finally:
        ti.done.set()
    return ti


def failed(ti: TextIndex, error: str) -> None:
    """Record why the index cannot answer (searches scan) and say so in the log."""
    ti.error = error
    log.warning("text index %s not usable, search scans the text: %s", ti.directory, error)


def for_connection(con: duckdb.DuckDBPyConnection) -> TextIndex | None:
    """The text index of the connection's DuckDB index file, if one was started."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return _INDEXES.get(str(Path(rows[0][0]).resolve())) if rows and rows[0][0] else None


def ready(con: duckdb.DuckDBPyConnection) -> TextIndex | None:
    """The connection's text index if it answers for the store's current files, else None (then: scan)."""
    ti = for_connection(con)
    return ti if ti is not None and ti.ready.is_set() and not ti.error else None


def keys_or_none(con: duckdb.DuckDBPyConnection, terms: tuple[Term, ...]) -> np.ndarray | None:
    """The matching article keys from the text index, or None while it is not ready (then: scan)."""
    ti = ready(con)
    return None if ti is None else ti.keys(terms)


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
