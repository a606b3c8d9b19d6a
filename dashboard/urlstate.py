"""A page's chart selection and open article, kept in the URL: each is a browser history entry.

Every page that selects works the same way (Explore's and the Overview's timeline points, People & topics'
co-mention cells): a new click writes the selection to the page's query parameter (and closes any open
article); choosing an article in the list writes `article`; the page then draws from the URL, never from the
widgets' own state. So Back from an article returns to the same list, Back from a selection to the one
before it, and a copied link reopens both. A widget's state only counts when it changes in this run (a new
click, a new row); otherwise the URL wins, and the URL is what the browser's Back and Forward change.

A drill-down list's sort order and page number (`sort`, `page`: `UrlList`) are kept the same way: a change in
the list's controls writes them, and the controls are drawn from the URL. A new selection starts again at
page 1 in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import streamlit as st

from dashboard.data.filters import SORTS

ARTICLE = "article"
SELECTIONS = ("sel", "pair", "src")  # timeline points (selection.encode_points), co-mention cells (encode_pairs),
# a bar of a per-source chart (encode_sources)
SORT, PAGE = "sort", "page"  # the drill-down list's order and page number (one list a page)
PAGE_PARAMS = (ARTICLE, *SELECTIONS, SORT, PAGE)  # page-level parameters, which the sidebar's filter sync keeps
SORT_WORDS = {"published_at": "date"}  # a sort column's word in the URL, where it is not the column's own name

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
                 decode: Callable[[str | None], list[T]], clears: Sequence[str] = ()) -> None:
        """`clears`: the page's other selection parameters, removed by a new click on this chart (a page with
        two clickable charts lists the articles of the last click)."""
        if param not in SELECTIONS or any(c not in SELECTIONS for c in clears):
            raise ValueError(f"{param!r} or {clears!r}: not page parameters the filter sync keeps ({SELECTIONS})")
        self.page, self.param, self.encode, self.decode = page, param, encode, decode
        self.clears = tuple(clears)
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

    def selected(self, clicked: Sequence[T]) -> list[T]:
        """The selection the URL holds, after writing a new click or box (made in this run) to it."""
        ss = st.session_state
        clicked = list(clicked)
        if clicked != ss.get(self._key("event"), []):
            ss[self._key("event")] = clicked
            if clicked:  # a new history entry, with no article open, at the list's first page (same order)
                self._new_generation()
                set_page_params(**{self.param: self.encode(clicked), ARTICLE: None, PAGE: None},
                                **dict.fromkeys(self.clears))
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


@dataclass(frozen=True)
class ListView:
    """How a drill-down list is shown: the sort column (one of `filters.SORTS`), its direction, the page (from 1)."""

    sort: str = SORTS[0]
    descending: bool = True
    page: int = 1


def parse_list(params: Mapping[str, str]) -> ListView:
    """The list's view from the query parameters `sort` (`title`, or `-title` for descending; `date` is the
    publication time) and `page`; a malformed or unknown value gives its default (a URL is user input).

    A page beyond the list's end is not known here: `UrlList.page` shows the last one."""
    words = {SORT_WORDS.get(c, c): c for c in SORTS}
    raw = str(params.get(SORT) or "")
    column = words.get(raw.removeprefix("-"))
    raw_page = str(params.get(PAGE) or "")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 9 else 0
    return ListView(sort=column or ListView.sort, descending=raw.startswith("-") if column else ListView.descending,
                    page=page if page >= 1 else 1)


def format_list(view: ListView) -> dict[str, str | None]:
    """`parse_list` backwards, for `set_page_params`: a default value is left out of the URL (None)."""
    word = SORT_WORDS.get(view.sort, view.sort)
    same_order = (view.sort, view.descending) == (ListView.sort, ListView.descending)
    return {SORT: None if same_order else f"{'-' if view.descending else ''}{word}",
            PAGE: None if view.page <= 1 else str(view.page)}


class UrlList:
    """A drill-down list's sort order and page in the URL: a change in the list's controls is a history entry.

    Make it before drawing the controls, with the key prefix of their widgets (`{key}-sort`, `{key}-desc`,
    `{key}-page`), and pass `changed` as their `on_change`. The controls are then always drawn from the URL, so
    Back, Forward and a copied link restore the order and the page; a new order starts at page 1."""

    def __init__(self, key: str) -> None:
        self.sort_key, self.desc_key, self.page_key = f"{key}-sort", f"{key}-desc", f"{key}-page"
        self.view = parse_list(st.query_params)
        st.session_state[self.sort_key] = self.view.sort
        st.session_state[self.desc_key] = self.view.descending

    def page(self, pages: int) -> int:
        """The page to show: the URL's, or the last of `pages` when the URL's lies beyond the end."""
        page = min(self.view.page, max(1, pages))
        st.session_state[self.page_key] = page
        return page

    def changed(self) -> None:
        """The controls' callback: write their values to the URL (a new order goes back to page 1)."""
        ss, now = st.session_state, parse_list(st.query_params)
        view = ListView(ss.get(self.sort_key, now.sort), bool(ss.get(self.desc_key, now.descending)),
                        int(ss.get(self.page_key) or 1))
        if (view.sort, view.descending) != (now.sort, now.descending):
            view = ListView(view.sort, view.descending, 1)
        set_page_params(**format_list(view))
