"""Calibration of ingest.extract.language.SURE: how often a sure detection of a short excerpt contradicts its page.

    .venv/bin/python benchmarks/language.py [--seed 7]

Pages: the extraction dev set (../shared/data/extraction-dev), bodies extracted by newsmon, those with at least
1,500 characters. A page's reference language is py3langid's answer on its first 3,000 characters (pages it
gives less than p = 0.99 are left out). From each page, one random excerpt of each length is classified; the
table gives, per excerpt length and probability floor, how many excerpts reach the floor and how many of those
name another language than the page's. A declared language (sources file) is overridden only by detections at
or above SURE, so "wrong" is the rate of false disagreements the run would report.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.extract.article import extract_article  # noqa: E402
from ingest.extract.language import SURE, _langid  # noqa: E402
from ingest.records import Failure  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "extraction-dev"
LENGTHS = (40, 80, 150, 300, 600)
FLOORS = (0.5, 0.8, SURE, 0.95, 0.99)


def bodies() -> list[str]:
    out = []
    for line in (DEV / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        result = extract_article(gzip.decompress((DEV / case["page"]).read_bytes()), case["url"])
        if not isinstance(result, Failure) and len(result.text) >= 1500:
            out.append(result.text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not (DEV / "cases.jsonl").exists():
        sys.exit(f"extraction dev set not found at {DEV}")
    warnings.filterwarnings("ignore")
    texts = bodies()
    ident = _langid()
    started = time.perf_counter()
    refs = [ident.classify(t[:3000]) for t in texts]
    per_page_ms = 1000 * (time.perf_counter() - started) / len(texts)
    rng = random.Random(args.seed)
    rows = []  # (length, probability, agrees with the page)
    for text, (ref, prob) in zip(texts, refs, strict=True):
        if prob < 0.99:
            continue
        for n in LENGTHS:
            start = rng.randrange(0, len(text) - n)
            code, p = ident.classify(text[start:start + n])
            rows.append((n, p, code == ref))
    langs: dict[str, int] = {}
    for code, _ in refs:
        langs[code] = langs.get(code, 0) + 1
    print(f"{len(texts)} pages; reference languages: "
          + ", ".join(f"{c} {n}" for c, n in sorted(langs.items(), key=lambda kv: -kv[1])))
    print(f"classify 3,000 characters: {per_page_ms:.2f} ms a page\n")
    print("| excerpt chars | p >= | excerpts | other language | rate |\n|---:|---:|---:|---:|---:|")
    for n in LENGTHS:
        for floor in FLOORS:
            sel = [ok for m, p, ok in rows if m == n and p >= floor]
            wrong = sum(not ok for ok in sel)
            mark = " (SURE)" if floor == SURE else ""
            print(f"| {n} | {floor}{mark} | {len(sel)} | {wrong} | {100 * wrong / max(1, len(sel)):.1f}% |")


if __name__ == "__main__":
    main()
