"""The text index's build in a child process: `python -m dashboard.data.search_build`, and the server side that runs it.

Why a process: building the index (reading Parquet, making a Python document per article) in a thread of the
Streamlit server took the GIL from the thread drawing the first page and from the event loop that sends it,
so the first chart on the demo store came 0.5-1 s later (docs/benchmarks.md, "Dashboard").

The protocol: the server writes the job (index directory, the store's files) as one JSON line to the child's
stdin and keeps that pipe open. The child brings the index up to date with `search.TextIndex.sync` (which
holds the index's lock file: one writer per index, whichever process), prints one JSON line, `{"ok": true}`
or `{"error": "..."}`, and exits. The server's watcher thread then opens the finished index and sets it ready;
a child that fails or dies without the "ok" line is reported (`ti.error`, a log warning) and searches go on
scanning. A child never outlives the server: it exits when its stdin reaches EOF (the server is gone, however
it went), on Linux the kernel also sends it SIGTERM when the server's watcher thread dies, and the server
terminates running children at exit. The watcher thread reaps its child, so none is left a zombie.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from dashboard.data import duck, pageout, search

NICE = 10  # below the server and the browser: the build may wait, the page should not
# glibc gives each thread that allocates its own arena (up to 8 per core): tantivy's indexing and merging
# threads, DuckDB's and Python's then each keep freed memory of their own. Two arenas (set at the child's start,
# before any thread), and the free memory handed back after each batch (`release_memory`), keep the child's
# resident memory near what it uses (benchmarks/text_index_build.py; docs/benchmarks.md, "Text index build").
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter
_ROOT = Path(__file__).resolve().parents[2]  # the repository: the child runs `-m dashboard.data.search_build` from it
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()  # the server is exiting: a child ended by stop_all is no failure to report


def spawn(ti: search.TextIndex, files: list[Path], mentions: dict[str, Path]) -> threading.Thread:
    """Start the child that brings `ti` up to date, and the thread that waits for it (its `done` is set then)."""
    job = {"dir": str(ti.directory), "files": [str(p) for p in files],
           "mentions": {k: str(v) for k, v in mentions.items()}, "parent": os.getpid()}

    def watch() -> None:
        proc = None
        try:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])))
            proc = subprocess.Popen([sys.executable, "-m", "dashboard.data.search_build"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, env=env, text=True)
            with _RUNNING_LOCK:
                _RUNNING.add(proc)
            ti.pid = proc.pid
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()  # the result, or "" when the child died first
            code = proc.wait()
            result = json.loads(line) if line.strip() else {}
            if not result.get("ok") and _STOPPING.is_set():
                ti.error = "stopped: the server is exiting"
            elif not result.get("ok"):
                search.failed(ti, result.get("error") or f"the build process {_ended(code)}")
            elif not ti.open_current(files, mentions):
                search.failed(ti, "the built index does not hold the store's files")
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, searches scan and the page says so
            search.failed(ti, f"{type(exc).__name__}: {exc}")
        finally:
            if proc is not None:
                _close(proc)
            ti.done.set()

    thread = threading.Thread(target=watch, name="newsmon-text-index", daemon=True)
    thread.start()
    return thread


_DAY_US = 86_400_000_000
_BATCH_ROWS = 2_000
# Articles read per query of a batch (`_slices`): the 50,000 of the benchmark's files as generated before they were
# compacted, whose build peaked at ~670 MB (docs/benchmarks.md, "Text index build").
SLICE_ROWS = 50_000


def _batch_sql(have: set[str], mentions: bool) -> str:
    """One streamed query: each article's fields and the entities its mention rows name (rows, title rows), for
    the articles file's rows $r0 <= row < $r1 (a slice: `_slices`).

    Columns an older store lacks are NULL. DuckDB streams the articles file in vectors and holds the
    per-article entity lists of the slice, not the text (a 50,000-article file holds ~220 MB of text: building
    it peaked at 824 MB RSS with the file pre-buffered and the mention rows as Python objects, 716 MB so;
    docs/benchmarks.md, "Session 5 runs"). The mention rows are those of the slice's ids only: the lists of a
    whole 250,000-article file, as a compaction writes, took the child past 850 MB."""
    def col(c: str, expr: str | None = None) -> str:
        return (expr or f"a.{c}") if c in have else "NULL"

    rows = "a.file_row_number >= $r0 AND a.file_row_number < $r1"
    ents = (f"""SELECT article_id, list(ent ORDER BY ent) AS ents, list(n ORDER BY ent) AS ns, list(t ORDER BY ent) AS tn
               FROM (SELECT article_id, kind || ':' || entity_id AS ent, count(*) AS n,
                            count(*) FILTER (WHERE field = 'title') AS t
                     FROM read_parquet($m)
                     WHERE article_id IN (SELECT a.id FROM read_parquet($a, file_row_number = true) a WHERE {rows})
                     GROUP BY ALL) GROUP BY article_id""" if mentions else
            "SELECT NULL::VARCHAR AS article_id, NULL::VARCHAR[] AS ents, NULL::BIGINT[] AS ns, NULL::BIGINT[] AS tn"
            " WHERE false")
    return f"""WITH e AS ({ents})
        SELECT {search.KEY_SQL.format(col='a.id')} AS key, a.id, coalesce({col('title')}, '') AS title,
               coalesce({col('text')}, '') AS text, {col('published_at', 'epoch_us(a.published_at)')} AS ts,
               {col('source')} AS source, coalesce({col('language')}, '') AS lang, {col('story_id')} AS story,
               coalesce({col('published_source')} = 'fetched', false) AS fetched,
               e.ents, e.ns, e.tn
        FROM read_parquet($a, file_row_number = true) a LEFT JOIN e ON e.article_id = a.id WHERE {rows}"""


def _slices(articles: Path, rows: int | None = None) -> list[tuple[int, int]]:
    """The articles file's rows as [r0, r1) ranges of whole row groups, each of `rows` (SLICE_ROWS) rows at
    most (a row group larger than that is a slice of its own): a slice's rows are read from its groups only."""
    rows = rows or SLICE_ROWS
    meta = pq.read_metadata(articles)
    out: list[tuple[int, int]] = []
    start = end = 0
    for i in range(meta.num_row_groups):
        n = meta.row_group(i).num_rows
        if end > start and end - start + n > rows:
            out.append((start, end))
            start = end
        end += n
    if end > start or not out:
        out.append((start, end))
    return out


