"""What every page shares: the access gates (OIDC login, password), the sidebar filters (mirrored in the URL) and the context.

`app.py` calls `gate()` and `sidebar()` before running the page, and `filters_after_page()` after it (a
session's first run draws the filters' widgets after its page); pages call `context()` and draw.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from dashboard import access, afterchart, cache
from dashboard.data import dispatch, queries, search
from dashboard.data.filters import BUCKETS, MEASURES, PRESETS, SCALES, Filters
from dashboard.data.names import Names
from dashboard.escape import markdown_text
from dashboard.urlstate import PAGE_PARAMS

CTX_KEY = "_newsmon_ctx"
KEEP_PARAMS = PAGE_PARAMS  # page-level parameters (open article, chart selections) the filter sync keeps
PRESET_LABELS = {"7d": "7 days", "30d": "30 days", "1y": "1 year", "all": "All", "custom": "Custom"}


@dataclass(frozen=True)
class Context:
    root: Path
    version: str
    summary: dict
    names: Names
    filters: Filters  # with the preset resolved to dates

    @property
    def empty(self) -> bool:
        return not self.summary.get("articles")


def gate() -> bool:
    """Nothing else runs (no query, no data sent) until every configured gate is passed in this session.

    OIDC first, when `.streamlit/secrets.toml` has an `[auth]` section: a login button, then the allow-list
    (`NEWSMON_ALLOWED_USERS`). Then the shared password, when `NEWSMON_PASSWORD` is set. Neither reads the
    URL: a query parameter cannot open a gate."""
    return _oidc_gate() and _password_gate()


def auth_section() -> dict:
    """The `[auth]` secrets (empty when there is no secrets file or no such section)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        section = st.secrets.get("auth")
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return {}
    return section.to_dict() if hasattr(section, "to_dict") else dict(section or {})


def _oidc_gate() -> bool:
    auth = auth_section()
    if not auth:
        return True
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        st.title("newsmon")
        st.write("Log in with your organisation's account to see the dashboard.")
        for provider in access.providers(auth):
            label = "Log in" if provider is None else f"Log in with {provider.capitalize()}"
            st.button(label, type="primary", on_click=st.login, args=(provider,) if provider else ())
        return False
    ok, why = access.is_allowed(user, os.environ.get(access.ALLOW_ENV, ""))
    who = str(user.get("email") or user.get("name") or "this account")
    if not ok:
        st.title("newsmon")
        st.error(f"{markdown_text(who)} may not use this dashboard: {why}.")
        st.button("Log out", on_click=st.logout)
        return False
    with st.sidebar:
        st.caption(f"Logged in as {markdown_text(who)}")
        st.button("Log out", on_click=st.logout, key="logout")
    return True


def _password_gate() -> bool:
    """With NEWSMON_PASSWORD set, nothing else runs until the password is given in this session."""
    secret = os.environ.get("NEWSMON_PASSWORD", "")
    if not secret or st.session_state.get("_newsmon_auth"):
        return True
    st.title("newsmon")
    with st.form("login"):
        given = st.text_input("Password", type="password")
        ok = st.form_submit_button("Sign in")
    if ok and hmac.compare_digest(given.encode(), secret.encode()):
        st.session_state["_newsmon_auth"] = True
        st.rerun()
    if ok:
        st.error("Wrong password.")
    return False


def _init_from_url(f: Filters) -> None:
    ss = st.session_state
    ss["f_people"], ss["f_topics"] = list(f.people), list(f.topics)
    ss["f_preset"] = f.preset
    if f.preset == "custom":
        ss["f_dates"] = tuple(d for d in (f.start, f.end) if d is not None)
    ss["f_bucket"], ss["f_measure"], ss["f_scale"] = f.bucket, f.measure, f.scale
    ss["f_rolling"] = f.rolling
    ss["f_sources"], ss["f_languages"] = list(f.sources), list(f.languages)
    ss["f_search"] = f.search
    ss["f_unique"] = f.unique
    ss["f_fetched"] = f.fetched


def _keep_entity_ids(names) -> None:
    """The people and topics chosen stay ids when their labels change between two runs.

    A multiselect's browser sends back the labels it showed ("Alice Example", or "Alice Example (12)"), and
    Streamlit maps them to options by this run's labels: once the counts in the labels change (the store's index
    finished building, a new batch landed) a chosen person came back as the string "Alice Example", and the
    charts emptied. Read here, before the widgets are drawn, the values are still mapped by the labels of the run
    that drew them; set again, they are sent with this run's labels. A label that reached the state anyway is
    mapped back by its name."""
    ss = st.session_state
    for key, kind in (("f_people", "person"), ("f_topics", "topic")):
        if key not in ss:
            continue
        by_name = {label: e for (k, e), label in names.names.items() if k == kind}
        ids = []
        for v in ss[key]:
            v = by_name.get(re.sub(r" \([\d,]+\)$", "", str(v)), v)
            if v not in ids:
                ids.append(v)
        ss[key] = ids


