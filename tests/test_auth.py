"""Who may do what (issue 15): bearer tokens and roles on the API, the review pages' login, session cookie and CSRF,
OIDC tokens verified against a locally generated key set (offline), rate limits per token."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from serving.api import Settings, create_app
from serving.api.auth import CSRF_COOKIE
from serving.store import Database
from tests.api_doubles import make_resources
from tests.review_ui_support import PLANTED, build_store, review_app

NOTE = {"text": "L'usager n'a pas reçu son versement de mars.", "call_id": "AUTH-1"}


@pytest.fixture(scope="module")
def monitored_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("monitored-auth"))


@pytest.fixture
def served(monitored_store: Path, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app over a monitored store with one user per role; yields the client and each role's token."""
    app, url, _ = review_app(monitored_store, tmp_path)
    database = Database.open(url)
    tokens = {role: database.users.add(f"u-{role}", role).token for role in ("agent", "analyst", "admin")}
    database.close()
    with TestClient(app, base_url="http://testserver") as client:
        yield client, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_bar_401_without_token_403_for_an_agent_200_for_an_analyst(served) -> None:  # type: ignore[no-untyped-def]
    client, tokens = served
    assert client.post("/v1/suggestions", json=NOTE).status_code == 401
    assert client.post("/v1/feedback", json={"call_id": "X", "chosen_code": "attestation"}).status_code == 401
    assert client.get("/v1/taxonomy").status_code == 401
    missing = client.get("/v1/review/clusters")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert "authentification requise" in missing.json()["detail"]
    assert client.get(f"/v1/review/clusters/{PLANTED}").status_code == 401
    assert client.get("/v1/review/clusters", headers=bearer("pas-un-jeton")).status_code == 401
    assert client.get("/v1/review/clusters", headers={"Authorization": "Basic dTpw"}).status_code == 401

    refused = client.get("/v1/review/clusters", headers=bearer(tokens["agent"]))
    assert refused.status_code == 403 and "analystes" in refused.json()["detail"]
    assert client.get(f"/v1/review/clusters/{PLANTED}", headers=bearer(tokens["agent"])).status_code == 403
    for role in ("analyst", "admin"):
        listing = client.get("/v1/review/clusters", headers=bearer(tokens[role]))
        assert listing.status_code == 200, role
        assert PLANTED in {c["id"] for c in listing.json()["clusters"]}
    assert client.post("/v1/suggestions", json=NOTE, headers=bearer(tokens["agent"])).status_code == 200
    given = {"call_id": "AUTH-1", "chosen_code": "autre", "agent": "someone-else"}
    assert client.post("/v1/feedback", json=given, headers=bearer(tokens["agent"])).status_code == 201
    # Health probes and the schema stay open; the schema documents the answers of the protected routes.
    assert client.get("/livez").status_code == 200 and client.get("/readyz").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"401", "403", "429"} <= set(paths["/v1/suggestions"]["post"]["responses"])
    assert {"401", "403", "429"} <= set(paths["/v1/review/clusters"]["get"]["responses"])


