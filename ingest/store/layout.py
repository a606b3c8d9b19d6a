"""How a rewritten articles or mentions file is laid out: rows in publication-time order, in row groups small
enough that a reader of one period decodes only that period.

Takes a table's name and a new Arrow table; writes it as a Parquet file sorted by (published_at, id), in row
groups of ROW_GROUP_ROWS, with the `sorting_columns` that record the order in the file.
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
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TIME_COLUMN = "published_at"
# Rows per row group. An article's row averages ~4 KB of text, so 10,000 articles are ~40 MB decoded: about a
# week and a half of a million-article store over three years, the span a spike's articles usually fill.
# Mentions rows are ~100 bytes; their groups only need to be small enough for statistics to prune by time.
ROW_GROUP_ROWS = {"articles": 10_000, "mentions": 100_000}
_KEY = {"articles": "id", "mentions": "article_id"}


def order(table_name: str, table: pa.Table) -> pa.Array | None:
    """The row order a file of `table_name` is written in: by publication time, ties by id (so the order is the
    same on every rewrite); None for a table with no layout (runs, signatures)."""
    if table_name not in ROW_GROUP_ROWS or TIME_COLUMN not in table.column_names:
        return None
    keys = [(TIME_COLUMN, "ascending"), (_KEY[table_name], "ascending")]
    return pc.sort_indices(table, sort_keys=keys)  # nulls last, as the sorting_columns in `write` say


def write(table_name: str, table: pa.Table, where: str | Path | BinaryIO) -> None:
    """Write `table` as Parquet (zstd) to `where`, laid out: rows in `order`, ROW_GROUP_ROWS to a row group, the
    order recorded in the footer. Each row group is gathered from the table as it is written, so the sorted copy
    never exists whole (sorting a 250,000-article group whole took 0.7 GB more)."""
    rows = order(table_name, table)
    if rows is None:
        pq.write_table(table, where, compression="zstd")
        return
    size = ROW_GROUP_ROWS[table_name]
    sorting = [pq.SortingColumn(table.schema.get_field_index(TIME_COLUMN), nulls_first=False),
               pq.SortingColumn(table.schema.get_field_index(_KEY[table_name]), nulls_first=False)]
    with pq.ParquetWriter(where, table.schema, compression="zstd", sorting_columns=sorting) as out:
        for i in range(0, table.num_rows, size):
            out.write_table(table.take(rows[i:i + size]), row_group_size=size)


def is_laid_out(table_name: str, path: Path) -> bool:
    """Whether the file at `path` already is as `write` writes it, or too small for the layout to matter
    (one row group of at most ROW_GROUP_ROWS rows). Reads the footer only."""
    if table_name not in ROW_GROUP_ROWS:
        return True
    meta = pq.read_metadata(path)
    limit = ROW_GROUP_ROWS[table_name]
    if meta.num_row_groups <= 1 and meta.num_rows <= limit:
        return True
    time_ix = meta.schema.to_arrow_schema().get_field_index(TIME_COLUMN)  # -1 when absent: never a sort column
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        sorting = group.sorting_columns or ()
        if group.num_rows > limit or not sorting or sorting[0].column_index != time_ix:
            return False
    return True
