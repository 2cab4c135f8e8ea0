"""The agents' page in a real headless Chromium (Debian's, driven by Playwright): type, see suggestions, choose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.api import Settings, create_app
from serving.store import Database
from tests.api_doubles import make_resources, sqlite_url
from tests.live_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("chromium")]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    app = create_app(Settings(database_url=sqlite_url(tmp_path)), loader=lambda s: make_resources(s.database_url))
    with running_server(app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.requests = []
    page.on("request", lambda request: page.requests.append(request))
    page.goto(server)
    yield page
    context.close()


def test_agent_types_sees_suggestions_and_chooses_one(page, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    expect(page).to_have_title("Qualification de l'appel — motifs")
    page.get_by_label("Identifiant de l'appel").fill("APPEL-42")
    note = page.get_by_label("Note de l'appel")
    note.press_sequentially("Mme Martin n'a pas reçu son versement", delay=15)

    first = page.locator("#suggestions button.suggestion").first
    expect(first).to_contain_text("Versement non reçu ou en retard")
    expect(page.locator("#suggestions button.suggestion")).to_have_count(3)
    expect(page.locator("#self-service")).to_be_visible()
    expect(page.locator("#self-service-hint")).to_contain_text("rubrique « Mes paiements »")
    expect(page.locator("#suggestions")).to_have_attribute("aria-live", "polite")

    # Debounced: far fewer requests than keystrokes.
    suggestion_calls = [r for r in page.requests if r.url.endswith("/v1/suggestions")]
    assert 1 <= len(suggestion_calls) <= 5

    first.click()
    expect(page.locator("#feedback-state")).to_have_text("Motif enregistré : Versement non reçu ou en retard.")
    expect(first).to_have_attribute("aria-pressed", "true")

    db = Database.open(sqlite_url(tmp_path), migrate=False)
    assert db.feedback.latest_choices(["APPEL-42"]) == {"APPEL-42": "paiement_non_recu"}
    (stored,) = db.predictions.get("APPEL-42")
    assert stored.redacted_text == "<NOM> n'a pas reçu son versement"

    # Another reason from the full list (with the site's local reasons).
    page.get_by_label("Site").fill("metropole_lyon")
    page.get_by_label("Site").press("Tab")
    other = page.get_by_label("Autre motif de la base")
    expect(other.locator("option[value='lyon_fsl_energie']")).to_have_count(1)
    other.select_option("lyon_fsl_energie")
    page.get_by_role("button", name="Retenir ce motif").click()
    expect(page.locator("#feedback-state")).to_contain_text("Motif enregistré : Aide FSL pour des impayés")
    assert db.feedback.latest_choices(["APPEL-42"]) == {"APPEL-42": "lyon_fsl_energie"}

    # Nothing but our own server was contacted (no CDN, no font, no analytics).
    assert all(r.url.startswith(server) for r in page.requests)
    db.close()


def test_autre_and_keyboard_focus_are_visible(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.get_by_label("Note de l'appel").fill("Question sans rapport avec la base")
    expect(page.locator("#suggestions-state")).to_contain_text("Hors base")
    expect(page.locator("#suggestions button.suggestion")).to_have_count(3)  # the closest reasons stay listed
    expect(page.locator("#self-service")).to_be_hidden()
    page.locator("#suggestions button.suggestion").first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_to_confirm_shows_the_prediction_set(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.get_by_label("Note de l'appel").fill("Le montant du versement est faux")
    expect(page.locator("#suggestions-state")).to_contain_text("À confirmer")
    buttons = page.locator("#suggestions button.suggestion")
    expect(buttons).to_have_count(2)  # the set, not the top 3
    assert [buttons.nth(i).get_attribute("data-code") for i in range(2)] == ["paiement_non_recu", "paiement_montant"]


def test_page_is_served_with_a_strict_content_security_policy(page, server: str) -> None:  # type: ignore[no-untyped-def]
    response = page.request.get(server + "/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for labelled in ("call-id", "site", "note", "other-reason"):
        assert page.locator(f"label[for='{labelled}']").count() == 1