def test_feedback_is_stored_under_the_authenticated_agent(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, tokens = served
    given = {"call_id": "AUTH-2", "chosen_code": "autre", "agent": "someone-else"}
    assert client.post("/v1/feedback", json=given, headers=bearer(tokens["agent"])).status_code == 201
    database = Database.open(f"sqlite:///{tmp_path / 'api.db'}")
    (row,) = [n for n in database.feedback.with_notes() if n.call_id == "AUTH-2"]
    database.close()
    assert (row.agent, row.source) == ("u-agent", "agent")  # the user, whatever the body declares


def test_a_revoked_token_stops_working_at_once(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, tokens = served
    assert client.get("/v1/taxonomy", headers=bearer(tokens["agent"])).status_code == 200
    database = Database.open(f"sqlite:///{tmp_path / 'api.db'}")
    database.users.revoke("u-agent")
    database.close()
    assert client.get("/v1/taxonomy", headers=bearer(tokens["agent"])).status_code == 401


def login(client: TestClient, token: str, suite: str = "/revue") -> Any:
    return client.post(
        "/connexion",
        data={"token": token, "suite": suite},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )


def test_review_pages_ask_for_a_login_and_decisions_carry_the_user_and_need_the_csrf_token(
    served, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client, tokens = served
    redirected = client.get(f"/revue/clusters/{PLANTED}?scope=week", follow_redirects=False)
    assert redirected.status_code == 303
    assert redirected.headers["location"].startswith("/connexion?suite=%2Frevue%2Fclusters%2FE0001")
    assert client.post("/connexion", data={"token": "faux"}).status_code == 401
    # No open redirect after login.
    assert login(client, tokens["analyst"], "//evil.example/x").headers["location"] == "/revue"
    client.cookies.clear()

    # An agent logs in but the review pages are not theirs.
    assert login(client, tokens["agent"]).status_code == 303
    assert client.get("/revue").status_code == 403
    client.cookies.clear()

    response = login(client, tokens["analyst"], f"/revue/clusters/{PLANTED}?scope=week")
    assert response.status_code == 303 and response.headers["location"].endswith("scope=week")
    csrf = client.cookies[CSRF_COOKIE]
    page = client.get(f"/revue/clusters/{PLANTED}?scope=week")
    assert page.status_code == 200 and "u-analyst" in page.text and f'value="{csrf}"' in page.text
    assert 'name="reviewer"' not in page.text  # the author is the logged-in user, not a declared name

    action = f"/revue/clusters/{PLANTED}/ecarter?scope=week"
    forged = client.post(action, data={"reviewer": "<b>x</b>"}, follow_redirects=False)
    assert forged.status_code == 403 and "anti-CSRF" in forged.text
    done = client.post(action, data={"csrf": csrf, "reviewer": "<b>x</b>"}, follow_redirects=False)
    assert done.status_code == 303
    database = Database.open(f"sqlite:///{tmp_path / 'api.db'}")
    decisions = database.review.decisions("week", PLANTED)
    database.close()
    assert [(d.action, d.reviewer) for d in decisions] == [("dismiss", "u-analyst")]

    # The agents' page script uses the same session with the CSRF header.
    assert client.post("/v1/suggestions", json=NOTE).status_code == 403
    assert client.post("/v1/suggestions", json=NOTE, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/deconnexion", data={}).status_code == 403  # another site cannot log the user out
    assert client.get("/revue").status_code == 200
    client.post("/deconnexion", data={"csrf": csrf})
    assert client.get("/revue", follow_redirects=False).status_code == 303


def test_without_users_the_api_is_open_as_before(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'open.db'}")
    app = create_app(settings, loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        assert client.post("/v1/suggestions", json=NOTE).status_code == 200
        assert client.get("/connexion", follow_redirects=False).status_code == 303  # nothing to log into
        # A wrong token is still refused: credentials given are always checked.
        assert client.post("/v1/suggestions", json=NOTE, headers=bearer("faux")).status_code == 401


def test_an_unknown_host_header_is_refused(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", allowed_hosts=["motifs.exemple.fr"])
    app = create_app(settings, loader=lambda s: make_resources(s.database_url))
    with TestClient(app, base_url="http://rebound.attacker.example") as client:
        assert client.get("/livez").status_code == 400
    with TestClient(app, base_url="http://motifs.exemple.fr") as client:
        assert client.get("/livez").status_code == 200


def test_rate_limit_per_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rl.db'}"
    database = Database.open(url)
    first = database.users.add("a1", "agent").token
    second = database.users.add("a2", "agent").token
    database.close()
    app = create_app(Settings(database_url=url, rate_limit="3/minute"), loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        codes = [client.get("/v1/taxonomy", headers=bearer(first)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/v1/taxonomy", headers=bearer(first))
        assert int(limited.headers["retry-after"]) >= 1 and "MOTIFS_RATE_LIMIT" in limited.json()["detail"]
        assert client.get("/v1/taxonomy", headers=bearer(second)).status_code == 200  # per token


# --- OIDC ----------------------------------------------------------------------------------------------------------

ISSUER = "https://sso.exemple.gouv.fr/realms/agents"


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[Any, Any]:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )


def _jwks(key: Any, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def _token(key: Any, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "motifs", "sub": "123", "exp": now + 300, "iat": now} | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def test_oidc_tokens_are_verified_against_the_providers_keys(tmp_path: Path, rsa_keys) -> None:  # type: ignore[no-untyped-def]
    good, other = rsa_keys
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(_jwks(good, "k1")), encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'oidc.db'}",
        oidc_issuer=ISSUER,
        oidc_audience="motifs",
        oidc_jwks_file=jwks_file,
        oidc_role_map={"motifs-agent": "agent", "motifs-qualite": "analyst"},
    )
    app = create_app(settings, loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        assert client.get("/v1/taxonomy").status_code == 401  # OIDC configured: no longer open, even without users
        agent = _token(good, roles=["motifs-agent"], preferred_username="agent.lyon")
        analyst = _token(good, roles=["autre-appli", "motifs-qualite"])
        assert client.get("/v1/taxonomy", headers=bearer(agent)).status_code == 200
        assert client.get("/v1/review/clusters", headers=bearer(agent)).status_code == 403
        assert client.get("/v1/review/clusters", headers=bearer(analyst)).status_code in (200, 404)  # empty store
        refused = {
            "foreign key": _token(other, roles=["motifs-agent"]),
            "expired": _token(good, roles=["motifs-agent"], exp=int(time.time()) - 3600),
            "other audience": _token(good, roles=["motifs-agent"], aud="autre"),
            "other issuer": _token(good, roles=["motifs-agent"], iss="https://ailleurs.example"),
            "no role": _token(good, roles=["autre-appli"]),
            "hs256 with the public key": jwt.encode(
                {"iss": ISSUER, "aud": "motifs", "sub": "1", "exp": int(time.time()) + 60, "roles": ["motifs-agent"]},
                "secret-" * 8,
                algorithm="HS256",
                headers={"kid": "k1"},
            ),
        }
        for why, token in refused.items():
            response = client.get("/v1/taxonomy", headers=bearer(token))
            assert response.status_code == 401, why
            assert "jeton OIDC" in response.json()["detail"]


# --- safe defaults of `motifs serve` --------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_serve_without_users_stays_on_the_loopback_and_says_so(host: str) -> None:
    from serving.api.server import check_exposure

    message = check_exposure(Settings(), host, active_users=0)
    assert "Aucun utilisateur configuré" in message and "limité à cette machine" in message


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "motifs.exemple.fr"])
def test_serve_refuses_another_interface_without_authentication(host: str) -> None:
    from serving.api.server import check_exposure
    from serving.errors import ExposureRefused

    with pytest.raises(ExposureRefused, match="aucun utilisateur configuré"):
        check_exposure(Settings(), host, active_users=0)
    # With users, the public name must be an allowed host, or nobody could reach the service.
    with pytest.raises(ExposureRefused, match="MOTIFS_ALLOWED_HOSTS"):
        check_exposure(Settings(allowed_hosts=["localhost"]), host, active_users=2)
    message = check_exposure(Settings(allowed_hosts=["motifs.exemple.fr"]), host, active_users=2)
    assert message.startswith("Authentification exigée (2 utilisateur(s) actif(s))")
    oidc = Settings(allowed_hosts=["motifs.exemple.fr"], oidc_issuer=ISSUER, oidc_audience="motifs")
    assert "OIDC" in check_exposure(oidc, host, active_users=0)


def test_motifs_serve_refuses_all_interfaces_without_users(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from motifs.cli.main import build_app
    from pipeline.artifact import save_model
    from serving.errors import ExposureRefused
    from tests.api_doubles import KeywordModel

    save_model(KeywordModel(), tmp_path / "model")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    args = ["serve", "--model", str(tmp_path / "model"), "--host", "0.0.0.0", "--database-url", url]
    result = CliRunner().invoke(build_app(), args)
    assert isinstance(result.exception, ExposureRefused)


def test_oidc_keys_fetched_from_the_jwks_url(rsa_keys) -> None:  # type: ignore[no-untyped-def]
    """The provider's jwks_uri, served here on the loopback (no network): PyJWKClient fetches and caches it."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from serving.api.oidc import OidcVerifier
    from serving.errors import AuthError

    good, _ = rsa_keys
    body = json.dumps(_jwks(good, "k1")).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/certs"
        verifier = OidcVerifier(issuer=ISSUER, audience="motifs", jwks_url=url)
        identity = verifier.verify(_token(good, roles="admin", preferred_username="chef"))
        assert (identity.name, identity.role) == ("chef", "admin")
        with pytest.raises(AuthError):
            verifier.verify("a.b.c")
    finally:
        server.shutdown()
    with pytest.raises(AuthError, match="MOTIFS_OIDC_AUDIENCE"):
        OidcVerifier(issuer=ISSUER, audience=None, jwks_url="http://127.0.0.1:1/certs")
    with pytest.raises(AuthError, match="un seul"):
        OidcVerifier(issuer=ISSUER, audience="motifs")
    with pytest.raises(AuthError, match="inconnu"):
        OidcVerifier(issuer=ISSUER, audience="motifs", jwks=_jwks(good, "k1"), role_map={"x": "root"})
    with pytest.raises(AuthError, match="JWKS vide"):
        OidcVerifier(issuer=ISSUER, audience="motifs", jwks={"keys": []})


def test_adding_a_user_closes_the_open_mode_without_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'switch.db'}"
    app = create_app(Settings(database_url=url), loader=lambda s: make_resources(s.database_url))
    app.state.auth_switch.ttl_s = 0.2
    with TestClient(app) as client:
        assert client.get("/v1/taxonomy").status_code == 200
        database = Database.open(url)
        token = database.users.add("premier", "agent").token
        database.close()
        time.sleep(0.3)
        assert client.get("/v1/taxonomy").status_code == 401
        assert client.get("/v1/taxonomy", headers=bearer(token)).status_code == 200


def test_the_caller_is_a_dependency_tests_can_swap(served) -> None:  # type: ignore[no-untyped-def]
    from serving.api.auth import Principal, current_principal

    client, _ = served
    client.app.dependency_overrides[current_principal] = lambda: Principal("double", "agent", True)
    try:
        assert client.post("/v1/suggestions", json=NOTE).status_code == 200
        assert client.get("/v1/review/clusters").status_code == 403
        assert client.get("/revue").status_code == 403  # the pages use the same dependency
    finally:
        client.app.dependency_overrides.clear()
    assert client.post("/v1/suggestions", json=NOTE).status_code == 401


def test_login_attempts_are_limited_per_client(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'login.db'}"
    database = Database.open(url)
    token = database.users.add("a1", "analyst").token
    database.close()
    app = create_app(Settings(database_url=url, rate_limit="3/minute"), loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        codes = [login(client, "faux").status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        limited = login(client, token)  # even the right token waits: the attempts are counted, not the failures
        assert limited.status_code == 429 and "trop de tentatives" in limited.text
