"""Real-browser tests of the sign-in gates: no store data reaches a visitor before the password or the OIDC login."""

from __future__ import annotations

import pytest

from tests.browserkit import Dashboard, free_port, require_chromium, wait_chart, websocket_frames

pytestmark = pytest.mark.browser

require_chromium()


def test_password_gate_sends_no_data_before_sign_in(browser, tiny_store_session, tmp_path):
    d = Dashboard(tiny_store_session.root, tmp_path, {"NEWSMON_PASSWORD": "correct horse",
                                                      "NEWSMON_WATCHLIST": str(tiny_store_session.watchlist)})
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        frames = websocket_frames(pg)
        pg.goto(f"{d.url}/explore")
        pg.get_by_label("Password", exact=True).wait_for()
        pg.wait_for_timeout(1000)
        assert pg.locator(".js-plotly-plot").count() == 0
        everything = pg.content() + "".join(frames)
        for secret in ("Alice Example", "alice-example", "Daily Fiction", "news.example"):
            assert secret not in everything, secret
        pg.get_by_label("Password", exact=True).fill("correct horse")
        pg.get_by_role("button", name="Sign in").click()
        wait_chart(pg)
        ctx.close()
    finally:
        d.stop()


def test_oidc_login_through_a_real_authorization_code_flow(browser, tiny_store_session, tmp_path):
    """A fake OIDC provider on 127.0.0.1; `[auth]` in the server's .streamlit/secrets.toml; Streamlit's own st.login.

    Before login: a login button, and nothing from the store on the page or the websocket, even with query
    parameters that would open an article. After the provider's round trip: the chart. A user outside the
    allow-list (NEWSMON_ALLOWED_USERS) is refused after the same round trip."""
    from tests.oidc_provider import FakeProvider

    provider = FakeProvider({"sub": "u1", "email": "ana@newsroom.example", "email_verified": True, "name": "Ana"})
    port = free_port()
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        provider.secrets_toml(f"http://127.0.0.1:{port}/oauth2callback"), encoding="utf-8")
    d = Dashboard(tiny_store_session.root, tmp_path, {"NEWSMON_WATCHLIST": str(tiny_store_session.watchlist),
                                                      "NEWSMON_ALLOWED_USERS": "@newsroom.example"}, port=port)
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        frames = websocket_frames(pg)
        pg.goto(f"{d.url}/explore?people=alice-example&article={tiny_store_session.hostile_id}"
                "&is_logged_in=true&email=ana%40newsroom.example")
        pg.get_by_role("button", name="Log in").wait_for()
        pg.wait_for_timeout(1000)
        assert pg.locator(".js-plotly-plot, .nm-body").count() == 0
        everything = pg.content() + "".join(frames)
        # (the URL's own "people=alice-example" may come back in the page info; a quoted id would be store data)
        for secret in ("Alice Example", '"alice-example"', "Daily Fiction", "news.example/", "xss"):
            assert secret not in everything, secret
        assert provider.logins == 0

        pg.get_by_role("button", name="Log in").click()
        pg.wait_for_url(f"{d.url}/**")
        pg.get_by_text("Logged in as ana@newsroom.example").wait_for()
        assert provider.logins == 1
        pg.goto(f"{d.url}/explore?people=alice-example")
        wait_chart(pg)
        pg.get_by_role("button", name="Log out").click()
        pg.get_by_role("button", name="Log in").wait_for()
        ctx.close()

        provider.user = {**provider.user, "email": "mallory@elsewhere.example"}
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        frames = websocket_frames(pg)
        pg.goto(f"{d.url}/explore?people=alice-example")
        pg.get_by_role("button", name="Log in").click()
        pg.get_by_text("mallory@elsewhere.example may not use this dashboard").wait_for()
        pg.wait_for_timeout(500)
        assert pg.locator(".js-plotly-plot").count() == 0
        assert "Alice Example" not in pg.content() + "".join(frames)
        ctx.close()
    finally:
        d.stop()
        provider.stop()
