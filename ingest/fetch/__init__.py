"""Fetching over HTTP, as a good guest: bounded in time and size, refusing private addresses, obeying robots.txt.

Takes: URLs and `Settings`. Gives: a `FetchResult` (final URL, status, headers, bytes) or a `Failure` with a
countable reason; never raises for a bad URL or server. Imports only the base records and settings.

- http.py: `make_client`, `fetch_url`, the private-address guard (`check_address`, `GuardedBackend`).
- politeness.py: `PoliteFetcher` (per-host concurrency and delay, robots.txt), `polite`, `origin`.
- robots.py: `parse_robots`, `RobotsRules` (RFC 9309).
- decoding.py: `decode_html`: bytes → text, or why not (binary, too large, bad encoding).
"""
