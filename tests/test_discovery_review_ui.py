"""Curating a discovery draft in the review UI (/revue/decouverte), through FastAPI's TestClient and a real Chromium:
every step of `motifs curate` (rename, merge, split, discard, move, publish) from a form; bad input (unknown candidate,
stale form, empty label, merge of one, another origin, no CSRF token) refused in French with nothing changed; the
same bar as the other review pages; and a draft curated in the browser publishes byte for byte what the CLI does."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from motifs.cli.main import build_app
from serving.api import Settings, create_app
from serving.api.auth import CSRF_COOKIE
from serving.discovery.errors import InvalidCuration
from serving.discovery.workspace import DRAFTS_DIR_ENV
from serving.store import Database
from taxonomy import AUTRE, is_draft, load_taxonomy
from tests.api_doubles import make_resources
from tests.live_server import running_server
from tests.test_agent_page import CHROMIUM_ARGS

DATA = Path(__file__).parent / "data" / "discovery"
NOTES = DATA / "notes.csv"
NAME = "essai"
URL = f"/revue/decouverte/{NAME}"


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(build_app(), [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def discovered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`motifs discover --revue essai` once: the draft folder (draft, assignments, redacted notes, settings)."""
    root = tmp_path_factory.mktemp("decouverte")
    out = invoke(
        "discover", "--data", NOTES, "--revue", NAME, "--config", DATA / "small.yaml", env={DRAFTS_DIR_ENV: str(root)}
    )
    assert f"/revue/decouverte/{NAME}" in out
    return root / NAME


class Served:
    def __init__(self, client: TestClient, folder: Path, taxonomy_dir: Path, database_url: str) -> None:
        self.client, self.folder, self.taxonomy_dir, self.database_url = client, folder, taxonomy_dir, database_url

    def files(self) -> tuple[bytes, bytes]:
        return (self.folder / "brouillon.yaml").read_bytes(), (self.folder / "affectations.csv").read_bytes()

    def assignments(self) -> pd.DataFrame:
        return pd.read_csv(self.folder / "affectations.csv", dtype=str)

    def token(self, path: str = URL) -> str:
        match = re.search(r'name="etat" value="([0-9a-f]+)"', self.client.get(path).text)
        assert match, path
        return match[1]

    def post(self, path: str, **fields: object) -> object:
        data = {"reviewer": "Anne Qualité", "etat": self.token(), **fields}
        return self.client.post(path, data=data, follow_redirects=False)


def _app(folder: Path, tmp_path: Path, reviewer: str | None = "Anne Qualité") -> tuple[object, Path, Path, str]:
    drafts = tmp_path / "decouverte"
    shutil.copytree(folder, drafts / NAME)
    taxonomy_dir = tmp_path / "taxonomie"
    url = f"sqlite:///{tmp_path / 'api.db'}"
    settings = Settings(database_url=url, taxonomy_dir=taxonomy_dir, discovery_dir=drafts, reviewer=reviewer)
    return create_app(settings, loader=lambda s: make_resources(s.database_url)), drafts / NAME, taxonomy_dir, url


@pytest.fixture
def served(discovered: Path, tmp_path: Path) -> Iterator[Served]:
    app, folder, taxonomy_dir, url = _app(discovered, tmp_path)
    with TestClient(app, base_url="http://testserver") as client:  # type: ignore[arg-type]
        yield Served(client, folder, taxonomy_dir, url)


def _by_theme(assignments: pd.DataFrame) -> dict[str, list[str]]:
    """Fixture theme → candidate codes mostly of that theme, largest first."""
    merged = pd.read_csv(NOTES, dtype=str).merge(assignments, on="call_id")
    found: dict[str, list[tuple[int, str]]] = {}
    for code, group in merged[merged.cluster != AUTRE].groupby("cluster"):
        found.setdefault(Counter(group.theme).most_common(1)[0][0], []).append((len(group), str(code)))
    return {theme: [code for _, code in sorted(items, reverse=True)] for theme, items in found.items()}


