"""Mentions on real pages: the hand labels of tests/data/mentions_real_pages.jsonl, scored per article.

    .venv/bin/python benchmarks/mentions_real.py [--split dev|holdout|all] [--show]

The labels name a page of ../shared/data by its path and give, per person, each mention's field, character offsets
and form in the text that `extract_article` makes of the page, with a SHA-256 of that text (title, a newline, body)
and a short hash of each mention's surroundings: no page text is in the repository (the extracted texts are cached
in ~/.cache/newsmon, per version of the extraction code). When extraction has changed a
page, each mention is looked for again by its form and surroundings; a page where one is not found is reported and
left out.
The watchlist is tests/data/mentions_watchlist_plain.toml: a name and the aliases a user would type, nothing else.

Scores, per split (the holdout half was not looked at while the rules were written):
- article-level precision and recall: a (page, person) pair is found when the matcher gives the person at least one
  mention on the page; expected when the labels have at least one;
- mean count error: over the pages where a person is expected or found, the sum over people of |found - expected|.
Mentions labelled `named_after` ("the Trump administration") are expected only when the watchlist counts them.

Beside newsmon, in the same run: a naive exact matcher (the name and aliases, whole words, case-insensitive) and
newsmon's matcher at the baseline commit (default cf7787c, exported with `git archive` and imported under another
package name), both with the same watchlist.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.mentions.matcher import Matcher  # noqa: E402
from ingest.mentions.watchlist import Watchlist, load_watchlist, parse_watchlist  # noqa: E402

LABELS = ROOT / "tests" / "data" / "mentions_real_pages.jsonl"
PLAIN = ROOT / "tests" / "data" / "mentions_watchlist_plain.toml"
DATA = ROOT.parent / "shared" / "data"
BASELINE = "cf7787c"

Finder = Callable[[str, str, str | None], Counter]


def load_labels() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


CACHE = Path.home() / ".cache" / "newsmon"


def _extraction_version() -> str:
    """A hash of the extraction code: cached texts are reused only while it is unchanged."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "ingest" / "extract").glob("*.py")) + [ROOT / "ingest" / "fetch" / "decoding.py"]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def extracted_pages(pages: list[str]) -> dict[str, dict | None]:
    """title, text and language of each page (None if no article), cached outside the repository per code version."""
    from ingest.extract.article import extract_article
    from ingest.records import Extracted

    cache = CACHE / f"real-pages-{_extraction_version()}.json"
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    urls: dict[str, str] = {}
    for name in ("extraction-dev", "dates-dev"):
        for line in (DATA / name / "cases.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                urls[f"{name}/{case['page']}"] = case["url"]
    missing = [p for p in pages if p not in known]
    for page in missing:
        result = extract_article(gzip.decompress((DATA / page).read_bytes()), urls.get(page, ""))
        known[page] = (
            {"title": result.title, "text": result.text, "language": result.language}
            if isinstance(result, Extracted)
            else None
        )
    if missing:
        try:
            CACHE.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
            tmp.replace(cache)
        except OSError:
            pass  # a read-only home: extract again next time
    return {p: known[p] for p in pages}


def load_pages(labels: list[dict]) -> tuple[list[dict], list[str]]:
    """Each label with its page's extracted title, text and language; and the pages whose extraction changed."""
    texts = extracted_pages([lab["page"] for lab in labels])

    out, changed = [], []
    for lab in labels:
        result = texts[lab["page"]]
        if result is None:
            changed.append(lab["page"])
            continue
        digest = hashlib.sha256(f"{result['title']}\n{result['text']}".encode()).hexdigest()
        if digest != lab["sha256"]:
            moved = relocate(lab, result["title"], result["text"])
            if moved is None:
                changed.append(lab["page"])
                continue
            lab = moved
        out.append({**lab, **result})
    return out, changed


def context_hash(text: str, start: int, end: int) -> str:
    """What the labels keep of a mention's surroundings: a hash of 24 characters either side, not the text."""
    return hashlib.sha1(f"{text[max(0, start - 24) : start]}|{text[end : end + 24]}".encode()).hexdigest()[:10]


def relocate(lab: dict, title: str, text: str) -> dict | None:
    """The label with its offsets moved to where the same form stands in the same surroundings in a changed
    extraction; None if any mention cannot be found so (then the page is left out and reported)."""
    fields = {"title": title, "body": text}
    mentions: dict[str, list[dict]] = {}
    for person, ms in lab["mentions"].items():
        for m in ms:
            t = fields[m["field"]]
            at = [
                i
                for i in (x.start() for x in re.finditer(re.escape(m["form"]), t))
                if context_hash(t, i, i + len(m["form"])) == m["context"]
            ]
            if len(at) != 1:
                return None
            mentions.setdefault(person, []).append({**m, "start": at[0], "end": at[0] + len(m["form"])})
    return {**lab, "mentions": mentions}


def expected(lab: dict, named_after: bool) -> Counter:
    return +Counter(
        {p: sum(1 for m in ms if named_after or not m.get("named_after")) for p, ms in lab["mentions"].items()}
    )


def score(pages: list[dict], find: Finder, named_after: bool = False) -> dict:
    tp = fp = fn = 0
    errors: list[int] = []
    misses: list[str] = []
    for page in pages:
        got = find(page["title"], page["text"], page["language"])
        want = expected(page, named_after)
        for p in set(got) | set(want):
            if got[p] and want[p]:
                tp += 1
            elif got[p]:
                fp += 1
                misses.append(f"FP {page['page']} {p} ({got[p]})")
            else:
                fn += 1
                misses.append(f"FN {page['page']} {p} ({want[p]})")
        if got or want:
            errors.append(sum(abs(got[p] - want[p]) for p in set(got) | set(want)))
    return {
        "pairs": tp + fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "count_error": sum(errors) / len(errors) if errors else 0.0,
        "articles": len(errors),
        "misses": misses,
    }


def naive_finder(watchlist: Watchlist) -> Finder:
    """Every alias (the name included) as a whole word, case-insensitive; each occurrence is a mention."""
    patterns = []
    for p in watchlist.people:
        forms = sorted(set(p.aliases), key=len, reverse=True)
        patterns.append((p.id, re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in forms) + r")(?!\w)", re.I)))

    def find(title: str, text: str, language: str | None) -> Counter:
        return +Counter({pid: len(rx.findall(title)) + len(rx.findall(text)) for pid, rx in patterns})

    return find


