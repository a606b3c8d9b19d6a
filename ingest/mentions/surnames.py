"""Family names without the full name: when a bare "Merkel", "Mr. Sunak", "Путина" or "Lawrow" counts.

Takes the family-name hits of one article (found by the matcher's automaton, or by `scan_scripts` in Cyrillic and
Greek text), the full-name hits, and the article's language; gives the hits that count with their rule. In order:

1. Skipped: inside an e-mail address, a URL or a handle ("boris.johnson.mp@", "/La-Merkel-befahl").
2. The words before it decide what it is: the person's given name ("Wladimir Putins", "Эммануэлю Макрону") makes a
   full name; a given name with middle names or initials between ("Joseph Robinette Biden", "Donald J. Trump") too
   (rule ``middle-name``); a title ("President", "Frau", "Bundesministerin", "президент") makes a titled form; any
   other name ("Melania Trump", "Daniil Medvedev", "R. Merkel", a known given name however frequent: "Bill Clinton"
   on a Hillary Clinton watchlist) makes it someone else's, and that full name competes
   for the bare forms after it. "Trump Jr." is someone else too.
3. An organisation: a news outlet or agency of the same name ("Bloomberg News", "a Bloomberg piece", "wrote for
   Bloomberg", "Kolumnist bei Bloomberg"; words in data/names.toml, ``[outlet]``) is not counted, and makes the bare
   family name ambiguous in that article: it then counts only after the person's full name (step 5).
4. The word after: an institution word ("the Biden administration", "das Putin-Regime") or, in running text of a
   language that does not capitalise nouns, a capitalised common word ("Trump Tower", "Harris County") makes it a
   name used for something else: counted only if the watchlist's ``named_after`` is true.
5. Licence. The nearest full name before it (or, if none, after it), among this person's and the competing ones
   (other watched people with the same family name, other full names in the article, the person's ``exclude``),
   must be this person's (rule ``surname-after-full``, or ``title-surname`` with a title). An article without any
   such full name counts the form only if it is unambiguous (rule ``surname-distinctive``): not the family name of
   another watched person, no outlet's name in the article, and not an everyday word of the article's language
   (words.py). A frequent word still counts where its capital letter shows a name: mid-sentence in running text, in
   a language that does not capitalise nouns ("references Trump," yes; "Kurz vor", "in May", German "Modi" no); in
   one that does (German), where a hyphenated compound shows a person ("Macron-Berater", "Macron-Partei").
A form found through another script or spelling keeps the rule ``transliteration``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.mentions.context import (
    Anchor,
    Language,
    capitalised,
    dominant,
    in_address,
    is_latin,
    meaningful_capital,
    mid_sentence,
    outlet_around,
    person_compound,
    rule_for,
    title_case_line,
    words_before,
)
from ingest.mentions.derive import Derived, is_initial, name_data
from ingest.mentions.fold import fold_form
from ingest.mentions.translit import sound_key, to_ascii
from ingest.mentions.words import COMMON, NOUN_CAPITALS, TOP, zipf

# A capitalised word in Cyrillic or Greek script (apostrophes inside Ukrainian words included).
_OTHER_SCRIPT_WORD = re.compile(r"[А-ЯЁІЇЄҐЎΑ-ΩΆ-Ώ][а-яёіїєґўα-ωά-ώ'’ʼ]+(?:-[А-ЯЁІЇЄҐα-ωа-я][а-яёіїєґ'’ʼ]+)?")
_LATIN_WORD = re.compile(r"(?<![\w'’])[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f]{2,}(?![\w])")
_HAS_OTHER_SCRIPT = re.compile(r"[А-ЯЁІЇЄҐΑ-Ω]")
_SYLLABLE_WORD = re.compile(r"^(?:ch|sh|zh|hs|ts|[bcdfghjklmnpqrstwyz])?[aeiouy]{1,3}(?:ng|n|m|k|l|p|t)?$", re.I)
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
MIN_HAN_KEY = 6  # letters of pinyin: "liqiang" (Li Qiang) and longer; two-syllable keys like "wangyi" collide
_POSSESSIVE = re.compile(r"['’]s?$")
_WORD_AFTER = re.compile(r"^([ \u00a0-]+)([\w'’.]+)")
# A capitalised word at most this frequent before a family name at a sentence start is read as another person's
# given name ("Melania" 2.8, "Tobias" 3.3); above it, a function word or a noun ("When Trump", Russian "Визит Шольца").
# Mid-sentence any capitalised word is ("Adam Johnson", "Hunter Biden"), up to `FUNCTION_WORD`.
GIVEN_NAME_MAX = 3.6
GIVEN_NAME_MAX_LATIN = 4.7  # Latin-script given names run higher ("Brian" 4.3, "Adam" 4.5); function words 5+
# A capitalised word after a family name at most this frequent is read as a surname (the family form was a given
# name: "Warren Haynes"); at least `COMMON`, as a thing named after the person ("Trump Tower", "Harris County").
NEXT_NAME_MAX = 2.5
# Words this frequent are function words or institutions even when capitalised mid-sentence ("For good measure,
# Never Trump" 5.9, Ukrainian "в Раді Венедіктова", in the Rada, 5.2); given names stay below ("Justice" 4.8).
FUNCTION_WORD = 5.0
# A known given name before a family name (data/names.toml's given names and the watchlist's) is someone else's
# name at a sentence start too, however frequent as a word ("Bill" 5.2, "Mark" 5.1), below auxiliaries ("Will" 6.5).
AUXILIARY = 6.0


@dataclass(frozen=True, slots=True)
class Candidate:
    field: int
    start: int
    end: int
    owner: int
    tag: str  # "surname" | "transliteration"


@dataclass(frozen=True, slots=True)
class Counted:
    field: int
    start: int
    end: int
    owner: int
    rule: str


class Surnames:
    """The family-name forms of a watchlist's people and the rules that decide which bare forms count."""

    def __init__(self, derived: Sequence[Derived], named_after: bool) -> None:
        self.derived = list(derived)
        self.named_after = named_after
        data = name_data()
        self._titles = data["all_titles"]
        self._role_endings = data["role_endings"]
        self._suffixes = data["suffixes"]
        self._institutions = data["named_after"]
        self._outlet_after = data["outlet_after"]
        self._outlet_before = data["outlet_before"]
        self._person_compounds = data["person_compounds"]
        self._given_names = frozenset(data["given_variants"]) | {
            g for d in self.derived for g in d.given_exact if g.isalpha() and len(g) > 2
        }
        self.owners: dict[str, set[int]] = {}  # folded family form → people who have it
        self.keys: dict[str, set[int]] = {}  # sound key (with endings) → people
        self.han: dict[str, int] = {}  # full name in pinyin → person
        self.latin_keys: dict[str, set[int]] = {}  # keys of names written in another script, for Latin text
        for i, d in enumerate(self.derived):
            for form in d.family_forms:
                self.owners.setdefault(form, set()).add(i)
            for k in d.family_keys:
                self.keys.setdefault(k, set()).add(i)
            latin = any(is_latin(f) for f in d.family)
            for family in d.family if not latin else ():  # only for entries with no Latin family name at all
                k = sound_key(family.replace(" ", ""))
                if any(ch.isalpha() and ord(ch) >= 0x370 for ch in family):
                    for key in (k, k + "s"):  # "Putin", "Putins" for an entry written "Владимир Путин"
                        self.latin_keys.setdefault(key, set()).add(i)
            for k in d.han_keys:
                if len(k) >= MIN_HAN_KEY:
                    self.han[k] = i

    # ------------------------------------------------------------------ other scripts

    def scan_scripts(self, field: int, text: str) -> list[Candidate]:
        """Family names of watched people written in Cyrillic or Greek ("Шольца", "Τραμπ"), by sound key."""
        if not self.keys or not _HAS_OTHER_SCRIPT.search(text):
            return []
        out = []
        for m in _OTHER_SCRIPT_WORD.finditer(text):
            word = m.group(0)
            owners = self.keys.get(sound_key(word.replace("-", "")))
            if owners and len(owners) == 1:
                out.append(Candidate(field, m.start(), m.end(), next(iter(owners)), "transliteration"))
        return out

    def scan_latin(self, field: int, text: str) -> list[Candidate]:
        """Family names of people entered in another script, written in Latin letters ("Putin" for "Путин")."""
        if not self.latin_keys:
            return []
        out = []
        for m in _LATIN_WORD.finditer(text):
            owners = self.latin_keys.get(sound_key(m.group(0)))
            if owners and len(owners) == 1:
                out.append(Candidate(field, m.start(), m.end(), next(iter(owners)), "transliteration"))
        return out

    def scan_han(self, field: int, text: str) -> list[Counted]:
        """Full names written in Chinese characters ("习近平" is Xi Jinping), by their pinyin (anyascii)."""
        if not self.han:
            return []
        out = []
        for m in _HAN_RUN.finditer(text):
            syllables = [to_ascii(ch) for ch in m.group(0)]
            starts, pos = [], 0
            for syl in syllables:
                starts.append(pos)
                pos += len(syl)
            joined = "".join(syllables)
            at = {p: i for i, p in enumerate(starts)}
            for key, owner in self.han.items():
                i = joined.find(key)
                while i >= 0:
                    j = i + len(key)
                    if i in at and (j in at or j == len(joined)):
                        end = at[j] if j in at else len(syllables)
                        out.append(Counted(field, m.start() + at[i], m.start() + end, owner, "transliteration"))
                    i = joined.find(key, i + 1)
        return out

    # ------------------------------------------------------------------ the rules

    def resolve(
        self,
        texts: tuple[str, str],
        candidates: list[Candidate],
        anchors: list[Anchor],
        language: str | None,
    ) -> list[Counted]:
        """The candidates that count, with their rule; see the module docstring.

        Without `language`, it is guessed from the body (py3langid) when the first candidate needs it.
        """
        lang = Language(language, texts)
        bare: list[tuple[Candidate, bool]] = []  # (candidate, titled)
        counted: list[Counted] = []
        anchors = list(anchors)
        outlets: set[str] = set()  # family forms used as an outlet's name in this article
        for c in candidates:
            text = texts[c.field]
            if in_address(text, c.start, c.end):
                continue
            if outlet_around(text, c.start, c.end, self._outlet_after, self._outlet_before):
                outlets.add(fold_form(text[c.start : c.end]))
                continue
            kind, start, rule = self._before(text, c, lang)
            if kind == "other":
                anchors.append(Anchor(c.field, start, -1, fold_form(text[c.start : c.end])))
                continue
            if kind == "bare" and self.derived[c.owner].family_first:
                end = self._given_follows(text, c)
                if end:  # "Xi Jinpings", "Kim Jong Uns": the full name, in the German genitive
                    counted.append(Counted(c.field, c.start, end, c.owner, "alias"))
                    anchors.append(Anchor(c.field, c.start, c.owner, ""))
                    continue
            after = self._after(text, c, lang)
            if after == "other":
                anchors.append(Anchor(c.field, c.start, -1, fold_form(text[c.start : c.end])))
                continue
            if after == "named":
                if not self.named_after:
                    continue
                c = Candidate(c.field, c.start, c.end, c.owner, "named-after")
            if kind == "full":
                counted.append(Counted(c.field, start, c.end, c.owner, rule))
                anchors.append(Anchor(c.field, start, c.owner, ""))
                continue
            bare.append((c, kind == "titled"))
        # A titled form that counts ("Frau Merkel") names the person for the bare forms around it, as a full name does;
        # so does a bare form that counts on its own (then "Trump" at a line start counts too).
        bare.sort(key=lambda x: not x[1])
        waiting = []
        for c, titled in bare:
            rule = self._licence(texts, c, titled, anchors, lang, outlets)
            if rule:
                counted.append(Counted(c.field, c.start, c.end, c.owner, rule))
                if titled or rule == "surname-distinctive":
                    anchors.append(Anchor(c.field, c.start, c.owner, "", rule))
            else:
                waiting.append((c, titled))
        if len(waiting) < len(bare):
            for c, titled in waiting:
                rule = self._licence(texts, c, titled, anchors, lang, outlets)
                if rule:
                    counted.append(Counted(c.field, c.start, c.end, c.owner, rule))
        counted.sort(key=lambda c: (c.field, c.start))
        return counted

    def _before(self, text: str, c: Candidate, lang: Language) -> tuple[str, int, str]:
        """("full" | "titled" | "other" | "bare", span start, rule) from the words before the family name."""
        d = self.derived[c.owner]
        words = words_before(text, c.start, 3)
        if not words:
            return "bare", c.start, ""
        w1, s1 = words[0]
        f1 = fold_form(w1)
        if self._is_given(d, w1, c.tag):
            return "full", s1, "alias" if f1 in d.given_exact and c.tag == "surname" else "transliteration"
        if (is_initial(w1) or capitalised(w1)) and not self._is_title(w1, words):
            for w, s in words[1:]:
                if self._is_given(d, w, c.tag):
                    return "full", s, "middle-name"
                if not (is_initial(w) or capitalised(w)):
                    break
        if self._is_title(w1, words):
            return "titled", c.start, ""
        if f1 in self._given_names and capitalised(w1) and not w1.isupper() and zipf(w1, lang()) < AUXILIARY:
            return "other", s1, ""  # "Bill Clinton" on a Hillary Clinton watchlist, at a sentence start too
        if is_initial(w1) and w1.endswith(".") and w1[:1].isupper():
            return "other", s1, ""  # "R. Merkel": someone else with an initial (a bare "O" is the Greek article)
        if capitalised(w1) and w1.isalpha() and len(w1) > 1 and not (w1.isupper() and len(w1) <= 3):
            z = zipf(w1, lang())
            # Mid-sentence, a capitalised word that is no title is a given name ("Adam Johnson", "Justice Johnson";
            # German roles are titles: "Kandidatin Warren"), except on a headline-like line where every word is
            # capitalised ("CNN Host Asks Netanyahu Adviser"); at a sentence start only a word rare enough for a
            # name ("Brian Johnson" 4.3, not "When Trump" 6.1; in other scripts lower: Russian "Визит Шольца").
            headline = c.field == 0 or title_case_line(text, s1)
            mid = not headline and mid_sentence(text, s1) and z < FUNCTION_WORD
            rare = GIVEN_NAME_MAX_LATIN if w1.isascii() or w1[0] < "\u0250" else GIVEN_NAME_MAX
            if z <= (GIVEN_NAME_MAX if headline else rare) or mid:
                return "other", s1, ""
        return "bare", c.start, ""

    def _is_given(self, d: Derived, word: str, tag: str) -> bool:
        f = fold_form(word)
        if f in d.given_forms:
            return True
        return bool(d.given_keys) and sound_key(word) in d.given_keys

    def _is_title(self, w1: str, words: list[tuple[str, int]]) -> bool:
        f1 = fold_form(w1).rstrip(".")
        if f1 in self._titles:
            return True
        if len(words) > 1 and f"{fold_form(words[1][0])} {f1}" in self._titles:
            return True
        last = f1.split()[-1] if f1 else ""
        return any(last.endswith(e) and len(last) > len(e) + 2 for e in self._role_endings)

    def _after(self, text: str, c: Candidate, lang: Language) -> str:
        """"named" (an institution named after the person), "other" (a given name of someone else) or ""."""
        m = _WORD_AFTER.match(text[c.end : c.end + 60])
        if not m:
            return ""
        sep, word = m.group(1), _POSSESSIVE.sub("", m.group(2).rstrip("."))
        f = fold_form(word)
        if f in self._suffixes and word[:1].isupper():
            return "other"
        two = _WORD_AFTER.match(text[c.end + m.end() : c.end + m.end() + 40])
        if f in self._institutions or (two and f"{f} {fold_form(two.group(2))}" in self._institutions):
            return "named"
        if sep != " " or not capitalised(word) or word.isupper() or f in self.owners or f in self._titles:
            return ""
        if self._family_first(c.owner):  # "Kim Jong Un" and "Kim Jong Il": the given name decides
            return self._after_family_first(text, c, lang)
        if title_case_line(text, c.start):
            return ""
        z = zipf(word, lang())
        if z <= NEXT_NAME_MAX and word.isalpha():
            return "other"
        if z >= COMMON and lang.code not in NOUN_CAPITALS and not f.endswith("s"):
            return "named"  # "Trump Tower", "Harris County"; not a plural ("Never Trump Republicans")
        return ""

    def _given_follows(self, text: str, c: Candidate) -> int:
        """The end of the full name if a family-first family name is followed by its given name ("Xi Jinpings")."""
        for g in self.derived[c.owner].given:
            want = fold_form(g).split()
            m = re.match(r"(?:[ -]+[\w'’]+){" + str(len(want)) + "}", text[c.end : c.end + 60])
            if m and fold_form(m.group(0)).split() in (want, [*want[:-1], want[-1] + "s"]):
                return c.end + m.end()
        return 0

    def _after_family_first(self, text: str, c: Candidate, lang: Language) -> str:
        """"other" if the words after a family-first family name are someone else's given name."""
        d = self.derived[c.owner]
        words = [fold_form(w) for w in text[c.end : c.end + 40].split()[:3]]
        tokens = {t for g in d.given for t in fold_form(g).split()}
        if words and words[0].rstrip("s") in tokens | d.given_forms or words[0] in tokens:
            for g in d.given:  # the whole given name must follow ("Jong Un", "Jinping" or "Jinpings")
                want = fold_form(g).split()
                got = words[: len(want)]
                if got[:-1] == want[:-1] and got and got[-1] in (want[-1], want[-1] + "s"):
                    return ""
            return "other"
        m = _WORD_AFTER.match(text[c.end : c.end + 60])
        if not m or m.group(1) != " " or not capitalised(m.group(2)):
            return ""
        word = m.group(2).rstrip(".")
        if _SYLLABLE_WORD.match(word) or zipf(word, lang()) <= NEXT_NAME_MAX:
            return "other"  # "Kim Il Sung", "Kim Yo Jong", "Kim Ghattas"
        return ""

    def _family_first(self, owner: int) -> bool:
        return self.derived[owner].family_first

    def _licence(
        self,
        texts: tuple[str, str],
        c: Candidate,
        titled: bool,
        anchors: list[Anchor],
        lang: Language,
        outlets: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> str:
        form = fold_form(texts[c.field][c.start : c.end])
        rivals = self.owners.get(form, {c.owner}) - {c.owner}
        base = {fold_form(f) for f in self.derived[c.owner].family}
        relevant = [
            a
            for a in anchors
            if a.owner == c.owner
            or a.owner in rivals
            or (a.owner == -1 and (a.family == form or a.family in base or form.startswith(a.family)))
        ]
        relevant.sort(key=lambda a: (a.field, a.start))
        before = [a for a in relevant if (a.field, a.start) < (c.field, c.start)]
        if not before and c.field == 0:
            before = [a for a in relevant if a.field == 1][:1]  # a headline reads after the body's first name
        nearest = before[-1] if before else (relevant[0] if relevant else None)
        if nearest is not None and nearest.owner != c.owner and dominant(relevant, c.owner):
            nearest = next(a for a in relevant if a.owner == c.owner)
        if nearest is not None:
            if nearest.owner != c.owner:
                return ""
            rule = "surname-distinctive" if nearest.rule == "surname-distinctive" else "surname-after-full"
            return rule_for(c.tag, "title-surname" if titled else rule)
        if rivals or (form in outlets and not titled):
            return ""  # another watched person's name, or an outlet's in this article ("Bloomberg News")
        if self.derived[c.owner].family_first and not titled:
            return ""  # Kim, Lee, Moon, Xi: family names of millions count only in an article that licenses them
        if titled:
            return rule_for(c.tag, "title-surname")
        z = zipf(form, lang())
        if c.tag == "transliteration" and not form.isascii() and z < TOP:
            z = 0.0  # in another script a watched foreign name is the name ("Меркель"), not an everyday word
        if z >= COMMON:
            text = texts[c.field]
            # German capitalises every noun: there only a compound that needs a person shows one ("Macron-Berater")
            shown = (
                # ... or an institution named after one ("Gates-Stiftung", counted only with named_after)
                (c.tag == "named-after" or person_compound(text, c.end, self._person_compounds, self._role_endings))
                if lang.code in NOUN_CAPITALS
                else meaningful_capital(text, c.start, c.end)
            )
            if z >= TOP or not shown:
                return ""
            if c.field == 0:
                return ""
        return rule_for(c.tag, "surname-distinctive")
