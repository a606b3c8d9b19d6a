"""The matcher: finds watchlist people and topics in a title and a body, with the evidence for each mention.

One Aho-Corasick pass per field finds every alias, short form, exclusion and topic phrase at once (pyahocorasick).
The text is read in NFC (ingest/mentions/compose.py: an accent written apart is the accented letter; spans are
recorded on the text as written), then folded (ingest/mentions/fold.py: case, diacritics, punctuation → space,
same length), and every pattern is stored with a space on each side, so a hit is a whole word by construction:
"Putin's", "pro-Putin", "Putin-Xi" match, "Rasputin" does not. Then, in order:

1. People: overlapping hits are resolved leftmost-longest, so "Trump Tower" (an exclusion) beats "Trump" and
   "Abbas Araghchi" (another person) beats the short form "Abbas". An alias counts (rule ``alias``), except an
   acronym ("AOC") where the article does not show the person, and a name before an institution word ("the Bill
   Gates Foundation", rule ``named-after`` if the watchlist counts those); aliases.py.
2. Fuzzy: a capitalised word of 7+ letters that is one slip away from a single-word alias counts (rule ``fuzzy``)
   where the text shows a name stands there (first name, title or "said" around it, or the person named exactly
   elsewhere in the article); "Ismail Haniiyeh" is recorded whole when the first name is there.
3. Short forms (a bare "Abbas") count only when the article licenses them: the nearest earlier full name among this
   person and the people who share the short form is this person's (rule ``surname-after-full-name``; a headline is
   read as coming after the body's first full name), or a cue word of the person stands in the same sentence
   (rule ``context``). Otherwise the hit is dropped.
4. Topics: a topic's ``any`` phrases are its mentions (rule ``topic``) if each ``all`` group and no ``not`` phrase
   occurs somewhere in the article; an ``exclude`` phrase ("sin embargo") hides the phrases inside it. Each topic
   resolves its own overlaps, so two topics may share a phrase ("ceasefire").

Case: a one-word form must start with a capital in the text ("Trump said", not "a trump card"), and a one-word form of
three letters or fewer must match exactly as written ("Xi", not the numeral "XI"). Multi-word forms and topics are
case-blind.

Pickling: a Matcher pickles as its watchlist and rebuilds its automaton when unpickled (a few milliseconds for the
default watchlist), so it can be sent to worker processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import ahocorasick

from ingest.mentions.aliases import check_aliases, is_acronym
from ingest.mentions.compose import compose
from ingest.mentions.context import Anchor, in_address
from ingest.mentions.derive import derive, name_data
from ingest.mentions.fold import (
    ARABIC_PROCLITICS,
    SPACE,
    fold_form,
    fold_text,
    is_arabic,
    is_unspaced,
    starts_upper,
)
from ingest.mentions.fuzzy import MIN_LENGTH, SHORT_MIN_LENGTH, SlipIndex, find_slips
from ingest.mentions.shortforms import ALIAS, BLOCK, license_shorts
from ingest.mentions.surnames import Candidate, Surnames
from ingest.mentions.topics import topic_conditions, topic_mentions
from ingest.mentions.watchlist import Watchlist
from ingest.records import Mention

# Why a mention counted, in a sentence the dashboard can show next to the highlight (same wording as docs/watchlist.md).
RULE_HELP = {
    "alias": "an alias, the name, or a titled form, matched exactly (case and accents aside)",
    "middle-name": "the full name with a middle name or initial inside (Donald J. Trump)",
    "title-surname": "the family name after a title (President Trump, Frau Merkel)",
    "surname-after-full": "the family name, in an article that names the person in full",
    "surname-distinctive": "the family name alone, unambiguous: no one else's and no everyday word",
    "transliteration": "another script or spelling of the name (Путина, Lawrow, Netanyahou)",
    "fuzzy": "a one-letter slip of the name, where the text shows a name stands there",
    "context": "a short form, licensed by a cue word in the same sentence",
    "named-after": "the family name in an institution named after the person (the Biden administration)",
    "topic": "a topic phrase, in an article that meets the topic's all/not conditions",
}
# Rule values of stores written before the derived forms; `newsmon mentions recount` rewrites them.
OLD_RULES = {"surname-after-full-name": "surname-after-full"}

# Kinds of form; ALIAS (0) and BLOCK (2) come from shortforms.py, which reads them too.
SHORT, TOPIC, TOPIC_BLOCK, FAMILY, INSTITUTION = 1, 3, 4, 5, 6
_TOPICAL = (TOPIC, TOPIC_BLOCK)
_CASELESS = (TOPIC, TOPIC_BLOCK, INSTITUTION)
_PRIORITY = {ALIAS: 0, BLOCK: 1, SHORT: 2, FAMILY: 2, TOPIC_BLOCK: 0, TOPIC: 1}
_SUFFIX = re.compile(r",? (?:Jr|Sr|Junior|Senior)\b")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class _Form:
    kind: int
    owner: int  # index into people or topics
    trim: int  # leading characters of the hit that are not part of the name (an Arabic proclitic)
    case: str  # "" | "cap" (must start with a capital) | original form (must match exactly)
    tag: str = ""  # a family-name form: "surname" or "transliteration" (a spelling variant)


@dataclass(slots=True)
class _Hit:
    field: int  # 0 title, 1 body
    start: int
    end: int
    form: _Form | None
    rule: str = "alias"
    owner: int = -1


class Matcher:
    """Finds the mentions of a watchlist's people and topics; build once, call `find` per article."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self._automaton = ahocorasick.Automaton()
        self._slips = SlipIndex()
        self._known_words: set[str] = set()
        self._first_names: dict[tuple[int, str], list[str]] = {}
        self._cues: list[tuple[str, ...]] = []
        self._exact_cues: list[re.Pattern | None] = []
        self._title_words: list[frozenset[str]] = []
        self._rivals: dict[tuple[int, str], set[int]] = {}
        self._build()

    def __reduce__(self):
        return (Matcher, (self.watchlist,))

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        patterns: dict[str, list[_Form]] = {}

        def add(form: str, kind: int, owner: int, tag: str = "") -> None:
            key = fold_form(form)
            words = key.split()
            if kind != INSTITUTION:
                self._known_words.update(words)
            case = ""
            if kind not in _CASELESS and len(words) == 1 and not is_unspaced(form):
                case = form.strip() if len(key) <= 3 else "cap"
            if kind == ALIAS and is_acronym(form):
                case, tag = form.strip(), "acronym"  # "AOC" as written, never "Aoc"
            variants = [(key, 0)]
            if is_arabic(form) and kind not in _CASELESS:
                variants += [(p + key, len(p)) for p in ARABIC_PROCLITICS]
            for k, trim in variants:
                padded = k if is_unspaced(form) else f"{SPACE}{k}{SPACE}"
                patterns.setdefault(padded, []).append(_Form(kind, owner, trim, case, tag))

        people = self.watchlist.people
        short_owners: dict[str, set[int]] = {}
        self._derived = [derive(p) for p in people]
        self._surnames = Surnames(self._derived, self.watchlist.named_after)
        for i, p in enumerate(people):
            for a in p.aliases:
                key = fold_form(a)
                add(a, ALIAS, i)
                if p.fuzzy and SPACE not in key and len(key) >= MIN_LENGTH:
                    self._slips.add(key, i)
            taken = {fold_form(x) for x in (*p.aliases, *p.short)}
            d = self._derived[i]
            bases = {fold_form(f) for f in d.family}
            for form, tag in d.family_forms.items():
                if form in taken:
                    continue
                # A family name of three letters or fewer must stand as written ("Xi", "Kim"), like an alias.
                add(form if len(form) > 3 else form.capitalize(), FAMILY, i, tag)
                if p.fuzzy and form in bases and SPACE not in form and len(form) >= SHORT_MIN_LENGTH:
                    self._slips.add(form, i)
                    self._first_names.setdefault((i, form), []).extend(sorted(d.given_forms))
            self._known_words.update(d.given_forms)
            for s in p.short:
                add(s, SHORT, i)
                short_owners.setdefault(fold_form(s), set()).add(i)
                for t in p.titles:
                    add(f"{t} {s}", ALIAS, i)
            for x in p.exclude:
                add(x, BLOCK, i)
            # A cue of three letters or fewer ("US", "EU", "IDF") must match as written: "us" is a pronoun.
            exact = [c for c in p.cues if len(fold_form(c)) <= 3]
            self._cues.append(tuple(f"{SPACE}{fold_form(c)}{SPACE}" for c in p.cues if c not in exact))
            alternation = "|".join(re.escape(c) for c in exact)
            self._exact_cues.append(re.compile(rf"(?<!\w)(?:{alternation})(?!\w)") if exact else None)
            self._known_words.update(w for c in p.cues for w in fold_form(c).split())
            self._title_words.append(frozenset(fold_form(t).split()[-1] for t in p.titles))
        for i, p in enumerate(people):
            for a in p.aliases:  # "Ismail" before a fuzzy "Haniiyeh" belongs to the mention
                words = fold_form(a).split()
                if len(words) > 1:
                    self._first_names.setdefault((i, words[-1]), []).append(SPACE.join(words[:-1]))
        # Rivals of a short form: other people who are also called by it, or whose full name contains it.
        for s, owners in short_owners.items():
            for i in owners:
                rivals = {j for j in owners if j != i}
                for j, q in enumerate(people):
                    if j != i and any(s in fold_form(a).split() for a in q.aliases):
                        rivals.add(j)
                self._rivals[(i, s)] = rivals
        for i, t in enumerate(self.watchlist.topics):
            for phrase in t.any_of:
                add(phrase, TOPIC, i)
            for phrase in t.exclude:
                add(phrase, TOPIC_BLOCK, i)
        self._conditions = topic_conditions(self.watchlist.topics)
        # Title words that may stand before an acronym alias ("Rep. AOC"): the person's and every known title.
        every_title = frozenset(t.split()[-1] for t in name_data()["all_titles"])
        self._titles_of = [t | every_title for t in self._title_words]
        self._acronyms = any(f.tag == "acronym" for forms in patterns.values() for f in forms)
        # Institution words ("foundation", "administration"): the scan notes whether a field has any, so that only
        # then is each alias checked for one after it (aliases.py).
        for word in name_data()["named_after"]:
            add(word, INSTITUTION, -1)
        for key, forms in patterns.items():
            institution = any(f.kind == INSTITUTION for f in forms)
            forms = [f for f in forms if f.kind != INSTITUTION]
            family_only = bool(forms) and all(f.kind == FAMILY for f in forms)
            self._automaton.add_word(key, (len(key), SPACE in key[:1], tuple(forms), family_only, institution))
        self._automaton.make_automaton()

    # ---------------------------------------------------------------- matching

    def find(self, title: str, body: str, language: str | None = None) -> list[Mention]:
        """All mentions in an article's title and body, title first, each in text order.

        `language` (ISO 639-1, as extraction detects it) decides whether a bare family name is an everyday word
        there; without it the most frequent of English, German, French and Spanish is assumed.
        """
        written = (title or "", body or "")
        composed = (compose(written[0]), compose(written[1]))
        if composed[0].starts is None and composed[1].starts is None:
            return self._find(written, language)
        # a text in NFD ("Erdog\u0306an", Hangul as jamo): matched in NFC, recorded on the text as written
        out = []
        for m in self._find((composed[0].text, composed[1].text), language):
            c, w = composed[m.field == "body"], written[m.field == "body"]
            start, end = c.original(m.start, m.end)
            out.append(replace(m, start=start, end=end, matched=w[start:end]))
        return out

    def _find(self, texts: tuple[str, str], language: str | None) -> list[Mention]:
        """`find` on texts in NFC."""
        folded = (fold_text(texts[0]), fold_text(texts[1]))
        people: list[_Hit] = []
        shorts: list[_Hit] = []
        topics: list[_Hit] = []
        institutions = [False, False]  # per field: any institution word?
        for f in (0, 1):
            p, s, t, institutions[f] = self._scan(f, texts[f], folded[f])
            people += p
            shorts += s
            topics += t
        families: list[_Hit] = []
        if shorts:
            families = [h for h in shorts if h.form.kind == FAMILY]
            shorts = [h for h in shorts if h.form.kind == SHORT]
        counted = self._families(texts, people, families, language)
        taken = people + shorts + families + counted if shorts or families or counted else people
        people += self._fuzzy(texts, folded, taken, language)
        people.sort(key=lambda h: (h.field, h.start))
        found = [h for h in people if h.form is None or h.form.kind == ALIAS]
        if counted:  # "Lula da Silva" found through its family name contains the alias "Lula": keep the longer
            found = [h for h in found if not any(c.field == h.field and c.start <= h.start and h.end <= c.end
                                                  and c is not h for c in counted)]
        found += counted
        if institutions[0] or institutions[1] or (
            self._acronyms and any(h.form is not None and h.form.tag == "acronym" for h in found)
        ):
            found = check_aliases(texts, folded, found, institutions, self.watchlist.named_after, self._titles_of)
        found += license_shorts(texts, folded, people, shorts, self._rivals, self._cues, self._exact_cues)
        found += topic_mentions(folded, topics, self._conditions)
        found.sort(key=lambda h: (h.field, h.start, h.end))
        names = ("title", "body")
        out = []
        for h in found:
            kind = "topic" if h.form is not None and h.form.kind == TOPIC else "person"
            entity = (self.watchlist.topics if kind == "topic" else self.watchlist.people)[h.owner].id
            out.append(
                Mention(entity, kind, names[h.field], h.start, h.end, texts[h.field][h.start : h.end], h.rule)
            )
        return out

    def _scan(self, field: int, text: str, folded: str) -> tuple[list[_Hit], list[_Hit], list[_Hit], bool]:
        """People hits (aliases and exclusions), short-form hits and topic hits of one field, overlaps resolved;
        and whether the field has an institution word."""
        if not folded.strip():
            return [], [], [], False
        raw: list[tuple[int, int, int, _Form]] = []  # start, -length, priority, form
        prev_last, prev_length = -1, 0
        institution = False
        for last, (length, spaced, forms, family_only, inst) in self._automaton.iter(f"{SPACE}{folded}{SPACE}"):
            if inst:
                institution = True
                if not forms:
                    continue
            if last == prev_last and length < prev_length and family_only:
                continue  # the family name inside a full name just found ("Trump" in "Donald Trump"): it loses anyway
            prev_last, prev_length = last, length
            first = last - length + 1
            start, end = (first, last - 1) if spaced else (first - 1, last)
            for form in forms:
                s = start + form.trim
                if form.case and not _case_ok(text, s, end, form.case):
                    continue
                raw.append((s, -(end - s), _PRIORITY[form.kind], form))
        raw.sort(key=lambda r: (r[0], r[1], r[2]))
        people: list[_Hit] = []
        shorts: list[_Hit] = []
        topics: list[_Hit] = []
        person_end = 0
        topic_end: dict[int, int] = {}  # per topic: two topics may share a phrase ("ceasefire")
        last_short: _Hit | None = None
        for start, neg, _, form in raw:
            end = start - neg
            if form.kind in _TOPICAL:
                if start >= topic_end.get(form.owner, 0):
                    if form.kind == TOPIC:
                        topics.append(_Hit(field, start, end, form, "topic", form.owner))
                    topic_end[form.owner] = end  # an excluded phrase ("sin embargo") hides what it contains
                continue
            if start < person_end:
                # The same short form may belong to several people: keep them all, the licence decides.
                if (
                    form.kind in (SHORT, FAMILY)
                    and last_short
                    and (last_short.start, last_short.end) == (start, end)
                ):
                    shorts.append(_Hit(field, start, end, form, "", form.owner))
                continue
            person_end = end
            if form.kind != ALIAS and form.kind != BLOCK:
                last_short = _Hit(field, start, end, form, "", form.owner)
                shorts.append(last_short)
            elif ((start and text[start - 1] != " ") or (end < len(text) and text[end] not in " ,")) and in_address(
                text, start, end
            ):
                person_end = start  # "boris.johnson.mp@parliament.uk" is an address, not a mention
            elif form.kind == ALIAS and _SUFFIX.match(text, end):
                person_end = start  # "Donald Trump Jr.": the son
            else:
                people.append(_Hit(field, start, end, form, "alias", form.owner))
        return people, shorts, topics, institution

    def _families(
        self, texts: tuple[str, str], people: list[_Hit], families: list[_Hit], language: str | None
    ) -> list[_Hit]:
        """The family-name forms that count (surnames.py), found by the automaton or in another script."""
        latin = self._surnames.latin_keys
        if not families and not latin and texts[0].isascii() and texts[1].isascii():
            return []  # nothing to license, and no other script to look at
        cands = [
            Candidate(h.field, h.start, h.end, h.owner, h.form.tag) for h in families if h.form is not None
        ]
        for f in (0, 1):
            if texts[f].isascii() and not latin:
                continue
            found = self._surnames.scan_scripts(f, texts[f]) + self._surnames.scan_latin(f, texts[f])
            if found:
                spans = [(h.start, h.end) for h in people if h.field == f]
                cands += [c for c in found if not any(a < c.end and c.start < b for a, b in spans)]
        han = [f for f in (0, 1) if self._surnames.han and not texts[f].isascii() and _HAN.search(texts[f])]
        if not cands and not han:
            return []
        anchors = []
        for h in people:
            if h.form is not None and h.form.kind == ALIAS:
                anchors.append(Anchor(h.field, h.start, h.owner, ""))
            elif h.form is not None and h.form.kind == BLOCK:  # "Melania Trump" competes for a bare "Trump"
                words = fold_form(texts[h.field][h.start : h.end]).split()
                family = next((w for w in words if w in self._derived[h.owner].family_forms), "")
                if family:
                    anchors.append(Anchor(h.field, h.start, -1, family))
        counted = self._surnames.resolve(texts, cands, anchors, language) if cands else []
        for f in han:
            spans = [(h.start, h.end) for h in people if h.field == f]
            counted += [
                c for c in self._surnames.scan_han(f, texts[f]) if not any(a < c.end and c.start < b for a, b in spans)
            ]
        return [_Hit(c.field, c.start, c.end, None, c.rule, c.owner) for c in counted]

    def _fuzzy(
        self, texts: tuple[str, str], folded: tuple[str, str], taken: list[_Hit], language: str | None = None
    ) -> list[_Hit]:
        if not self._slips:
            return []
        named = {h.owner for h in taken if h.form is not None and h.form.kind == ALIAS}
        spans = [sorted((h.start, h.end) for h in taken if h.field == f) for f in (0, 1)]
        found = find_slips(
            texts, folded, spans, named, self._slips, self._known_words, self._first_names, self._title_words, language
        )
        return [_Hit(f, start, end, None, "fuzzy", owner) for f, start, end, owner in found]


def _case_ok(text: str, start: int, end: int, case: str) -> bool:
    if case == "cap":
        return starts_upper(text[start:end])
    return text[start:end] == case
