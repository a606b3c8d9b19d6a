"""Crash safety of the whole-table rewrites: `newsmon store compact` and `newsmon mentions recount`, killed with
SIGKILL at every boundary between two of their changes to the file system and at random moments.

After each kill a plain reader sees exactly the rows it saw before (a compaction) or exactly the old or the new
mentions (a recount), never a mix, never fewer; and the next command opens the store, repairs what the kill left,
and succeeds, leaving articles and mentions files paired by name. The small cases run in every `make test`; the
full ones (every boundary, 20 random kills, a larger store) are marked slow.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from ingest.mentions.recount import recount
from ingest.mentions.watchlist import load_watchlist
from ingest.store.compact import compact_store
from ingest.store.parquet import Store
from tests.killkit import (
    Snapshot,
    assert_tidy,
    build_store,
    cli_command,
    copy_store,
    kill_after,
    mutations,
    python_command,
    run_crashing,
)

# A recount with this watchlist finds fewer mentions than the packaged one the store was built with.
SMALL_WATCHLIST = """[meta]
as_of = "2025-10-31"

[[people]]
id = "macron"
name = "Emmanuel Macron"

[[people]]
id = "putin"
name = "Vladimir Putin"
"""


def compact_child(store: Path) -> list[str]:
    # target_rows=50 merges the 20-article batches two or three at a time: several merged files and kept ones.
    return python_command("from pathlib import Path\nfrom ingest.store.compact import compact_store\nfrom ingest.store.parquet import Store\n"
                          f"compact_store(Store(Path({str(store)!r})), target_rows=50)")


def recount_child(store: Path, watchlist: Path) -> list[str]:
    return python_command("from ingest.mentions.recount import recount\n"
                          "from ingest.mentions.watchlist import load_watchlist\n"
                          f"recount({str(store)!r}, load_watchlist({str(watchlist)!r}), processes=0)")


def at_switches(changes: list[str], root: Path) -> list[int]:
    """The changes to entries of the store's root (its table links, the switch journal), and the one after each."""
    points = set()
    for line in changes:
        n, op, path = line.split(" ", 2)
        if Path(path).parent == root and op != "mkdir":
            points.update((int(n), int(n) + 1))
    return sorted(p for p in points if p <= len(changes))


def crash_compaction_at(points: list[int], pristine: Path, work: Path, expected: Snapshot) -> None:
    for k in points:
        store = Store(copy_store(pristine, work))
        done = run_crashing(compact_child(store.root), k)
        assert done.returncode == -9, f"change {k}: not killed ({done.returncode}) {done.stderr[-500:]}"
        assert Snapshot.of(store) == expected, f"killed before change {k}: a reader sees other rows"
        compact_store(store, target_rows=50)  # the next compaction repairs and succeeds
        assert Snapshot.of(store) == expected, f"killed before change {k}: the next compaction lost rows"
        assert_tidy(store)


def crash_recount_at(points: list[int], pristine: Path, work: Path, watchlist: Path,
                     old: Snapshot, new: Snapshot) -> None:
    for k in points:
        store = Store(copy_store(pristine, work))
        done = run_crashing(recount_child(store.root, watchlist), k)
        assert done.returncode == -9, f"change {k}: not killed ({done.returncode}) {done.stderr[-500:]}"
        seen = Snapshot.of(store)
        assert seen in (old, new), f"killed before change {k}: a reader sees a mix or a loss"
        compact_store(store)  # any writer repairs; the counts stay what the reader saw
        assert Snapshot.of(store) == seen
        assert_tidy(store)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot]:
    root = tmp_path_factory.mktemp("kill") / "pristine"
    store = build_store(root, batches=6, per_batch=20)
    return root, Snapshot.of(store)


def test_compact_killed_at_each_switch_keeps_every_row(small, tmp_path: Path) -> None:
    pristine, expected = small
    assert sum(expected.per_entity().values()) > 200
    changes = mutations(compact_child(copy_store(pristine, tmp_path / "probe")), tmp_path / "log")
    points = at_switches(changes, (tmp_path / "probe").resolve())
    assert len(points) >= 8, changes  # the journal, three links, the journal's removal
    crash_compaction_at(points, pristine, tmp_path / "work", expected)


