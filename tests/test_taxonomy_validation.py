"""Every validation error: one readable line (file, line, code, problem, expected), all of them collected."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxonomy import (
    Taxonomy,
    TaxonomyValidationError,
    ValidationIssue,
    load_lineage,
    load_site,
    load_taxonomy,
    validate_paths,
)
from taxonomy.validation import SourceMap, check_step, find_cycles

DATA = Path(__file__).parent / "data" / "taxonomy"
BROKEN = DATA / "broken"


def _issues_of_file(name: str) -> tuple[ValidationIssue, ...]:
    with pytest.raises(TaxonomyValidationError) as caught:
        load_taxonomy(BROKEN / name)
    return caught.value.issues


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("duplicate_code.yaml", ["duplicate_code.yaml:12 :", "motif « rdv » : code en double", "un code unique"]),
        ("unknown_domain.yaml", [":10 :", "domaine « rendez_vous » inconnu", "un domaine déclaré : general"]),
        ("replaced_by_cycle.yaml", [":8 :", "cycle dans replaced_by : rdv → rendez_vous → rdv"]),
        ("missing_autre.yaml", ["motif réservé « autre » absent", "attendu : un motif « autre » actif"]),
        ("invalid_semver.yaml", [":2 :", "champ « version »", "version « 1.0 » invalide", "MAJEUR.MINEUR.CORRECTIF"]),
        ("yaml_syntax.yaml", ["yaml_syntax.yaml:10 :", "syntaxe YAML invalide (colonne", "entre guillemets"]),
        ("duplicate_key.yaml", [":10 :", "clé « label » en double"]),
        ("crosswalk_from_later.yaml", [":5 :", "crosswalk.from vaut 1.1.0", "n'est pas antérieure à la version 1.0.0"]),
        ("national_with_parent.yaml", ["motif « rdv »", "« parent » est réservé aux motifs locaux"]),
    ],
)
def test_a_broken_file_gives_one_readable_line(name: str, fragments: list[str]) -> None:
    (issue,) = _issues_of_file(name)
    line = str(issue)
    assert "\n" not in line
    assert f"broken/{name}" in line
    for fragment in fragments:
        assert fragment in line


def test_schema_errors_name_the_field_and_the_expected_type() -> None:
    lines = [str(issue) for issue in _issues_of_file("schema_errors.yaml")]
    expected = [
        ":12 : motif « rdv » : champ « examples » : type incorrect (reçu : du texte) (attendu : une liste)",
        ":13 : motif « paiement » : champ « label » : champ obligatoire absent",
        ":16 : motif « paiement » : champ « segments[0] » : valeur « informations » non autorisée (attendu : une de "
        ": information, demarche, suivi_dossier",
        ":17 : motif « Courrier-Reçu » : champ « code » : code « Courrier-Reçu » invalide (attendu : minuscules",
        ":21 : motif « Courrier-Reçu » : champ « replace_by » : champ inconnu",
    ]
    assert len(lines) == len(expected)
    for line, fragment in zip(lines, expected, strict=True):
        assert fragment in line


def test_every_problem_of_a_file_is_reported_not_just_the_first() -> None:
    issues = _issues_of_file("several_errors.yaml")
    problems = [(issue.code, issue.problem) for issue in issues]
    assert problems == [
        (None, "motif réservé « autre » absent"),
        ("rdv", "domaine « agenda » inconnu"),
        ("rdv", "code en double"),
        ("courrier", "motif actif avec « replaced_by »"),
        ("courrier", "replaced_by cite le code inconnu « lettre »"),
    ]
    assert [issue.line for issue in issues] == sorted(issue.line or 0 for issue in issues)
    message = str(TaxonomyValidationError(issues))
    assert message.splitlines()[0] == "5 erreurs dans la base de motifs :"
    assert len(message.splitlines()) == 6


@pytest.mark.parametrize(
    ("folder", "fragments"),
    [
        ("lineage_unknown_code", ["changement n°1 (renommage) : code absent de la version 1.0.0", "« rendezvous »"]),
        ("lineage_deprecated_undeclared", ["motif « fax » : code retiré sans entrée dans la table de correspondance"]),
        ("lineage_replaced_by_mismatch", ["replaced_by [paiement_retard] incohérent avec le changement n°1 (scission)",
                                          "attendu : replaced_by: [paiement_retard, paiement_montant]"]),
        ("lineage_deleted_code", ["motif « fax » : code de la version 1.0.0 supprimé", "status: deprecated"]),
        ("lineage_new_undeclared", ["motif « fraude » : nouveau code absent de la table de correspondance"]),
        ("lineage_missing_crosswalk", ["table de correspondance (crosswalk) absente", "crosswalk.from: 1.0.0"]),
        ("lineage_bad_order", ["v1.2.0.yaml:6 : crosswalk.from vaut 1.0.0",
                               "la version immédiatement précédente, 1.1.0"]),
        ("lineage_file_name", ["fichier v1.1.0.yaml pour la version 1.3.0", "un fichier nommé v1.3.0.yaml"]),
    ],
)  # fmt: skip
def test_lineage_errors(folder: str, fragments: list[str]) -> None:
    report = validate_paths([DATA / folder])
    lines = [str(issue) for issue in report.issues]
    assert len(lines) == (2 if folder == "lineage_unknown_code" else 1), lines
    for fragment in fragments:
        assert any(fragment in line for line in lines), (fragment, lines)
    with pytest.raises(TaxonomyValidationError):
        load_lineage("mini", directory=DATA / folder)


def test_crosswalk_naming_a_code_missing_from_the_new_version() -> None:
    lines = [str(issue) for issue in validate_paths([DATA / "lineage_unknown_code"]).issues]
    assert any("motif « fraude » : changement n°2 (création) : code absent de la version 1.1.0" in ln for ln in lines)


def test_a_correct_lineage_validates_and_loads_in_order() -> None:
    assert validate_paths([DATA / "lineage_ok"]).ok
    assert [t.version for t in load_lineage("mini", directory=DATA / "lineage_ok")] == ["1.0.0", "1.1.0", "1.2.0"]


def test_two_versions_in_the_wrong_order() -> None:
    old = load_taxonomy(DATA / "lineage_ok" / "v1.0.0.yaml")
    new = load_taxonomy(DATA / "lineage_ok" / "v1.1.0.yaml")
    problems = [issue.problem for issue in check_step(new, old, SourceMap(file="x.yaml"))]
    assert "version 1.0.0 placée après la version 1.1.0" in problems


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("no_parent.yaml", ["no_parent.yaml:7 :", "motif « test_navette » : motif local sans parent"]),
        ("unknown_parent.yaml", [":8 :", "parent « info_transport » inconnu dans national@1.1.0"]),
        ("deprecated_parent.yaml", ["parent « rdv_prise » retiré dans national@1.1.0 (remplacé par : rdv_gestion)"]),
        ("clash.yaml", ["motif « info_droits » : code identique à un code national de national@1.1.0"]),
        ("parent_cycle.yaml", ["cycle dans les parents : test_aide_a → test_aide_b → test_aide_a"]),
        ("parent_autre.yaml", ["motif « test_divers » : rattaché à « autre »"]),
        ("unknown_version.yaml", ["étend national@9.0.0, version introuvable", "1.0.0, 1.1.0"]),
    ],
)
def test_site_extension_errors(name: str, fragments: list[str]) -> None:
    lines = [str(issue) for issue in validate_paths([DATA / "sites" / name]).issues]
    assert lines
    for fragment in fragments:
        assert any(fragment in line for line in lines), (fragment, lines)
    assert all("\n" not in line for line in lines)


def test_applying_a_broken_site_raises_with_the_site_file_named() -> None:
    with pytest.raises(TaxonomyValidationError, match=r"sites/deprecated_parent\.yaml:8 : motif") as caught:
        load_taxonomy("1.1.0").with_site(load_site(DATA / "sites" / "deprecated_parent.yaml"))
    assert len(caught.value.issues) == 1
    load_taxonomy("1.0.0").with_site(load_site(DATA / "sites" / "deprecated_parent.yaml"))  # fine in 1.0.0


def test_a_taxonomy_built_in_memory_is_validated_too() -> None:
    data = {
        "taxonomy": "mini",
        "version": "1.0.0",
        "label": "En mémoire",
        "domains": [{"code": "general", "label": "Général"}],
        "reasons": [{"code": "rdv", "label": "Rendez-vous", "domain": "general", "definition": "Rendez-vous."}],
    }
    with pytest.raises(TaxonomyValidationError, match="« autre » absent"):
        Taxonomy.model_validate(data)


def test_issue_format() -> None:
    issue = ValidationIssue("v1.yaml", "code en double", "un code unique", code="rdv", line=3)
    assert str(issue) == "v1.yaml:3 : motif « rdv » : code en double (attendu : un code unique)"
    assert str(ValidationIssue("v1.yaml", "vide")) == "v1.yaml : vide"


def test_find_cycles_reports_each_cycle_once() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a"], "f": []}
    assert find_cycles(edges) == [["a", "b", "c"], ["d"]]
    assert find_cycles({"a": ["b"], "b": []}) == []
