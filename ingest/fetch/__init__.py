"""Fetching over HTTP, as a good guest: bounded in time and size, refusing private addresses, obeying robots.txt.

Takes: URLs and `Settings`. Gives: a `FetchResult` (final URL, status, headers, bytes) or a `Failure` with a
countable reason; never raises for a bad URL or server. Imports only the base records and settings.

- http.py: `make_client`, `fetch_url` (the page deadline over every step), the private-address guard
  (`check_address`, `GuardedBackend`) and its allow-list (`parse_allowed`).
- politeness.py: `PoliteFetcher` (per-host concurrency and delay, robots.txt and its Crawl-delay, `reserve`d
  turns), `polite`, `origin`.
- schedule.py: `HostQueue`: which page next, the earliest ready host first; `interleave`.
- robots.py: `parse_robots`, `RobotsRules` (RFC 9309, and Crawl-delay).
- decoding.py: `decode_html`: bytes → text, or why not (binary, too large, bad encoding).
"""
