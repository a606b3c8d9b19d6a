"""The newsmon dashboard: Streamlit pages over DuckDB queries of the Parquet store.

- data/: every query and index, no Streamlit (see its docstring).
- charts.py, export.py, highlight.py, explain.py: plain builders over DataFrames (figures, files, highlighted
  text, spike explanations), no Streamlit.
- app.py, shell.py, views.py, cache.py, urlstate.py, access.py, screens/: what Streamlit draws.
- serve.py: the server's command line; cli.py: the installed `newsmon` command, above both packages.
"""
