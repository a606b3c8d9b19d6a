"""Text from a page or a feed, made safe to show as text: in a figure, in Streamlit's Markdown, in HTML.

A source may call itself `Hostile <b>Gazette</b> **x** $y$`; an author, a title, a term or an annotation may
hold the same. Shown as it is, such a string formats the dashboard: plotly draws `<b>` in bold in a legend,
a tick label or a hover label (and would typeset `$...$` where MathJax is loaded, as in some image exporters);
Streamlit's Markdown makes `**x**` bold, `$y$` a formula and `:red[...]` red. Each function here turns a string
into one that the named renderer shows exactly as the original text. No streamlit here.

- `figure_text`: every string a plotly figure draws (trace names, category labels, titles, annotations, hover
  labels). `charts.py` passes every string of its figures through it, and nothing else.
- `markdown_text`: every string put into `st.markdown`, `st.caption`, `st.warning` and friends.
- `html_text`: HTML (the article view builds its own, in `highlight.py`, with the same `html.escape`).
"""

from __future__ import annotations

import html
import re

# plotly's pseudo-HTML decodes &amp; &lt; &gt; and numeric entities when it draws. "$" becomes "&#36;" so that a
# string holding "$...$" is not taken for TeX, and "%" becomes "&#37;" so that "%{y}" in a name put into a
# hover template is not filled in: plotly looks for both before it decodes entities.
_FIGURE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "$": "&#36;", "%": "&#37;"})
_ASCII_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character: CommonMark escapes them all
_SPACE = re.compile(r"\s+")


def figure_text(value: object) -> str:
    """A string a plotly figure shows as exactly this text (no tag, entity or TeX of the text is interpreted)."""
    return str(value).translate(_FIGURE)


def markdown_text(value: object) -> str:
    """A string Streamlit's Markdown shows as exactly this text, on one line.

    Every ASCII punctuation character is backslash-escaped (CommonMark's rule, which Streamlit's Markdown,
    its `$` maths and its `:color[...]` directives follow), and runs of white space, new lines included,
    become one space: a title cannot start a heading, a list or a new paragraph."""
    return _ASCII_PUNCT.sub(r"\\\1", _SPACE.sub(" ", str(value)).strip())


def html_text(value: object) -> str:
    """A string HTML shows as exactly this text."""
    return html.escape(str(value), quote=True)


def safe_url(url: object) -> str | None:
    """The URL if a link to it can only open a web page (http or https), else None: a page's `javascript:` or
    `data:` link is never made clickable."""
    s = str(url or "").strip()
    return s if re.match(r"(?i)https?://", s) else None
