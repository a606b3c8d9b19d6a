"""Rules for page furniture that site-level learning cannot see on a site's first page.

Each rule recognises one kind — photo captions and credits, share/social lines, paywall and subscription
prompts, newsletter boxes, cookie and embed-consent notices, donation appeals, "Read more"/related links,
comment-section lines, metadata lines, legal lines — in the languages of the extraction dev set's pages
(English, German, French, Spanish, Italian, Portuguese). Every rule is deliberately narrow: it only looks at
short paragraphs (furniture is short; body prose that merely mentions cookies or subscriptions is long), it
anchors on the shape of a line ("Photo: …", "Read more: …", "© Agency"), never on one site's markup or
wording, and it was checked on the dev set to remove furniture without removing a body snippet
(`benchmarks/extraction.py --rules` prints what each rule removed).

`furniture_kind()` names the rule that matches, so tests and the benchmark can say why a line went.
"""

from __future__ import annotations

import re

# Furniture is short: rules fire on paragraphs up to this many characters. The seed's longest appeal line
# is 260; the dev set's body paragraphs that mention subscriptions or cookies are longer.
SHORT = 320

_I = re.I | re.U


def _rx(*patterns: str, flags: int = _I) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


_AGENCY = (
    r"(?:AP|AFP|TASS|EPA|Reuters|Getty(?: Images)?|dpa|Sputnik|POOL|Kremlin\.ru|Shutterstock|iStock(?:photo)?|Imago"
    r"|picture[- ]alliance|Anadolu|Xinhua|ANSA|Keystone|Bloomberg|UPI|SIPA|ABACA|Wikimedia Commons|Unsplash"
    r"|Pixabay|Flickr|PA(?: Images)?|KEYSTONE|Bestimage)"
)
_LABEL = r"\s*[:：]\s*"

