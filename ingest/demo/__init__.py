"""The built-in demo: a deterministic synthetic corpus of fictional outlets and a local server for it."""

from ingest.demo.corpus import ArticleInfo, Corpus, Outlet, build_corpus
from ingest.demo.server import DemoServer

__all__ = ["ArticleInfo", "Corpus", "DemoServer", "Outlet", "build_corpus"]
