"""Event annotations: stored atomically in the store, newest row per id wins, deletions are tombstones."""

from datetime import date

import pytest

from dashboard.data import annotations, health, queries
from dashboard.data.annotations import Annotation


def test_add_read_delete(tiny_store):
    root = tiny_store.root
    con = queries.connect(root)
    assert health.annotations(con).empty  # no annotations directory yet
    a = annotations.add(root, Annotation(date(2024, 2, 1), "  Talks   resume ", note="n"))
    b = annotations.add(root, Annotation(date(2024, 1, 5), "Summit <b>"))
    con = queries.connect(root)  # a new connection sees the new table
    got = health.annotations(con)
    assert list(got["label"]) == ["Summit <b>", "Talks resume"]  # by day, whitespace folded
    annotations.delete(root, a, date(2024, 2, 1), "Talks resume")
    got = health.annotations(con)
    assert list(got["id"]) == [b]
    files = list((root / "annotations").glob("*.parquet"))
    assert len(files) == 4 and not list((root / "annotations").glob(".*"))  # schema + 3 rows, no temp left


@pytest.mark.parametrize("label", ["", "   ", "x" * (annotations.MAX_LABEL + 1)])
def test_bad_labels(tiny_store, label):
    with pytest.raises(ValueError):
        annotations.add(tiny_store.root, Annotation(date(2024, 1, 1), label))
