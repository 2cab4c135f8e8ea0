"""The suggestion API: routes, limits, site extensions, timeouts, concurrency (doubles for model/redactor/taxonomy)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from serving.api import Settings, create_app
from serving.api.dependencies import get_resources
from serving.store import Database
from tests.api_doubles import KeywordModel, RaisingModel, SlowModel, make_resources, sqlite_url

NOTE = "L'usager n'a pas reçu son versement de mars, il rappelle pour la deuxième fois."


def build_app(tmp_path: Path, model: KeywordModel | None = None, **settings: object):  # type: ignore[no-untyped-def]
    config = Settings(database_url=sqlite_url(tmp_path), **settings)  # type: ignore[arg-type]
    return create_app(config, loader=lambda s: make_resources(s.database_url, model=model))


@pytest.fixture
def model() -> KeywordModel:
    return KeywordModel()


@pytest.fixture
def client(tmp_path: Path, model: KeywordModel) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path, model)) as test_client:
        yield test_client


def stored(tmp_path: Path) -> Database:
    return Database.open(sqlite_url(tmp_path), migrate=False)


def test_suggestions_happy_path(client: TestClient, model: KeywordModel) -> None:
    response = client.post("/v1/suggestions", json={"text": NOTE})
    assert response.status_code == 200
    body = response.json()
    assert body["suggestions"][0] == {
        "code": "paiement_non_recu",
        "label": "Versement non reçu ou en retard",
        "confidence": pytest.approx(0.7),
    }
    assert len(body["suggestions"]) == 3
    assert [s["confidence"] for s in body["suggestions"]] == sorted(
        (s["confidence"] for s in body["suggestions"]), reverse=True
    )
    assert body["autre"] is False
    assert body["decision"] == "confident"
    assert body["prediction_set"] == [{"code": "paiement_non_recu", "label": "Versement non reçu ou en retard"}]
    assert body["novelty"] == {"score": pytest.approx(0.2), "threshold": pytest.approx(0.5)}
    assert body["self_service"] == {
        "hint": "Les dates et montants des paiements figurent dans l'espace personnel, rubrique « Mes paiements ».",
        "url": None,
    }
    assert (body["model_version"], body["taxonomy_version"], body["degraded"]) == (
        "keywords-1",
        "national@1.1.0",
        False,
    )
    assert model.received == [NOTE]  # nothing to redact here: the model got the note as is


def test_k_and_autre(client: TestClient) -> None:
    body = client.post("/v1/suggestions", json={"text": "Question sans mot-clé connu", "k": 2}).json()
    assert body["autre"] is True
    assert body["decision"] == "autre"
    assert body["prediction_set"] == []  # « hors base »: no set, but the closest reasons are still listed
    assert body["novelty"]["score"] > body["novelty"]["threshold"]
    assert body["self_service"] is None  # no hint for « autre », even if the first suggestion has one
    assert len(body["suggestions"]) == 2


def test_to_confirm_returns_the_prediction_set_and_it_is_stored(client: TestClient, tmp_path: Path) -> None:
    note = "Le montant du versement est faux"  # two keywords: the double hesitates between two known reasons
    body = client.post("/v1/suggestions", json={"text": note, "call_id": "A-9"}).json()
    assert (body["decision"], body["autre"]) == ("to_confirm", False)
    assert [item["code"] for item in body["prediction_set"]] == ["paiement_non_recu", "paiement_montant"]
    assert body["prediction_set"][0]["label"] == "Versement non reçu ou en retard"
    (row,) = stored(tmp_path).predictions.get("A-9")
    assert (row.decision, row.prediction_set, row.autre) == (
        "to_confirm",
        ("paiement_non_recu", "paiement_montant"),
        False,
    )


def test_the_model_only_sees_redacted_text(client: TestClient, model: KeywordModel) -> None:
    client.post("/v1/suggestions", json={"text": "Mme Bernard au 06 12 34 56 78 : attestation"})
    assert model.received == ["<NOM> au <TEL> : attestation"]


def test_site_extension_applies_local_reasons_and_rolls_up_elsewhere(client: TestClient) -> None:
    note = "Demande d'aide FSL pour la facture d'électricité"
    local = client.post("/v1/suggestions", json={"text": note, "site": "metropole_lyon"}).json()
    assert local["suggestions"][0]["code"] == "lyon_fsl_energie"
    assert local["suggestions"][0]["label"] == "Aide FSL pour des impayés d'énergie ou d'eau"
    assert local["taxonomy_version"] == "national@1.1.0+metropole_lyon@1.0.0"
    for site in (None, "caf_13"):  # no site, or a site without extension: the national ancestor
        national = client.post("/v1/suggestions", json={"text": note, "site": site}).json()
        assert national["suggestions"][0]["code"] == "paiement_difficulte"
        assert national["suggestions"][0]["label"].startswith("Difficulté de paiement")
        assert national["taxonomy_version"] == "national@1.1.0"
        assert len({s["code"] for s in national["suggestions"]}) == len(national["suggestions"])


def test_suggestion_stored_redacted_only_with_a_call_id(client: TestClient, tmp_path: Path) -> None:
    client.post("/v1/suggestions", json={"text": "Pas de versement, rappeler au 06 12 34 56 78"})
    db = stored(tmp_path)
    assert db.predictions.count() == 0
    payload = {"text": "Pas de versement, rappeler au 06 12 34 56 78", "call_id": "A-1", "site": "metropole_lyon"}
    client.post("/v1/suggestions", json={**payload, "channel": "telephone"})
    (row,) = db.predictions.get("A-1")
    assert row.redacted_text == "Pas de versement, rappeler au <TEL>"
    assert (row.code, row.source, row.site, row.channel, row.model_version) == (
        "paiement_non_recu",
        "api",
        "metropole_lyon",
        "telephone",
        "keywords-1",
    )
    assert row.taxonomy_version == "national@1.1.0"
    assert len(row.top_k) == 3
    client.post("/v1/suggestions", json={**payload, "text": "finalement une attestation"})
    assert [r.code for r in db.predictions.get("A-1")] == ["attestation"]  # the latest note of the call wins
    db.close()


def test_storage_can_be_switched_off(tmp_path: Path) -> None:
    with TestClient(build_app(tmp_path, store_suggestions=False)) as client:
        assert client.post("/v1/suggestions", json={"text": NOTE, "call_id": "A-1"}).status_code == 200
    assert stored(tmp_path).predictions.count() == 0


def test_too_long_text_is_413_and_never_analysed(tmp_path: Path, model: KeywordModel) -> None:
    with TestClient(build_app(tmp_path, model, max_text_length=100)) as client:
        assert client.post("/v1/suggestions", json={"text": "x" * 100}).status_code == 200
        response = client.post("/v1/suggestions", json={"text": "versement " * 11, "call_id": "A-2"})
        assert response.status_code == 413
        assert response.json()["detail"].startswith("note trop longue : 110 caractères reçus, 100 au plus")
        huge = client.post(
            "/v1/suggestions",
            content=b'{"text": "' + b"a" * 200_000 + b'"}',
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
        assert huge.json() == {"detail": "requête trop volumineuse"}
    assert model.received == ["x" * 100]
    assert stored(tmp_path).predictions.count() == 0


@pytest.mark.parametrize(
    ("payload", "loc", "kind"),
    [
        ({}, ["body", "text"], "missing"),
        ({"text": ""}, ["body", "text"], "string_too_short"),
        ({"text": 12}, ["body", "text"], "string_type"),
        ({"text": "ok", "k": 0}, ["body", "k"], "greater_than_equal"),
        ({"text": "ok", "k": 11}, ["body", "k"], "less_than_equal"),
        ({"text": "ok", "site": "Lyon Centre"}, ["body", "site"], "string_pattern_mismatch"),
        ({"text": "ok", "call_id": "a b"}, ["body", "call_id"], "string_pattern_mismatch"),
        ({"text": "ok", "colour": "bleu"}, ["body", "(champ inconnu)"], "extra_forbidden"),
    ],
)
def test_validation_errors_are_french_and_locate_the_field(
    client: TestClient, payload: dict[str, object], loc: list[str], kind: str
) -> None:
    response = client.post("/v1/suggestions", json=payload)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, kind)
    assert set(error) == {"loc", "type", "msg"}
    assert error["msg"] and error["msg"] != "valeur invalide"


def test_invalid_json_is_422_in_french(client: TestClient) -> None:
    response = client.post("/v1/suggestions", content=b'{"text": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "corps de requête JSON illisible"


def test_unknown_route_and_method_answer_in_french(client: TestClient) -> None:
    assert client.get("/v1/inconnu").json() == {"detail": "ressource introuvable"}
    assert client.get("/v1/suggestions").status_code == 405


def test_timeout_gives_a_degraded_empty_answer(tmp_path: Path) -> None:
    with TestClient(build_app(tmp_path, SlowModel(1.5), request_timeout_s=0.2)) as client:
        started = time.perf_counter()
        response = client.post("/v1/suggestions", json={"text": NOTE, "call_id": "A-3", "site": "metropole_lyon"})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.json() == {
        "decision": "to_confirm",
        "prediction_set": [],
        "novelty": {"score": None, "threshold": None},
        "suggestions": [],
        "autre": False,
        "self_service": None,
        "model_version": "keywords-1",
        "taxonomy_version": "national@1.1.0+metropole_lyon@1.0.0",
        "degraded": True,
    }
    assert elapsed < 1.2
    assert stored(tmp_path).predictions.count() == 0


def test_model_failure_is_a_french_500_with_a_reference(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(build_app(tmp_path, RaisingModel()), raise_server_exceptions=False) as client:
        response = client.post("/v1/suggestions", json={"text": "Mme Bernard, attestation"})
    assert response.status_code == 500
    reference = response.headers["x-request-id"]
    assert response.json() == {"detail": f"erreur interne du service (référence : {reference})"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(reference in r.getMessage() and "ValueError" in r.getMessage() for r in errors)
    # The exception's message quotes the input; only the type and the stack frames (source lines) are logged.
    assert "Bernard" not in caplog.text and "attestation" not in caplog.text
    assert "Traceback" not in response.text


def test_feedback_is_stored_and_unknown_codes_refused(client: TestClient, tmp_path: Path) -> None:
    ok = client.post(
        "/v1/feedback",
        json={"call_id": "A-1", "suggested_codes": ["paiement_non_recu", "attestation"], "chosen_code": "attestation"},
    )
    assert ok.status_code == 201
    assert ok.json() == {
        "call_id": "A-1",
        "chosen_code": "attestation",
        "national_code": "attestation",
        "taxonomy_version": "national@1.1.0",
        "call_known": False,  # no suggestion was stored for A-1: kept, flagged (tests/test_call_ids.py)
    }
    local = client.post(
        "/v1/feedback",
        json={"call_id": "A-2", "chosen_code": "lyon_fsl_energie", "site": "metropole_lyon", "agent": "agent-42"},
    )
    assert local.status_code == 201
    assert local.json()["national_code"] == "paiement_difficulte"
    for payload, field in [
        ({"call_id": "A-3", "chosen_code": "lyon_fsl_energie"}, "chosen_code"),  # local code, no site
        ({"call_id": "A-3", "chosen_code": "paiement_indu"}, "chosen_code"),  # deprecated
        ({"call_id": "A-3", "chosen_code": "autre", "suggested_codes": ["motif_invente"]}, "suggested_codes"),
    ]:
        refused = client.post("/v1/feedback", json=payload)
        assert refused.status_code == 422
        (error,) = refused.json()["detail"]
        assert error["loc"] == ["body", field]
        assert error["type"] == "unknown_reason_code"
        code = payload["chosen_code"] if field == "chosen_code" else "motif_invente"
        assert f"« {code} » n'existe pas" in error["msg"]
    free_text = client.post("/v1/feedback", json={"call_id": "A-3", "chosen_code": "Le monsieur voulait son RIB"})
    assert free_text.status_code == 422
    free_agent = client.post("/v1/feedback", json={"call_id": "A-3", "chosen_code": "autre", "agent": "Mme Dupont"})
    assert free_agent.status_code == 422  # an id, not free text
    db = stored(tmp_path)
    assert db.feedback.count() == 2
    assert db.feedback.latest_choices(["A-1", "A-2"]) == {"A-1": "attestation", "A-2": "lyon_fsl_energie"}
    (given,) = [f for f in db.feedback.iter_between(*_today()) if f.call_id == "A-2"]
    assert (given.site, given.model_version, given.taxonomy_version, given.agent, given.source) == (
        "metropole_lyon",
        "keywords-1",
        "national@1.1.0+metropole_lyon@1.0.0",
        "agent-42",
        "agent",
    )


def _today():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return now - timedelta(hours=1), now + timedelta(hours=1)


def test_taxonomy_with_and_without_site(client: TestClient) -> None:
    national = client.get("/v1/taxonomy").json()
    codes = [r["code"] for r in national["reasons"]]
    assert "autre" in codes and "paiement_indu" not in codes and "lyon_fsl_energie" not in codes
    assert (national["site"], national["site_extension"], national["taxonomy_version"]) == (
        None,
        False,
        "national@1.1.0",
    )
    lyon = client.get("/v1/taxonomy", params={"site": "metropole_lyon"}).json()
    (fsl,) = [r for r in lyon["reasons"] if r["code"] == "lyon_fsl_energie"]
    assert (fsl["parent"], fsl["site"], fsl["domain"]) == (
        "lyon_fonds_solidarite_logement",
        "metropole_lyon",
        "paiement",
    )
    assert lyon["site_extension"] is True
    assert client.get("/v1/taxonomy", params={"site": "Pas un site"}).status_code == 422


def test_probes_and_version(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "model": True, "taxonomy": True, "database": True}
    version = client.get("/version").json()
    assert version["api"] == "v1"
    assert version["sites"] == ["metropole_lyon"]
    assert version["schema_revision"] is not None


def test_readyz_is_503_before_loading_and_when_the_database_is_down(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    bare = TestClient(app)  # no `with`: lifespan not run, nothing loaded
    assert bare.get("/readyz").status_code == 503
    assert bare.get("/livez").status_code == 200
    assert bare.post("/v1/suggestions", json={"text": NOTE}).status_code == 503
    with TestClient(app) as client:
        # A database that cannot be reached: a SQLite file in a folder that does not exist.
        app.state.resources.database = Database(sqlalchemy.create_engine(f"sqlite:///{tmp_path}/absent/none.db"))
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] is False


def test_dependencies_can_be_overridden(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    other = make_resources(sqlite_url(tmp_path / "other"), model=SlowModel(0.0))
    other.model.model_version = "override-1"  # type: ignore[misc]
    app.dependency_overrides[get_resources] = lambda: other
    with TestClient(app) as client:
        assert client.post("/v1/suggestions", json={"text": NOTE}).json()["model_version"] == "override-1"
    other.close()


def test_concurrent_requests_each_get_their_own_answer(tmp_path: Path, model: KeywordModel) -> None:
    app = build_app(tmp_path, model)
    notes = {
        "versement": "paiement_non_recu",
        "attestation": "attestation",
        "rendez-vous": "rdv_gestion",
        "adresse": "situation_adresse",
    }

    async def main() -> list[tuple[str, str]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

            async def one(i: int, word: str) -> tuple[str, str]:
                response = await http.post("/v1/suggestions", json={"text": f"{word} {i}", "call_id": f"C-{i}-{word}"})
                return word, response.json()["suggestions"][0]["code"]

            return await asyncio.gather(*(one(i, word) for i in range(16) for word in notes))

    with TestClient(app):  # runs the lifespan; requests go through ASGITransport concurrently
        results = asyncio.run(main())
    assert len(results) == 64
    assert all(notes[word] == code for word, code in results)
    assert stored(tmp_path).predictions.count() == 64


def test_access_log_names_the_route_never_the_query(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="motifs.api.access")
    client.get("/v1/taxonomy", params={"site": "jean_dupont"})
    client.get("/v1/nulle-part-jean-dupont")
    lines = [r.getMessage() for r in caplog.records if r.name == "motifs.api.access"]
    assert lines[0].startswith("GET /v1/taxonomy 200 ")
    assert lines[1].startswith("GET (hors route) 404 ")
    assert "jean" not in caplog.text


def test_openapi_is_documented_in_french(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/v1/suggestions"]["post"]
    assert post["summary"] == "Suggérer des motifs pour une note"
    assert {"200", "413", "422", "500"} <= set(post["responses"])
    assert "anonymisée" in post["description"]
    assert schema["components"]["schemas"]["SuggestionRequest"]["examples"]
    assert set(schema["paths"]) >= {"/v1/suggestions", "/v1/feedback", "/v1/taxonomy", "/livez", "/readyz", "/version"}
    assert "/" not in schema["paths"]