CAPTION = _rx(
    # "Photo: …", "Foto: …", "(Bild: …)", "Titelbild: …", "Crédits photos : …", "Image illustrative : …"
    r"^\(?(?:photos?|photographs?|images?|pictures?|pictured|fotos?|bilder?|bildquelle|credits?|illustrations?|videos?"
    r"|titelbild|beitragsbild|headerbild|symbolbild|aufmacherbild|vorschaubild|teaserbild|foto(?:grafie)?s? de"
    r"|crédits? photos?|crédit|photo credit|image credit|imagen|immagine|fotografía|quelle|source|fonte"
    r"|image illustrative|illustration)\s*(?:by\b|:|/|\u00a9|–|-)\s*\S",
    r"^\(?(?:©|\(c\)|copyright)\s*\S{2,}",
    rf"^[\w.'’ -]{{2,60}}\s*/\s*{_AGENCY}(?:\s*/\s*[\w.'’ -]{{2,40}})*\s*\)?$",
    rf"^{_AGENCY}(?:\s*/\s*[\w.'’ -]{{2,40}})+\s*$",
    r"\((?:photos?|fotos?|bild|image)s?\s*(?::|by|/)[^)]{2,80}\)\s*$",
    r"©\s*[\w.'’ -]{2,40}(?:\s*/\s*[\w.'’ -]{2,40}){1,3}\s*$",  # "… Schweiz. © AFP / MARCO BERTORELLO"
    r"^(?:enlarge|expand|view|open) (?:this )?(?:image|photo|gallery)$",
    r"^(?:bildergalerie|galerie|gallery|slideshow|fotostrecke)\s*[:(]",
)
# A sentence followed by a credit: "... Mahmoud Abbas. Alexei Maishev / POOL / TASS" (case matters here).
_TRAILING_CREDIT = re.compile(
    rf"[.!?]\s+[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,4}}"
    rf"(?:\s*/\s*(?:{_AGENCY}|[A-Z][A-Z.]+|[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,3}})){{1,4}}\s*$"
)
_SOCIAL = r"(?:facebook|twitter|x|instagram|whatsapp|telegram|linkedin|pinterest|reddit|tiktok|youtube|threads|bluesky|mastodon)"
SHARE = _rx(
    r"^(?:share|teilen|partager|compartir|condividi|compartilhe)(?:\s+(?:this|on|via|article|story|page|artikel|auf|per|sur|en|su))?\b[^.!?]{0,60}$",
    r"^(?:(?:facebook|twitter|x|whatsapp|telegram|linkedin|pinterest|reddit|e-?mail|email|print|drucken|copy link"
    r"|link kopieren|messenger|xing|flipboard|tumblr|vk|threads|bluesky)[\s,|·•/]*){2,}$",
    r"^(?:tweet|pin it|email|e-mail|print|drucken|copy link|link kopieren)$",
    rf"^(?:follow|folgen sie|folge|suivez|síguenos|seguici|siga)\b.{{0,60}}\b(?:on|auf|sur|en|su|no|us|uns|nous)\b.{{0,30}}{_SOCIAL}",
    r"^(?:folgen sie uns|folge uns|follow us|suivez-nous|síguenos|seguici)\b",
    r"\bdownload (?:the|our) [\w .'’-]{0,40}\bapps?\b",
)
PAYWALL = _rx(
    r"\b(?:subscribe|subscription|subscriber)s?\b.{0,80}\b(?:read|access|continue|unlock|full|unlimited)\b",
    r"\b(?:to (?:continue|keep) reading|(?:read|view) the full (?:story|article)|for the full (?:story|article)"
    r"|already (?:a )?(?:subscriber|member|registered|have an account)|(?:sign|log) ?in (?:to (?:read|continue)|for (?:immediate )?access)"
    r"|create (?:a free|an) account to|become a (?:member|subscriber))\b",
    r"\b(?:jetzt|gleich) (?:abonnieren|weiterlesen|testen|registrieren)\b|\bsie sind (?:bereits abonnent|(?:aktuell |derzeit )?nicht (?:eingeloggt|angemeldet))\b"
    r"|\bum (?:diesen|den) (?:artikel|beitrag) (?:vollständig )?(?:zu )?lesen\b|\bplus-artikel\b",
    r"^pour (?:lire la suite|accéder|continuer)\b|\babonnez-vous\b|\bdéjà abonné\b",
    r"\bsuscr[ií]bete\b|\bhazte (?:miembro|socio)\b|\bya eres (?:suscriptor|socio)\b|\bcancela cuando quieras\b",
    r"\babbonati\b|\bgià abbonato\b|\bassine (?:já|agora)\b|\bjá é assinante\b",
    r"^(?:subscribe|sign up|register|abonnieren|anmelden|registrieren)(?: (?:now|today|here|for free|jetzt))?[.!]?$",
)
NEWSLETTER = _rx(
    r"^(?=.{0,140}$).*\bnewsletter\b",  # a short line about a newsletter is a sign-up box, a long one may be news
    r"\b(?:in|into|to) (?:your|deinen|ihren) (?:inbox|posteingang|e-?mail-postfach)\b|\bin dein(?:en)? postfach\b",
    r"\bsign up (?:to|for) (?:get|receive|our)\b|\bmelde dich (?:jetzt )?an\b",
)
COOKIE = _rx(
    r"\b(?:we|this (?:web)?site|our (?:web)?site|diese (?:web)?seite|wir)\b.{0,60}\b(?:uses?|verwende[nt]|nutz(?:t|en))\b.{0,40}\bcookies?\b",
    r"\bcookies?\b.{0,80}\b(?:accept|consent|policy|settings|preferences|zustimm|akzeptier|einstellungen|richtlinie)",
    r"^(?:accept|reject|allow|manage) (?:all )?cookies$|^(?:alle )?cookies (?:akzeptieren|ablehnen)$",
    # embed placeholders: "Klicken Sie auf den Button, um den Inhalt von www.x.de zu laden", "load external content"
    r"\b(?:inhalte? (?:von|aus) \S+ (?:zu )?laden|externe[rn]? inhalte?|external content|load (?:the )?(?:content|external)"
    r"|mit (?:diesem|dem) button kannst du|klicken sie auf den (?:unteren )?button)\b",
)
DONATION = _rx(
    r"\b(?:support (?:us|our (?:work|journalism|reporting|newsroom)|independent journalism)|donate (?:now|today|here|to us)"
    r"|make a (?:donation|contribution)|become a (?:member|supporter|patron)|consider supporting"
    r"|unterstützen sie (?:uns|unsere arbeit)|unterstütze (?:uns|unsere arbeit)|jetzt spenden|spenden sie)\b",
    r"^donate\b|^spenden\b|^unterstütze\b|^(?:contribute|give now|support us|become a supporter)[.!]?$",
    r"^support (?:independent|our|local|quality)\b[\w -]{0,30}\b(?:journalism|reporting|news(?:room)?)\b",
    r"\breaders like you\b|\bchip in\b|\bfunded by (?:its|our) readers\b",
    r"\b(?:your support|your contribution|every contribution)\b.{0,80}\b(?:help|matters|makes|keep|journalism|independent|gap)\b",
    r"\bwe need your help\b|\b(?:please|if you can,?) support\b|\bthank you for (?:standing with|supporting) us\b"
    r"|\bnot ready to support\b|\bremind me later\b",
    r"^a (?:message|note) from (?:the )?[\w .'’-]{2,50}:?$",
    r"\b(?:ad-free|disabled all ads|ad blocker|adblock(?:er)?)\b",
    r"\bjournalism is (?:banned|blocked|under attack)\b",
)
READMORE = _rx(
    r"^(?:read|see|watch|listen) (?:more|also|next)\b[^.!?]{0,120}$",
    r"^(?:read more|read also|see also|also read|related|lesen sie (?:auch|hier|mehr)|auch lesen|mehr lesen|siehe auch"
    r"|le puede interesar|lee también|lea también|leer más|lire aussi|à lire aussi|voir aussi|leggi anche|vedi anche"
    r"|leia (?:também|mais)|veja também)\b\s*[:：]",
    r"^(?:related|more from|more on|more about|more stories|recommended|also read|you may (?:also )?like|most (?:read|popular|viewed)"
    r"|trending|top stories|latest (?:news|stories)|related (?:posts|articles|stories|recipes|content))\b[^.!?]{0,80}$",
    r"^(?:mehr zum thema|mehr (?:dazu|zu|aus|von)\b|lesen sie (?:auch|mehr)|auch interessant|weitere (?:artikel|beiträge|themen|aktuelle)"
    r"|das (?:thema )?könnte (?:dich|sie) (?:auch )?interessieren|verwandte artikel|ähnliche (?:artikel|beiträge)|empfohlene (?:artikel|beiträge)"
    r"|vorschau auf den nächsten artikel|beiträge aus dem forum|auch auf \S+)[^.!?]{0,80}$",
    r"^(?:contenido relacionado|noticias relacionadas|articles? (?:liés|similaires)|articoli correlati|notícias relacionadas)\b[^.!?]{0,60}$",
    r"^(?:related coverage|related article|related story|related)\s*:",
    r"^(?:read more|more)\s*(?:»|›|>|→)?$",
)
COMMENTS = _rx(
    r"^(?:keine kommentare|no comments|\d+ (?:comments?|kommentare?)|kommentare?(?: \(\d+\))?|comments?(?: \(\d+\))?|leave a (?:reply|comment)"
    r"|schreibe einen kommentar|hinterlasse (?:einen kommentar|eine antwort)|kommentar schreiben|comments are closed|kommentare insgesamt)\b[^.!?]{0,60}",
    r"\b(?:du musst|sie müssen|you must be) (?:eingeloggt|angemeldet|logged in)\b",
)
METADATA = _rx(
    r"^(?:letzte (?:änderung|aktualisierung)|last (?:modified|updated)|zuletzt (?:aktualisiert|geändert)|aktualisiert am"
    r"|filed under|news date|lesezeit|reading time)\b\s*[:：]?.{0,80}$",
    r"^(?:stand|categor(?:y|ies)|kategorien?|rubrik|tags?|schlagwörter|stichwörter)\s*[:：].{0,80}$",
    r"^\*?(?:werbung|anzeige)\s*[.:]",
    r"^(?:tel(?:efon)?|fax|phone|e-?mail)\s*[.:]\s*[+\d(]",
    r"^\*?(?:werbung|anzeige|advertisement|sponsored|publicidad|pubblicità)\b[^.!?]{0,80}[.!]?$",
    r"\baffiliate[- ]links?\b",
    r"^(?:video|audio|sendung)?\s*(?:verfügbar|available) (?:bis|until)\b",
)
LEGAL = _rx(
    r"^(?:©|\(c\)|copyright)\s*(?:\d{4})?.{0,120}\b(?:all rights reserved|alle rechte vorbehalten|tous droits réservés)",
    r"\ball rights reserved\b|\balle rechte vorbehalten\b|\btous droits réservés\b|\btodos los derechos reservados\b",
    r"\bcopyrighted property\b|\bwritten permission\b|\b(?:may not|must not) be (?:published|reproduced|redistributed|rewritten)\b",
    r"^our standards\s*:",
    r"^(?:privacy policy|terms (?:of (?:use|service)|and conditions)|impressum|datenschutz(?:erklärung)?|about us|contact us"
    r"|kontakt|agb|cookie policy|sitemap)(?:\s*[|·•/,]\s*\w[\w ]{1,30})*$",
)
RULES = (
    ("legal", LEGAL),
    ("caption", CAPTION),
    ("share", SHARE),
    ("paywall", PAYWALL),
    ("newsletter", NEWSLETTER),
    ("cookie", COOKIE),
    ("donation", DONATION),
    ("readmore", READMORE),
    ("comments", COMMENTS),
    ("metadata", METADATA),
)

