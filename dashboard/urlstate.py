"""A page's chart selection and open article, kept in the URL: each is a browser history entry.

Every page that selects works the same way (Explore's and the Overview's timeline points, People & topics'
co-mention cells): a new click writes the selection to the page's query parameter (and closes any open
article); choosing an article in the list writes `article`; the page then draws from the URL, never from the
widgets' own state. So Back from an article returns to the same list, Back from a selection to the one
before it, and a copied link reopens both. A widget's state only counts when it changes in this run (a new
click, a new row); otherwise the URL wins, and the URL is what the browser's Back and Forward change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import streamlit as st

ARTICLE = "article"
SELECTIONS = ("sel", "pair")  # timeline points (selection.encode_points), co-mention cells (encode_pairs)
PAGE_PARAMS = (ARTICLE, *SELECTIONS)  # page-level parameters, which the sidebar's filter sync keeps

T = TypeVar("T")


def set_page_params(**changes: str | None) -> None:
    """Set (or, with None, remove) page parameters in one URL update: one browser history entry, not several."""
    want = dict(st.query_params)
    for k, v in changes.items():
        if v is None:
            want.pop(k, None)
        else:
            want[k] = v
    if want != dict(st.query_params):
        st.query_params.from_dict(want)


class UrlSelection(Generic[T]):
    """One page's selection in the query parameter `param`, and its open article in `article`.

    Make it before drawing the chart (it decides the chart's key and the list's generation), pass the
    chart's selection to `selected()`, the list's chosen article to `opened()`."""

    def __init__(self, page: str, param: str, encode: Callable[[Sequence[T]], str],
                 decode: Callable[[str | None], list[T]]) -> None:
        if param not in SELECTIONS:
            raise ValueError(f"{param!r} is not a page parameter the filter sync keeps ({SELECTIONS})")
        self.page, self.param, self.encode, self.decode = page, param, encode, decode
        ss = st.session_state
        self.generation: int = ss.setdefault(self._key("gen"), 0)
        if ARTICLE not in st.query_params and ss.get(self._key("open")):
            self._new_generation()  # Back from an article: nothing stays chosen in the list
        if ss.get(self._key("event")) and self.encode(ss[self._key("event")]) != st.query_params.get(param, ""):
            # Back/Forward moved the URL off the chart's own selection: draw the chart afresh (nothing selected),
            # so that it shows no stale selection and a click on any point, even the one selected before, counts.
            ss[self._key("chart")] = ss.get(self._key("chart"), 0) + 1
            ss[self._key("event")] = []

    def _key(self, name: str) -> str:
        return f"_{self.page}_url_{name}"

    def _new_generation(self) -> None:
        self.generation = st.session_state[self._key("gen")] = self.generation + 1
        st.session_state[self._key("open")] = None

    def chart_key(self, base: str) -> str:
        """The chart's widget key: a new one after Back/Forward, so the browser drops its drawn selection."""
        n = st.session_state.get(self._key("chart"))
        return f"{base}-{n}" if n else base

    def selected(self, clicked: Sequence[T], reset: Sequence[str] = ()) -> list[T]:
        """The selection the URL holds, after writing a new click or box (made in this run) to it.

        `reset`: widget keys to forget on a new selection (the list's page number)."""
        ss = st.session_state
        clicked = list(clicked)
        if clicked != ss.get(self._key("event"), []):
            ss[self._key("event")] = clicked
            if clicked:  # a new history entry, with no article open
                for key in reset:
                    ss.pop(key, None)
                self._new_generation()
                set_page_params(**{self.param: self.encode(clicked), ARTICLE: None})
        return self.decode(st.query_params.get(self.param))

    def opened(self, chosen: str | None) -> None:
        """Write a new choice in the list (made in this run) to the URL: a history entry Back returns from."""
        if chosen != st.session_state.get(self._key("open")):
            st.session_state[self._key("open")] = chosen
            if chosen:
                set_page_params(**{ARTICLE: chosen})

    @staticmethod
    def article() -> str | None:
        """The article the URL opens, if any."""
        return st.query_params.get(ARTICLE) or None