def matcher_finder(matcher: Matcher, with_language: bool = True) -> Finder:
    def find(title: str, text: str, language: str | None) -> Counter:
        found = matcher.find(title, text, language) if with_language else matcher.find(title, text)
        return Counter(m.entity_id for m in found if m.kind == "person")

    return find


_BASELINES: dict[str, Path | None] = {}


def baseline_package(commit: str = BASELINE) -> Path | None:
    """Import newsmon's mentions code at `commit` as the package `ingest_base`; its folder, or None if unavailable.

    `git archive` exports ingest/ at the commit into a temporary directory; the modules' `ingest.` imports are
    renamed `ingest_base.` except the store's, so the old matcher and recount run beside today's in one process.
    """
    if commit in _BASELINES:
        return _BASELINES[commit]
    _BASELINES[commit] = None
    try:
        tar = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "ingest/mentions", "ingest/records.py", "ingest/data"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    dest = Path(tempfile.mkdtemp(prefix=f"newsmon-baseline-{commit}-"))
    pkg = dest / "ingest_base"
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for member in t.getmembers():
            if not member.isfile() or not member.name.endswith((".py", ".toml")):
                continue
            source = t.extractfile(member).read().decode("utf-8")
            source = re.sub(r"\bingest\.(mentions|records)\b", r"ingest_base.\1", source)
            target = pkg / Path(member.name).relative_to("ingest")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
    (pkg / "__init__.py").write_text('"""newsmon\'s mentions code at the benchmark\'s baseline commit."""\n')
    sys.path.insert(0, str(dest))
    _BASELINES[commit] = pkg
    return pkg


