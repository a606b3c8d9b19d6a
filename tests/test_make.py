"""The README's two commands: `make demo` ensures Chromium as `make test` does, and goes on without it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.paths import REPO


def _recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target, as `make -n` would run them (dry run: nothing is executed)."""
    r = subprocess.run(["make", "-n", "-W", "pyproject.toml", "--no-print-directory", target], cwd=REPO,
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PY="true"))
    return [line for line in r.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
@pytest.mark.parametrize("target", ["demo", "test"])
def test_demo_and_test_ensure_chromium_before_they_run(target):
    lines = _recipe(target)
    ensure = [i for i, line in enumerate(lines) if ".ci/ensure-chromium" in line]
    run = [i for i, line in enumerate(lines) if "newsmon demo" in line or "pytest" in line]
    assert ensure and run and ensure[0] < run[0], lines


def test_the_demo_goes_on_when_chromium_cannot_be_installed():
    """`-bash .ci/ensure-chromium`: make ignores its failure (not root, no apt): the dashboard says what to install."""
    text = (REPO / "Makefile").read_text()
    demo = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "\t-bash .ci/ensure-chromium" in demo


def test_ensure_chromium_says_what_to_install_when_it_cannot(tmp_path):
    if os.geteuid() == 0 and not Path("/usr/bin/chromium").exists():
        pytest.skip("would install chromium")
    if Path("/usr/bin/chromium").exists():
        r = subprocess.run(["bash", str(REPO / ".ci" / "ensure-chromium")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0
    else:
        r = subprocess.run(["bash", str(REPO / ".ci" / "ensure-chromium")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "apt-get install -y chromium" in r.stderr


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
@pytest.mark.parametrize("target, script", [("bench-interaction", "benchmarks/interaction.py"),
                                            ("bench-text-index", "benchmarks/text_index_build.py")])
def test_the_dashboard_benchmarks_run_beside_a_baseline_revision(target, script):
    """Both read BASELINE (it was defined twice: the first, empty, won, and bench-interaction ran `--baseline `)."""
    command = " ".join(" ".join(_recipe(target)).replace("\\", " ").split())  # continuation lines joined
    assert script in command and "--baseline cf7787c" in command.split(script, 1)[1], command
