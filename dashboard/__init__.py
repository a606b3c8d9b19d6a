"""The newsmon dashboard: Streamlit pages over DuckDB queries of the Parquet store."""
