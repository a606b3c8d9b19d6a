"""Page templates of the four fictional outlets, each with its own markup and its own page furniture.

The furniture imitates what real news sites wrap around an article (donation pop-ups, cookie bars,
newsletter boxes, captions with credits, "Read more" lists, share links, mega-menus, footers) so the
ingest has something realistic to strip. The same appeal appears on every page of an outlet.
:data:`FURNITURE` lists, per outlet, phrases that must never reach the cleaned text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from ingest.demo import phrasebook as pb

if TYPE_CHECKING:  # corpus imports this module; the types are only needed for annotations
    from ingest.demo.corpus import ArticleInfo, Outlet

Links = Sequence[tuple[str, str]]  # (path, title)

SECTIONS = ("World", "Middle East", "Europe", "Americas", "Asia", "Africa", "Politics", "Business", "Climate",
            "Science", "Opinion", "Analysis", "Culture", "Sport", "Podcasts", "Video")
SUBSECTIONS = ("Latest", "Explainers", "Live", "Interviews", "Data", "Photos", "Briefings", "Long reads")
FOOTER_LINKS = ("About us", "Contact", "Careers", "Advertise", "Corrections", "Ethics policy", "Accessibility",
                "Terms of use", "Privacy policy", "Cookie settings", "Newsletters", "Podcasts", "Archive", "RSS")

FURNITURE: dict[str, tuple[str, ...]] = {
    "meridian": ("The Meridian Ledger is funded by its readers", "A gift of any size", "Dear reader",
                 "A note to readers", "Thank you for reading and for supporting independent reporting", "Give now", "Maybe later",
                 "We use cookies", "Accept all", "Read more", "Share on", "Copy link", "All rights reserved",
                 "Photo:", "Fictional outlet"),
    "harbor": ("Sign up for The Harbor Briefing", "in your inbox every weekday morning", "unsubscribe at any time",
               "Read more:", "Most read", "Listen to this article", "Share this story", "Fictional outlet"),
    "northgate": ("free articles left", "Subscribe for full access", "Your privacy choices", "I agree",
                  "Show purposes", "Photograph:", "More from The Northgate Courier", "Fictional outlet"),
    "atlas": ("Support independent wire journalism", "chip in", "Contribute", "Related stories", "Editor's picks",
              "Log in to join the conversation", "Atlas Wire /", "Fictional outlet"),
}
_AGENCY = {"meridian": "Meridian Ledger (fictional)", "harbor": "Harbor Street Chronicle (fictional)",
           "northgate": "Northline Images (fictional)", "atlas": "Atlas Wire"}


def photo_credit(rng: random.Random, outlet: str) -> str:
    """A credit line in the outlet's house style, naming an invented photographer."""
    who = f"{rng.choice(pb.FIRST_NAMES)} {rng.choice(pb.LAST_NAMES)}"
    return {"meridian": f"Photo: {who} / {_AGENCY['meridian']}", "harbor": f"{who} for {_AGENCY['harbor']}",
            "northgate": f"Photograph: {who}/{_AGENCY['northgate']}", "atlas": f"(Atlas Wire / {who})"}[outlet]


def split_caption(caption: str) -> tuple[str, str]:
    """Split a caption into its text and its credit (everything after the first '. ')."""
    text, _, credit = caption.partition(". ")
    return text + ".", credit


def render_article(outlet: Outlet, art: ArticleInfo, related: Links, origin: str, label: str) -> str:
    """The full HTML page of one article in the outlet's template."""
    return {"meridian": _meridian, "harbor": _harbor, "northgate": _northgate, "atlas": _atlas}[outlet.slug](
        outlet, art, related, origin, label)


def render_section_front(outlet: Outlet, section: str, items: Links, origin: str, label: str) -> str:
    """A section front: a page of headlines and no article (a realistic non-article in a feed)."""
    cards = "\n".join(f'<div class="card"><h3><a href="{origin}{p}">{escape(t)}</a></h3>'
                      f'<p class="card__kicker">{escape(section)}</p></div>' for p, t in items)
    return _page(outlet, origin, label, f"{section} | {outlet.name}", f"{origin}/atlas/section/middle-east",
                 meta=_meta(outlet, section, f"{origin}/atlas/section/middle-east", og_type="website"),
                 body=f'{_atlas_header(outlet, origin)}<main class="section-front"><h1>{escape(section)}</h1>'
                      f'<div class="grid">{cards}</div></main>{_footer(outlet, origin, label, "atlas-footer")}')


def render_index(outlets: Sequence[Outlet], origin: str, label: str) -> str:
    items = "\n".join(f'<li><a href="{origin}{o.feed_path}">{escape(o.name)}</a></li>' for o in outlets)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>newsmon demo web</title>'
            f'<meta name="newsmon:synthetic" content="true"></head><body><h1>newsmon demo web</h1>'
            f"<p>{escape(label)}</p><ul>{items}</ul></body></html>\n")


