"""Every script in benchmarks/ runs as `python benchmarks/NAME.py --help`, as its docstring and the Makefile run it.

Run so, a script's own folder is sys.path[0]: a benchmark named like a package (benchmarks/ingest.py was) hid
that package from every script beside it, and the scripts that did not put the repo root first failed on import.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_runs_as_a_script(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as from a shell: the script's folder first
    r = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]


def test_every_benchmark_the_makefile_runs_exists() -> None:
    named = set(re.findall(r"benchmarks/[\w/]+\.py", (REPO / "Makefile").read_text()))
    assert named and not [name for name in sorted(named) if not (REPO / name).is_file()]
    assert {"benchmarks/ingest_speed.py", "benchmarks/ingest_soak.py"} <= named
