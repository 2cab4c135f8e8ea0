"""The « à confirmer » page (/revue/a-confirmer): the ranked queue, labelling from the prediction set, from a search
of the base or as « autre », each label stored as analyst feedback; the same bar as the other review pages (analysts
only, CSRF with a session, origin check); and in a real Chromium, labelling with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.api import Settings, create_app
from serving.api.auth import CSRF_COOKIE
from serving.store import Database, PredictionRecord, ScoredCode
from tests.api_doubles import make_resources
from tests.live_server import running_server
from tests.test_agent_page import CHROMIUM_ARGS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
NOTES = {
    "Q-1": "l'usager n'a pas reçu son versement de mars",
    "Q-2": "l'usager n'a pas reçu son versement d'avril",
    "Q-3": "l'usager demande pourquoi le montant a baissé",
}


def _store(directory: Path) -> str:
    url = f"sqlite:///{directory / 'api.db'}"
    db = Database.open(url)
    db.predictions.add_many(
        PredictionRecord(
            call_id=call_id,
            called_at=T0 + timedelta(minutes=i),
            code="paiement_non_recu",
            confidence=0.46,
            autre=False,
            decision="to_confirm",
            top_k=(ScoredCode("paiement_non_recu", 0.46), ScoredCode("paiement_montant", 0.41)),
            prediction_set=("paiement_non_recu", "paiement_montant"),
            model_version="m1",
            taxonomy_version="national@1.1.0",
            source="api",
            redacted_text=text,
        )
        for i, (call_id, text) in enumerate(NOTES.items())
    )
    db.close()
    return url


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    url = _store(tmp_path)
    app = create_app(Settings(database_url=url, taxonomy_dir=tmp_path / "tax"), loader=lambda s: make_resources(url))
    with TestClient(app, base_url="http://testserver") as client:
        yield client, url


def _feedback(url: str) -> list[Any]:
    db = Database.open(url, migrate=False)
    rows = list(db.feedback.with_notes())
    db.close()
    return rows


def test_the_page_shows_the_ranked_queue_with_keys_and_the_base(served: tuple[TestClient, str]) -> None:
    client, _ = served
    response = client.get("/revue/a-confirmer")
    assert response.status_code == 200
    assert "script-src 'none'" in response.headers["content-security-policy"]
    html = response.text
    assert 'aria-current="page">À confirmer</a>' in html
    assert 'accesskey="1"' in html and 'accesskey="2"' in html and 'accesskey="0"' in html
    assert 'value="paiement_non_recu" accesskey="1"' in html  # the prediction set, best first
    assert '<datalist id="motifs-base">' in html and '<option value="dossier_etat">' in html
    assert html.count("<tr") >= 3  # header + at least two groups (the two « versement » notes may be one)
    assert "<script" not in html


def test_labels_are_stored_as_analyst_feedback_and_leave_the_queue(served: tuple[TestClient, str]) -> None:
    client, url = served
    done = client.post(
        "/revue/a-confirmer/Q-3",
        data={"code": "paiement_montant", "reviewer": "Anne Qualité"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/revue/a-confirmer?fait=Q-3")
    after = client.get(done.headers["location"])
    assert "Étiquette enregistrée : appel Q-3 → paiement_montant" in after.text
    assert "/revue/a-confirmer?appel=Q-3" not in after.text  # labelled: out of the queue
    other = client.post(
        "/revue/a-confirmer/Q-1", data={"code": "autre", "reviewer": "Anne Qualité"}, headers=SAME_ORIGIN
    )
    assert other.status_code == 200  # redirected to the queue
    rows = _feedback(url)
    assert [(r.call_id, r.chosen_code, r.source, r.agent) for r in rows] == [
        ("Q-3", "paiement_montant", "analyst", "Anne Qualité"),
        ("Q-1", "autre", "analyst", "Anne Qualité"),
    ]
    assert rows[0].redacted_text == NOTES["Q-3"]


def test_refusals_say_why_and_store_nothing(served: tuple[TestClient, str]) -> None:
    client, url = served
    unknown = client.post(
        "/revue/a-confirmer/Q-2", data={"code": "pas_un_motif", "reviewer": "Anne"}, headers=SAME_ORIGIN
    )
    assert unknown.status_code == 422 and "code de motif inconnu" in unknown.text
    note = "pas reçu son versement d&#39;avril"
    assert note in unknown.text  # the page is shown again, the note in its blockquote — not in the error
    assert note not in unknown.text.split('role="alert"')[1].split("</div>")[0]
    no_name = client.post("/revue/a-confirmer/Q-2", data={"code": "paiement_montant"}, headers=SAME_ORIGIN)
    assert no_name.status_code == 422 and "votre nom" in no_name.text
    missing = client.post("/revue/a-confirmer/NOPE", data={"code": "paiement_montant", "reviewer": "A"})
    assert missing.status_code == 404
    cross = client.post(
        "/revue/a-confirmer/Q-2",
        data={"code": "paiement_montant", "reviewer": "A"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert (
        client.post("/revue/a-confirmer/Q-2", content=b"{}", headers={"content-type": "application/json"}).status_code
        == 415
    )
    assert _feedback(url) == []


def test_with_users_only_analysts_label_under_their_name_with_the_csrf_token(served: tuple[TestClient, str]) -> None:
    client, url = served
    db = Database.open(url, migrate=False)
    tokens = {role: db.users.add(f"u-{role}", role).token for role in ("agent", "analyst")}
    db.close()

    def login(token: str) -> None:
        client.cookies.clear()
        response = client.post(
            "/connexion",
            data={"token": token, "suite": "/revue/a-confirmer"},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert response.status_code == 303

    client.cookies.clear()
    assert client.get("/revue/a-confirmer", follow_redirects=False).status_code == 303  # to the login page
    login(tokens["agent"])
    assert client.get("/revue/a-confirmer").status_code == 403
    login(tokens["analyst"])
    csrf = client.cookies[CSRF_COOKIE]
    page = client.get("/revue/a-confirmer")
    assert page.status_code == 200 and f'value="{csrf}"' in page.text and 'name="reviewer"' not in page.text
    forged = client.post("/revue/a-confirmer/Q-1", data={"code": "paiement_montant", "reviewer": "x"})
    assert forged.status_code == 403 and "anti-CSRF" in forged.text
    done = client.post(
        "/revue/a-confirmer/Q-1",
        data={"code": "paiement_montant", "csrf": csrf, "reviewer": "x"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [(r.call_id, r.agent, r.source) for r in _feedback(url)] == [("Q-1", "u-analyst", "analyst")]


@pytest.mark.browser
@pytest.mark.xdist_group("chromium")
def test_keyboard_labelling_in_chromium(chromium_path: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = _store(tmp_path)
    app = create_app(
        Settings(database_url=url, taxonomy_dir=tmp_path / "tax", reviewer="Anne Qualité"),
        loader=lambda s: make_resources(url),
    )
    with running_server(app) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{base_url}/revue/a-confirmer")
        expect(page).to_have_title("À confirmer — revue des motifs émergents")
        first = page.locator("#titre-appel").inner_text()
        # The field has the focus on arrival: « 2 », Entrée = the second reason of the prediction set.
        page.keyboard.type("2")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("→ paiement_montant")
        # The next call, a code of the base typed in the same field.
        expect(page.get_by_label("Numéro ou code du motif")).to_be_focused()
        page.keyboard.type("dossier_etat")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("→ dossier_etat")
        context.close()
        browser.close()
    assert requests and all(u.startswith(base_url) for u in requests)
    rows = _feedback(url)
    assert [(r.chosen_code, r.source, r.agent) for r in rows] == [
        ("paiement_montant", "analyst", "Anne Qualité"),
        ("dossier_etat", "analyst", "Anne Qualité"),
    ]
    assert rows[0].call_id in first and rows[0].call_id != rows[1].call_id


def test_a_number_picks_from_the_prediction_set_and_zero_is_autre(served: tuple[TestClient, str]) -> None:
    client, url = served
    for call_id, typed in (("Q-1", "1"), ("Q-3", "0")):
        response = client.post(
            f"/revue/a-confirmer/{call_id}", data={"code": typed, "reviewer": "A"}, follow_redirects=False
        )
        assert response.status_code == 303
    beyond = client.post("/revue/a-confirmer/Q-2", data={"code": "7", "reviewer": "A"})
    assert beyond.status_code == 422 and "pas de motif n° 7" in beyond.text
    assert [(r.call_id, r.chosen_code) for r in _feedback(url)] == [("Q-1", "paiement_non_recu"), ("Q-3", "autre")]
