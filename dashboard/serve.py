"""How to start the dashboard server: the `streamlit run` command line with newsmon's settings and theme.

Streamlit reads `.streamlit/config.toml` only from the directory it is started in, so `newsmon dashboard`
(started from anywhere) passes the same settings as flags. `tests/dashboard/test_serve.py` checks that this module and
`.streamlit/config.toml` agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"

SERVER = {
    "server.headless": "true",
    # A served dashboard does not watch its own source files (Streamlit's default, made for editing an app): the
    # watcher walks every imported module (pandas, plotly, DuckDB, pyarrow: thousands) on the server's event loop
    # after script runs and polls the watched files in threads, time taken from every page being sent
    # (docs/dashboard.md, "Interaction latency"). Restart the server to run changed code.
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
}

# Newsprint: warm off-white panels, near-black ink, one editorial red for actions and focus.
THEME = {
    "theme.base": "light",
    "theme.primaryColor": "#B3261E",
    "theme.backgroundColor": "#FFFFFF",
    "theme.secondaryBackgroundColor": "#F4F1EA",
    "theme.textColor": "#1A1A1A",
    "theme.linkColor": "#0B5CAD",
    "theme.borderColor": "#DDD6C8",
    "theme.font": "sans-serif",
    "theme.headingFont": "serif",
    "theme.baseRadius": "small",
}


# What the first page imports that Streamlit itself does not: imported before the server starts (`preload`,
# as `newsmon dashboard` and `newsmon demo` start it), the first page does not spend ~0.5 s (quiet; ~1.4 s
# loaded) on it (benchmarks/first_chart.py; --plain times the server without it).
# Not in a thread beside the server's start: plotly probes `sys.modules` for a half-imported pandas.
PRELOAD = ("pandas", "duckdb", "pyarrow.parquet", "plotly.graph_objects", "plotly.subplots")


def streamlit_command(address: str = "127.0.0.1", port: int = 8501, python: str | None = None,
                      preload: bool = False) -> list[str]:
    """argv for `python -m streamlit run dashboard/app.py` bound to `address:port` with newsmon's theme.

    With `preload`, `python -m dashboard.serve run ...`: the same, after importing PRELOAD."""
    argv = [python or sys.executable, "-m", "dashboard.serve" if preload else "streamlit", "run", str(APP),
            "--server.address", address, "--server.port", str(port)]
    for key, value in {**SERVER, **THEME}.items():
        argv += [f"--{key}", value]
    return argv


def main() -> None:
    """`python -m dashboard.serve run ...`: Streamlit's own command line, once PRELOAD is imported."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from streamlit.web.cli import main as streamlit_main

    sys.argv[0] = "streamlit"
    streamlit_main()


if __name__ == "__main__":
    main()