def _alert(html: str) -> str:
    return html.split('role="alert"', 1)[1].split("</div>", 1)[0]


def test_discover_for_review_writes_a_draft_folder_and_never_overwrites_one(discovered: Path, tmp_path: Path) -> None:
    assert {p.name for p in discovered.iterdir()} >= {
        "brouillon.yaml",
        "affectations.csv",
        "notes.csv",
        "reglages.yaml",
    }
    notes = pd.read_csv(discovered / "notes.csv", dtype=str)
    assert list(notes.columns) == ["call_id", "text"] and len(notes) == len(pd.read_csv(NOTES))
    assert "06 12 34 56 78" not in (discovered / "notes.csv").read_text(encoding="utf-8")  # redacted, not the export
    assert "max_reasons: 6" in (discovered / "reglages.yaml").read_text(encoding="utf-8")  # --config kept for splits
    before = (discovered / "brouillon.yaml").read_bytes()
    env = {DRAFTS_DIR_ENV: str(discovered.parent)}
    for args, message in (
        (["--revue", NAME], "existe déjà"),
        (["--revue", "autre_nom", "--out", str(tmp_path / "x.yaml")], "l'un des deux"),
        ([], "l'un des deux"),
        (["--revue", "Nom Invalide"], "nom de brouillon invalide"),
    ):
        result = CliRunner().invoke(build_app(), ["discover", "--data", str(NOTES), *args], env=env)
        # A domain error: main() prints it as one line (exit code 2); here it is the exception itself.
        assert result.exit_code != 0 and isinstance(result.exception, InvalidCuration), (args, result.output)
        assert message in str(result.exception), (args, result.exception)
    assert (discovered / "brouillon.yaml").read_bytes() == before
    assert not (discovered.parent / "autre_nom" / "brouillon.yaml").exists()


def test_list_draft_and_candidate_pages_show_what_the_analyst_reviews(served: Served) -> None:
    listing = served.client.get("/revue/decouverte")
    assert listing.status_code == 200 and "script-src 'none'" in listing.headers["content-security-policy"]
    assert f'href="{URL}"' in listing.text and 'aria-current="page">Découverte</a>' in listing.text
    draft = load_taxonomy(served.folder / "brouillon.yaml")
    sizes = Counter(served.assignments().cluster)
    page = served.client.get(URL).text
    code = sizes.most_common(2)[0][0] if sizes.most_common(1)[0][0] != AUTRE else sizes.most_common(2)[1][0]
    row = page.split(f"<code>{code}</code></a></th>", 1)[1].split("</tr>", 1)[0]
    assert f'<td class="num">{sizes[code]}</td>' in row  # size
    assert draft.get(code).label in row  # label (its keywords, HTML-escaped the same way here)
    assert row.count(",") >= 2  # the keywords column lists several words
    candidate = served.client.get(f"{URL}/motifs/{code}").text
    examples = draft.get(code).examples
    assert examples and candidate.count("<blockquote>") == len(examples)
    assert "06 12 34 56 78" not in page + candidate  # only redacted notes are shown
    for action in ("renommer", "scinder", "ecarter", "deplacer"):
        assert f'action="{URL}/motifs/{code}/{action}"' in candidate
    for html in (page, candidate):  # every field has its label (the checkboxes' for screen readers)
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'<label for="{field_id}"' in html, field_id
    assert candidate.count('name="call_id"') == sizes[code]  # every note of the candidate can be moved


