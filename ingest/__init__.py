"""newsmon's ingest: sources → fetch → extract → mentions → Parquet store.

One folder per stage (sources/, fetch/, extract/, mentions/, store/), the run itself here (pipeline.py, fetching.py,
summary.py, worker.py, cluster.py) with the records and settings every stage shares (records.py, settings.py, memory.py), and the
command line on top (cli/). docs/architecture.md draws the layers; tests/test_layers.py holds them.
"""

import os

# pyarrow's C++ default allocator: the C allocator, which ingest.memory trims between batches and runs, rather than
# mimalloc, which kept ~21 MB more after each 500-page `--every` run (~2 MB with this; benchmarks/ingest_soak.py
# --pages 500 --runs 3, docs/benchmarks.md "Memory over a long run"). Set before pyarrow is imported; an explicit
# setting wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

__version__ = "0.1.0"
