"""The review pages (/revue) and their JSON beside them, through FastAPI's TestClient on a SQLite store where
`motifs emerging` found the planted theme (cluster E0001): list, cluster page, the three actions, the draft view,
the empty state, and that nothing the app serves loads a script or a stylesheet from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.api import Settings, create_app
from serving.store import Database
from tests.api_doubles import make_resources, sqlite_url
from tests.review_ui_support import PLANTED, build_store, review_app

CREATE = {
    "code": "aide_chauffage",
    "label": "Aide exceptionnelle au chauffage",
    "domain": "information",
    "definition": "Inclut : questions sur la nouvelle aide exceptionnelle au chauffage.",
    "reviewer": "Anne Qualité",
}
# A script or stylesheet from anywhere but our own server (src/href/@import/url() pointing to http(s)://…).
EXTERNAL = re.compile(
    r"""<script[^>]*\bsrc\s*=\s*["']?(?:https?:)?//|<link[^>]*\bhref\s*=\s*["']?(?:https?:)?//|"""
    r"""@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def monitored_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("monitored"))


@pytest.fixture
def app_parts(monitored_store: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return review_app(monitored_store, tmp_path, reviewer="Équipe qualité")


@pytest.fixture
def client(app_parts) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app_parts[0], base_url="http://testserver") as test_client:
        yield test_client


def _main(html: str) -> str:
    return html.split('<main id="contenu"', 1)[1].split("</main>", 1)[0]


def test_cluster_list_shows_the_planted_cluster(client: TestClient) -> None:
    response = client.get("/revue")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "form-action 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert '<html lang="fr">' in html
    row = html.split(f">{PLANTED}</a>", 1)[1].split("</tr>", 1)[0]
    assert "à traiter" in row and "faible" in row
    assert "chauffage" in row and "×7,0" in row
    assert '<svg class="trend"' in row and "2024-W15 : 8" in row  # the trend, with its values for screen readers
    assert f'href="/revue/clusters/{PLANTED}?scope=week"' in html
    assert "Précision mesurée de la file : pas encore de décisions." in html
    # The link form of `motifs report --review-url http://…/revue/{scope}/{id}` leads to the same page.
    short = client.get(f"/revue/week/{PLANTED}", follow_redirects=False)
    assert short.status_code == 303 and short.headers["location"] == f"/revue/clusters/{PLANTED}?scope=week"


def test_cluster_page_shows_notes_trend_and_the_three_forms(client: TestClient) -> None:
    html = client.get(f"/revue/clusters/{PLANTED}").text
    main = _main(html)
    assert main.count("<blockquote>") in range(3, 6)
    assert "aide exceptionnelle au chauffage" in main.lower()
    for action in ("creer", "rattacher", "ecarter"):
        assert f'action="/revue/clusters/{PLANTED}/{action}?scope=week"' in main
    # Every field has its label; the reviewer is prefilled from the setting.
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', main):
        assert f'<label for="{field_id}">' in main
    assert main.count('value="Équipe qualité"') == 3
    assert '<option value="information"' in main and '<option value="paiement_non_recu"' in main
    assert '<option value="autre"' not in main.split('id="rattacher-code"', 1)[1]


def test_create_writes_a_valid_draft_and_stores_the_decision(client: TestClient, app_parts) -> None:  # type: ignore[no-untyped-def]
    _, url, taxonomy_dir = app_parts
    response = client.post(f"/revue/clusters/{PLANTED}/creer?scope=week", data=CREATE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/revue/base?cree=aide_chauffage"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("motifs_reviewer=Anne%20Qualit%C3%A9;")
    assert "HttpOnly" in cookie and "Path=/revue" in cookie
    assert (taxonomy_dir / "national" / "v1.2.0.yaml").is_file()

    page = _main(client.get(response.headers["location"]).text)
    assert "Motif aide_chauffage ajouté au brouillon national@1.2.0." in page
    assert "Version 1.2.0" in page and "brouillon" in page
    assert "<code>aide_chauffage</code>" in page and "Aide exceptionnelle au chauffage" in page
    assert re.search(r'id="validation">Validation : <strong>valide</strong>', page)

    db = Database.open(url, migrate=False)
    (decision,) = db.review.decisions("week", PLANTED)
    assert (decision.action, decision.reviewer, decision.target_code) == ("create", "Anne Qualité", "aide_chauffage")
    assert decision.taxonomy_ref == "national@1.2.0"
    assert len(db.review.examples(["aide_chauffage"])) == 16
    db.close()

    # The cluster is now « nouveau motif », without forms.
    cluster = _main(client.get(f"/revue/clusters/{PLANTED}").text)
    assert "nouveau motif" in cluster and "<form" not in cluster
    assert "par Anne Qualité" in cluster
    listing = client.get("/v1/review/clusters").json()
    assert listing["clusters"][0]["status"] == "created"


def test_refused_create_says_why_in_french_and_writes_nothing(client: TestClient, app_parts) -> None:  # type: ignore[no-untyped-def]
    _, url, taxonomy_dir = app_parts
    secret_label = "Libellé confidentiel Dupont"
    bad = {**CREATE, "code": "paiement_non_recu", "label": secret_label}  # a code the base already has
    response = client.post(f"/revue/clusters/{PLANTED}/creer", data=bad)
    assert response.status_code == 422
    alert = response.text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "paiement_non_recu" in alert and secret_label not in alert
    assert not (taxonomy_dir / "national" / "v1.2.0.yaml").exists()
    assert f'value="{secret_label}"' in response.text  # the analyst's own form is kept for correction
    db = Database.open(url, migrate=False)
    assert db.review.decisions("week", PLANTED) == []
    db.close()


def test_attach_then_a_second_decision_is_refused(client: TestClient, app_parts) -> None:  # type: ignore[no-untyped-def]
    _, url, _ = app_parts
    response = client.post(
        f"/revue/clusters/{PLANTED}/rattacher?scope=week", data={"code": "urgence_sociale", "reviewer": "Paul"}
    )
    assert response.status_code == 200  # followed the redirect to the cluster page
    assert "Décision enregistrée : cluster rattaché au motif urgence_sociale ; 16 note(s)" in response.text
    assert "rattaché" in _main(response.text)
    db = Database.open(url, migrate=False)
    assert {e.code for e in db.review.examples()} == {"urgence_sociale"}
    db.close()

    again = client.post(f"/revue/clusters/{PLANTED}/ecarter", data={"reviewer": "Paul"})
    assert again.status_code == 409
    assert "déjà traité" in again.text


def test_dismiss_needs_a_reviewer_name(client: TestClient, app_parts) -> None:  # type: ignore[no-untyped-def]
    _, url, _ = app_parts
    missing = client.post(f"/revue/clusters/{PLANTED}/ecarter", data={"reviewer": "  "})
    assert missing.status_code == 422 and "indiquez votre nom" in missing.text
    done = client.post(f"/revue/clusters/{PLANTED}/ecarter", data={"reviewer": "Léa"})
    assert done.status_code == 200 and "Décision enregistrée : cluster écarté." in done.text
    db = Database.open(url, migrate=False)
    assert db.monitoring.cluster("week", PLANTED).status == "dismissed"  # type: ignore[union-attr]
    db.close()
    # The decision counts in the queue's measured precision (dismissed: not confirmed).
    assert "0 % — 0 élément(s) confirmé(s) (nouveau motif ou rattaché) et 1 écarté(s) sur 1 décidé(s)" in (
        client.get("/revue").text
    )


def test_actions_refuse_other_origins_bad_bodies_and_unknown_clusters(client: TestClient) -> None:
    foreign = client.post(
        f"/revue/clusters/{PLANTED}/ecarter", data={"reviewer": "x"}, headers={"Origin": "http://ailleurs.example"}
    )
    assert foreign.status_code == 403
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        refused = client.post(f"/revue/clusters/{PLANTED}/ecarter", data={"reviewer": "x"}, headers=headers)
        assert refused.status_code == 403 and "autre origine" in refused.text
    as_json = client.post(f"/revue/clusters/{PLANTED}/ecarter", json={"reviewer": "x"})
    assert as_json.status_code == 415 and "formulaire illisible" in as_json.text
    unknown = client.post("/revue/clusters/E9999/ecarter", data={"reviewer": "x"})
    assert unknown.status_code == 404 and "E9999" in unknown.text
    assert client.get("/revue/clusters/E9999").status_code == 404
    assert client.get("/revue?scope=month").status_code == 404


def test_json_endpoints(client: TestClient) -> None:
    listing = client.get("/v1/review/clusters").json()
    assert listing["scope"] == "week" and listing["scopes"] == ["week"]
    (cluster,) = listing["clusters"]
    assert cluster["id"] == PLANTED and cluster["status"] == "open" and cluster["size"] == 16
    assert [p["size"] for p in cluster["trend"]][-2:] == [8, 8]
    detail = client.get(f"/v1/review/clusters/{PLANTED}").json()
    assert 3 <= len(detail["examples"]) <= 5 and detail["notes_count"] == 16 and detail["decisions"] == []
    assert client.get("/v1/review/clusters/E9999").status_code == 404
    assert client.get("/v1/review/clusters", params={"scope": "month"}).status_code == 404


def test_empty_store_says_to_run_motifs_emerging(tmp_path: Path) -> None:
    settings = Settings(database_url=sqlite_url(tmp_path), taxonomy_dir=tmp_path / "taxonomie")
    app = create_app(settings, loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        page = client.get("/revue")
        assert page.status_code == 200 and "Aucun suivi" in page.text and "motifs emerging" in page.text
        assert client.get("/v1/review/clusters").json() == {
            "scope": None,
            "scopes": [],
            "run_id": None,
            "hidden": 0,
            "clusters": [],
        }
        base = client.get("/revue/base")
        assert base.status_code == 200 and "Aucun brouillon" in base.text and "national@1.1.0" in base.text


def test_nothing_served_loads_scripts_or_styles_from_elsewhere(client: TestClient) -> None:
    client.post(f"/revue/clusters/{PLANTED}/creer", data=CREATE)
    pages = ["/", "/revue", "/revue?tous=1", f"/revue/clusters/{PLANTED}", "/revue/base"]
    static = ["/static/agent.css", "/static/agent.js", "/static/review.css"]
    for path in pages + static:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not EXTERNAL.search(response.text), path
    for path in pages:
        html = client.get(path).text
        for ref in re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]+)"', html):
            assert ref.startswith("/static/"), (path, ref)
    # FastAPI's Swagger UI and ReDoc pages fetch their scripts from a CDN: they are off; the schema stays.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert "/v1/review/clusters" in client.get("/openapi.json").json()["paths"]


def test_a_draft_that_no_longer_follows_the_published_version_is_reported(client: TestClient, app_parts) -> None:  # type: ignore[no-untyped-def]
    _, _, taxonomy_dir = app_parts
    assert client.post(f"/revue/clusters/{PLANTED}/creer", data=CREATE).status_code == 200
    draft = taxonomy_dir / "national" / "v1.2.0.yaml"
    text = draft.read_text(encoding="utf-8")
    assert "from: 1.1.0" in text
    draft.write_text(text.replace("from: 1.1.0", "from: 1.0.0"), encoding="utf-8")
    page = client.get("/revue")
    assert page.status_code == 500 and "ne suit pas la dernière version publiée" in page.text
    answer = client.get("/v1/review/clusters")
    assert answer.status_code == 500 and "ne suit pas la dernière version publiée" in answer.json()["detail"]
