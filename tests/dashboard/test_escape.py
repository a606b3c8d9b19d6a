"""Text from a page or a feed is shown as text everywhere: figures, Markdown lines, lists, menus.

The hostile store is the tiny store plus one batch from a source named `Hostile <b>Gazette</b> **x** $y$`, with an
author, a title and a text that hold Markdown, LaTeX, HTML and a `javascript:` address, and an event annotation
that does the same. Unit tests check the helpers and every figure builder; an AppTest checks what the article
view sends to Streamlit's Markdown; a browser checks what is drawn (and, with NEWSMON_WRITE_SCREENSHOTS=1, writes
docs/screenshot-hostile-article.png and docs/screenshot-hostile-health.png).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from dashboard import charts
from dashboard.data.filters import Filters
from dashboard.escape import figure_text, markdown_text, safe_url
from ingest.records import Article, Mention
from ingest.store.parquet import article_id, content_hash
from tests.conftest import build_tiny_store
from tests.paths import APP, REPO

SOURCE = "Hostile <b>Gazette</b> **x** $y$"
AUTHOR = "<i>Ann</i> **Author** $z$ :red[red]"
TITLE = "# Alice Example **bold** $\\alpha$ <b>x</b> :blue[blue] [link](https://evil.example)"
LABEL = "<b>Vote</b> **x** $y$"
URL = "javascript:alert('hostile')//news.example/hostile-2"
RAW = (SOURCE, AUTHOR, TITLE, LABEL)


def build_hostile_store(root):
    """The tiny store, one more batch from the hostile source, and a hostile event annotation."""
    from dashboard.data import annotations

    tiny = build_tiny_store(root)
    text = "Alice Example spoke. $$x^2$$ and **strong** and <script>alert(1)</script>."
    mentions = [Mention("alice-example", "person", "title", 2, 15, "Alice Example", "alias"),
                Mention("alice-example", "person", "body", 0, 13, "Alice Example", "alias")]
    art = Article(id=article_id(URL), url=URL, source=SOURCE, title=TITLE, text=text, content_hash=content_hash(text),
                  fetched_at=datetime(2024, 4, 1, tzinfo=UTC), published_at=datetime(2024, 3, 21, 9, 30, tzinfo=UTC),
                  published_source="meta", authors=(AUTHOR,), language="en", mentions=tuple(mentions))
    with tiny.store.writer() as w:
        w.write_batch([art], watchlist_version="test-1")
    annotations.add(root, annotations.Annotation(day=date(2024, 3, 11), label=LABEL))
    return tiny, art.id


# --- the helpers --------------------------------------------------------------------------------------------------

def test_figure_text_leaves_no_tag_entity_tex_or_template():
    assert figure_text(SOURCE) == "Hostile &lt;b&gt;Gazette&lt;/b&gt; **x** &#36;y&#36;"
    assert figure_text("AT&T 50%{y}") == "AT&amp;T 50&#37;{y}"


def test_markdown_text_escapes_every_punctuation_and_keeps_one_line():
    assert markdown_text(SOURCE) == r"Hostile \<b\>Gazette\<\/b\> \*\*x\*\* \$y\$"
    assert markdown_text("# Title\n\n- item :red[x]") == r"\# Title \- item \:red\[x\]"
    assert markdown_text("Zürich, 1,5 Mio.") == r"Zürich\, 1\,5 Mio\."


@pytest.mark.parametrize("url, ok", [("https://news.example/a", True), ("HTTP://x.example", True),
                                     (URL, False), ("data:text/html,<b>x</b>", False), ("", False)])
def test_only_web_addresses_become_links(url, ok):
    assert (safe_url(url) is not None) == ok


# --- every figure -----------------------------------------------------------------------------------------------

def _strings(obj):
    """Every string a figure may draw: not its template, nor its custom data (what a click returns; drawn only
    where a hover template names a slot of it, which `_assert_drawn_as_text` checks apart)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in ("template", "customdata"):
                yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


def _assert_drawn_as_text(fig, *raw):
    spec = json.loads(fig.to_json())
    for trace in spec["data"]:  # custom data holding page text (a clicked source's name) is never put on screen
        templates = str(trace.get("hovertemplate", "")) + str(trace.get("texttemplate", ""))
        for row in trace.get("customdata") or []:
            for i, v in enumerate(row if isinstance(row, list) else [row]):
                if isinstance(v, str) and any(r in v for r in raw):
                    assert f"customdata[{i}]" not in templates, f"{v!r} is drawn from custom data unescaped"
    shown = list(_strings(spec))
    for r in raw:
        assert not any(r in s for s in shown), f"{r!r} is in the figure unescaped"
        assert any(figure_text(r) in s for s in shown), f"{r!r} is not in the figure at all"
    for s in shown:  # nothing in any string of the figure is markup but our own
        assert "<b>Gazette" not in s and "$y$" not in s and "<i>" not in s


