"""The mentions tests' shared matchers: built from the plain watchlist (names and aliases only, nothing derived
by hand) that a test module declares as `PLAIN`, its TOML text, so each module keeps the people its rows need."""

from __future__ import annotations

import pytest

from ingest.mentions.matcher import Matcher
from ingest.mentions.watchlist import parse_watchlist


def _plain_watchlist(request: pytest.FixtureRequest) -> str:
    text = getattr(request.module, "PLAIN", None)
    if not isinstance(text, str):
        raise TypeError(f"{request.module.__name__} uses the `plain` or `switched` matcher: "
                        "it must define PLAIN, a watchlist's TOML text")
    return text


@pytest.fixture(scope="module")
def plain(request: pytest.FixtureRequest) -> Matcher:
    """A Matcher of the module's PLAIN watchlist, as a user would write it."""
    return Matcher(parse_watchlist(_plain_watchlist(request)))


@pytest.fixture(scope="module")
def switched(request: pytest.FixtureRequest) -> Matcher:
    """The same watchlist with `named_after = true`: a name inside an institution's or a place's name counts."""
    return Matcher(parse_watchlist("[meta]\nnamed_after = true\n" + _plain_watchlist(request)))
