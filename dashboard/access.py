"""Who may see the dashboard: the OIDC allow-list and the login providers (pure functions, no streamlit).

`shell.gate()` applies them to Streamlit's own authentication (`st.login` / `st.user`), configured by an
`[auth]` section in `.streamlit/secrets.toml` (see docs/dashboard.md, "Serving to a team").
"""

from __future__ import annotations

from collections.abc import Mapping

ALLOW_ENV = "NEWSMON_ALLOWED_USERS"
PROVIDER_KEYS = ("client_id", "server_metadata_url")  # an [auth] table holding these is one unnamed provider


def providers(auth: Mapping) -> list[str | None]:
    """The `provider` argument(s) for `st.login`: None for a single unnamed provider in `[auth]`,
    else the names of the `[auth.NAME]` tables, in file order."""
    if any(k in auth for k in PROVIDER_KEYS):
        return [None]
    return [name for name, v in auth.items() if isinstance(v, Mapping)]


def parse_allow_list(raw: str) -> tuple[frozenset[str], frozenset[str]]:
    """`NEWSMON_ALLOWED_USERS`: comma- or space-separated e-mail addresses and domains (`@example.org` or
    `example.org`). Returns (addresses, domains), lower-cased. Empty: every logged-in user may enter."""
    emails: set[str] = set()
    domains: set[str] = set()
    for item in raw.replace(",", " ").split():
        item = item.strip().lower()
        if "@" in item.lstrip("@"):
            emails.add(item)
        elif item.lstrip("@"):
            domains.add(item.lstrip("@"))
    return frozenset(emails), frozenset(domains)


def is_allowed(user: Mapping, allow: str) -> tuple[bool, str]:
    """Whether a logged-in OIDC user (the claims of `st.user`) may see the data, and if not, why.

    With an allow-list, the user needs an `email` claim that the provider has not marked unverified
    (`email_verified: false`), matching an address exactly or ending in `@<domain>` (not a subdomain).
    """
    if not user.get("is_logged_in"):
        return False, "not logged in"
    emails, domains = parse_allow_list(allow)
    if not emails and not domains:
        return True, "no allow-list"
    email = str(user.get("email") or "").strip().lower()
    if not email:
        return False, "the identity provider sent no e-mail address"
    if user.get("email_verified") is False or str(user.get("email_verified")).lower() == "false":
        return False, "the identity provider has not verified this e-mail address"
    if email in emails:
        return True, "address on the allow-list"
    local, _, domain = email.rpartition("@")
    if local and domain in domains:
        return True, "domain on the allow-list"
    return False, "not on the allow-list"