def test_rename_merge_discard_move_through_the_forms(served: Served) -> None:
    themes = _by_theme(served.assignments())
    theme = next(t for t, codes in themes.items() if len(codes) >= 2)
    target, *others = themes[theme]
    merged = served.post(f"{URL}/fusionner", codes=[target, *others], into=target)
    assert merged.status_code == 303 and merged.headers["location"] == f"{URL}/motifs/{target}?fait=fusionner"  # type: ignore[attr-defined]
    assert "Motifs fusionnés dans" in served.client.get(merged.headers["location"]).text  # type: ignore[attr-defined]
    renamed = served.post(
        f"{URL}/motifs/{target}/renommer", label=f"Thème {theme}", code=f"theme_{theme}",
        definition="Inclut : les appels sur ce thème.",
    )  # fmt: skip
    assert renamed.headers["location"] == f"{URL}/motifs/theme_{theme}?fait=renommer"  # type: ignore[attr-defined]
    discarded = next(t for t in sorted(themes) if t != theme)
    for code in themes[discarded]:
        assert served.post(f"{URL}/motifs/{code}/ecarter").status_code == 303  # type: ignore[attr-defined]
    kept = next(t for t in sorted(themes) if t not in (theme, discarded))
    rows = served.assignments()
    moved = rows[rows.cluster == themes[kept][0]].call_id.iloc[0]
    out = served.post(f"{URL}/motifs/{themes[kept][0]}/deplacer", call_id=[moved], to=f"theme_{theme}")
    assert out.status_code == 303  # type: ignore[attr-defined]

    draft = load_taxonomy(served.folder / "brouillon.yaml")
    assert is_draft(draft) and draft.get(f"theme_{theme}").label == f"Thème {theme}"
    assert not any(code in draft for code in [*others, *themes[discarded]])
    rows = served.assignments().set_index("call_id")
    assert rows.loc[moved, "cluster"] == f"theme_{theme}" and rows.loc[moved, "confidence"] == "1.0000"
    notes = pd.read_csv(NOTES, dtype=str).merge(served.assignments(), on="call_id")
    assert (notes[notes.theme == discarded].cluster == AUTRE).all()
    journal = [json.loads(line) for line in (served.folder / "journal.jsonl").read_text().splitlines()]
    discards = ["ecarter"] * len(themes[discarded])
    assert [e["action"] for e in journal] == ["fusionner", "renommer", *discards, "deplacer"]
    assert {e["reviewer"] for e in journal} == {"Anne Qualité"}
    # Notes of « autre » can be moved back into a candidate from their own page.
    back = served.post(f"{URL}/motifs/{AUTRE}/deplacer", call_id=[moved], to=AUTRE)
    assert back.status_code == 303  # type: ignore[attr-defined]
    autre_page = served.client.get(f"{URL}/motifs/{AUTRE}").text
    assert f'value="{moved}"' in autre_page and "Notes « autre »" in autre_page


@pytest.mark.slow
def test_split_reclusters_one_candidate_with_the_drafts_own_notes_and_settings(served: Served) -> None:
    rows = served.assignments()
    code = Counter(rows[rows.cluster != AUTRE].cluster).most_common(1)[0][0]
    before = load_taxonomy(served.folder / "brouillon.yaml")
    response = served.post(f"{URL}/motifs/{code}/scinder", parts="2")
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = load_taxonomy(served.folder / "brouillon.yaml")
    new = sorted(set(after.codes) - set(before.codes))
    assert code not in after and len(new) == 2
    assert {after.get(c).domain for c in new} == {before.get(code).domain}
    page = served.client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert f"Motif scindé : ses notes forment maintenant les motifs {new[0]}, {new[1]}." in page
    members = set(rows[rows.cluster == code].call_id)
    now = served.assignments()
    assert set(now[now.call_id.isin(members)].cluster) <= {*new, AUTRE}