def add_batch(writer, batch: str, articles: Path, mentions: Path | None) -> None:
    """Add one batch's articles: text, the filters' fields and the entities its mention rows name, a slice of
    the articles file at a time (`_slices`)."""
    # one thread and no order kept: this process runs beside the server and may take its time. (No memory
    # limit: a store file written as one large row group needs its column chunks read, and a build that fails
    # leaves searches scanning.)
    con = duck.connect(":memory:", {"threads": "1", "preserve_insertion_order": "false",
                                    "disabled_optimizers": "build_side_probe_side"})
    try:
        params = {"a": str(articles)}
        have = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet($a)", params).fetchall()}
        if mentions is not None and mentions.exists():
            params["m"] = str(mentions)
        sql = _batch_sql(have, "m" in params)
        for r0, r1 in _slices(articles):
            reader = con.sql(sql, params=params | {"r0": r0, "r1": r1}).to_arrow_reader(_BATCH_ROWS)
            for chunk in reader:
                for row in zip(*(chunk.column(c).to_pylist() for c in chunk.schema.names), strict=True):
                    writer.add_document(_document(batch, *row))
    finally:
        con.close()


def _document(batch: str, key: str, aid: str, title: str, text: str, ts: int | None, source: str | None, lang: str,
              story: str | None, fetched: bool, ents: list[str] | None, ns: list[int] | None,
              tn: list[int] | None) -> object:
    """One article's tantivy document (a row of `_batch_sql`)."""
    import tantivy

    title, text = (search.nfc(t) if t else t for t in (title, text))  # as the query is read (`search.parse`)
    doc = {"key": key, "batch": batch, "title": title, "body": text, "pairs": search.pairs_text(title, text),
           "lang": "=" + lang, "first": int(story is None or story == aid), "fetched": int(fetched)}
    if ts is not None:
        doc["ts"], doc["day"] = ts, ts // _DAY_US
    if source is not None:
        doc["source"] = source
    if ents:
        doc["ent"] = ents
        doc["mc"] = {search.ent_key(*e.split(":", 1)): n for e, n in zip(ents, ns, strict=True)}
        doc["ec"] = [f"{e}|{n}|{t}" for e, n, t in zip(ents, ns, tn, strict=True)]
        people = sorted(e.partition(":")[2] for e in ents if e.startswith("person:"))
        if len(people) > 1:
            doc["pair"] = [search.pair_key(a, b) for i, a in enumerate(people) for b in people[i + 1:]]
    return tantivy.Document(**doc)


def release_memory() -> None:
    """After a batch is committed: Python's garbage collected, and glibc's free memory given back to the system."""
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass


def _ended(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"ended with exit code {code}"


def _close(proc: subprocess.Popen) -> None:
    with _RUNNING_LOCK:
        _RUNNING.discard(proc)
    for f in (proc.stdin, proc.stdout):
        try:
            f.close()
        except OSError:
            pass
    proc.wait()


@atexit.register
def stop_all(grace: float = 5.0) -> None:
    """Terminate the build children still running (at the server's exit), then reap them."""
    _STOPPING.set()
    with _RUNNING_LOCK:
        procs = list(_RUNNING)
    for p in procs:
        p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _die_with_parent(parent: int) -> None:
    """Exit when the server goes: SIGTERM from the kernel (Linux), and EOF on stdin everywhere."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the server died before the line above took effect
        os._exit(3)

    def eof() -> None:
        while os.read(0, 4096):  # the fd, not sys.stdin: a thread blocked in sys.stdin stalls the exit
            pass
        os._exit(3)  # EOF: the server closed the pipe or is gone

    threading.Thread(target=eof, daemon=True).start()


def main() -> int:
    """The child: read the job, bring the index up to date, print the result line."""
    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, MALLOC_ARENAS)  # before any thread
    except (AttributeError, OSError):  # not glibc
        pass
    line = sys.stdin.readline()
    if not line.strip():  # the server went before sending the job
        return 0
    job = json.loads(line)
    _die_with_parent(job["parent"])
    try:
        os.nice(NICE)
    except OSError:
        pass
    t = time.perf_counter()
    ti = search.TextIndex(Path(job["dir"]))
    try:
        # the segments tantivy maps to merge: their pages read are handed back as it goes (dashboard/data/pageout.py)
        with pageout.PageOut(ti.directory):
            ti.sync([Path(p) for p in job["files"]], {k: Path(v) for k, v in job["mentions"].items()})
    except Exception as exc:  # noqa: BLE001 - reported to the server, which scans instead
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"ok": True, "seconds": round(time.perf_counter() - t, 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