def search_status(root: Path, text: str) -> str | None:
    """The search box's caption while searches scan (index missing or being built), else None."""
    if not text.strip():
        return None
    try:
        return dispatch.status_line(cache.cursor(root), text)
    except Exception:  # noqa: BLE001 - a caption only; the search itself reports its own errors
        return None


def page_links(pages: Sequence, params: dict[str, str]) -> None:
    """The page menu: each link carries the current filters, so moving to another page keeps them.

    (Streamlit's own menu drops every query parameter, and the sidebar would then read the bare URL as
    "no filters".) A page's own selection and open article stay behind: they belong to that page."""
    for p in pages:
        st.page_link(p, query_params=params or None)


def sidebar(pages: Sequence = ()) -> Context | None:
    """Draw the page menu and the filters; return the page context, or None when the store is missing or empty."""
    root = cache.store_root()
    if not cache.store_exists(root):
        with st.sidebar:
            page_links(pages, {})
        st.info(f"No newsmon store at `{root}` yet. Run `newsmon demo` or `newsmon ingest` first.")
        return None
    version = cache.store_version(root)
    summary = cache.summary(root, version)
    names = cache.watchlist_names()
    ss = st.session_state
    first = not ss.get("_newsmon_url_loaded")
    # The URL decides the filters on the first run, when the browser's Back/Forward changed it (it no longer
    # says what this session last wrote), and when st.switch_page dropped the widgets' state.
    if first or "f_bucket" not in ss or _filter_params() != ss.get("_newsmon_url_written"):
        parsed = Filters.from_query_params(dict(st.query_params))
        if first and "people" not in st.query_params and "topics" not in st.query_params:
            ents = cache.entity_counts(root, version)
            parsed = parsed.with_(people=tuple(ents[ents["kind"] == "person"]["entity_id"].head(3)))
        _init_from_url(parsed)
        ss["_newsmon_url_loaded"] = True
    else:
        _keep_entity_ids(names)
    ents = cache.entity_counts(root, version)
    people = ents[ents["kind"] == "person"]
    topics = ents[ents["kind"] == "topic"]
    # (counts are unknown, None, while the store's index is first built: dashboard.data.queries.entity_counts)
    count = {(k, e): None if pd.isna(n) else int(n)
             for k, e, n in zip(ents["kind"], ents["entity_id"], ents["articles"], strict=False)}

    def fmt(kind: str):
        def label(e: str) -> str:
            n = count.get((kind, e), 0)
            return names.get((kind, e)) if n is None else f"{names.get((kind, e))} ({n:,})"
        return label

    for key, allowed in (("f_sources", summary["sources"]), ("f_languages", summary["languages"])):
        if any(v not in allowed for v in ss.get(key, [])):
            ss[key] = [v for v in ss.get(key, []) if v in allowed]
    with st.sidebar:
        menu = st.container()
        area = st.container()
    preset = ss.get("f_preset") or "all"
    start = end = None
    if preset == "custom" and summary["first"] is not None:
        if not ss.get("f_dates"):
            ss["f_dates"] = (summary["first"], summary["last"])
        picked = ss.get("f_dates")
        if isinstance(picked, (tuple, list)) and picked:
            start, end = picked[0], picked[-1]
    f = Filters(
        people=tuple(ss.get("f_people") or ()), topics=tuple(ss.get("f_topics") or ()),
        start=start, end=end, preset=preset, bucket=ss.get("f_bucket") or "week",
        measure=ss.get("f_measure") or "articles", scale=ss.get("f_scale") or "raw",
        rolling=int(ss.get("f_rolling") or 0), sources=tuple(ss.get("f_sources") or ()),
        languages=tuple(ss.get("f_languages") or ()), search=ss.get("f_search") or "",
        unique=bool(ss.get("f_unique")) and bool(summary.get("has_stories")),
        fetched=bool(ss.get("f_fetched")),
    )
    sync_url(f)
    with menu:
        page_links(pages, f.to_query_params())
    ctx = Context(root, version, summary, names, f.resolved(summary["last"]))
    ss[CTX_KEY] = ctx

    def draw() -> None:
        with area:
            _filter_widgets(root, summary, names, people, topics, fmt)

    ss.pop(_PENDING, None)
    ss[_CHARTED] = False
    if ss.get(_FILTERS_DRAWN):
        draw()
    else:  # the session's first run: after its page (`filters_after_page`)
        ss[_FILTERS_DRAWN] = True
        ss[_PENDING] = (area, draw)
    return ctx


def filters_pending() -> bool:
    """This run is the session's first: its filters are drawn after the page, by a rerun of the whole app once
    the page's chart is drawn (or at its end, with no chart)."""
    return _PENDING in st.session_state


def note_chart() -> None:
    """A page drew a chart in this run (`filters_after_page` waits for it)."""
    st.session_state[_CHARTED] = True


