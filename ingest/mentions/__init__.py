"""Who and what an article mentions: the watchlist, the matcher, and the store-wide jobs built on them.

Takes: the watchlist TOML file and article texts (title, body). Gives: `Mention` records (entity, field, span,
matched text, rule). `recount.py` rewrites the store's mentions; `discover.py` reads it. Imports `store` below it.

- watchlist.py: `load_watchlist`, `parse_watchlist`, `Watchlist`, `Person`, `Topic`, `WatchlistError`.
- matcher.py: `Matcher` (`Matcher.find`): one Aho-Corasick pass per field, with the evidence for each mention.
- derive.py: `derive`, `split_name`: what an entry's name and aliases give (family name and order, given names,
  spellings, sound keys), from the data in data/names.toml (titles per language, particles, name orders).
- surnames.py: `Surnames`: when a bare, titled or transliterated family name counts, and under which rule.
- context.py: what the words around a span say (sentence start, headline line, address, the article's language).
- translit.py: `sound_key`, `spelling_variants`: names across scripts (anyascii) and transliteration conventions.
- words.py: `zipf`, `guess_language`: wordfreq's frequency of a word in the article's language.
- fold.py: `fold_text`, `fold_form`: case and diacritic folding that keeps offsets.
- fuzzy.py: `SlipIndex`: one-letter slips in long names and family names.
- recount.py: `recount`: every stored mention recomputed after the watchlist changed.
- discover.py: `discover_names`: frequent names not on the watchlist.
"""