def test_bad_input_is_refused_in_french_and_changes_nothing(served: Served) -> None:
    rows = served.assignments()
    codes = sorted(set(rows.cluster) - {AUTRE})
    before = served.files()
    secret = "Libellé confidentiel Dupont"
    rename = f"{URL}/motifs/{codes[0]}/renommer"
    cases = [
        (f"{URL}/motifs/pas_un_motif/ecarter", {}, 404, "absent du brouillon"),
        (f"{URL}/fusionner", {"codes": [codes[0]], "into": codes[0]}, 422, "rien à fusionner"),
        (f"{URL}/fusionner", {"codes": [], "into": codes[0]}, 422, "rien à fusionner"),
        (rename, {"label": "  ", "code": codes[0], "definition": "x"}, 422, "libellé vide"),
        (rename, {"label": "Bon libellé", "code": " ", "definition": "x"}, 422, "nouveau code invalide"),
        (rename, {"label": secret, "code": codes[1], "definition": "x"}, 422, "déjà utilisé"),
        (f"{URL}/motifs/{AUTRE}/ecarter", {}, 422, "« autre » est réservé"),
        (f"{URL}/motifs/{codes[0]}/deplacer", {"call_id": ["NOPE"], "to": codes[1]}, 422, "absent(s) des affectations"),
        (f"{URL}/motifs/{codes[0]}/scinder", {"parts": "1"}, 422, "de 2 à 20"),
        (f"{URL}/publier", {"id": "Pas Un Id"}, 422, "identifiant de base invalide"),
        (f"{URL}/publier", {"id": "national"}, 422, "existe déjà"),  # a shipped base is never overwritten
    ]
    for path, fields, status, message in cases:
        response = served.post(path, **fields)
        assert response.status_code == status, (path, response.text)  # type: ignore[attr-defined]
        alert = _alert(response.text)  # type: ignore[attr-defined]
        assert message in alert and secret not in alert, (path, alert)
        assert served.files() == before, path
    # A stale form: the page was shown, then another tab discarded a candidate; the old form changes nothing more.
    stale = served.token()
    assert served.post(f"{URL}/motifs/{codes[0]}/ecarter").status_code == 303  # type: ignore[attr-defined]
    after_discard = served.files()
    refused = served.client.post(
        f"{URL}/motifs/{codes[1]}/ecarter", data={"reviewer": "Paul", "etat": stale}, follow_redirects=False
    )
    assert refused.status_code == 409 and "a changé depuis l&#39;affichage" in _alert(refused.text)
    assert served.files() == after_discard
    missing_name = served.client.post(f"{URL}/motifs/{codes[1]}/ecarter", data={"etat": served.token()})
    assert missing_name.status_code == 422 and "indiquez votre nom" in missing_name.text
    assert served.client.get("/revue/decouverte/inconnu").status_code == 404
    assert served.client.get(f"{URL}/motifs/pas_un_motif").status_code == 404
    assert served.files() == after_discard


