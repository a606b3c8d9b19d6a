"""The Parquet store: the only stage that knows its paths and schema.

Takes: batches of `Article` records and their mentions. Gives: Parquet tables (`articles/`, `mentions/`, `runs/`,
`annotations/`) written atomically under one writer lock, and the jobs that look after them. Imports only the
base records and settings.

- parquet.py: `Store`, `StoreWriter`, `article_id`, `content_hash`, the schemas, `conform`, `StoreError`; recovery after a kill.
- batch.py: `Batch`: a batch's files under pending names, committed together (articles first).
- generations.py: whole-table rewrites, several tables switched as one step (the `.switch.json` journal).
- atomic.py: files written under a temporary name and renamed, symlinks replaced, fsyncs.
- pages.py: kept pages: each stored article's response as WARC in STORE/pages/ (`page_records`, `BatchPages`,
  `index_pages`, `read_page`).
- compact.py: `compact_store`: many small files merged into few.
- stories.py: `StoryIndex`, `signature`: syndicated copies share a story id.
- known.py: `KnownKeys`: the ids and hashes already stored, for skipping.
- health.py: `source_health`, `silent_sources`: from the run log.
- publish.py, replica.py: `publish_store` to S3/GCS/fsspec and `pull_store` back into a read-only replica.
"""
