"""The ingest's command line: `newsmon ingest` and the command groups of each stage.

Takes: argv. Gives: exit codes and one-line messages (never a traceback); every command parses its options, calls
one plain function of a stage below, and prints its result.

- main.py: the `newsmon` group (`main`), `newsmon ingest`, `parse_interval`, `is_remote`.
- extract.py: `newsmon extract`, `newsmon clean-text`, `newsmon clean`.
- mentions.py: `newsmon mentions find | recount | discover`.
- sources.py: `newsmon sources list | check`.
- store.py: `newsmon store info | compact | publish | pull`.

The installed entry point is `dashboard/cli.py`, which adds `newsmon dashboard` and `newsmon demo`: the CLI is
the top of both packages, and nothing in `ingest` imports `dashboard`.
"""
