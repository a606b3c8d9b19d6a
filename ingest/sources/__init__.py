"""Where article candidates come from: feeds, sitemaps, front pages, URL lists, saved pages, WARC files.

Takes: `Source` records (kind, location, name), from the command line or the sources file, and a `PoliteFetcher`.
Gives: a `Discovery` per source: `Candidate` records (URL, feed title and time, or a saved page) and counted
`Failure`s. Imports `fetch` below it; nothing above.

- discover.py: `Source`, `Discovery`, `discover` (dispatch by kind), feeds (`parse_feed`), URL files, HTML folders.
- file.py: the sources TOML file: `load_sources`, `SourceConfig`, `due_sources`, `SourcesError`.
- sitemaps.py: `discover_sitemap`, `parse_sitemap` (indexes, news sitemaps, `.xml.gz`).
- homepage.py: `discover_homepage`: the article links on a front page.
- warc.py: `discover_warc`, `read_page`: saved responses in WARC files.
- feedstate.py: conditional GET state per feed (`load_feed_state`, `save_feed_state`).
- urls.py: `canonical_url`: one article, one URL.
"""
