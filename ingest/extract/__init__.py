"""Page → article: one page's bytes become an `Extracted` (title, authors, time, language, cleaned paragraphs) or
a `Failure` with its reason.

Takes: a page's bytes, its URL, the feed's hints and the source's learnt boilerplate. Gives: `Extracted` records.
Pure functions of their arguments; only `reclean.py` reads and rewrites the store (`newsmon clean`). Imports
`fetch.decoding` and `store` below it.

- article.py: `extract_article`, the stage's one entry point.
- candidates.py: body candidates from trafilatura and newspaper3k on one parsed tree (`parse_html`).
- combine.py: `merge_candidates`: the candidates merged paragraph by paragraph.
- furniture.py: `furniture_kind`: captions, share lines, paywall and newsletter boxes.
- boilerplate.py: site-level boilerplate learnt per source (`learn_boilerplate`, `remove_boilerplate`).
- clean.py: `clean_paragraphs`, `clean_text`.
- dates.py: `pick_published`: the publication time, the page's UTC offset and where it came from (htmldate + structured data).
- htmldate_witness.py: `htmldate_day`: htmldate's day, read without update declarations and comment threads.
- language.py: `detect_language`, `choose_language`, `declared_language`.
- newspaper_fix.py, newspaper_fast.py: newspaper3k corrected for lxml 6 and run on our tree.
- reclean.py: `reclean_store`: re-clean stored articles with today's rules.
"""
