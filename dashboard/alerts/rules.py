"""Alert rules: a TOML file (docs/alerts.md) read into frozen `Rule`s, every field checked on the way in.

Takes the path of a rules file (default: the packaged `ingest/data/alerts.toml`) and, optionally, the ids of the
people and topics the watchlist knows; gives a `RuleSet`. A bad file raises `AlertsError` naming the file, the
rule and the field, in one line the command line prints as it stands.

Delivery secrets (SMTP password, webhook URLs) never live here: they come from the environment (deliver/).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from dashboard.data.filters import Filters

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "ingest" / "data" / "alerts.toml"
TRIGGERS = ("spike", "threshold", "first-seen", "together")
BUCKETS = ("day", "week", "month")
SCALES = ("raw", "share")
WEBHOOK_FORMATS = ("generic", "slack", "teams", "matrix")
DEFAULT_DASHBOARD = "http://localhost:8501"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
RULE_FIELDS = {"id", "name", "trigger", "people", "topics", "sources", "languages", "bucket", "scale",
               "min_articles", "email", "webhooks", "atom"}
TOP_FIELDS = {"dashboard_url", "rule", "webhooks"}


class AlertsError(Exception):
    """A rules file that cannot be used: the message names the file, the rule and the field."""


@dataclass(frozen=True)
class Rule:
    """One alert rule. `min_articles`: the threshold (threshold, together); 0 for the others."""

    id: str
    trigger: str
    name: str = ""
    people: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # empty = every source
    languages: tuple[str, ...] = ()  # empty = every language
    bucket: str = "day"
    scale: str = "raw"
    min_articles: int = 0
    email: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    atom: bool = True

    @property
    def entities(self) -> tuple[tuple[str, str], ...]:
        """(kind, entity_id) pairs, people first (as `Filters.entities`)."""
        return tuple(("person", p) for p in self.people) + tuple(("topic", t) for t in self.topics)

    @property
    def title(self) -> str:
        return self.name or self.id

    def filters(self) -> Filters:
        """The dashboard's filters for this rule's view: its entities, sources, languages, bucket and scale."""
        return Filters(people=self.people, topics=self.topics, sources=self.sources, languages=self.languages,
                       bucket=self.bucket, scale=self.scale, measure="articles")

    def fingerprint(self) -> str:
        """Changes when anything that decides what the rule fires changes (not its name or its channels)."""
        what = {k: v for k, v in asdict(self).items() if k not in ("name", "email", "webhooks", "atom")}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]

    def channels(self) -> tuple[str, ...]:
        """Where its events go: "atom", "email", "webhook:<name>"."""
        return (("atom",) if self.atom else ()) + (("email",) if self.email else ()) + tuple(
            f"webhook:{w}" for w in self.webhooks)


@dataclass(frozen=True)
class RuleSet:
    path: Path
    rules: tuple[Rule, ...]
    dashboard_url: str = DEFAULT_DASHBOARD
    webhook_formats: Mapping[str, str] | None = None  # webhook name -> format

    def webhook_format(self, name: str) -> str:
        return (self.webhook_formats or {}).get(name, "generic")


def load_rules(path: Path | str | None = None, known: Collection[tuple[str, str]] | None = None) -> RuleSet:
    """Read and check a rules file. `known`: the watchlist's (kind, id) pairs; a rule naming another is an error."""
    path = Path(path) if path is not None else DEFAULT_RULES
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AlertsError(f"{path}: no such rules file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AlertsError(f"{path}: cannot read the rules file ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AlertsError(f"{path}: not valid TOML ({exc})") from exc
    return parse_rules(raw, path, known)


def parse_rules(raw: Mapping, path: Path, known: Collection[tuple[str, str]] | None = None) -> RuleSet:
    """`load_rules` after the TOML parse (tests and callers with a dict)."""
    def fail(where: str, msg: str) -> AlertsError:
        return AlertsError(f"{path}: {where}: {msg}")

    unknown = sorted(set(raw) - TOP_FIELDS)
    if unknown:
        raise fail(f"field {unknown[0]!r}", f"unknown setting (expected {', '.join(sorted(TOP_FIELDS))})")
    url = raw.get("dashboard_url", DEFAULT_DASHBOARD)
    if not isinstance(url, str) or not re.match(r"^https?://[^\s]+$", url):
        raise fail("field 'dashboard_url'", "must be an http:// or https:// address")
    hooks = raw.get("webhooks", {})
    if not isinstance(hooks, Mapping):
        raise fail("field 'webhooks'", "must be a table of [webhooks.<name>] entries")
    formats: dict[str, str] = {}
    for name, spec in hooks.items():
        where = f"webhook {name!r}"
        if not _ID.match(name):
            raise fail(where, "a webhook name is letters, digits, '-', '_' or '.'")
        if not isinstance(spec, Mapping) or set(spec) - {"format"}:
            raise fail(f"{where}, field {sorted(set(spec) - {'format'})[0]!r}" if isinstance(spec, Mapping)
                       else where, "only 'format' is set here; the URL comes from the environment")
        fmt = spec.get("format", "generic")
        if fmt not in WEBHOOK_FORMATS:
            raise fail(f"{where}, field 'format'", f"must be one of {', '.join(WEBHOOK_FORMATS)}, not {fmt!r}")
        formats[name] = fmt
    entries = raw.get("rule", [])
    if not isinstance(entries, list):
        raise fail("field 'rule'", "rules are [[rule]] entries")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        rule = _rule(entry, i, fail, known, formats)
        if rule.id in seen:
            raise fail(f"rule {rule.id!r}, field 'id'", "used by an earlier rule: ids must be unique")
        seen.add(rule.id)
        rules.append(rule)
    return RuleSet(path=path, rules=tuple(rules), dashboard_url=url.rstrip("/"), webhook_formats=formats)


def _rule(entry, i: int, fail, known, formats: Mapping[str, str]) -> Rule:
    if not isinstance(entry, Mapping):
        raise fail(f"rule #{i}", "must be a table")
    rid = entry.get("id")
    where = f"rule #{i}" if not isinstance(rid, str) else f"rule {rid!r}"
    if not isinstance(rid, str) or not _ID.match(rid):
        raise fail(f"{where}, field 'id'", "needs an id: letters, digits, '-', '_' or '.', at most 64")
    for key in entry:
        if key not in RULE_FIELDS:
            raise fail(f"{where}, field {key!r}", f"unknown field (expected {', '.join(sorted(RULE_FIELDS))})")

    def strings(key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(f"{where}, field {key!r}", "must be a list of non-empty strings")
        return tuple(dict.fromkeys(v.strip() for v in value))

    def choice(key: str, options: tuple[str, ...], default: str) -> str:
        value = entry.get(key, default)
        if value not in options:
            raise fail(f"{where}, field {key!r}", f"must be one of {', '.join(options)}, not {value!r}")
        return value

    trigger = entry.get("trigger")
    if trigger not in TRIGGERS:
        raise fail(f"{where}, field 'trigger'", f"must be one of {', '.join(TRIGGERS)}, not {trigger!r}")
    people, topics = strings("people"), strings("topics")
    if not people and not topics:
        raise fail(f"{where}, field 'people'", "a rule watches at least one person or topic (people, topics)")
    if known is not None:
        for kind, field, ids in (("person", "people", people), ("topic", "topics", topics)):
            for eid in ids:
                if (kind, eid) not in known:
                    raise fail(f"{where}, field {field!r}", f"{eid!r} is not a {kind} of the watchlist")
    n = len(people) + len(topics)
    if trigger == "together" and n != 2:
        raise fail(f"{where}, field 'people'", f"'together' watches exactly two people or topics, not {n}")
    min_articles = entry.get("min_articles", 0)
    needs_min = trigger in ("threshold", "together")
    if "min_articles" in entry and not needs_min:
        raise fail(f"{where}, field 'min_articles'", f"only for threshold and together, not {trigger}")
    if needs_min and (not isinstance(min_articles, int) or isinstance(min_articles, bool) or min_articles < 1):
        raise fail(f"{where}, field 'min_articles'", f"{trigger} needs a whole number of articles >= 1")
    email = strings("email")
    for address in email:
        if not _EMAIL.match(address):
            raise fail(f"{where}, field 'email'", f"{address!r} is not an e-mail address")
    webhooks = strings("webhooks")
    for name in webhooks:
        if name not in formats:
            raise fail(f"{where}, field 'webhooks'", f"no [webhooks.{name}] entry says its format")
    atom = entry.get("atom", True)
    if not isinstance(atom, bool):
        raise fail(f"{where}, field 'atom'", "must be true or false")
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise fail(f"{where}, field 'name'", "must be a string")
    return Rule(id=rid, trigger=trigger, name=name.strip(), people=people, topics=topics,
                sources=strings("sources"), languages=strings("languages"),
                bucket=choice("bucket", BUCKETS, "day"), scale=choice("scale", SCALES, "raw"),
                min_articles=min_articles if needs_min else 0, email=email, webhooks=webhooks, atom=atom)
