"""How a rewritten articles or mentions file is laid out: rows in publication-time order, in row groups small
enough that a reader of one period decodes only that period.

Takes a table's name and a new Arrow table; gives the table sorted by (published_at, id) and the Parquet
writer's options for it (row group size, and the `sorting_columns` that record the order in the file).
`is_laid_out` tells a file already written that way from one that is not, from its footer alone.

Why: the dashboard reads titles and texts of a few thousand articles at a time (a point's "why the spike?",
an article's text). DuckDB skips a row group whose published_at statistics fall outside the query's window,
but only decodes less when a period's rows sit together: in one 50,000-row group spanning three years, any
article costs the whole file's text column. Measured on 250,000 articles of the benchmark store, the 2,000
newest texts of a two-week window, OS cache dropped: 2.04 s read from five unsorted 50,000-row files, 0.65 s
from one file sorted by published_at in 10,000-row groups with the window given (0.07 s warm).

Ingest batches are written as they come (small files, one group each); `newsmon store compact` and every
other whole-table rewrite (generations.build) lay out what they write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TIME_COLUMN = "published_at"
# Rows per row group. An article's row averages ~4 KB of text, so 10,000 articles are ~40 MB decoded: about a
# week and a half of a million-article store over three years, the span a spike's articles usually fill.
# Mentions rows are ~100 bytes; their groups only need to be small enough for statistics to prune by time.
ROW_GROUP_ROWS = {"articles": 10_000, "mentions": 100_000}
_KEY = {"articles": "id", "mentions": "article_id"}


def laid_out(table_name: str, table: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
    """`table` in publication-time order (ties by id, so the order is the same on every rewrite) and the
    keyword arguments for pq.write_table; tables other than articles and mentions come back as they are."""
    if table_name not in ROW_GROUP_ROWS or TIME_COLUMN not in table.column_names:
        return table, {}
    keys = [(TIME_COLUMN, "ascending"), (_KEY[table_name], "ascending")]
    order = pc.sort_indices(table, sort_keys=keys)  # nulls last, as the sorting_columns below say
    table = table.take(order)
    sorting = [pq.SortingColumn(table.schema.get_field_index(TIME_COLUMN), nulls_first=False),
               pq.SortingColumn(table.schema.get_field_index(_KEY[table_name]), nulls_first=False)]
    return table, {"row_group_size": ROW_GROUP_ROWS[table_name], "sorting_columns": sorting}


def is_laid_out(table_name: str, path: Path) -> bool:
    """Whether the file at `path` already is as `laid_out` writes it, or too small for the layout to matter
    (one row group of at most ROW_GROUP_ROWS rows). Reads the footer only."""
    if table_name not in ROW_GROUP_ROWS:
        return True
    meta = pq.read_metadata(path)
    limit = ROW_GROUP_ROWS[table_name]
    if meta.num_row_groups <= 1 and meta.num_rows <= limit:
        return True
    try:
        time_ix = meta.schema.to_arrow_schema().get_field_index(TIME_COLUMN)
    except KeyError:
        return False
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        sorting = group.sorting_columns or ()
        if group.num_rows > limit or not sorting or sorting[0].column_index != time_ix:
            return False
    return True
