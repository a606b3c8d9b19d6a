"""Paragraph-level cleaning rules: page furniture that site-level learning cannot see on a site's first page.

Each rule recognises one kind of furniture — photo captions and credits, share/social lines, paywall and
subscription prompts, cookie notices, donation appeals, "Read more"/related lists, legal lines — and is
deliberately narrow: it looks at short paragraphs only (furniture is short; body prose that merely mentions
cookies or subscriptions is long) and at the shape of the line, not at a site's markup.
`furniture_kind()` names the rule that matches, so tests and the benchmark can say why a line went.

`clean_text()` applies the same rules to pasted page text (a browser's select-all copy), where there is no
markup at all: it finds the body as the longest run of prose and cuts the furniture around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Furniture is short: a rule only fires on paragraphs up to this many characters (the seed's longest
# appeal line is 260; body paragraphs of the extraction dev set that mention "subscribe" are longer).
SHORT = 320

_I = re.I | re.U


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _I)


# "Name Surname / POOL / TASS", "Photo: AFP", "(Foto: dpa)", "Getty Images", "© Reuters"
_AGENCY = r"(?:AP|AFP|TASS|EPA|Reuters|Getty(?: Images)?|dpa|Sputnik|POOL|Kremlin\.ru|Shutterstock|iStock(?:photo)?|Imago|picture[- ]alliance|Anadolu|Xinhua|ANSA|Keystone|Bloomberg|UPI|SIPA|Wikimedia Commons|Unsplash|Pixabay|Flickr|PA(?: Images)?)"
_CREDIT_TAIL = re.compile(
    r"(?:^|[.!?)]\s+)(?:\(?(?:photo|photograph|image|picture|foto|bild|credit|quelle|source|©)\b[^\n]{0,80}$"
    r"|[\w.'’ -]{2,60}(?:\s*/\s*[\w.'’& -]{2,40}){1,4}\s*$)",
    _I,
)
CAPTION = _rx(
    r"^\(?(?:photo|photograph|image|picture|pictured|foto|bild|bildquelle|credit|illustration|video)s?\s*(?:by|:|/|\u00a9|–|-)\s*\S",
    r"^\(?(?:©|\(c\)|copyright)\s*\S{2,}",
    rf"^[\w.'’ -]{{2,60}}\s*/\s*{_AGENCY}(?:\s*/\s*[\w.'’ -]{{2,40}})*\s*\)?$",
    rf"^{_AGENCY}(?:\s*/\s*[\w.'’ -]{{2,40}})+\s*$",
    r"\((?:photo|foto|bild|image)s?\s*(?::|by|/)[^)]{2,80}\)\s*$",
    r"^(?:enlarge|expand|view|open) (?:this )?(?:image|photo|gallery)$",
    r"^(?:bildergalerie|galerie|gallery|slideshow)\s*[:(]",
)
# A sentence followed by a credit: "... Mahmoud Abbas. Alexei Maishev / POOL / TASS" (case matters here).
_TRAILING_CREDIT = re.compile(
    rf"[.!?]\s+[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,4}}(?:\s*/\s*(?:{_AGENCY}|[A-Z][A-Z.]{{1,}}|[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,3}})){{1,4}}\s*$"
)
SHARE = _rx(
    r"^(?:share|teilen|partager|compartir|condividi)(?:\s+(?:this|on|via|article|story|page|artikel|auf|per|sur))?\b[^.!?]{0,60}$",
    r"^(?:(?:facebook|twitter|x|whatsapp|telegram|linkedin|pinterest|reddit|e-?mail|email|print|drucken|copy link|link kopieren|messenger|xing|flipboard|tumblr|vk|threads|bluesky)[\s,|·•/]*){2,}$",
    r"^(?:tweet|pin it|email|e-mail|print|drucken|copy link|link kopieren)$",
    r"^follow (?:us|@\w+) on\b",
    r"^(?:folgen sie uns|folge uns)\b",
)
PAYWALL = _rx(
    r"\b(?:subscribe|subscription|subscriber)s?\b.{0,80}\b(?:read|access|continue|unlock|full|unlimited)\b",
    r"\b(?:to (?:continue|keep) reading|read the full (?:story|article)|already (?:a )?(?:subscriber|registered|have an account)|sign in to (?:read|continue)|log ?in to (?:read|continue)|create (?:a free|an) account to)\b",
    r"\b(?:jetzt|gleich) (?:abonnieren|weiterlesen|testen)\b|\bsie sind bereits abonnent\b|\bum (?:diesen|den) (?:artikel|beitrag) (?:vollständig )?(?:zu )?lesen\b",
    r"^(?:subscribe|sign up|register|abonnieren|anmelden|registrieren)(?: (?:now|today|here|for free|jetzt))?[.!]?$",
    r"\bnewsletter\b.{0,80}\b(?:sign up|subscribe|inbox|abonnieren|anmelden|e-?mail address)\b",
    r"\b(?:sign up|subscribe|abonnieren|anmelden)\b.{0,60}\bnewsletter\b",
)
COOKIE = _rx(
    r"\b(?:we|this (?:web)?site|our (?:web)?site|diese (?:web)?seite|wir)\b.{0,60}\b(?:uses?|verwende[nt]|nutz(?:t|en))\b.{0,40}\bcookies?\b",
    r"\bcookies?\b.{0,80}\b(?:accept|consent|policy|settings|preferences|zustimm|akzeptier|einstellungen|richtlinie)",
    r"^(?:accept|reject|allow|manage) (?:all )?cookies$|^(?:alle )?cookies (?:akzeptieren|ablehnen)$",
)
DONATION = _rx(
    r"\b(?:support (?:us|our (?:work|journalism|reporting|newsroom))|donate|make a (?:donation|contribution)|become a (?:member|supporter|patron)|unterstützen sie (?:uns|unsere arbeit)|jetzt spenden|spenden sie)\b",
    r"\b(?:your support|your contribution|contribute|every contribution)\b.{0,80}\b(?:help|matters|makes|keep|journalism|independent|gap)\b",
    r"\bwe need your help\b|\b(?:please|if you can,?) support\b|\bthank you for (?:standing with|supporting) us\b|\bnot ready to support\b|\bremind me later\b",
    r"^a (?:message|note) from (?:the )?[\w .'’-]{2,50}:?$",
    r"\b(?:ad-free|disabled all ads|ad blocker|adblock(?:er)?)\b",
    r"\bjournalism is (?:banned|blocked|under attack)\b",
)
READMORE = _rx(
    r"^(?:read|see|watch|listen) (?:more|also|next)\b[^.!?]{0,120}$",
    r"^(?:related|more from|more on|more about|more stories|recommended|also read|you may (?:also )?like|most (?:read|popular|viewed)|trending|top stories|latest (?:news|stories))\b[^.!?]{0,80}$",
    r"^(?:mehr zum thema|mehr (?:dazu|zu|aus|von)\b|lesen sie (?:auch|mehr)|auch interessant|weitere artikel|das könnte sie auch interessieren|verwandte artikel|ähnliche (?:artikel|beiträge))[^.!?]{0,80}$",
    r"^(?:related coverage|related article|related story|related)\s*:",
    r"^(?:read more|more)\s*(?:»|›|>|→)?$",
)
LEGAL = _rx(
    r"^(?:©|\(c\)|copyright)\s*(?:\d{4})?.{0,120}\b(?:all rights reserved|alle rechte vorbehalten|tous droits réservés)",
    r"\ball rights reserved\b|\balle rechte vorbehalten\b",
    r"^(?:privacy policy|terms (?:of (?:use|service)|and conditions)|impressum|datenschutz(?:erklärung)?|about us|contact us|kontakt|agb|cookie policy|sitemap)(?:\s*[|·•/,]\s*\w[\w ]{1,30})*$",
)
_RULES = (
    ("caption", CAPTION),
    ("share", SHARE),
    ("paywall", PAYWALL),
    ("cookie", COOKIE),
    ("donation", DONATION),
    ("readmore", READMORE),
    ("legal", LEGAL),
)

# Lines after which, in pasted page text, the article is over ("Read more", an appeal's heading, comments).
END_MARKER = _rx(
    r"^(?:read more|related(?: (?:articles|stories|coverage|content))?|more (?:from|on|stories)[\w .'’-]{0,40}|recommended(?: for you)?|you may also like|most read|comments?|\d+ comments?|leave a (?:reply|comment)|kommentare|weitere artikel|mehr zum thema|lesen sie auch|tags?|schlagwörter|share this(?: article)?)\s*:?$",
    r"^a (?:message|note) from (?:the )?[\w .'’-]{2,50}:?$",
    r"^dear (?:readers?|friends?),?$|^liebe leserinnen und leser,?$",
)


def furniture_kind(text: str) -> str | None:
    """The name of the furniture rule a paragraph matches, or None for (possible) body text."""
    t = text.strip()
    if not t:
        return "empty"
    if len(t) > SHORT:
        return None
    for name, rx in _RULES:
        if rx.search(t):
            return name
    if _TRAILING_CREDIT.search(t):
        return "caption"
    return None


def clean_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Drop paragraphs that are furniture; keep the rest in order."""
    return [p for p in (" ".join(x.split()) for x in paragraphs) if p and furniture_kind(p) is None]


