"""robots.txt as RFC 9309 reads it: groups per user agent, the longest matching rule wins, `*` and `$`; and
each group's `Crawl-delay`, which the RFC leaves out but sites still use to ask for fewer requests.

Python's `urllib.robotparser` takes the first matching rule in file order and knows neither `*` nor `$`, so
`Disallow: /` followed by `Allow: /news/` blocks /news/ there, where RFC 9309 (and Google, Bing) allow it.
`parse_robots()` is pure (bytes in, rules out); `PoliteFetcher` fetches the file and keeps one per host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

MAX_BYTES = 512_000  # RFC 9309 2.5: a crawler must parse at least the first 500 KiB
# Characters left as they are when normalising a path for comparison: RFC 3986 reserved and unreserved ones,
# plus the pattern specials; everything else (spaces, non-ASCII) is compared percent-encoded, hex in upper case.
_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Rule:
    allow: bool
    path: str  # normalised pattern; may hold * (any run of characters) and a final $ (end of URL)

    def matches(self, target: str) -> bool:
        return _pattern(self.path).match(target) is not None


@dataclass
class RobotsRules:
    """The rules of one robots.txt; `can_fetch(agent, url)` answers for a product token such as "newsmon"."""

    groups: dict[str, list[Rule]] = field(default_factory=dict)  # lower-case user agent ("*" too) -> rules
    sitemaps: list[str] = field(default_factory=list)  # Sitemap: lines, in file order
    delays: dict[str, float] = field(default_factory=dict)  # user agent -> Crawl-delay (seconds)

    def crawl_delay(self, user_agent: str) -> float | None:
        """The Crawl-delay of the group that applies to `user_agent` (its own, else `*`), if it gives one.
        Not in RFC 9309, but the one way a site can ask for fewer requests; newsmon honours it, capped."""
        agent = product_token(user_agent)
        return self.delays.get(agent if agent in self.groups else "*")

    def can_fetch(self, user_agent: str, url: str) -> bool:
        parts = urlsplit(url)
        target = normalise((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        if target == "/robots.txt":
            return True  # RFC 9309 2.2.2: the file itself is always allowed
        rules = self.groups.get(product_token(user_agent))
        if rules is None:
            rules = self.groups.get("*", [])
        best: Rule | None = None
        for rule in rules:
            if not rule.path or not rule.matches(target):
                continue  # an empty Disallow allows everything, an empty Allow says nothing
            longer = best is None or len(rule.path) > len(best.path)
            if longer or (len(rule.path) == len(best.path) and rule.allow and not best.allow):
                best = rule  # the most specific (longest) match wins; on a tie, allow wins (RFC 9309 2.2.2)
        return best is None or best.allow


def product_token(user_agent: str) -> str:
    """ "newsmon/0.1 (+https://...)" -> "newsmon": the name robots.txt groups are matched against."""
    return re.split(r"[/\s]", user_agent.strip(), maxsplit=1)[0].lower()


def normalise(path: str) -> str:
    """A path (or pattern) with characters outside `_SAFE` percent-encoded and escapes in upper case, so that
    "/caf%c3%a9", "/café" and "/caf%C3%A9" compare equal."""
    return quote(unquote(path), safe=_SAFE).replace("%2f", "%2F")


_compiled: dict[str, re.Pattern[str]] = {}


def _pattern(path: str) -> re.Pattern[str]:
    pattern = _compiled.get(path)
    if pattern is None:
        anchored = path.endswith("$")
        body = ".*".join(re.escape(part) for part in (path[:-1] if anchored else path).split("*"))
        pattern = _compiled[path] = re.compile(body + ("$" if anchored else ""), re.DOTALL)
    return pattern


def parse_robots(body: bytes) -> RobotsRules:
    """Groups and sitemaps of a robots.txt. Consecutive user-agent lines open one group; a group's rules apply
    to each of its agents; groups naming one agent twice are merged. Unknown lines are ignored."""
    text = body[:MAX_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
    out = RobotsRules()
    agents: list[str] = []
    in_rules = False  # seen a rule since the last user-agent line: the next user-agent line starts a group
    for raw in text.splitlines():
        m = _LINE.match(raw.split("#", 1)[0])
        if not m:
            continue
        key, value = m.group(1).lower(), m.group(2)
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agent = value.lower() if value.strip() == "*" else product_token(value)
            agents.append(agent)
            out.groups.setdefault(agent, [])
        elif key in ("allow", "disallow"):
            in_rules = True
            rule = Rule(key == "allow", normalise(value) if value else "")
            for agent in agents:
                out.groups[agent].append(rule)
        elif key == "crawl-delay":
            in_rules = True
            try:
                delay = float(value)
            except ValueError:
                continue
            if delay >= 0 and delay == delay:  # not negative, not NaN
                for agent in agents:
                    out.delays[agent] = delay
        elif key == "sitemap" and value.startswith(("http://", "https://")):
            out.sitemaps.append(value)
    return out
