"""Publish and pull over a real S3 protocol: moto's S3 server on 127.0.0.1, reached by pyarrow's S3 and by s3fs.

Nothing leaves 127.0.0.1: the endpoint is given by AWS_ENDPOINT_URL (read by pyarrow's S3 and by botocore),
credentials are explicit dummies, the instance metadata service is disabled, no AWS config file is read, and
Python-level connects to anything but 127.0.0.1 raise (s3fs and botocore connect from Python; pyarrow's S3 is
C++ and goes where AWS_ENDPOINT_URL says).
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard.data import queries
from dashboard.data.filters import Filters
from dashboard.data.selection import PairKey, PointKey
from ingest.store.compact import compact_store
from ingest.store.parquet import Store
from ingest.store.publish import MANIFEST, publish_store
from ingest.store.replica import LOCAL_MANIFEST, pull_store
from tests.conftest import build_tiny_store
from tests.ingest.store.test_parquet import make_articles
from tests.paths import REPO

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install 'moto[server]')")
s3fs = pytest.importorskip("s3fs", reason="s3fs is not installed (pip install s3fs)")

BUCKET = "newsmon-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_env(endpoint: str, home: Path) -> dict[str, str]:
    """Everything an S3 client needs to talk to the local server and nothing else."""
    return {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-creds"),
    }


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server on 127.0.0.1 with one bucket; the environment points every S3 client at it."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = s3_env(endpoint, tmp_path_factory.mktemp("aws"))
    with pytest.MonkeyPatch.context() as mp:
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(k, raising=False)
        for k, v in env.items():
            mp.setenv(k, v)
        fs = s3fs.S3FileSystem(key="testing", secret="testing", client_kwargs={"endpoint_url": endpoint})
        fs.mkdir(BUCKET)
        yield {"endpoint": endpoint, "env": env, "fs": fs}
    server.stop()


@pytest.fixture(autouse=True)
def local_only(monkeypatch):
    """Any Python-level connect to a host other than 127.0.0.1 fails the test instead of leaving the machine."""
    real = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"test network guard: connect to {address} refused")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(params=["pyarrow", "fsspec"])
def backend(request, monkeypatch):
    """Both ways a store reaches S3: pyarrow's own S3 filesystem (the default) and s3fs through fsspec."""
    if request.param == "fsspec":
        monkeypatch.setenv("NEWSMON_FSSPEC", "1")
    else:
        monkeypatch.delenv("NEWSMON_FSSPEC", raising=False)
    return request.param


def _ids(root: Path) -> list[str]:
    return sorted(pd.read_parquet(root / "articles")["id"])


def dashboard_counts(root: Path, f: Filters) -> dict:
    """What the dashboard's pages show, from its own queries (no Streamlit)."""
    con = queries.connect(root)
    try:
        timeline = queries.timeline_counts(con, f)
        timeline = timeline.sort_values(list(timeline.columns)).reset_index(drop=True)
        points = [PointKey(r.kind, r.entity_id, pd.Timestamp(r.bucket).date())
                  for r in timeline.itertuples() if r.count]
        pairs = queries.co_mentions(con, f)
        pairs = pairs.sort_values(list(pairs.columns)).reset_index(drop=True)
        first_pair = [PairKey(*sorted((pairs["a"].iloc[0], pairs["b"].iloc[0])))] if not pairs.empty else []
        drill = queries.drilldown(con, f, points[:3], [], limit=1)
        by_pair = queries.drilldown(con, f, [], first_pair, limit=1) if first_pair else pd.DataFrame()
        return {
            "summary": {k: v for k, v in queries.store_summary(con).items()},
            "timeline": timeline.to_dict("records"),
            "totals": queries.entity_totals(con, f).sort_values(["kind", "entity_id"]).to_dict("records"),
            "co_mentions": pairs.to_dict("records"),
            "drilldown": int(drill["n_total"].iloc[0]) if not drill.empty else 0,
            "pair_drilldown": int(by_pair["n_total"].iloc[0]) if not by_pair.empty else 0,
            "top_sources": queries.top_sources(con, f).sort_values("source").to_dict("records"),
            "articles": queries.count_articles(con, f, selected=False),
        }
    finally:
        con.close()


FILTERS = Filters(people=("alice-example", "bob-sample", "carol-test"), topics=("ceasefire",), bucket="week")


def _objects(s3, prefix: str) -> dict[str, tuple]:
    """Every object under the prefix: key -> (size, ETag, LastModified)."""
    s3["fs"].invalidate_cache()
    return {k.split(prefix + "/", 1)[1]: (v["size"], v.get("ETag"), v.get("LastModified"))
            for k, v in s3["fs"].find(f"{BUCKET}/{prefix}", detail=True).items()}


