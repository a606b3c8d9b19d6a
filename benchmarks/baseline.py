"""The extractor of another commit (by default main's cf7787c, before issue 14), run beside today's in the same
benchmark run: the commit's tree is exported with `git archive` into a temporary folder and its `extract_article`
runs in a worker process fed page by page, so both see the same machine load.

    with BaselineWorker(DATA_FOLDER) as old:       # exports the commit, starts the worker
        results, cpu = old.extract([0, 1, 2])        # pages of DATA_FOLDER/cases.jsonl, by index

Each result is {"text", "published", "published_source"} or {"error"}; `cpu` is the worker's CPU seconds for
those pages (imports and the warm-up page not included).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE_COMMIT = "cf7787c"  # main before issue 14 ("A folder per stage")

_WORKER = r"""
import gzip, json, sys, time
sys.path.insert(0, sys.argv[1])
from ingest.extract.article import extract_article
from ingest.records import Failure
folder = sys.argv[2]
cases = [json.loads(line) for line in open(folder + "/cases.jsonl", encoding="utf-8")]
def page(i):
    c = cases[i]
    return gzip.decompress(open(folder + "/" + c["page"], "rb").read()), c["url"]
def run(i):
    html, url = page(i)
    r = extract_article(html, url)
    if isinstance(r, Failure):
        return {"error": r.reason, "detail": r.detail}
    return {"text": r.text, "published": r.published_at.isoformat() if r.published_at else None,
            "published_source": r.published_source}
run(0)  # warm-up: imports and lazy loads are not per-page work
try:
    import jieba
    jieba.initialize()  # newspaper3k's Chinese tokenizer builds its dictionary on first use
except ImportError:
    pass
print("ready", flush=True)
for line in sys.stdin:
    indices = json.loads(line)
    pages = [page(i) for i in indices]  # read before the clock starts, as the in-process systems get bytes
    t0 = time.process_time()
    out = []
    for html, url in pages:
        r = extract_article(html, url)
        out.append({"error": r.reason, "detail": r.detail} if isinstance(r, Failure) else
                   {"text": r.text, "published": r.published_at.isoformat() if r.published_at else None,
                    "published_source": r.published_source})
    print(json.dumps({"cpu": time.process_time() - t0, "results": out}), flush=True)
"""


def export_commit(commit: str, dest: Path) -> Path:
    """The tree of `commit` of this repository, extracted into `dest` (no checkout, no worktree to clean up)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


class BaselineWorker:
    def __init__(self, folder: Path, commit: str = BASELINE_COMMIT) -> None:
        self.folder, self.commit = Path(folder), commit
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> BaselineWorker:
        self._tmp = tempfile.TemporaryDirectory(prefix="newsmon-baseline-")
        tree = export_commit(self.commit, Path(self._tmp.name))
        self._proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(tree), str(self.folder)], cwd=tree,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the baseline worker ({self.commit}) did not start")
        return self

    def extract(self, indices: list[int]) -> tuple[list[dict], float]:
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(indices) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline())
        return reply["results"], reply["cpu"]

    def __exit__(self, *exc) -> None:
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=60)
        if self._tmp is not None:
            self._tmp.cleanup()