def test_every_figure_escapes_what_comes_from_a_page():
    names = {("person", "p1"): SOURCE, ("person", "p2"): AUTHOR}
    f = Filters(people=("p1", "p2"))
    series = pd.DataFrame({"bucket": [date(2024, 1, 1)] * 2, "kind": ["person"] * 2, "entity_id": ["p1", "p2"],
                           "count": [3.0, 4.0], "total": [10.0, 10.0], "value": [3.0, 4.0], "gap": [False, False]})
    ann = pd.DataFrame({"id": ["a"], "day": [date(2024, 1, 1)], "label": [LABEL], "note": [""], "author": [""],
                        "created_at": [datetime(2024, 1, 2, tzinfo=UTC)]})
    _assert_drawn_as_text(charts.timeline_figure(series, names, f, annotations=ann, title=TITLE), SOURCE, AUTHOR, LABEL,
                          TITLE)
    pairs = pd.DataFrame({"a": ["p1"], "b": ["p2"], "articles": [5]})
    _assert_drawn_as_text(charts.co_mentions_figure(pairs, names, title=TITLE), SOURCE, AUTHOR, TITLE)
    top = pd.DataFrame({"source": [SOURCE, "Plain"], "articles": [5, 3]})
    _assert_drawn_as_text(charts.bars_figure(top, "articles", "source", title=TITLE), SOURCE, TITLE)
    per = pd.DataFrame({"bucket": [date(2024, 1, 1), date(2024, 1, 1)], "source": [SOURCE, "Plain"], "articles": [1, 2]})
    _assert_drawn_as_text(charts.stacked_figure(per, title=TITLE), SOURCE, TITLE)


def test_the_new_views_escape_too():
    """The timeline's title and partial buckets, clickable bars (custom data: the raw name, for the list), the
    per-source chart with its "other sources" trace and its legend under the chart, co-mention counts."""
    names = {("person", "p1"): SOURCE, ("person", "p2"): AUTHOR}
    f = Filters(people=("p1", "p2"), preset="custom", start=date(2024, 1, 3), end=date(2024, 1, 10))
    series = pd.DataFrame({"bucket": [date(2024, 1, 1), date(2024, 1, 8)] * 2, "kind": ["person"] * 4,
                           "entity_id": ["p1", "p1", "p2", "p2"], "count": [3.0, 1.0, 4.0, 2.0],
                           "total": [10.0] * 4, "value": [3.0, 1.0, 4.0, 2.0], "gap": [False] * 4})
    fig = charts.timeline_figure(series, names, f, title=charts.timeline_title(f),
                                 period=(date(2024, 1, 3), date(2024, 1, 10)))
    assert [a["text"] for a in fig.to_dict()["layout"]["annotations"] if a["text"] == "partial"] == ["partial"] * 2
    _assert_drawn_as_text(fig, SOURCE, AUTHOR)
    top = pd.DataFrame({"source": [SOURCE, "Plain"], "articles": [5, 3]})
    bars = charts.bars_figure(top, "articles", "source", title=TITLE, keys="source")
    assert [SOURCE] in [list(c) for c in bars.data[0].customdata]  # a click selects the source itself
    _assert_drawn_as_text(bars, SOURCE, TITLE)
    many = [SOURCE] + [f"Source {i} <i>n</i>" for i in range(12)]
    per = pd.DataFrame({"bucket": [date(2024, 1, 1)] * len(many), "source": many,
                        "articles": [50] + list(range(1, 13))})
    stacked = charts.stacked_figure(per, title=TITLE)
    assert stacked.layout.legend.y < 0 and any("other source" in t.name for t in stacked.data)
    _assert_drawn_as_text(stacked, SOURCE, TITLE, *many[-len(charts.PALETTE) + 1:])
    pairs = pd.DataFrame({"a": ["p1"], "b": ["p2"], "articles": [85]})
    _assert_drawn_as_text(charts.co_mentions_figure(pairs, names, title=TITLE), SOURCE, AUTHOR, TITLE)


# --- what Streamlit is given ----------------------------------------------------------------------------------------

def test_the_article_view_gives_markdown_only_escaped_page_text(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    tiny, hostile = build_hostile_store(tmp_path / "store")
    monkeypatch.setenv("NEWSMON_STORE", str(tiny.root))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NEWSMON_WATCHLIST", str(tiny.watchlist))
    monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"people": "alice-example", "article": hostile,
                            "sel": "person:alice-example:2024-03-18"})
    at.run()
    at.switch_page("screens/explore.py").run()
    assert not at.exception, at.exception
    sent = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    line = next(s for s in sent if "UTC" in s and "Gazette" in s)
    assert markdown_text(SOURCE) in line and markdown_text(AUTHOR) in line
    for s in sent:
        for r in RAW:
            assert r not in s
    assert not [b for b in at.get("link_button") if "javascript" in json.dumps(b.proto.url)]


