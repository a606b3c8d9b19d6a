"""A fake OpenID Connect provider on 127.0.0.1 for browser tests of the dashboard's OIDC login.

It signs in whoever is configured as `user` without asking: /authorize redirects straight back with a code,
/token returns an RS256 id_token carrying the nonce that the login sent, /jwks publishes the key. Enough for
Streamlit's own `st.login` (Authlib) to complete a real authorization-code flow without any network.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "newsmon-test"
CLIENT_SECRET = "not-a-real-secret"


class FakeProvider:
    def __init__(self, user: dict) -> None:
        self.user = user
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, str] = {}  # code -> nonce
        self.logins = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.metadata())
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = q.get("nonce", "")
                    provider.logins += 1
                    self.send_response(302)
                    self.send_header("Location", q["redirect_uri"] + "?" + urlencode({"code": code,
                                                                                       "state": q["state"]}))
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                body = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                code = body.get("code", [""])[0]
                if urlparse(self.path).path != "/token" or code not in provider.codes:
                    self.send_error(400)
                    return
                now = int(time.time())
                claims = {"iss": provider.url, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
                          "nonce": provider.codes.pop(code), **provider.user}
                token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, provider.key)
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                            "id_token": token})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def metadata(self) -> dict:
        return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def secrets_toml(self, redirect_uri: str) -> str:
        return "\n".join([
            "[auth]",
            f'redirect_uri = "{redirect_uri}"',
            f'cookie_secret = "{secrets.token_hex(32)}"',
            f'client_id = "{CLIENT_ID}"',
            f'client_secret = "{CLIENT_SECRET}"',
            f'server_metadata_url = "{self.url}/.well-known/openid-configuration"',
            "",
        ])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