def test_publish_pull_and_the_dashboard_counts_the_same(s3, backend, tmp_path: Path) -> None:
    tiny = build_tiny_store(tmp_path / "store")
    uri = f"s3://{BUCKET}/{backend}/newsmon"
    first = publish_store(tiny.store, uri)
    assert first.uploaded > 0 and first.deleted == 0
    objects = _objects(s3, f"{backend}/newsmon")
    assert {k for k in objects if k.endswith(".parquet")} == {
        f"{t}/{p.name}" for t in ("articles", "mentions", "runs") for p in (tiny.root / t).glob("*.parquet")}
    assert MANIFEST in objects

    replica = tmp_path / "replica"
    pulled = pull_store(uri, replica)
    assert pulled.downloaded == first.uploaded and pulled.missing == 0
    assert _ids(replica) == sorted(a.id for a in tiny.articles)
    assert dashboard_counts(replica, FILTERS) == dashboard_counts(tiny.root, FILTERS)
    # Another reader of the bucket: pandas through s3fs, as docs/store.md shows.
    remote = pd.read_parquet(f"s3://{BUCKET}/{backend}/newsmon/articles",
                             storage_options={"client_kwargs": {"endpoint_url": s3["endpoint"]}})
    assert sorted(remote["id"]) == _ids(tiny.root)


def test_a_second_publish_uploads_only_what_changed_and_compaction_in_between(s3, backend, tmp_path: Path) -> None:
    tiny = build_tiny_store(tmp_path / "store")
    store, prefix = tiny.store, f"{backend}/incremental"
    uri = f"s3://{BUCKET}/{prefix}"
    publish_store(store, uri)
    replica = tmp_path / "replica"
    pull_store(uri, replica)
    before = _objects(s3, prefix)

    assert publish_store(store, uri).uploaded == 0  # nothing changed: nothing sent
    more = make_articles(4, random.Random(11), prefix="s3")
    with store.writer() as w:
        name = w.write_batch(more, "v1")
    second = publish_store(store, uri)
    assert (second.uploaded, second.deleted) == (2, 0)  # the new batch's articles and mentions files
    after = _objects(s3, prefix)
    assert set(after) - set(before) == {f"articles/{name}", f"mentions/{name}"}
    changed = {k for k in before if k.endswith(".parquet") and after[k] != before[k]}
    assert changed == set()  # no unchanged file was sent again (same ETag and LastModified)
    again = pull_store(uri, replica)
    assert again.downloaded == 2 and again.deleted == 0
    assert dashboard_counts(replica, FILTERS) == dashboard_counts(tiny.root, FILTERS)

    compact_store(store, target_rows=1000)  # the batch files of articles and mentions merge into one each
    third = publish_store(store, uri)
    assert third.deleted > 0 and third.uploaded > 0
    published = {k for k in _objects(s3, prefix) if k.endswith(".parquet")}
    assert published == {f"{t}/{p.name}" for t in ("articles", "mentions", "runs") for p in (store.root / t).glob("*.parquet")}
    compacted = pull_store(uri, replica)
    assert compacted.deleted > 0
    assert _ids(replica) == sorted(_ids(store.root))  # no row lost, none twice
    assert dashboard_counts(replica, FILTERS) == dashboard_counts(tiny.root, FILTERS)
    assert {p.relative_to(replica).as_posix() for p in replica.glob("*/*.parquet")} == published


def assert_consistent(replica: Path, source: Path, at_least: set[str]) -> None:
    """A replica caught midway: no article twice, none lost, each visible article with exactly its mentions."""
    ids = _ids(replica)
    assert len(ids) == len(set(ids)), "an article twice (a compaction's old and new files together)"
    assert at_least <= set(ids) <= set(_ids(source))
    def per_article(root: Path) -> dict:
        m = pd.read_parquet(root / "mentions", columns=["article_id"])
        return m[m["article_id"].isin(ids)].groupby("article_id").size().to_dict()
    assert per_article(replica) == per_article(source)


class Flaky(Exception):
    """An injected connection failure."""


def test_a_pull_that_fails_midway_resumes_and_is_consistent(s3, backend, tmp_path: Path, monkeypatch) -> None:
    import ingest.store.replica as replica_mod

    tiny = build_tiny_store(tmp_path / "store")
    store, uri = tiny.store, f"s3://{BUCKET}/{backend}/flaky"
    replica = tmp_path / "replica"
    publish_store(store, uri)
    pull_store(uri, replica)
    with store.writer() as w:
        w.write_batch(make_articles(4, random.Random(12), prefix="f"), "v1")
    compact_store(store, target_rows=1000)
    with store.writer() as w:
        w.write_batch(make_articles(4, random.Random(13), prefix="g"), "v1")
    publish_store(store, uri)
    want = dashboard_counts(store.root, FILTERS)
    old_ids, old = set(_ids(replica)), dashboard_counts(replica, FILTERS)

    real = replica_mod._download
    fetched: list[str] = []
    attempts = 0
    while True:  # each attempt fetches one file, then the connection "drops"
        attempts += 1
        assert attempts < 50
        calls = {"n": 0}

        def flaky(fs, remote, target, _calls=calls):
            if _calls["n"] >= 1:
                raise Flaky("connection reset")
            _calls["n"] += 1
            fetched.append(remote)
            return real(fs, remote, target)

        monkeypatch.setattr(replica_mod, "_download", flaky)
        try:
            pull_store(uri, replica)
        except Flaky:
            # Interrupted: the replica still opens; every article in it is there once, with exactly its mentions.
            assert_consistent(replica, store.root, old_ids)
            # Both tables are rebuilt (a compaction) and swapped together once complete: the dashboard shows
            # the replica as it was, never half of the change.
            assert dashboard_counts(replica, FILTERS) == old
            continue
        break
    assert attempts > 3
    assert len(fetched) == len(set(fetched))  # resumed where it stopped: no file fetched twice
    monkeypatch.setattr(replica_mod, "_download", real)
    resumed = pull_store(uri, replica)
    assert resumed.missing == 0
    assert _ids(replica) == sorted(_ids(store.root))
    assert dashboard_counts(replica, FILTERS) == want
    assert pull_store(uri, replica).downloaded == 0