def test_recount_killed_at_each_switch_shows_old_or_new_counts(small, tmp_path: Path) -> None:
    pristine, old = small
    watchlist = tmp_path / "small.toml"
    watchlist.write_text(SMALL_WATCHLIST, encoding="utf-8")
    after = Store(copy_store(pristine, tmp_path / "probe"))
    changes = mutations(recount_child(after.root, watchlist), tmp_path / "log")
    new = Snapshot.of(after)
    assert new != old and new.articles == old.articles
    points = at_switches(changes, after.root.resolve())
    crash_recount_at(points + [1, len(changes) // 2], pristine, tmp_path / "work", watchlist, old, new)


def test_compact_and_recount_killed_at_random_moments_through_the_cli(small, tmp_path: Path) -> None:
    kill_at_random(small, tmp_path, kills=4, seed=1)


def kill_at_random(built: tuple[Path, Snapshot], tmp_path: Path, kills: int, seed: int) -> None:
    """`newsmon store compact` and `newsmon mentions recount` killed after random times; each kill on a fresh
    copy of the store (a compacted store has nothing left to merge), checked, then the command run to the end."""
    pristine, expected = built
    rng = random.Random(seed)
    watchlist = tmp_path / "small.toml"
    watchlist.write_text(SMALL_WATCHLIST, encoding="utf-8")
    work = tmp_path / "work"
    compact = cli_command("store", "compact", "--store", str(work))
    recount_cmd = cli_command("mentions", "recount", "--store", str(work), "--watchlist", str(watchlist),
                          "--processes", "0", "--no-progress")
    took = {}
    for name, cmd in (("compact", compact), ("recount", recount_cmd)):
        copy_store(pristine, work)
        t = time.monotonic()
        assert run_crashing(cmd, 0).returncode == 0
        took[name] = time.monotonic() - t
    recounted = Snapshot.of(Store(work))
    for i in range(kills):
        name, cmd = ("compact", compact) if i % 2 == 0 else ("recount", recount_cmd)
        store = Store(copy_store(pristine, work))
        kill_after(cmd, rng.uniform(0.2, took[name]))
        seen = Snapshot.of(store)
        assert seen == expected or (name == "recount" and seen == recounted), f"{name} kill {i}"
        if name == "compact":  # then the command runs to the end (in this process: quicker than a child)
            compact_store(store)
        else:
            recount(store.root, load_watchlist(watchlist), processes=0)
        assert Snapshot.of(store) == (expected if name == "compact" else recounted)
        assert_tidy(store)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot]:
    root = tmp_path_factory.mktemp("kill-large") / "pristine"
    store = build_store(root, batches=40, per_batch=50, seed=8)
    return root, Snapshot.of(store)


@pytest.mark.slow
def test_compact_killed_before_every_change_keeps_every_row(small, tmp_path: Path) -> None:
    pristine, expected = small
    changes = mutations(compact_child(copy_store(pristine, tmp_path / "probe")), tmp_path / "log")
    crash_compaction_at(list(range(1, len(changes) + 1)), pristine, tmp_path / "work", expected)


@pytest.mark.slow
def test_recount_killed_before_every_change_shows_old_or_new_counts(small, tmp_path: Path) -> None:
    pristine, old = small
    watchlist = tmp_path / "small.toml"
    watchlist.write_text(SMALL_WATCHLIST, encoding="utf-8")
    after = Store(copy_store(pristine, tmp_path / "probe"))
    changes = mutations(recount_child(after.root, watchlist), tmp_path / "log")
    crash_recount_at(list(range(1, len(changes) + 1)), pristine, tmp_path / "work", watchlist, old,
                     Snapshot.of(after))


@pytest.mark.slow
def test_compact_and_recount_killed_at_20_random_moments(large, tmp_path: Path) -> None:
    kill_at_random(large, tmp_path, kills=20, seed=2)


def test_small_watchlist_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(SMALL_WATCHLIST, encoding="utf-8")
    assert {p.id for p in load_watchlist(path).people} == {"macron", "putin"}
