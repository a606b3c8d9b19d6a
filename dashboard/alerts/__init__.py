"""Alerts and digests: rules over the store, events fired once, delivered by mail, webhook and an Atom feed.

Takes a rules file (rules.py) and the store; gives events (evaluate.py) kept in the store's `alerts/` folder with
their delivery state (state.py), the messages (message.py) and their delivery (deliver/), and the digest
(digest.py). No Streamlit: `dashboard/cli.py` runs it after ingest and on demand, the Alerts page reads it.
See docs/alerts.md.
"""