def test_actions_refuse_other_origins_and_bodies_that_are_not_forms(served: Served) -> None:
    code = sorted(set(served.assignments().cluster) - {AUTRE})[0]
    before = served.files()
    path = f"{URL}/motifs/{code}/ecarter"
    fields = {"reviewer": "x", "etat": served.token()}
    for headers in ({"Origin": "http://ailleurs.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        response = served.client.post(path, data=fields, headers=headers)
        assert response.status_code == 403 and "autre origine" in response.text
    assert served.client.post(path, json=fields).status_code == 415
    assert served.files() == before


def test_with_users_only_analysts_curate_under_their_name_with_the_csrf_token(served: Served) -> None:
    code = sorted(set(served.assignments().cluster) - {AUTRE})[0]
    before = served.files()
    path = f"{URL}/motifs/{code}/ecarter"
    db = Database.open(served.database_url, migrate=False)
    tokens = {role: db.users.add(f"u-{role}", role).token for role in ("agent", "analyst")}
    db.close()

    def login(token: str) -> None:
        served.client.cookies.clear()
        response = served.client.post(
            "/connexion", data={"token": token, "suite": URL}, headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303

    served.client.cookies.clear()
    assert served.client.get(URL, follow_redirects=False).status_code == 303  # to the login page
    login(tokens["agent"])
    assert served.client.get(URL).status_code == 403
    assert served.client.post(path, data={"reviewer": "x", "etat": "0"}).status_code == 403
    login(tokens["analyst"])
    csrf = served.client.cookies[CSRF_COOKIE]
    page = served.client.get(URL).text
    assert f'value="{csrf}"' in page and 'name="reviewer"' not in page
    forged = served.client.post(path, data={"etat": served.token()})
    assert forged.status_code == 403 and "anti-CSRF" in forged.text and served.files() == before
    fields = {"etat": served.token(), "csrf": csrf, "reviewer": "x"}
    done = served.client.post(path, data=fields, follow_redirects=False)
    assert done.status_code == 303
    (entry,) = [json.loads(line) for line in (served.folder / "journal.jsonl").read_text().splitlines()]
    assert entry == {**entry, "action": "ecarter", "reviewer": "u-analyst", "codes": [code]}


@pytest.mark.slow
def test_publishing_from_the_ui_gives_the_clis_base_and_weak_labels_and_trains(
    discovered: Path, served: Served, tmp_path: Path
) -> None:
    themes = _by_theme(served.assignments())
    theme = next(t for t, codes in themes.items() if len(codes) >= 2)
    target, *others = themes[theme]
    discarded = next(t for t in sorted(themes) if t != theme)
    # The CLI on a copy of the same draft (its --data: the raw export, redacted again by read_notes).
    cli = tmp_path / "cli"
    shutil.copytree(discovered, cli)
    files = ("--draft", cli / "brouillon.yaml", "--assignments", cli / "affectations.csv")
    invoke("curate", "merge", target, *others, "--into", target, *files)
    invoke("curate", "rename", target, "--code", f"theme_{theme}", "--label", f"Thème {theme}", *files)
    for code in themes[discarded]:
        invoke("curate", "discard", code, *files)
    invoke(
        "curate", "publish", *files, "--data", NOTES, "--id", "accueil_test", "--out", cli / "base.yaml",
        "--labels", cli / "etiquettes.csv",
    )  # fmt: skip
    # The same steps in the UI.
    served.post(f"{URL}/fusionner", codes=[target, *others], into=target)
    label = load_taxonomy(served.folder / "brouillon.yaml").get(target)
    served.post(
        f"{URL}/motifs/{target}/renommer", label=f"Thème {theme}", code=f"theme_{theme}", definition=label.definition
    )
    for code in themes[discarded]:
        served.post(f"{URL}/motifs/{code}/ecarter")
    published = served.post(f"{URL}/publier", id="accueil_test")
    assert published.headers["location"] == f"{URL}?fait=publier&code=accueil_test%401.0.0"  # type: ignore[attr-defined]
    page = served.client.get(published.headers["location"]).text  # type: ignore[attr-defined]
    assert "Base publiée : accueil_test@1.0.0." in page and "motifs train --data" in page
    assert 'action="' + URL + '/fusionner"' not in page  # published: read-only
    base_file = served.taxonomy_dir / "accueil_test" / "v1.0.0.yaml"
    assert base_file.read_bytes() == (cli / "base.yaml").read_bytes()
    assert (served.folder / "etiquettes.csv").read_bytes() == (cli / "etiquettes.csv").read_bytes()
    again = served.client.post(f"{URL}/motifs/theme_{theme}/ecarter", data={"reviewer": "A", "etat": "0"})
    assert again.status_code == 409 and "plus modifiable" in _alert(again.text)

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    invoke(
        "train", "--data", served.folder / "etiquettes.csv", "--taxonomy", "accueil_test@1.0.0",
        "--out", tmp_path / "modele", "--tracking-uri", uri,
        "--config", Path(__file__).parent / "data" / "training" / "rapide.yaml",
        env={"MOTIFS_TAXONOMY_DIR": str(served.taxonomy_dir)},
    )  # fmt: skip
    from pipeline.artifact import load_model

    model = load_model(tmp_path / "modele")
    assert model.taxonomy_ref == "accueil_test@1.0.0"
    suggestion = model.suggest(["mon passeport est expiré, je dois le renouveler"], k=3)[0]
    assert suggestion.top_k and all(s.code in load_taxonomy(base_file).codes for s in suggestion.top_k)


@pytest.mark.browser
@pytest.mark.xdist_group("chromium")
def test_curate_and_publish_in_chromium(chromium_path: str, discovered: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    app, folder, taxonomy_dir, _ = _app(discovered, tmp_path)
    themes = _by_theme(pd.read_csv(folder / "affectations.csv", dtype=str))
    theme = next(t for t, codes in themes.items() if len(codes) >= 2)
    target, other = themes[theme][:2]
    discarded = next(t for t in sorted(themes) if t != theme)
    with running_server(app) as base_url, sync_playwright() as playwright:  # type: ignore[arg-type]
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{base_url}/revue")
        page.get_by_role("link", name="Découverte").click()
        page.get_by_role("link", name=NAME).click()
        expect(page).to_have_title(f"Brouillon {NAME} — revue des motifs émergents")
        # Merge: tick two candidates, choose the one that stays.
        page.get_by_label(f"fusionner {target}", exact=True).check()
        page.get_by_label(f"fusionner {other}", exact=True).check()
        page.get_by_label("Motif qui reste").select_option(target)
        page.get_by_role("button", name="Fusionner").click()
        expect(page.get_by_role("status")).to_contain_text(f"Motifs fusionnés dans {target}")
        # Rename on the candidate's page.
        page.get_by_label("Libellé").fill("Motif fusionné")
        page.get_by_label("Code", exact=True).fill("motif_fusionne")
        page.get_by_role("button", name="Renommer").click()
        expect(page.get_by_role("status")).to_contain_text("Motif renommé : motif_fusionne.")
        # Discard a candidate, from its page.
        page.get_by_role("link", name=f"Brouillon {NAME}").click()
        page.get_by_role("link", name=themes[discarded][0], exact=True).click()
        page.get_by_role("button", name="Écarter le motif").click()
        expect(page.get_by_role("status")).to_contain_text(f"Motif {themes[discarded][0]} écarté")
        # Publish.
        page.get_by_label("Identifiant de la nouvelle base").fill("accueil_navigateur")
        page.get_by_role("button", name="Publier la version 1.0.0").click()
        expect(page.get_by_role("status")).to_contain_text("Base publiée : accueil_navigateur@1.0.0.")
        expect(page.get_by_text("motifs train --data")).to_be_visible()
        context.close()
        browser.close()
    assert requests and all(u.startswith(base_url) for u in requests)
    base = load_taxonomy(taxonomy_dir / "accueil_navigateur" / "v1.0.0.yaml")
    assert not is_draft(base) and base.get("motif_fusionne").label == "Motif fusionné"
    assert other not in base and themes[discarded][0] not in base
    weak = pd.read_csv(folder / "etiquettes.csv", dtype=str)
    assert list(weak.columns) == ["call_id", "text", "reason"] and AUTRE not in set(weak.reason)
    assert "motif_fusionne" in set(weak.reason)


def test_a_draft_file_broken_by_hand_is_reported_not_served(served: Served) -> None:
    draft = served.folder / "brouillon.yaml"
    draft.write_text(draft.read_text(encoding="utf-8").replace("version: 1.0.0", "version: un"), encoding="utf-8")
    for path in (URL, f"{URL}/motifs/{AUTRE}"):
        page = served.client.get(path)
        assert page.status_code == 500 and "Brouillon illisible" in page.text and 'role="alert"' in page.text
    listing = served.client.get("/revue/decouverte")
    assert listing.status_code == 200 and "illisible" in listing.text


def test_two_steps_from_the_same_state_one_wins_the_other_changes_nothing(served: Served) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from serving.discovery import curation, workspace
    from serving.discovery.errors import StaleDraft

    ws = workspace.open_workspace(NAME, served.folder.parent)
    state = workspace.load_state(ws)
    first, second = sorted(set(state.draft.codes) - {AUTRE})[:2]

    def discard(code: str) -> str:
        try:
            workspace.apply_step(
                ws, state.token, lambda d, a: curation.discard(d, a, code), action="ecarter", reviewer="A", codes=[code]
            )
        except StaleDraft:
            return "refusé"
        return "fait"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(discard, [first, second]))
    assert sorted(outcomes) == ["fait", "refusé"]
    remaining = set(load_taxonomy(served.folder / "brouillon.yaml").codes)
    assert len({first, second} - remaining) == 1  # exactly one of the two was discarded
