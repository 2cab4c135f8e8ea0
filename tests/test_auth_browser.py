"""The login flow in a real headless Chromium (Debian's, driven by Playwright): an analyst is sent to the login form,
pastes their token, lands back on the cluster and decides under their own name; an agent logs in to the agents' page
and its script's POSTs pass with the session's CSRF token."""

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
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, dict[str, str]]]:
    app, url, _ = review_app(build_store(tmp_path), tmp_path)
    database = Database.open(url)
    tokens = {role: database.users.add(f"u-{role}", role).token for role in ("agent", "analyst")}
    database.close()
    with running_server(app) as base_url:
        yield base_url, url, tokens


def test_login_then_decide_as_the_logged_in_analyst(chromium_path: str, served) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base_url, db_url, tokens = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10_000)

        page.goto(f"{base_url}/revue/clusters/{PLANTED}?scope=week")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        page.get_by_label("Jeton").fill("pas le bon jeton")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("alert")).to_contain_text("jeton inconnu ou révoqué")

        page.get_by_label("Jeton").fill(tokens["analyst"])
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_url(f"{base_url}/revue/clusters/{PLANTED}?scope=week")
        expect(page.locator("header.site")).to_contain_text("Connecté : u-analyst (analyst)")
        form = page.locator("form", has=page.get_by_role("heading", name="Écarter"))
        expect(form).to_contain_text("Décision enregistrée au nom de u-analyst")
        form.get_by_role("button", name="Écarter le cluster").click()
        expect(page.get_by_role("status")).to_contain_text("cluster écarté")
        expect(page.locator("ul.decisions")).to_contain_text("par u-analyst")

        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        page.goto(f"{base_url}/revue")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        context.close()

        # An agent: the agents' page behind the login, suggestions and feedback through the session.
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(base_url)
        page.get_by_label("Jeton").fill(tokens["agent"])
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_title("Qualification de l'appel — motifs")
        page.wait_for_load_state()  # the page's script proposes a call id on load: fill ours after it
        page.get_by_label("Identifiant de l'appel").fill("APPEL-AUTH")
        page.get_by_label("Note de l'appel").press_sequentially("pas reçu son versement", delay=10)
        first = page.locator("#suggestions button.suggestion").first
        expect(first).to_contain_text("Versement non reçu ou en retard")
        first.click()
        expect(page.locator("#feedback-state")).to_have_text("Motif enregistré : Versement non reçu ou en retard.")
        # The review pages stay closed to an agent.
        page.goto(f"{base_url}/revue")
        expect(page.get_by_role("alert")).to_contain_text("réservée aux analystes")
        context.close()
        browser.close()

    database = Database.open(db_url, migrate=False)
    try:
        assert [d.reviewer for d in database.review.decisions("week", PLANTED)] == ["u-analyst"]
        assert database.feedback.latest_choices(["APPEL-AUTH"]) == {"APPEL-AUTH": "paiement_non_recu"}
    finally:
        database.close()
