"""The review UI in a real headless Chromium (Debian's, driven by Playwright): open the cluster list, open the planted
cluster, create a reason from it, see the draft taxonomy version appear with its new code, validated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.store import Database
from tests.live_server import running_server
from tests.review_ui_support import PLANTED, build_store, review_app
from tests.test_agent_page import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("chromium")]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    app, url, _ = review_app(build_store(tmp_path), tmp_path)
    with running_server(app) as base_url:
        yield base_url, url


def test_analyst_creates_a_reason_from_the_planted_cluster(chromium_path: str, served: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url, db_url = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))

        page.goto(f"{base_url}/revue")
        expect(page).to_have_title("Clusters — revue des motifs émergents")
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=PLANTED))
        expect(row).to_contain_text("à traiter")
        expect(row.get_by_role("img", name=f"Tendance du cluster {PLANTED}")).to_be_visible()

        # Keyboard only: the link is reachable and followed with Enter.
        link = page.get_by_role("link", name=PLANTED)
        link.focus()
        link.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Cluster {PLANTED}")
        expect(page.locator("ol.examples blockquote")).to_have_count(5)

        form = page.locator("form", has=page.get_by_role("heading", name="Créer un nouveau motif"))
        form.get_by_label("Code du motif").fill("aide_chauffage")
        form.get_by_label("Libellé").fill("Aide exceptionnelle au chauffage")
        form.get_by_label("Domaine parent").select_option("information")
        form.get_by_label("Définition").fill("Inclut : questions sur la nouvelle aide exceptionnelle au chauffage.")
        form.get_by_label("Votre nom (auteur de la décision)").fill("Anne Qualité")
        form.get_by_role("button", name="Créer le motif").click()

        expect(page).to_have_url(f"{base_url}/revue/base?cree=aide_chauffage")
        expect(page.get_by_role("status")).to_contain_text("Motif aide_chauffage ajouté au brouillon national@1.2.0")
        expect(page.get_by_role("heading", name="Version 1.2.0 brouillon")).to_be_visible()
        draft = page.get_by_role("table", name="Motifs ajoutés par le brouillon")
        expect(draft.get_by_role("row").filter(has_text="aide_chauffage")).to_contain_text(
            "Aide exceptionnelle au chauffage"
        )
        expect(page.locator("#validation")).to_have_text(
            "Validation : valide (suite de national@1.1.0, contrôlée par le validateur de la base)"
        )

        # Back on the cluster: decided, the reviewer's name kept.
        page.goto(f"{base_url}/revue/clusters/{PLANTED}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("nouveau motif")
        expect(page.locator("ul.decisions")).to_contain_text("aide_chauffage par Anne Qualité")

        focus = page.get_by_role("link", name="Clusters", exact=True)
        focus.focus()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") not in ("", "none")
        context.close()
        browser.close()

    assert requests and all(url.startswith(base_url) for url in requests)  # no CDN, no font, nothing else
    db = Database.open(db_url, migrate=False)
    (decision,) = db.review.decisions("week", PLANTED)
    assert (decision.action, decision.reviewer, decision.taxonomy_ref) == ("create", "Anne Qualité", "national@1.2.0")
    db.close()
