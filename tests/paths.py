"""Where the tests find the repository and the shared data sets, wherever the test module sits in tests/."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"  # ../shared/data/ from the project root (read-only, not in the repo)
APP = REPO / "dashboard" / "app.py"
