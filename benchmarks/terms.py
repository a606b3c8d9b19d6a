"""The words of "Why the spike?" and of the text index: their cost over a spike's texts, and words with combining
marks on real pages, this tree beside a baseline revision in the same run.

    .venv/bin/python benchmarks/terms.py [--store data/demo-store] [--baseline REV] [--runs 7]
    make bench-terms                                 # the demo store, against BASELINE

Cost: the busiest week of the store's most mentioned person or topic, its texts and its baseline's as "Why the
spike?" reads them (`explain.why_inputs`), then the words of both sides counted, the rows taking turns, `--runs`
times; best and median seconds, and how many distinct terms each found:
- this tree as the dashboard counts them: `countpool.count_sides`, the two sides at once in two child processes
  (the children started before the first timed run, as a server keeps them);
- this tree in this process, one side after the other (`term_counts`, what the dashboard did before);
- the baseline revision's dashboard/explain.py `term_counts`, one side after the other.

Words with marks (the dev sets in ../shared/data, skipped when absent): every word of the pages' paragraphs, split
at spaces and punctuation, made of letters and combining marks (vowel signs, viramas, accents written apart) and
holding at least one mark; per script, how many each tree's terms (`explain`'s word pattern) and text index
(`search._tokens`) keep whole, as one token.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.first_chart import extract  # noqa: E402
from dashboard import countpool  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SPLIT = re.compile(r"[\s.,;:!?\"'()\[\]«»“”‘’—–|/-]+")


def _module(path: Path, name: str) -> ModuleType:
    """A module file of another tree, loaded under its own name (its imports resolve to this tree's packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # (a dataclass looks its module up there)
    spec.loader.exec_module(mod)
    return mod


def spike_texts(store: Path) -> tuple[list[list[str]], str]:
    """The texts "Why the spike?" reads for the busiest week of the most mentioned entity: [selection, baseline]."""
    from dashboard.data import queries
    from dashboard.data.filters import Filters
    from dashboard.data.selection import PointKey
    from dashboard.explain import why_inputs

    con = queries.connect(store, index_path=None)
    kind, eid, week = con.execute(
        "SELECT kind, entity_id, date_trunc('week', published_at)::DATE w FROM mentions WHERE published_at IS NOT NULL"
        " GROUP BY ALL ORDER BY count(DISTINCT article_id) DESC, 1, 2, 3 LIMIT 1").fetchone()
    f = Filters(people=(eid,)) if kind == "person" else Filters(people=(), topics=(eid,))
    target, base, _, _ = why_inputs(con, f, [PointKey(kind, eid, week)])
    return [list(target.values()), [t for i, t in base.items() if i not in target]], f"{kind} {eid}, week of {week}"


def time_counts(sides: list[list[str]], ways: dict[str, Callable[[list[list[str]]], list[Counter]]],
                runs: int) -> dict[str, tuple[list[float], int]]:
    """Each way of counting the sides, `runs` times, taking turns; (seconds of each run, distinct terms)."""
    out: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in ways}
    for r in range(runs):
        for name in (list(ways) if r % 2 == 0 else list(ways)[::-1]):
            t0 = time.perf_counter()
            counts = ways[name](sides)
            out[name] = (out[name][0] + [time.perf_counter() - t0], len(set().union(*counts)))
    return out


def one_after_other(explain: ModuleType) -> Callable[[list[list[str]]], list[Counter]]:
    return lambda sides: [explain.term_counts(s) for s in sides]


def marked_words() -> Counter:
    """(script, word) -> occurrences, for every word with a mark in the dev sets' paragraphs."""
    import lxml.html

    words: Counter = Counter()
    for ds in ("extraction-dev", "dates-dev"):
        cases = DATA / ds / "cases.jsonl"
        if not cases.exists():
            continue
        for line in cases.read_text().splitlines():
            doc = lxml.html.fromstring(gzip.decompress((DATA / ds / json.loads(line)["page"]).read_bytes()))
            for p in doc.iter("p"):
                for w in SPLIT.split(p.text_content()):
                    cats = {unicodedata.category(ch)[0] for ch in w}
                    if len(w) > 2 and cats == {"L", "M"} and unicodedata.category(w[0])[0] == "L":
                        words[(unicodedata.name(w[0]).split()[0].title(), w)] += 1
    return words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "demo-store")
    ap.add_argument("--baseline", default="a43e88a", help="git revision to compare with (default: before the marks)")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsmon-terms-") as tmp:
        base = extract(args.baseline, Path(tmp) / "baseline")
        explains = {"this tree": _module(ROOT / "dashboard" / "explain.py", "explain_this"),
                    f"baseline {args.baseline}": _module(base / "dashboard" / "explain.py", "explain_base")}
        searches = {"this tree": _module(ROOT / "dashboard" / "data" / "search.py", "search_this"),
                    f"baseline {args.baseline}": _module(base / "dashboard" / "data" / "search.py", "search_base")}
        sides, what = spike_texts(args.store)
        countpool.count_sides([["start the children"] * 2] * 2, min_chars=0)  # as a server keeps them, started
        ways = {"this tree: the two sides at once, in two child processes": countpool.count_sides,
                "this tree: one side after the other, in this process": one_after_other(explains["this tree"]),
                f"baseline {args.baseline}: one side after the other": one_after_other(
                    explains[f"baseline {args.baseline}"])}
        res = time_counts(sides, ways, args.runs)
        docs = [t for side in sides for t in side]
        print(f"\nThe words of a spike's texts counted: {args.store}, {what}: {len(sides[0]):,} + {len(sides[1]):,} "
              f"texts, {sum(map(len, docs)) / 1e6:.1f}M characters; {args.runs} runs each, taking turns\n")
        print("| counted by | best s | median s | distinct terms |\n|---|---:|---:|---:|")
        for name, (ts, n) in res.items():
            print(f"| {name} | {min(ts):.3f} | {statistics.median(ts):.3f} | {n:,} |")
        words = marked_words()
        if not words:
            print(f"\n(no dev set in {DATA}: the words with marks are not counted)")
            return
        scripts = sorted({s for s, _ in words}, key=lambda s: -sum(n for (t, _), n in words.items() if t == s))
        print(f"\nWords with a combining mark in the dev sets' paragraphs ({sum(words.values()):,} occurrences, "
              f"{len(words):,} distinct), kept whole as one token:\n")
        print("| script | words | " + " | ".join(f"terms, {n} | text index, {n}" for n in explains) + " |")
        print("|---|---:|" + "---:|---:|" * len(explains))
        for s in scripts + ["all"]:
            ws = {w: n for (t, w), n in words.items() if s in ("all", t)}
            total = sum(ws.values())
            cells = []
            for name in explains:
                e, t = explains[name], searches[name]
                word_of = getattr(e, "words", None) or e._WORD.findall
                cells.append(f"{sum(n for w, n in ws.items() if word_of(w) == [w]) / total:.3f}")
                cells.append(f"{sum(n for w, n in ws.items() if t._tokens(w) == [w.lower()]) / total:.3f}")
            print(f"| {s} | {total:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
