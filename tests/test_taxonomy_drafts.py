"""Draft versions in the local taxonomy folder: written by the review, found by the loader, validated as the
continuation of the shipped lineage, never taken as the latest published version."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app
from taxonomy import (
    ChangeKind,
    InvalidDraft,
    add_reason,
    current_draft,
    latest_version,
    list_versions,
    load_taxonomy,
    plan_migration,
    validate_paths,
    write_draft,
)

SECRET_LABEL = "Libellé Zorglub très particulier"  # must never appear in an error message
REASON = {
    "code": "aide_chauffage_exceptionnelle",
    "label": "Aide exceptionnelle au chauffage",
    "domain": "information",
    "definition": "Inclut : questions sur la nouvelle aide exceptionnelle au chauffage (bois, fioul, électricité).",
}
EXAMPLES = ["Nouvelle aide chauffage : faut-il faire une demande", "  aide   chauffage bois <NOM>  ", ""]


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "taxonomy"
    monkeypatch.setenv("MOTIFS_TAXONOMY_DIR", str(folder))
    return folder


def test_first_reason_writes_a_minor_bump_that_loads_and_validates(local: Path) -> None:
    base = load_taxonomy()
    assert base.version == "1.1.0" and current_draft() is None
    draft = add_reason(base, examples=EXAMPLES, note="Créé depuis le cluster E0001", **REASON)
    assert (draft.version, draft.released) == ("1.2.0", None)
    assert draft.crosswalk is not None and draft.crosswalk.from_version == "1.1.0"
    (change,) = draft.crosswalk.changes
    assert (change.kind, change.to_codes, change.note) == (
        ChangeKind.NEW,
        (REASON["code"],),
        "Créé depuis le cluster E0001",
    )
    reason = draft.get(REASON["code"])
    assert reason.examples == ("Nouvelle aide chauffage : faut-il faire une demande", "aide chauffage bois <NOM>")
    assert set(base.codes) < set(draft.codes) and draft.codes[-1] == "autre"  # every code kept, « autre » last
    assert [r.code for r in draft.reasons_in("information")][-1] == REASON["code"]

    path = write_draft(draft)
    assert path == local / "national" / "v1.2.0.yaml"
    assert path.read_text(encoding="utf-8").startswith("# Brouillon de la base de motifs national@1.2.0")
    assert load_taxonomy("1.2.0").get(REASON["code"]).label == REASON["label"]
    assert load_taxonomy("national@1.2.0").version == "1.2.0"
    assert load_taxonomy().version == "1.1.0" and latest_version() == "1.1.0"  # a draft is never "the latest"
    assert list_versions() == ["1.0.0", "1.1.0", "1.2.0"]
    assert current_draft() == load_taxonomy("1.2.0")

    for report in (validate_paths(), validate_paths([path]), validate_paths([local])):
        assert report.ok, report.issues
        assert "national@1.2.0" in report.taxonomies
    # Codes of 1.0.0 migrate to the draft through the shipped crosswalks (lineage completed from the shipped data).
    plan = plan_migration(load_taxonomy("1.0.0"), load_taxonomy("1.2.0"))
    assert [step.version for step in plan.steps] == ["1.1.0", "1.2.0"]
    result = plan.apply(["paiement_indu"])
    assert result["paiement_indu"].code == "paiement_trop_percu"
    assert REASON["code"] in result.new_codes


def test_second_reason_amends_the_same_draft(local: Path) -> None:
    base = load_taxonomy()
    write_draft(add_reason(base, **REASON))
    draft = current_draft()
    assert draft is not None
    second = add_reason(
        base,
        draft=draft,
        code="panne_paiement_en_ligne",
        label="Panne du paiement en ligne",
        domain="numerique",
        definition="Inclut : le service de paiement en ligne ne fonctionne pas.",
    )
    assert second.version == "1.2.0"
    assert [c.to_codes for c in second.crosswalk.changes] == [(REASON["code"],), ("panne_paiement_en_ligne",)]  # type: ignore[union-attr]
    write_draft(second)
    assert validate_paths().ok
    assert {"panne_paiement_en_ligne", REASON["code"]} <= set(load_taxonomy("1.2.0").active_codes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "Aide Chauffage!"}, "code invalide"),
        ({"code": "paiement_indu"}, "« paiement_indu » déjà utilisé"),  # deprecated codes are never reused
        ({"code": "autre"}, "déjà utilisé"),
        ({"domain": "inexistant"}, "domaine « inexistant » inconnu"),
        ({"domain": "Pas un code"}, "(valeur invalide)"),
        ({"label": "  "}, "libellé vide"),
        ({"definition": "x" * 2001}, "définition trop longue"),
    ],
)
def test_bad_reasons_are_refused_without_quoting_free_text(local: Path, change: dict, message: str) -> None:
    fields = {**REASON, "label": SECRET_LABEL, **change}
    with pytest.raises(InvalidDraft, match=message) as info:
        add_reason(load_taxonomy(), **fields)
    assert "Zorglub" not in str(info.value)
    assert not local.exists()


def test_a_local_file_cannot_reuse_a_shipped_version_number(local: Path) -> None:
    shipped = Path(load_taxonomy("1.1.0").origin or "") / "v1.1.0.yaml"
    (local / "national").mkdir(parents=True)
    (local / "national" / "v1.1.0.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_taxonomy("1.1.0").origin == shipped.parent  # the shipped file wins
    report = validate_paths()
    assert any("déjà livrée" in issue.problem for issue in report.issues)


def test_cli_validate_includes_the_local_drafts(local: Path) -> None:
    write_draft(add_reason(load_taxonomy(), **REASON))
    result = CliRunner().invoke(build_app(), ["taxonomy", "validate"])
    assert result.exit_code == 0, result.output
    assert "national@1.2.0" in result.output
    shown = CliRunner().invoke(build_app(), ["taxonomy", "show", "1.2.0"])
    assert shown.exit_code == 0 and REASON["code"] in shown.output