# --- shared pieces -----------------------------------------------------------------------------------


def _page(outlet: Outlet, origin: str, label: str, title: str, url: str, meta: str, body: str,
          body_class: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="newsmon:synthetic" content="true">\n<meta name="description" content="{escape(label)}">\n'
            f'<link rel="canonical" href="{url}">\n'
            f'<link rel="alternate" type="application/rss+xml" title="{escape(outlet.name)}" '
            f'href="{origin}{outlet.feed_path}">\n{meta}\n<style>{_css(outlet.slug)}</style>\n'
            f"<script>{_tracking(outlet.slug)}</script>\n</head>\n<body class=\"{body_class}\">\n{body}\n</body>\n</html>\n")


def _meta(outlet: Outlet, title: str, url: str, og_type: str = "article", published: str = "",
          authors: Sequence[str] = (), section: str = "") -> str:
    lines = [f'<meta property="og:type" content="{og_type}">',
             f'<meta property="og:site_name" content="{escape(outlet.name)}">',
             f'<meta property="og:title" content="{escape(title)}">', f'<meta property="og:url" content="{url}">']
    if published:
        lines.append(f'<meta property="article:published_time" content="{published}">')
    if section:
        lines.append(f'<meta property="article:section" content="{escape(section)}">')
    lines += [f'<meta name="author" content="{escape(a)}">' for a in authors]
    return "\n".join(lines)


def _jsonld(outlet: Outlet, art: ArticleInfo, url: str) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": art.title,
            "datePublished": art.published.isoformat(), "mainEntityOfPage": url,
            "author": [{"@type": "Person", "name": a} for a in art.authors],
            "publisher": {"@type": "Organization", "name": outlet.name}, "isAccessibleForFree": True}
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def _css(slug: str) -> str:
    # Real pages ship a few KB of inline critical CSS; the selectors vary by outlet.
    rules = [f".{slug}-{s.lower().replace(' ', '-')}{{margin:0 auto;padding:{i % 7}px {i % 11}px;"
             f"font:400 {14 + i % 5}px/1.5 Georgia,serif;color:#{(i * 12345) % 0xFFFFFF:06x}}}"
             for i, s in enumerate(SECTIONS + SUBSECTIONS)]
    return "".join(rules * 3)


def _tracking(slug: str) -> str:
    cfg = {"site": slug, "consent": {"required": True, "vendors": list(range(1, 90))},
           "slots": [{"id": f"{slug}-slot-{i}", "sizes": [[300, 250], [728, 90], [970, 250]]} for i in range(12)]}
    return ("window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
            f"window.__SITE_CONFIG__={json.dumps(cfg, separators=(',', ':'))};")


def _mega_nav(origin: str, slug: str, cls: str) -> str:
    cols = []
    for s in SECTIONS:
        base = f"{origin}/{slug}/{s.lower().replace(' ', '-')}"
        subs = "".join(f'<li><a href="{base}/{x.lower().replace(" ", "-")}">{x}</a></li>' for x in SUBSECTIONS)
        cols.append(f'<li class="{cls}__item"><a href="{base}">{s}</a><ul class="{cls}__sub">{subs}</ul></li>')
    return f'<nav class="{cls}" aria-label="Sections"><ul>{"".join(cols)}</ul></nav>'


def _footer(outlet: Outlet, origin: str, label: str, cls: str) -> str:
    links = " ".join(f'<a href="{origin}/{outlet.slug}/{x.lower().replace(" ", "-")}">{x}</a>' for x in FOOTER_LINKS)
    return (f'<footer class="{cls}"><div class="{cls}__links">{links}</div>'
            f'<p class="{cls}__label"><strong>{escape(label)}</strong></p>'
            f'<p class="{cls}__copy">© 2026 {escape(outlet.name)}. All rights reserved.</p></footer>')


def _paras(art: ArticleInfo, cls: str = "") -> list[str]:
    attr = f' class="{cls}"' if cls else ""
    return [f"<p{attr}>{escape(p)}</p>" for p in art.paragraphs]


def _list(items: Links, origin: str) -> str:
    return "".join(f'<li><a href="{origin}{p}">{escape(t)}</a></li>' for p, t in items)


def _long_date(art: ArticleInfo) -> str:
    d = art.published
    return f"{pb.WEEKDAYS[d.weekday()]} {d.day} {d:%B %Y}, {d:%H:%M}"


# --- the four outlets --------------------------------------------------------------------------------