@pytest.mark.parametrize("page, src", [("screens/overview.py", f"all:{SOURCE}"),
                                       ("screens/health.py", f"*2024-03-18:{SOURCE}")])
def test_a_clicked_bars_list_gives_markdown_only_escaped_page_text(monkeypatch, tmp_path, page, src):
    """The list of a clicked source bar, on its own page (Top sources; articles stored per source): its caption
    names the source."""
    from streamlit.testing.v1 import AppTest

    tiny, hostile = build_hostile_store(tmp_path / "store")
    monkeypatch.setenv("NEWSMON_STORE", str(tiny.root))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NEWSMON_WATCHLIST", str(tiny.watchlist))
    monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"people": "alice-example", "src": src})
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    sent = ([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
            + [h.value for h in at.subheader])
    assert any(s.startswith("**1 articles** behind " + markdown_text(SOURCE)) for s in sent), sent
    for s in sent:
        for r in RAW:
            assert r not in s


# --- what a browser draws -------------------------------------------------------------------------------------------

@pytest.mark.browser
def test_a_browser_shows_hostile_names_as_text(browser, tmp_path):
    from tests.browserkit import Dashboard, menu_options, require_chromium, settled, wait_chart

    require_chromium()
    tiny, hostile = build_hostile_store(tmp_path / "store")
    d = Dashboard(tiny.root, tmp_path, {"NEWSMON_WATCHLIST": str(tiny.watchlist)})
    shots = os.environ.get("NEWSMON_WRITE_SCREENSHOTS") == "1"
    ctx = browser.new_context(viewport={"width": 1440, "height": 1100})
    dialogs: list[str] = []
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.on("dialog", lambda dl: (dialogs.append(dl.message), dl.dismiss()))
        # The article view: the line above the text, the list, the menu of articles.
        pg.goto(f"{d.url}/explore?people=alice-example&sel=person%3Aalice-example%3A2024-03-18&article={hostile}")
        pg.locator(".nm-body").wait_for()
        settled(pg)
        line = pg.locator("[data-testid=stMarkdownContainer]").filter(has_text="Gazette").first
        assert SOURCE in line.inner_text() and AUTHOR in line.inner_text()
        assert line.locator("em, b, i, .katex, code, h1, a, [style*=color], span[class*=Color]").count() == 0
        assert line.locator("strong").count() == 1  # ours: the source name, bold as a whole
        assert pg.locator(".nm-title").inner_text().startswith(TITLE)
        assert pg.get_by_role("link", name="Open the original ↗").count() == 0  # a javascript: address
        cells_js = """() => Array.from(document.querySelectorAll('[data-testid=stDataFrame] td')).map(c => c.textContent)"""
        pg.wait_for_function(f"() => ({cells_js})().length > 0")  # the grid fills its cells after the run (at load)
        cells = pg.evaluate(cells_js)
        assert SOURCE in cells and TITLE in cells
        options = menu_options(pg, "Open an article")
        assert any(SOURCE in o and TITLE in o for o in options), options
        pg.keyboard.press("Escape")
        if shots:
            pg.locator(".nm-title").scroll_into_view_if_needed()
            pg.screenshot(path=str(REPO / "docs" / "screenshot-hostile-article.png"))
        # The Overview: the annotation on the timeline, the top sources' tick labels.
        pg.goto(f"{d.url}/?people=alice-example")
        wait_chart(pg)
        settled(pg)
        texts = pg.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot .annotation-text, '
                               + '.js-plotly-plot .ytick text, .js-plotly-plot .legendtext, .js-plotly-plot .gtitle'))
                               .map(t => [t.textContent, t.querySelectorAll('tspan[style*=bold], tspan[style*=italic]').length])""")
        assert [LABEL, 0] in texts and [SOURCE, 0] in texts, texts
        # Sources & health: the per-source chart's legend, the sources menu.
        pg.goto(f"{d.url}/health")
        pg.locator(".js-plotly-plot .legendtext").first.wait_for()
        settled(pg)
        legend = pg.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot .legendtext'))
                                .map(t => [t.textContent, t.querySelectorAll('tspan').length])""")
        assert [SOURCE, 0] in legend, legend
        if shots:
            pg.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
            pg.screenshot(path=str(REPO / "docs" / "screenshot-hostile-health.png"))
        pg.get_by_text("Sources, language, search").click()
        pg.get_by_role("combobox", name="Sources").wait_for()  # the expander has opened
        assert SOURCE in menu_options(pg, "Sources")
        assert dialogs == []
    finally:
        ctx.close()
        d.stop()
