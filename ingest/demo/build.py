"""The demo store: the synthetic corpus served on 127.0.0.1 and ingested exactly as real feeds are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.demo.corpus import build_corpus
from ingest.demo.server import DemoServer
from ingest.pipeline import RunSummary, run_ingest
from ingest.settings import Settings
from ingest.sources.discover import Source

DEMO_STORE = Path("data/demo-store")
DEMO_PORT = 8765


def build_demo_store(store: Path, articles: int = 1500, seed: int = 42, progress: bool | None = None,
                     say: Callable[[str], None] = print) -> RunSummary:
    """Build (or top up) the demo store at `store` from a corpus of `articles` articles; `say` gets one line
    about the corpus server. Returns the ingest's run summary."""
    corpus = build_corpus(seed=seed, n_articles=articles)
    # The demo server is ours, on 127.0.0.1: no politeness delay needed.
    settings = Settings().with_(store=store, allow_private=True, host_delay=0.0, per_host=8, progress=progress)
    # A fixed port keeps the demo's URLs, and so its article ids, the same from one run to the next.
    try:
        server = DemoServer(corpus, port=DEMO_PORT)
    except OSError:
        server = DemoServer(corpus)
    with server:
        say(f"demo corpus: {len(corpus.outlets)} fictional outlets served on {server.base_url}")
        return run_ingest([Source("feed", url, name) for name, url in server.feed_urls()], settings)
