"""The sources file: a TOML list of `[[source]]` entries, each one place articles come from.

    [[source]]
    name = "The Moscow Times"
    kind = "feed"                # feed | sitemap | homepage | urls | html-dir | warc
    url = "https://www.themoscowtimes.com/rss/news"   # feed, sitemap, homepage
    # path = "saved/pages"       # urls, html-dir, warc (relative to this file)
    language = "en"              # optional, ISO 639 code
    interval = "15m"             # how often `newsmon ingest --every` looks at it: s, m, h, d (default 1h)
    enabled = true               # default true
    per_host = 1                 # optional: requests at once to its hosts (default: the settings', 2)
    host_delay = 2.5             # optional: seconds between two requests to one of its hosts (default 1)

and, before the first entry, for the whole file:

    allow_hosts = ["10.20.0.0/16", "127.0.0.1:8765"]   # private addresses its sources may reach

A bad file is a whole-run failure: `SourcesError` names the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from ingest.sources.discover import KINDS, Source

URL_KINDS = ("feed", "sitemap", "homepage")
PATH_KINDS = ("urls", "html-dir", "warc")
FIELDS = {"name", "kind", "url", "path", "language", "interval", "enabled", "per_host", "host_delay"}
TOP_LEVEL = {"source", "allow_hosts"}
DEFAULT_INTERVAL = 3600
_INTERVAL = re.compile(r"(\d+)\s*([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class SourcesError(Exception):
    """The sources file cannot be used (a whole-run failure, shown as one line)."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    location: str  # the URL, or the path resolved against the sources file's folder
    language: str | None = None
    interval: int = DEFAULT_INTERVAL  # seconds
    enabled: bool = True
    per_host: int | None = None
    host_delay: float | None = None

    def to_source(self) -> Source:
        return Source(self.kind, self.location, self.name, self.language, self.per_host, self.host_delay)


@dataclass(frozen=True)
class SourcesFile:
    """A sources file: its sources, and the private addresses they may reach (`allow_hosts`)."""

    sources: list[SourceConfig]
    allow_hosts: tuple[str, ...] = ()


def due_sources(configs: list[SourceConfig], last_run: dict[str, datetime], now: datetime,
                slack: float = 0.1) -> list[SourceConfig]:
    """The enabled sources whose interval has passed since they were last run (by name), or never run.

    `slack` (a fraction of the interval) lets a 15m source run on a 15m loop whose rounds drift by seconds."""
    due = []
    for config in configs:
        last = last_run.get(config.name)
        if config.enabled and (last is None or now - last >= timedelta(seconds=config.interval * (1 - slack))):
            due.append(config)
    return due


def default_sources_path() -> Path:
    """The packaged list of public international outlets' feeds."""
    return Path(str(resources.files("ingest") / "data" / "sources.toml"))


def parse_interval(text: str) -> int:
    """Seconds in "15m", "1h", "1h30m", "90s", "1d"; ValueError if it is not such a duration."""
    spec = text.strip().lower().replace(" ", "")
    if not spec or _INTERVAL.sub("", spec):
        raise ValueError(f"{text!r} is not a duration like 15m, 1h, 1h30m, 1d")
    seconds = sum(int(n) * _UNIT[u] for n, u in _INTERVAL.findall(spec))
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return seconds


def load_sources(path: Path | str) -> list[SourceConfig]:
    """Read and check a sources file's sources; every problem names the file, the line and the field."""
    return load_sources_file(path).sources