def _meridian(outlet: Outlet, art: ArticleInfo, related: Links, origin: str, label: str) -> str:
    url = origin + art.path
    figure = ""
    if art.caption:
        text, credit = split_caption(art.caption)
        figure = (f'<figure class="story-figure"><img src="{origin}/meridian/img/{art.path.rsplit("-", 1)[-1]}.jpg" '
                  f'alt=""><figcaption>{escape(text)} <span class="credit">{escape(credit)}</span></figcaption></figure>')
    body = f"""<div class="cookie-bar" role="dialog"><p>We use cookies to improve your experience and to measure our audience.
<a href="{origin}/meridian/cookies">Manage preferences</a></p><button>Accept all</button><button>Reject</button></div>
<div class="modal modal--donate" id="donate"><button class="modal__close" aria-label="Close">×</button>
<h3>The Meridian Ledger is funded by its readers</h3><p>Independent reporting costs money. A gift of any size keeps our
correspondents in the field.</p><a class="btn" href="{origin}/meridian/give">Give now</a> <a href="#">Maybe later</a></div>
<header class="masthead"><a class="masthead__logo" href="{origin}/meridian/">The Meridian Ledger</a>
<span class="masthead__badge">fictional</span>{_mega_nav(origin, "meridian", "mega")}</header>
<main class="page"><article class="story">
<header class="story-head"><p class="kicker">{escape(art.theme.title())}</p><h1 class="story-title">{escape(art.title)}</h1>
<p class="byline">By {escape(" and ".join(art.authors))}</p>
<time datetime="{art.published.isoformat()}">{art.published:%d %B %Y}</time></header>
{figure}
<div class="story-body">
{chr(10).join(_paras(art))}
</div>
<div class="share"><a href="#">Share on X</a> <a href="#">Share on Facebook</a> <a href="#">Copy link</a></div>
</article>
<section class="reader-appeal"><h3>A note to readers of The Meridian Ledger</h3><p>Dear reader,</p>
<p>The Meridian Ledger is funded by its readers, not by advertisers or owners with interests to protect. That lets us
send correspondents where the news is and keep every article free to read.</p>
<p>Reporting from the field is expensive, and this year our costs have risen sharply. A gift of any size, once or every
month, keeps our journalism open to everyone.</p><p>Thank you for reading and for supporting independent reporting.</p>
<a class="btn" href="{origin}/meridian/give">Give now</a></section>
<aside class="read-more"><h2>Read more</h2><ul>{_list(related, origin)}</ul></aside></main>
{_footer(outlet, origin, label, "site-footer")}"""
    meta = _meta(outlet, art.title, url, published=art.published.isoformat(), authors=art.authors,
                 section=art.theme.title()) + "\n" + _jsonld(outlet, art, url)
    return _page(outlet, origin, label, f"{art.title} - {outlet.name}", url, meta, body, "meridian")


def _harbor(outlet: Outlet, art: ArticleInfo, related: Links, origin: str, label: str) -> str:
    url = origin + art.path
    paras = _paras(art, "body-text")
    newsletter = f"""<aside class="newsletter-box"><h4>Sign up for The Harbor Briefing</h4><p>Our editors' pick of the
day's most important stories, in your inbox every weekday morning.</p><form action="{origin}/harbor/subscribe">
<input type="email" placeholder="Your email address"><button>Subscribe</button></form><p class="small">You can
unsubscribe at any time.</p></aside>"""
    if related and len(paras) >= 4:
        p, t = related[0]
        paras.insert(2, f'<p class="inline-link"><strong>Read more:</strong> <a href="{origin}{p}">{escape(t)}</a></p>')
    paras.insert(min(4, len(paras)), newsletter)
    figure = ""
    if art.caption:
        text, credit = split_caption(art.caption)
        figure = (f'<figure class="lead-media"><picture><img src="{origin}/harbor/media/{art.path.rsplit("-", 1)[-1]}.webp"'
                  f' alt=""></picture><figcaption><span class="caption">{escape(text)}</span> '
                  f'<small class="photographer">{escape(credit)}</small></figcaption></figure>')
    most = "".join(f'<li><a href="{origin}{p}">{escape(t)}</a></li>' for p, t in related[:5])
    body = f"""<div class="top-strip"><a href="{origin}/harbor/">Harbor Street Chronicle</a> <em>(fictional)</em></div>
<header class="hsc-header">{_mega_nav(origin, "harbor", "hsc-nav")}</header>
<div class="layout"><main id="content"><article class="hsc-article">
<h1 class="headline">{escape(art.title)}</h1>
<div class="meta-line"><span class="author">{escape(", ".join(art.authors))}</span> ·
<span class="date">{art.published:%b %d, %Y %I:%M %p} IST</span></div>
<div class="audio-player">Listen to this article · {2 + len(art.paragraphs) // 2} min</div>
{figure}
<div class="article-body" itemprop="articleBody">
{chr(10).join(paras)}
</div>
<div class="share-tools"><span>Share this story</span> <a href="#">X</a> <a href="#">LinkedIn</a> <a href="#">WhatsApp</a></div>
</article></main>
<aside class="sidebar"><h3>Most read</h3><ol>{most}</ol></aside></div>
{_footer(outlet, origin, label, "hsc-footer")}"""
    meta = _meta(outlet, art.title, url, published=art.published.isoformat(), authors=art.authors) + "\n" + \
        _jsonld(outlet, art, url)
    return _page(outlet, origin, label, f"{art.title} | {outlet.name}", url, meta, body, "harbor")


