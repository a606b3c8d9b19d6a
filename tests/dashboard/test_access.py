"""Access: OIDC allow-list and providers (dashboard/access.py), and the gates in the app (AppTest).

AppTest seeds `st.user` through `at.user` and the `[auth]` secrets through `at.secrets`, as Streamlit's own
tests do; no identity provider is contacted (a login button is drawn, never clicked here).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import is_allowed, parse_allow_list, providers
from dashboard.escape import markdown_text
from tests.paths import APP, REPO

AUTH = {"redirect_uri": "https://newsmon.example.org/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "newsmon", "client_secret": "s3cret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}
SECRETS = ("Alice Example", "alice-example", "Daily Fiction", "news.example", "Bob Sample")


def test_providers():
    assert providers(AUTH) == [None]
    named = {"redirect_uri": "r", "cookie_secret": "c", "google": {"client_id": "g"}, "okta": {"client_id": "o"}}
    assert providers(named) == ["google", "okta"]


def test_parse_allow_list():
    assert parse_allow_list("Ana@Newsroom.example, @partner.org  desk.example") == (
        frozenset({"ana@newsroom.example"}), frozenset({"partner.org", "desk.example"}))
    assert parse_allow_list("") == (frozenset(), frozenset())


LOGGED = {"is_logged_in": True, "email_verified": True}


@pytest.mark.parametrize(("user", "allow", "ok"), [
    ({"is_logged_in": False, "email": "ana@newsroom.example"}, "", False),
    ({}, "", False),
    ({**LOGGED, "email": "ana@newsroom.example"}, "", True),  # no allow-list: any logged-in user
    ({**LOGGED, "email": "Ana@Newsroom.example"}, "ana@newsroom.example", True),
    ({**LOGGED, "email": "bo@newsroom.example"}, "ana@newsroom.example", False),
    ({**LOGGED, "email": "bo@partner.org"}, "@partner.org", True),
    ({**LOGGED, "email": "bo@evil-partner.org"}, "@partner.org", False),  # a suffix is not the domain
    ({**LOGGED, "email": "bo@sub.partner.org"}, "partner.org", False),  # nor is a subdomain
    ({**LOGGED, "email": "partner.org@evil.example"}, "partner.org", False),
    ({"is_logged_in": True, "email": "bo@partner.org", "email_verified": False}, "partner.org", False),
    ({"is_logged_in": True, "email": "bo@partner.org", "email_verified": "false"}, "partner.org", False),
    ({"is_logged_in": True, "email": "bo@partner.org"}, "partner.org", True),  # no claim: the provider vouches
    ({**LOGGED}, "partner.org", False),  # no e-mail claim at all
])
def test_is_allowed(user, allow, ok):
    assert is_allowed(user, allow)[0] is ok


def _app(monkeypatch, store, user: dict, params: dict | None = None, allow: str = "", password: str = "") -> AppTest:
    monkeypatch.setenv("NEWSMON_STORE", str(store.root))
    monkeypatch.setenv("NEWSMON_WATCHLIST", str(store.watchlist))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(store.root.parent / "dashboard-cache"))
    monkeypatch.setenv("NEWSMON_ALLOWED_USERS", allow)
    if password:
        monkeypatch.setenv("NEWSMON_PASSWORD", password)
    else:
        monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = dict(AUTH)
    at.user = user
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    return at


def _shows_no_data(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.get("plotly_chart") and not at.get("arrow_data_frame") and not at.multiselect
    assert not at.get("html")
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.title, *at.info, *at.error, *at.text])
    for s in SECRETS:
        assert s not in shown, s


# Query parameters that would open data, or that try to look like a session flag: none may bypass a gate.
BYPASS = {"people": "alice-example", "article": "", "sel": "person:alice-example:2024-01-01",
          "is_logged_in": "true", "_newsmon_auth": "1", "email": "ana@newsroom.example"}


def test_oidc_not_logged_in_sees_a_login_button_and_no_data(monkeypatch, tiny_store):
    params = {**BYPASS, "article": tiny_store.hostile_id}
    at = _app(monkeypatch, tiny_store, {"is_logged_in": False}, params)
    _shows_no_data(at)
    assert [b.label for b in at.button] == ["Log in"]
    for page in ("screens/explore.py", "screens/health.py"):
        at.switch_page(page).run()
        _shows_no_data(at)


def test_oidc_logged_in_user_sees_the_data(monkeypatch, tiny_store):
    at = _app(monkeypatch, tiny_store, {"is_logged_in": True, "email": "ana@newsroom.example", "name": "Ana"},
              {"people": "alice-example"})
    assert not at.exception, at.exception
    assert at.get("plotly_chart")
    assert any(markdown_text("ana@newsroom.example") in c.value for c in at.sidebar.caption)  # escaped Markdown
    assert "Log out" in [b.label for b in at.sidebar.button]
    at.switch_page("screens/explore.py").run()
    assert at.get("plotly_chart")


def test_oidc_allow_list_refuses_another_user(monkeypatch, tiny_store):
    user = {"is_logged_in": True, "email": "mallory@elsewhere.example", "email_verified": True}
    at = _app(monkeypatch, tiny_store, user, BYPASS, allow="@newsroom.example")
    _shows_no_data(at)
    assert any("not on the allow-list" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Log out"]
    at = _app(monkeypatch, tiny_store, {**user, "email": "ana@newsroom.example"}, allow="@newsroom.example")
    assert at.get("plotly_chart")


def test_oidc_and_password_together_need_both(monkeypatch, tiny_store):
    user = {"is_logged_in": True, "email": "ana@newsroom.example"}
    at = _app(monkeypatch, tiny_store, user, BYPASS, password="correct horse")
    _shows_no_data(at)
    at.text_input[0].input("correct horse")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert at.get("plotly_chart")


def test_without_auth_secrets_no_login_is_asked(monkeypatch, tiny_store):
    monkeypatch.setenv("NEWSMON_STORE", str(tiny_store.root))
    monkeypatch.setenv("NEWSMON_DASHBOARD_CACHE", str(tiny_store.root.parent / "dashboard-cache"))
    monkeypatch.delenv("NEWSMON_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.user = {"email": "test@example.com"}  # AppTest's default user; no [auth] section
    at.run()
    assert not at.exception and at.get("plotly_chart")
    assert "Log in" not in [b.label for b in at.button]


def test_docs_describe_the_oidc_settings():
    doc = (REPO / "docs" / "dashboard.md").read_text(encoding="utf-8")
    from dashboard.access import ALLOW_ENV

    for needle in (ALLOW_ENV, "[auth]", *AUTH, "/oauth2callback", "Authlib", "NEWSMON_PASSWORD"):
        assert needle in doc, needle
