"""newsmon's ingest: sources → fetch → extract → mentions → Parquet store."""

__version__ = "0.1.0"