def baseline_matcher(watchlist_path: Path, commit: str = BASELINE):
    """The baseline commit's Matcher for the watchlist file, or None."""
    if baseline_package(commit) is None:
        return None
    from ingest_base.mentions.matcher import Matcher as OldMatcher  # type: ignore[import-not-found]
    from ingest_base.mentions.watchlist import load_watchlist as old_load  # type: ignore[import-not-found]

    return OldMatcher(old_load(watchlist_path))


def quality_tables(split: str = "all", show: bool = False, commit: str = BASELINE) -> None:
    """Print the real-page quality table; a note and nothing else when ../shared/data is absent."""
    if not (DATA / "extraction-dev" / "cases.jsonl").exists():
        print(f"\n(no shared data at {DATA}: real-page quality skipped)")
        return
    t0 = time.perf_counter()
    pages, changed = load_pages(load_labels())
    took = time.perf_counter() - t0
    watchlist = load_watchlist(PLAIN)
    on = parse_watchlist(PLAIN.read_text(encoding="utf-8").replace("[meta]", "[meta]\nnamed_after = true", 1))
    old = baseline_matcher(PLAIN, commit)
    finders: list[tuple[str, Finder, bool]] = [("naive exact match (name and aliases)", naive_finder(watchlist), False)]
    if old is not None:
        finders.append((f"newsmon at {commit}", matcher_finder(old, with_language=False), False))
    finders.append(("newsmon (this tree)", matcher_finder(Matcher(watchlist)), False))
    finders.append(("newsmon, named_after = true", matcher_finder(Matcher(on)), True))
    splits = ("dev", "holdout", "all") if split == "all" else (split,)
    n = {s: [p for p in pages if s == "all" or p["split"] == s] for s in splits}
    print(
        f"\n## Quality on real pages: {LABELS.relative_to(ROOT)} ({len(pages)} pages extracted in {took:.0f} s, "
        f"watchlist {PLAIN.name}, {len(watchlist.people)} people)\n"
    )
    if changed:
        print(f"{len(changed)} labelled pages left out: their extraction changed since labelling ({changed[:3]} ...)\n")
    print("| split | pages | expected pairs | matcher | precision | recall | count error / article | articles |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for s in splits:
        for label, find, named in finders:
            r = score(n[s], find, named)
            print(
                f"| {s} | {len(n[s])} | {r['pairs']} | {label} | {r['precision']:.3f} | {r['recall']:.3f} "
                f"| {r['count_error']:.2f} | {r['articles']} |"
            )
            if show and label == "newsmon (this tree)":
                print("\n".join(f"    {m}" for m in r["misses"]))
    print("\n(targets: precision >= 0.98, recall >= 0.97, count error <= 0.3 per article)")
    # The same pages with every accent written apart (NFD, as macOS writes text; Hangul as jamo): the same names.
    nfd = [{**p, "title": unicodedata.normalize("NFD", p["title"] or ""),
            "text": unicodedata.normalize("NFD", p["text"] or "")} for p in n[splits[-1]]]
    changed_pages = sum((p["title"], p["text"]) != (q["title"] or "", q["text"] or "")
                        for p, q in zip(nfd, n[splits[-1]], strict=True))
    print(f"\n## The same pages written in NFD ({splits[-1]}: {len(nfd)} pages, {changed_pages} of them changed by it)\n")
    print("| matcher | precision | recall | count error / article | articles |")
    print("|---|---:|---:|---:|---:|")
    for label, find, named in finders[1:3]:
        r = score(nfd, find, named)
        print(f"| {label} | {r['precision']:.3f} | {r['recall']:.3f} | {r['count_error']:.2f} | {r['articles']} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "holdout", "all"), default="all")
    ap.add_argument("--show", action="store_true", help="list every false and missed (page, person) pair")
    ap.add_argument("--baseline", default=BASELINE, help="commit of the baseline matcher")
    args = ap.parse_args()
    quality_tables(args.split, args.show, args.baseline)


if __name__ == "__main__":
    main()