def test_a_pull_killed_midway_resumes(s3, tmp_path: Path) -> None:
    """SIGKILL a `newsmon store pull` in another process while it downloads; the next pull completes it."""
    store = Store(tmp_path / "store")
    arts = make_articles(80, random.Random(14))
    with store.writer() as w:
        for i in range(0, 80, 2):
            w.write_batch(arts[i:i + 2], "v1")  # 40 batches: 80 files to download
    uri = f"s3://{BUCKET}/killed/newsmon"
    publish_store(store, uri)
    replica = tmp_path / "replica"
    env = dict(os.environ, **s3["env"], PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-c", "from ingest.cli.main import main; main()", "store", "pull", uri, "--store", str(replica)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    held: dict = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            held = json.loads((replica / LOCAL_MANIFEST).read_text())
        except (OSError, ValueError):
            held = {}
        if len(held) >= 10:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.returncode == -signal.SIGKILL, f"the pull ended before it could be killed: {out}"
    assert 10 <= len(held) < 82
    partial = _ids(replica) if (replica / "articles").exists() else []
    assert len(partial) == len(set(partial)) and set(partial) <= {a.id for a in arts}
    report = pull_store(uri, replica)
    assert report.unchanged >= 10 and report.downloaded > 0
    assert _ids(replica) == sorted(a.id for a in arts)
    assert not list(replica.rglob("*.part"))


def test_the_cli_publishes_and_pulls_over_s3(s3, tmp_path: Path) -> None:
    """The commands of docs/store.md's local S3 example, in a fresh process with only the environment set."""
    tiny = build_tiny_store(tmp_path / "store")
    uri = f"s3://{BUCKET}/cli/newsmon"
    env = dict(os.environ, **s3["env"], PYTHONPATH=str(REPO))
    run = [sys.executable, "-c", "from ingest.cli.main import main; main()"]
    pub = subprocess.run([*run, "store", "publish", uri, "--store", str(tiny.root)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert pub.returncode == 0, pub.stderr
    assert f"published to {uri}:" in pub.stdout
    pull = subprocess.run([*run, "store", "pull", uri, "--store", str(tmp_path / "replica")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert pull.returncode == 0, pull.stderr
    assert f"pulled {uri} into" in pull.stdout
    assert _ids(tmp_path / "replica") == sorted(a.id for a in tiny.articles)


def test_the_dashboard_serves_a_bucket_and_pulls_it_again(s3, tmp_path: Path, monkeypatch) -> None:
    """`newsmon dashboard --store s3://...`: a replica is pulled, served, and brought up to date while serving."""
    from click.testing import CliRunner

    from dashboard import cli

    tiny = build_tiny_store(tmp_path / "store")
    uri = f"s3://{BUCKET}/dashboard/newsmon"
    publish_store(tiny.store, uri)
    monkeypatch.setenv("NEWSMON_REPLICAS", str(tmp_path / "replicas"))
    served: dict = {}

    def fake_serve(root, watchlist, host, port, every=None, tick=None, feed_port=None):
        served["before"] = dashboard_counts(root, FILTERS)
        with tiny.store.writer() as w:
            w.write_batch(make_articles(4, random.Random(15), prefix="d"), "v1")
        compact_store(tiny.store, target_rows=1000)
        publish_store(tiny.store, uri)
        tick()
        served["after"], served["ids"] = dashboard_counts(root, FILTERS), _ids(root)

    monkeypatch.setattr(cli, "serve_dashboard", fake_serve)
    want_before = dashboard_counts(tiny.root, FILTERS)
    result = CliRunner().invoke(cli.main, ["dashboard", "--store", uri, "--refresh", "1m"])
    assert result.exit_code == 0, result.output
    assert served["before"] == want_before
    assert served["after"] == dashboard_counts(tiny.root, FILTERS) and served["ids"] == _ids(tiny.root)


def test_a_missing_bucket_is_an_error_not_a_new_bucket(s3, backend, tmp_path: Path) -> None:
    """s3fs would create a bucket for a mistyped name if the publish made "directories" on an object store."""
    tiny = build_tiny_store(tmp_path / "store")
    with pytest.raises(OSError, match="(?i)bucket"):
        publish_store(tiny.store, f"s3://no-such-bucket-{backend}/newsmon")
    s3["fs"].invalidate_cache()
    assert not s3["fs"].exists(f"no-such-bucket-{backend}")
