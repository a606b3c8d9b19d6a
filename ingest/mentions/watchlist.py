"""The watchlist: which people and topics newsmon counts, read from a TOML data file (format in docs/watchlist.md).

A bad file is a whole-run failure: `load_watchlist` raises `WatchlistError` with one line naming the file, the entry
(``people[3] id="putin"``), the field and, where it can be found, the line.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ingest.mentions.fold import fold_form

DEFAULT_RESOURCE = "watchlist.toml"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

PERSON_FIELDS = {
    "id": "short slug, unique in the file: lowercase letters, digits and hyphens",
    "name": "display name; always matched as an alias",
    "role": "what the person is, for the dashboard and the docs (optional)",
    "aliases": "forms that always count: full names, spellings, other scripts, titled forms",
    "short": "ambiguous short forms (a bare surname) that count only when licensed by the article",
    "titles": "titles that make a short form unambiguous: 'President' + 'Abbas' → 'President Abbas'",
    "cues": "words that license a short form in the same sentence ('Palestinian' for 'Abbas')",
    "exclude": "names and phrases that contain a form but are not this person ('Trump Tower', 'Abbas Araghchi')",
    "fuzzy": "true (default): tolerate a one-letter slip in a single-word alias of 7 letters or more",
    "family": "the family name, where the guess from the name's order is wrong ('Lula', 'Moon')",
}
TOPIC_FIELDS = {
    "id": "short slug, unique in the file",
    "label": "display label",
    "description": "what the topic covers (optional)",
    "any": "phrases: the topic is mentioned where any of them occurs",
    "all": "groups that must also occur in the article: a phrase, or a list of phrases of which one suffices",
    "not": "phrases that veto the topic for the whole article",
    "exclude": "phrases that contain an 'any' phrase but do not mean the topic ('sin embargo': Spanish for 'however')",
}
META_FIELDS = {
    "as_of": "date the people were last checked",
    "description": "free text",
    "named_after": "true: count a name used for an institution or building ('the Biden administration', "
    "'Trump Tower'); false (default): do not",
}


class WatchlistError(Exception):
    """The watchlist file cannot be used; the message names file, entry, field and line."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    short: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    role: str = ""
    fuzzy: bool = True
    family: tuple[str, ...] = ()  # overrides the family name guessed from the name's order

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    any_of: tuple[str, ...]
    all_of: tuple[tuple[str, ...], ...] = ()
    none_of: tuple[str, ...] = ()
    description: str = ""
    exclude: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.label


@dataclass(frozen=True)
class Watchlist:
    people: tuple[Person, ...]
    topics: tuple[Topic, ...]
    version: str  # content hash of the parsed file (comments and layout do not change it), 12 hex digits
    path: str
    as_of: str = ""
    named_after: bool = False  # count "the Biden administration", "Trump Tower" as the person (docs/watchlist.md)

    def entity(self, entity_id: str) -> Person | Topic | None:
        for e in (*self.people, *self.topics):
            if e.id == entity_id:
                return e
        return None


def default_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / DEFAULT_RESOURCE))


def load_watchlist(path: Path | str | None = None) -> Watchlist:
    """Read and validate a watchlist file; None reads the packaged default."""
    if path is None:
        ref = resources.files("ingest") / "data" / DEFAULT_RESOURCE
        raw, where = ref.read_bytes(), str(ref)
    else:
        where = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise WatchlistError(f"{where}: cannot read the watchlist: {exc.strerror}") from exc
    return parse_watchlist(raw, where)


