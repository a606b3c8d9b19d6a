"""The one form text is compared in: `nfc(text)` takes a string and gives it in Unicode's composed form (NFC).

Standard library only: the word counters' child processes (dashboard/countpool.py) import it without the data
layer's DuckDB and numpy.
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """`text` in Unicode's composed form (NFC): a letter followed by a combining accent (NFD, as macOS writes
    text) becomes the one accented character a keyboard types, so both spellings are one word. Text that is
    already NFC (nearly every page) is returned as it is, after a quick check."""
    return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
