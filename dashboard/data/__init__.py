"""The dashboard's data layer: every query, the indexes that speed them up, and the small records they take.

Takes: a DuckDB connection over the store (`queries.connect`) and a frozen `Filters`. Gives: pandas DataFrames.
No module here imports Streamlit, so every query is unit-tested without it; only `queries.py` and `health.py`
write SQL, and user choices reach it through whitelists and bound parameters. Imports `ingest.store` (paths,
schema) and `ingest.mentions.watchlist` (display names).

- filters.py: `Filters` (mirrored in the URL); selection.py: `PointKey`, `PairKey`, chart selections → keys.
- queries.py: the SQL (`timeline_sql`, `drilldown_sql`, `texts`, ...); counts.py: the panels' counts
  (`count_articles_sql`, `top_sources_sql`, `co_mentions_sql`, ...); buckets.py: bucket arithmetic; series.py:
  `assemble` (gaps as gaps), `export_frame`; health.py: Sources & health tables.
- duck.py: every DuckDB connection and cursor (UTC, spilling, a memory target that never drops an answer);
  querylog.py: the registry of the pages' queries (`@query`), their log and its replay.
- index.py: the DuckDB rollup index (`connect`); dispatch.py: each query answered from the index, the text
  index or a scan; facets.py: the same under a full-text search.
- search.py: the tantivy text index (`TextIndex`, `parse`); search_build.py: its build in a child process.
- names.py: display names from the watchlist; annotations.py: event notes kept in the store.
"""