def parse_watchlist(raw: bytes | str, where: str = "<watchlist>") -> Watchlist:
    """Parse and validate watchlist TOML text; `where` names the file in error messages."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{where}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise WatchlistError(f"{where}: not UTF-8 text: {exc}") from exc
    v = _Validator(where, text)
    unknown = set(data) - {"meta", "people", "topics"}
    if unknown:
        v.fail(None, sorted(unknown)[0], "unknown table; expected [meta], [[people]] and [[topics]]")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        v.fail(None, "meta", "must be a table")
    for key in meta:
        if key not in META_FIELDS:
            v.fail(None, f"meta.{key}", f"unknown field; expected one of {', '.join(META_FIELDS)}")
    named_after = meta.get("named_after", False)
    if not isinstance(named_after, bool):
        v.fail(None, "meta.named_after", "must be true or false")
    people = tuple(v.person(i, e) for i, e in enumerate(_entries(v, data, "people")))
    topics = tuple(v.topic(i, e) for i, e in enumerate(_entries(v, data, "topics")))
    if not people and not topics:
        v.fail(None, "people", "the watchlist has no people and no topics")
    v.check_unique(people, topics)
    version = hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    return Watchlist(people, topics, version[:12], where, str(meta.get("as_of", "")), named_after)


def _entries(v: _Validator, data: dict, table: str) -> list[dict]:
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        v.fail(None, table, f"must be an array of tables, written [[{table}]]")
    return entries


class _Validator:
    def __init__(self, where: str, text: str) -> None:
        self.where = where
        self.lines = text.splitlines()

    def fail(self, entry: tuple[str, int, Any] | None, field: str, problem: str) -> None:
        label = ""
        line = None
        if entry is not None:
            table, index, ident = entry
            label = f"{table}[{index}]" + (f' id="{ident}"' if isinstance(ident, str) else "")
            line = self._line(table, index, field)
        at = f", line {line}" if line else ""
        parts = [p for p in (label, f"field {field!r}" if field else "") if p]
        raise WatchlistError(f"{self.where}{at}: {' '.join(parts)}: {problem}")

    def _line(self, table: str, index: int, field: str) -> int | None:
        """Line of the field in the index-th [[table]] entry (1-based), or of the entry's header."""
        header = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]")
        starts = [n for n, line in enumerate(self.lines) if header.match(line)]
        if index >= len(starts):
            return None
        start = starts[index]
        end = next(
            (n for n, line in enumerate(self.lines) if n > start and line.lstrip().startswith("[")), None
        )
        key = re.compile(rf"^\s*{re.escape(field)}\s*=")
        for n in range(start + 1, end if end is not None else len(self.lines)):
            if key.match(self.lines[n]):
                return n + 1
        return start + 1

    def _strings(self, entry: tuple, e: dict, field: str, required: bool = False) -> tuple[str, ...]:
        value = e.get(field, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.fail(entry, field, "must be a list of strings")
        for x in value:
            if not fold_form(x):
                self.fail(entry, field, f"{x!r} has no letters or digits")
        if required and not value:
            self.fail(entry, field, "must list at least one phrase")
        return tuple(dict.fromkeys(x.strip() for x in value))

    def _text(self, entry: tuple, e: dict, field: str, required: bool) -> str:
        if required and field not in e:
            self.fail(entry, field, "is missing: this entry needs one")
        value = e.get(field, "")
        if not isinstance(value, str):
            self.fail(entry, field, f"must be a string (got {value!r})")
        if required and not value.strip():
            self.fail(entry, field, "is empty")
        return value.strip()

    def _head(self, table: str, index: int, e: dict, allowed: dict[str, str]) -> tuple[str, int, Any]:
        entry = (table, index, e.get("id"))
        ident = e.get("id")
        if ident is None:
            self.fail(entry, "id", f"is missing: every entry needs an id ({allowed['id']})")
        if not isinstance(ident, str) or not _ID_RE.match(ident):
            self.fail(entry, "id", f"id {ident!r} must be lowercase letters, digits and hyphens")
        for key in e:
            if key not in allowed:
                self.fail(entry, key, f"unknown field; expected one of {', '.join(allowed)}")
        return entry

    def person(self, index: int, e: dict) -> Person:
        entry = self._head("people", index, e, PERSON_FIELDS)
        name = self._text(entry, e, "name", required=True)
        aliases = self._strings(entry, e, "aliases")
        short = self._strings(entry, e, "short")
        titles = self._strings(entry, e, "titles")
        if titles and not short:
            self.fail(entry, "titles", "titles combine with short forms; this entry has no 'short'")
        fuzzy = e.get("fuzzy", True)
        if not isinstance(fuzzy, bool):
            self.fail(entry, "fuzzy", "must be true or false")
        full = {fold_form(a) for a in (name, *aliases)}
        for s in short:
            if fold_form(s) in full:
                self.fail(
                    entry, "short", f"{s!r} is also an alias; an alias always counts, so list it in one place"
                )
        family = self._strings(entry, e, "family")
        for f in family:
            if not any(fold_form(f) in fold_form(a).split() or fold_form(a).endswith(fold_form(f))
                       for a in (name, *aliases)):
                self.fail(entry, "family", f"{f!r} is not part of the name or an alias")
        return Person(
            id=e["id"],
            name=name,
            aliases=tuple(dict.fromkeys((name, *aliases))),
            short=short,
            titles=titles,
            cues=self._strings(entry, e, "cues"),
            exclude=self._strings(entry, e, "exclude"),
            role=self._text(entry, e, "role", required=False),
            fuzzy=fuzzy,
            family=family,
        )

    def topic(self, index: int, e: dict) -> Topic:
        entry = self._head("topics", index, e, TOPIC_FIELDS)
        groups = []
        for g in e.get("all", []) if isinstance(e.get("all", []), list) else [None]:
            if isinstance(g, str):
                g = [g]
            if not isinstance(g, list) or not g or not all(isinstance(x, str) and fold_form(x) for x in g):
                self.fail(
                    entry, "all", "must be a list whose items are phrases or non-empty lists of phrases"
                )
            groups.append(tuple(g))
        return Topic(
            id=e["id"],
            label=self._text(entry, e, "label", required=True),
            any_of=self._strings(entry, e, "any", required=True),
            all_of=tuple(groups),
            none_of=self._strings(entry, e, "not"),
            description=self._text(entry, e, "description", required=False),
            exclude=self._strings(entry, e, "exclude"),
        )

    def check_unique(self, people: tuple[Person, ...], topics: tuple[Topic, ...]) -> None:
        seen: dict[str, tuple[str, int]] = {}
        for table, entries in (("people", people), ("topics", topics)):
            for i, e in enumerate(entries):
                if e.id in seen:
                    t, j = seen[e.id]
                    self.fail((table, i, e.id), "id", f"duplicate id; {t}[{j}] has it too")
                seen[e.id] = (table, i)
        owner: dict[str, tuple[int, str]] = {}
        for i, p in enumerate(people):
            for a in p.aliases:
                key = fold_form(a)
                if key in owner and owner[key][1] != p.id:
                    j, other = owner[key]
                    self.fail(
                        ("people", i, p.id),
                        "aliases",
                        f'{a!r} is also an alias of people[{j}] id="{other}"; '
                        "a form shared by two people is ambiguous: list it under 'short' for both",
                    )
                owner[key] = (i, p.id)