def filters_after_page() -> None:
    """The session's first run: the filters' widgets, held back by `sidebar`, drawn once the page is.

    Why: drawn before the page, the sidebar's widgets came to the browser before the first chart, which waited
    while React drew them on the same cores as plotly.js: the opening at a million articles took ~0.4 s longer
    than without them (docs/benchmarks.md, "Issue 15, stop 26"). When the page drew a chart, they come with a
    rerun of the app once the chart is drawn (dashboard/afterchart.py); on a page with no chart, at once, after
    the page."""
    ss = st.session_state
    pending = ss.pop(_PENDING, None)
    if pending is None:
        return
    area, draw = pending
    if not ss.get(_CHARTED):
        draw()
        return
    with area:
        afterchart.deferred("filters", st.rerun, "The filters come once the chart is drawn.")


_FILTERS_DRAWN = "_newsmon_filters_drawn"
_PENDING = "_newsmon_filters_pending"
_CHARTED = "_newsmon_charted"


def _filter_widgets(root: Path, summary: dict, names: Names, people: pd.DataFrame, topics: pd.DataFrame,
                    fmt) -> None:
    """The filters' widgets, each showing the value its key holds in the session (set before they are drawn)."""
    ss = st.session_state
    st.header("Filters")
    p_opts = list(people["entity_id"]) + [p for p in ss.get("f_people", []) if p not in set(people["entity_id"])]
    t_opts = list(topics["entity_id"]) + [t for t in ss.get("f_topics", []) if t not in set(topics["entity_id"])]
    st.multiselect("People", p_opts, key="f_people", format_func=fmt("person"))
    st.multiselect("Topics", t_opts, key="f_topics", format_func=fmt("topic"))
    st.segmented_control("Period", list(PRESETS) + ["custom"], key="f_preset",
                         format_func=PRESET_LABELS.get, selection_mode="single")
    if (ss.get("f_preset") or "all") == "custom" and summary["first"] is not None:
        st.date_input("Dates (UTC, inclusive)", key="f_dates", min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))
    c1, c2 = st.columns(2)
    c1.selectbox("Per", BUCKETS, key="f_bucket")
    c2.selectbox("Count", MEASURES, key="f_measure")
    st.radio("Scale", SCALES, key="f_scale", horizontal=True,
             format_func={"raw": "Raw counts", "share": "Share of articles"}.get)
    st.number_input("Rolling average (buckets, 0 = off)", min_value=0, max_value=52, step=1, key="f_rolling")
    st.toggle("Include articles dated by their fetch", key="f_fetched", help=FETCHED_HELP)
    ctx = context()
    if ctx is not None:
        fetched_caption(root, ctx.version, ctx.filters)
    with st.expander("Sources, language, search", expanded=bool(ss.get("f_sources") or ss.get("f_search"))):
        st.multiselect("Sources", summary["sources"], key="f_sources")
        st.multiselect("Languages", summary["languages"], key="f_languages", format_func=lambda x: x or "unknown")
        st.text_input("Text contains", key="f_search", placeholder='words, "a phrase", prefix*', help=search.HELP)
        if line := search_status(root, ss.get("f_search") or ""):
            st.caption(line)
        if summary.get("has_stories"):
            st.toggle("Unique stories only", key="f_unique",
                      help="Count each near-duplicate story (syndicated copies) once, at its first article.")
    st.caption(f"Store: `{root}` · {summary['articles']:,} articles")
    if names.error:
        st.caption(markdown_text(names.error))
    if cache.index_status(root) == "building":
        st.caption("The dashboard's index of this store is being built (the first time it is opened, or "
                   "after a compaction or a recount): pages read the store's files meanwhile, more slowly.")


FETCHED_HELP = ("An article whose page gave no publication date is stored dated by the time it was fetched. "
                "Drawn as that day's news it would make a false spike (a backfill would put its whole batch on the "
                "day of the run), so such articles are left out of every chart, list, count and export unless "
                "this is on. The article view says where each date comes from.")


def fetched_caption(root: Path, version: str, f: Filters) -> None:
    """How many articles of the period are dated by their fetch, and whether they are counted."""
    # Keyed on what the count reads, not on the people or the bucket: a person changed does not ask the store again
    # before the page's chart.
    n = cache.query(root, version, "fetch_dated_count", queries.day_scope(f.with_(fetched=True)))
    if n:
        st.caption(f"{n:,} article{'s' if n != 1 else ''} in this period {'have' if n != 1 else 'has'} no publication "
                   f"date of {'their' if n != 1 else 'its'} own (dated by the fetch): "
                   + ("included." if f.fetched else "left out."))


def _filter_params() -> dict[str, str]:
    return {k: v for k, v in st.query_params.to_dict().items() if k not in KEEP_PARAMS}


def sync_url(f: Filters) -> None:
    """Make the URL say exactly the current filters (plus page parameters such as an open article)."""
    want = f.to_query_params()
    st.session_state["_newsmon_url_written"] = dict(want)
    for k in KEEP_PARAMS:
        if k in st.query_params:
            want[k] = st.query_params[k]
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)


def context() -> Context | None:
    return st.session_state.get(CTX_KEY)


def fail(message: str, exc: Exception) -> None:
    """A query failed: say so, drop cached results, stop this run."""
    cache.clear_data()
    cache.reset_connection()
    st.warning(f"{message}: {markdown_text(exc)}")
    st.stop()