def _northgate(outlet: Outlet, art: ArticleInfo, related: Links, origin: str, label: str) -> str:
    url = origin + art.path
    figure = ""
    if art.caption:
        text, credit = split_caption(art.caption)
        figure = (f'<div class="photo"><img src="{origin}/northgate/pics/{art.path.rsplit("-", 1)[-1]}.jpg" alt="">'
                  f'<figcaption>{escape(text)} <i>{escape(credit)}</i></figcaption></div>')
    paras = _paras(art)
    paras.insert(2, figure)  # an inline photo between paragraphs, inside the text container
    body = f"""<div id="consent" class="consent-layer"><h2>Your privacy choices</h2><p>We and our 142 partners store and
access information on your device, such as cookies, to personalise content and ads and to measure performance.</p>
<button>I agree</button> <button>Show purposes</button></div>
<div class="paywall-counter">You have 3 free articles left this month. <a href="{origin}/northgate/subscribe">Subscribe for
full access from £1 a week</a></div>
<div class="nc-top"><a class="nc-logo" href="{origin}/northgate/">The Northgate Courier</a>
<span class="nc-tag">fictional</span>{_mega_nav(origin, "northgate", "nc-menu")}</div>
<div class="nc-wrap"><div class="nc-story">
<h1>{escape(art.title)}</h1>
<div class="nc-byline">By {escape(" and ".join(art.authors))} | {_long_date(art)}</div>
<section class="nc-text">
{chr(10).join(paras)}
</section>
</div>
<div class="nc-more"><h3>More from The Northgate Courier</h3><ul>{_list(related, origin)}</ul></div></div>
{_footer(outlet, origin, label, "nc-footer")}"""
    meta = _meta(outlet, art.title, url, authors=art.authors)  # no published_time: the date is in the URL only
    return _page(outlet, origin, label, f"{art.title} — {outlet.name}", url, meta, body, "northgate")


def _atlas_header(outlet: Outlet, origin: str) -> str:
    return (f'<header class="aw-head"><a class="aw-logo" href="{origin}/atlas/">Atlas Wire Service</a> '
            f'<small>(fictional)</small>{_mega_nav(origin, "atlas", "aw-nav")}</header>')


def _atlas(outlet: Outlet, art: ArticleInfo, related: Links, origin: str, label: str) -> str:
    url = origin + art.path
    figure = ""
    if art.caption:
        text, credit = split_caption(art.caption)
        figure = (f'<figure class="aw-photo"><img src="{origin}/atlas/photos/{art.path.split("/")[-1][:5]}.jpg" alt="">'
                  f'<figcaption>{escape(text)} {escape(credit)}</figcaption></figure>')
    picks = "".join(f'<li><a href="{origin}{p}">{escape(t)}</a></li>' for p, t in related[1:4])
    body = f"""{_atlas_header(outlet, origin)}
<div class="aw-main"><article class="aw-article">
<h1 class="aw-title">{escape(art.title)}</h1>
<p class="aw-meta">{escape(", ".join(art.authors))} — {art.published:%B %d, %Y %H:%M} (GMT-3)</p>
<div class="aw-body">
{figure}
{chr(10).join(_paras(art))}
</div>
<section class="aw-support"><h2>Support independent wire journalism</h2><p>Atlas Wire is free to read because readers
like you chip in. Join 12,000 supporters today.</p><a class="aw-btn" href="{origin}/atlas/support">Contribute</a></section>
<section class="aw-related"><h2>Related stories</h2><ul>{_list(related, origin)}</ul></section>
<div class="aw-comments">Comments (0) — Log in to join the conversation.</div>
</article><aside class="aw-rail"><h3>Editor's picks</h3><ul>{picks}</ul></aside></div>
{_footer(outlet, origin, label, "atlas-footer")}"""
    meta = _meta(outlet, art.title, url, published=art.published.isoformat(), authors=art.authors,
                 section=art.theme.title()) + "\n" + _jsonld(outlet, art, url)
    return _page(outlet, origin, label, f"{art.title} | {outlet.name}", url, meta, body, "atlas")