def load_sources_file(path: Path | str) -> SourcesFile:
    """Read and check a sources file: its sources and its `allow_hosts`."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read the sources file: {exc}") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from exc
    extra = sorted(set(data) - TOP_LEVEL)
    if extra:
        raise SourcesError(f"{path}: unknown table or key {extra[0]!r} (expected [[source]] entries and allow_hosts)")
    allow_hosts = _check_allow_hosts(path, raw, data.get("allow_hosts", []))
    entries = data.get("source", [])
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{path}: no [[source]] entries")
    lines = _entry_lines(raw)
    configs, names = [], {}
    for index, entry in enumerate(entries):
        config = _check_entry(path, entry, index, lines)
        if config.name in names:
            where = _where(path, lines, index, "name")
            raise SourcesError(f"{where}: source {index + 1}: name {config.name!r} already used by source {names[config.name] + 1}")
        names[config.name] = index
        configs.append(config)
    return SourcesFile(configs, allow_hosts)


def _check_allow_hosts(path: Path, raw: str, value: object) -> tuple[str, ...]:
    from ingest.fetch.http import parse_allowed

    line = next((n for n, text in enumerate(raw.splitlines(), 1) if re.match(r"\s*allow_hosts\s*=", text)), None)
    where = f"{path}:{line}" if line else str(path)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SourcesError(f"{where}: allow_hosts must be a list of strings such as \"10.20.0.0/16\" or "
                           f"\"127.0.0.1:8765\"")
    for entry in value:
        try:
            parse_allowed(entry)
        except ValueError as exc:
            raise SourcesError(f"{where}: allow_hosts: {exc}") from None
    return tuple(value)


def _check_entry(path: Path, entry: dict, index: int, lines: list[tuple[int, int]]) -> SourceConfig:
    def fail(field: str, message: str) -> SourcesError:
        return SourcesError(f"{_where(path, lines, index, field)}: source {index + 1}, field {field!r}: {message}")

    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(sorted(FIELDS))})")
    for key in ("name", "kind", "url", "path", "language", "interval"):
        if key in entry and not isinstance(entry[key], str):
            raise fail(key, f"must be a string, not {type(entry[key]).__name__}")
    name = entry.get("name", "").strip()
    if not name:
        raise fail("name", "missing or empty")
    if name.lower().startswith("alerts:"):  # the run log's rows of alert deliveries (ingest/store/runlog.py)
        raise fail("name", f"{name!r}: names starting with 'alerts:' are kept for the alerts' deliveries")
    kind = entry.get("kind", "")
    if kind not in KINDS:
        raise fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    if kind in URL_KINDS:
        if "path" in entry:
            raise fail("path", f"a {kind} source takes url, not path")
        location = entry.get("url", "").strip()
        if not location.startswith(("http://", "https://")):
            raise fail("url", f"missing or not an http(s) URL: {location!r}")
    else:
        if "url" in entry:
            raise fail("url", f"a {kind} source takes path, not url")
        raw_path = entry.get("path", "").strip()
        if not raw_path:
            raise fail("path", "missing or empty")
        location = str((path.parent / Path(raw_path).expanduser()).resolve())
    language = entry.get("language")
    if language is not None and not _LANGUAGE.match(language):
        raise fail("language", f"{language!r} is not an ISO 639 code such as 'en' or 'de'")
    try:
        interval = parse_interval(entry["interval"]) if "interval" in entry else DEFAULT_INTERVAL
    except ValueError as exc:
        raise fail("interval", str(exc)) from None
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")
    per_host = entry.get("per_host")
    if per_host is not None and (isinstance(per_host, bool) or not isinstance(per_host, int) or per_host < 1):
        raise fail("per_host", f"must be a whole number of requests at once, 1 or more, not {per_host!r}")
    if kind in ("html-dir", "warc") and (per_host is not None or "host_delay" in entry):
        raise fail("per_host" if per_host is not None else "host_delay", f"a {kind} source fetches nothing")
    host_delay = entry.get("host_delay")
    if host_delay is not None and (isinstance(host_delay, bool) or not isinstance(host_delay, int | float)
                                   or not 0 <= host_delay <= 3600):
        raise fail("host_delay", f"must be seconds between 0 and 3600, not {host_delay!r}")
    return SourceConfig(name, kind, location, language, interval, enabled, per_host,
                        None if host_delay is None else float(host_delay))


_HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]")
_TABLE = re.compile(r"^\s*\[")


def _entry_lines(raw: str) -> list[tuple[int, int]]:
    """(first, last) line numbers of each [[source]] entry; tomllib does not report positions."""
    spans: list[tuple[int, int]] = []
    text_lines = raw.splitlines()
    for number, line in enumerate(text_lines, 1):
        if _HEADER.match(line):
            if spans:
                spans[-1] = (spans[-1][0], number - 1)
            spans.append((number, len(text_lines)))
        elif _TABLE.match(line) and spans:
            spans[-1] = (spans[-1][0], number - 1)
    return spans


def _where(path: Path, lines: list[tuple[int, int]], index: int, field: str) -> str:
    if index >= len(lines):  # an inline array of tables: no line to point at
        return str(path)
    first, last = lines[index]
    key = re.compile(rf"^\s*{re.escape(field)}\s*=")
    text_lines = path.read_text(encoding="utf-8").splitlines()
    for number in range(first, min(last, len(text_lines)) + 1):
        if key.match(text_lines[number - 1]):
            return f"{path}:{number}"
    return f"{path}:{first}"