# --- pasted page text --------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…:;»«\"“”’')\]]\s*$")


def _prose_score(line: str) -> float:
    """How much a line looks like body prose: positive for sentences, negative for labels and titles."""
    words = len(line.split())
    if furniture_kind(line):
        return -3.0
    if words >= 12 and _SENTENCE_END.search(line):
        return 1.0 + min(words, 60) / 30
    if words >= 8 and _SENTENCE_END.search(line):
        return 0.5
    return -1.0


def clean_text(text: str) -> str:
    """Clean pasted page text (boilerplate and all) to its article body: paragraphs joined by a blank line.

    The body is the highest-scoring run of lines (each line scored by `_prose_score`, a maximum-sum
    subarray), stopped early at an end marker such as "Read more" or an appeal's heading; the furniture
    rules then drop what remains inside it.
    """
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    best, best_span, run, start = 0.0, (0, 0), 0.0, 0
    for i, line in enumerate(lines):
        if run > 0 and best_span[1] == i and END_MARKER.search(line):
            break  # the run that holds the body so far ends at "Read more", an appeal's heading ...
        score = _prose_score(line)
        run, start = (score, i) if run <= 0 else (run + score, start)
        if run > best:
            best, best_span = run, (start, i + 1)
    body = lines[best_span[0]:best_span[1]]
    return "\n\n".join(clean_paragraphs(body))
