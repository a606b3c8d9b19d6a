"""The built-in demo: a deterministic synthetic corpus of fictional outlets, a local server for it, and the
demo store built from it through the real ingest.

Takes: a seed and an article count. Gives: a `Corpus` (corpus.py: `build_corpus`), a `DemoServer` serving its
pages and feeds on 127.0.0.1 (server.py), and a store built by the ordinary pipeline (build.py:
`build_demo_store`).
"""