# Lines after which, in pasted page text, the article is over ("Read more", an appeal's heading, comments).
END_MARKER = _rx(
    r"^(?:read more|related(?: (?:articles|stories|coverage|content))?|more (?:from|on|stories)[\w .'’-]{0,40}|recommended(?: for you)?"
    r"|you may also like|most read|comments?|\d+ comments?|leave a (?:reply|comment)|kommentare|weitere artikel|mehr zum thema"
    r"|lesen sie auch|tags?|schlagwörter|share this(?: article)?)\s*:?$",
    r"^a (?:message|note) from (?:the )?[\w .'’-]{2,50}:?$",
    r"^dear (?:readers?|friends?),?$|^liebe leserinnen und leser,?$",
)


def furniture_kind(text: str) -> str | None:
    """The name of the furniture rule a paragraph matches, or None for (possible) body text."""
    t = " ".join(text.split())
    if not t:
        return "empty"
    if len(t) > SHORT:
        return None
    for name, rx in RULES:
        if rx.search(t):
            return name
    if _TRAILING_CREDIT.search(t):
        return "caption"
    return None


def is_related_heading(text: str) -> bool:
    """A heading that introduces a list of links to other stories ("Read more:", "Lesen Sie auch:")."""
    t = " ".join(text.split())
    return len(t) <= 80 and bool(READMORE.search(t)) and not re.search(r"[.!?]$", t)
