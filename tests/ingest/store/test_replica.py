"""A store published to an object store, pulled back as a read-only replica the dashboard serves."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard import cli
from dashboard.data.queries import connect
from ingest.store.compact import compact_store
from ingest.store.parquet import Store, StoreError
from ingest.store.publish import publish_store
from ingest.store.replica import ReplicaError, pull_store
from tests.ingest.store.test_parquet import make_articles
from tests.paths import SHARED_DATA


def _store_with_batches(root: Path, batches: int, seed: int) -> tuple[Store, list]:
    store = Store(root)
    arts = make_articles(4 * batches, random.Random(seed))
    with store.writer() as w:
        for i in range(batches):
            w.write_batch(arts[4 * i:4 * i + 4], "v1")
    return store, arts


def _ids(root: Path) -> list[str]:
    return sorted(pd.read_parquet(root / "articles")["id"])


def test_pull_follows_publishes_and_compactions(tmp_path: Path) -> None:
    store, arts = _store_with_batches(tmp_path / "store", 3, seed=1)
    bucket = (tmp_path / "bucket" / "newsmon").as_uri()
    publish_store(store, bucket)
    replica = tmp_path / "replica"

    first = pull_store(bucket, replica)
    assert first.downloaded > 0 and first.deleted == 0 and first.missing == 0
    assert Store(replica).exists()
    assert _ids(replica) == sorted(a.id for a in arts)
    con = connect(replica)  # the dashboard's own connection opens the replica like any store
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 12
    assert con.execute("SELECT count(*) FROM mentions").fetchone()[0] == len(pd.read_parquet(store.mentions_dir))

    assert pull_store(bucket, replica).downloaded == 0  # nothing new: nothing fetched

    more = make_articles(4, random.Random(2), prefix="b")
    with store.writer() as w:
        w.write_batch(more, "v1")
    compact_store(store, target_rows=100)  # the old batch files go, one merged file comes
    publish_store(store, bucket)
    again = pull_store(bucket, replica)
    assert again.downloaded > 0 and again.deleted > 0
    assert _ids(replica) == sorted(a.id for a in arts + more)  # no row lost, none twice
    local = {p.relative_to(replica) for p in replica.glob("*/*.parquet")}  # what readers see (through the links)
    published = {p.relative_to(tmp_path / "bucket" / "newsmon") for p in (tmp_path / "bucket").rglob("*.parquet")}
    assert local == published


def test_replica_refuses_writers(tmp_path: Path) -> None:
    store, _ = _store_with_batches(tmp_path / "store", 1, seed=3)
    publish_store(store, str(tmp_path / "bucket"))
    pull_store(str(tmp_path / "bucket"), tmp_path / "replica")
    with pytest.raises(StoreError, match="read-only replica"):
        with Store(tmp_path / "replica").writer():
            pass


def test_pull_through_fsspec_memory(tmp_path: Path) -> None:
    store, arts = _store_with_batches(tmp_path / "store", 2, seed=4)
    publish_store(store, "memory://bucket/replica-test")
    pull_store("memory://bucket/replica-test", tmp_path / "replica")
    assert _ids(tmp_path / "replica") == sorted(a.id for a in arts)


def test_a_file_gone_from_the_bucket_is_counted_and_fetched_next_time(tmp_path: Path) -> None:
    store, arts = _store_with_batches(tmp_path / "store", 2, seed=5)
    bucket = tmp_path / "bucket"
    publish_store(store, str(bucket))
    victim = sorted((bucket / "articles").glob("*.parquet"))[-1]
    saved = victim.read_bytes()
    victim.unlink()  # as if a publish had removed it between our reading the manifest and the download
    report = pull_store(str(bucket), tmp_path / "replica")
    assert report.missing == 1
    victim.write_bytes(saved)
    assert pull_store(str(bucket), tmp_path / "replica").downloaded == 1
    assert _ids(tmp_path / "replica") == sorted(a.id for a in arts)


def test_no_published_store_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReplicaError, match="no published store"):
        pull_store(str(tmp_path / "empty"), tmp_path / "replica")
    result = CliRunner().invoke(cli.main, ["store", "pull", str(tmp_path / "empty"), "--store", str(tmp_path / "r")])
    assert result.exit_code != 0
    assert "no published store" in result.output and "Traceback" not in result.output


def test_dashboard_on_a_uri_serves_a_replica_and_pulls_again(tmp_path: Path, monkeypatch) -> None:
    store, arts = _store_with_batches(tmp_path / "store", 1, seed=6)
    publish_store(store, "memory://bucket/dash")
    monkeypatch.setenv("NEWSMON_REPLICAS", str(tmp_path / "replicas"))
    served = {}

    def fake_serve(root, watchlist, host, port, every=None, tick=None, feed_port=None):
        served.update(root=root, every=every, ids=_ids(root))
        with store.writer() as w:  # the ingest goes on; the next publish and pull bring it in
            w.write_batch(make_articles(4, random.Random(7), prefix="c"), "v1")
        publish_store(store, "memory://bucket/dash")
        tick()
        served["after"] = _ids(root)

    monkeypatch.setattr(cli, "serve_dashboard", fake_serve)
    result = CliRunner().invoke(cli.main, ["dashboard", "--store", "memory://bucket/dash", "--refresh", "2m"])
    assert result.exit_code == 0, result.output
    assert served["root"] == cli.replica_dir("memory://bucket/dash") and served["every"] == 120
    assert served["ids"] == sorted(a.id for a in arts)
    assert len(served["after"]) == 8 and "pulled memory://bucket/dash" in result.output
    assert cli.is_remote("s3://b/p") and not cli.is_remote("data/store") and not cli.is_remote("file:///x")


SEED = SHARED_DATA / "seed"


@pytest.mark.skipif(not (SEED / "article.html").exists(), reason="seed page not found (../shared/data/seed)")
def test_ingest_publish_after_the_run(tmp_path: Path) -> None:
    store, bucket = tmp_path / "store", tmp_path / "bucket"
    args = ["ingest", "--html-dir", str(SEED), "--store", str(store), "--no-progress", "--processes", "0"]
    result = CliRunner().invoke(cli.main, [*args, "--publish", str(bucket)])
    assert result.exit_code == 0, result.output
    assert "published to" in result.output
    assert _ids(bucket) == _ids(store) and len(_ids(store)) == 1
    same = CliRunner().invoke(cli.main, [*args, "--publish", str(store)])
    assert same.exit_code != 0 and "another place than the store" in same.output


def test_ingest_publish_failure_keeps_the_stored_articles(tmp_path: Path) -> None:
    if not (SEED / "article.html").exists():
        pytest.skip("seed page not found (../shared/data/seed)")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    args = ["ingest", "--html-dir", str(SEED), "--store", str(tmp_path / "store"), "--no-progress", "--processes",
            "0", "--publish", str(blocker / "bucket")]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1 and "stored, but cannot publish" in result.output
    assert "Traceback" not in result.output
    assert len(_ids(tmp_path / "store")) == 1


def test_a_replica_made_before_generations_is_moved_onto_them(tmp_path: Path, monkeypatch) -> None:
    """Replicas pulled by older versions hold plain table directories: the first compaction pull links them."""
    import shutil

    import ingest.store.replica as replica_mod

    store, arts = _store_with_batches(tmp_path / "store", 3, seed=8)
    bucket = str(tmp_path / "bucket")
    publish_store(store, bucket)
    replica = tmp_path / "replica"
    pull_store(bucket, replica)
    for table in ("articles", "mentions", "runs"):  # make it look like an old replica
        real = (replica / table).resolve()
        (replica / table).unlink()
        shutil.copytree(real, replica / table)
        shutil.rmtree(replica / f"{table}.d")
    compact_store(store, target_rows=100)
    publish_store(store, bucket)
    monkeypatch.setattr(replica_mod, "STALE_GENERATION_SECONDS", -1)  # drop replaced generations at once
    report = pull_store(bucket, replica)
    assert report.deleted > 0
    assert (replica / "articles").is_symlink() and (replica / "mentions").is_symlink()
    assert _ids(replica) == sorted(a.id for a in arts)
    gens = sorted(p.name for p in (replica / "articles.d").iterdir())
    assert len(gens) == 2 and gens[1].endswith("-plain")  # the replaced one stays until the next swap...
    with store.writer() as w:
        w.write_batch(make_articles(4, random.Random(9), prefix="n"), "v1")
    compact_store(store, target_rows=100)
    publish_store(store, bucket)
    pull_store(bucket, replica)
    now = sorted(p.name for p in (replica / "articles.d").iterdir())
    assert len(now) == 2 and gens[1] not in now  # ...then goes once it has been out of use long enough
    assert len(_ids(replica)) == 16
