"""Export for agents' tools (CSV, JSON) and ad-hoc taxonomies built from a labeled dataset (from-data)."""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taxonomy import (
    AUTRE,
    EmptyLabelSet,
    TaxonomyValidationError,
    UnsupportedExportFormat,
    codes_for_labels,
    export_taxonomy,
    load_taxonomy,
    taxonomy_from_labels,
    write_taxonomy_from_labels,
)
from taxonomy.export import EXPORT_COLUMNS
from taxonomy.schema import CODE_PATTERN


def test_csv_export_opens_in_a_french_spreadsheet(tmp_path: Path) -> None:
    taxonomy = load_taxonomy("1.1.0+metropole_lyon")
    path = export_taxonomy(taxonomy, tmp_path / "motifs.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: accents survive a double-click
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == set(taxonomy.codes)
    assert by_code["numerique_connexion"]["status"] == "deprecated"
    assert by_code["numerique_connexion"]["replaced_by"] == "numerique_identifiants|numerique_franceconnect"
    assert by_code["lyon_fsl_energie"]["parent"] == "lyon_fonds_solidarite_logement"
    assert by_code["lyon_fsl_energie"]["national_code"] == "paiement_difficulte"
    assert by_code["lyon_fsl_energie"]["site"] == "metropole_lyon"
    assert by_code["info_droits"]["self_service_url"].startswith("https://")
    assert by_code["info_droits"]["domain_label"] == "Demande d'information"
    assert by_code[AUTRE]["domain"] == ""


def test_json_export_keeps_lists(tmp_path: Path) -> None:
    taxonomy = load_taxonomy("1.1.0")
    document = json.loads(export_taxonomy(taxonomy, tmp_path / "motifs.json").read_text(encoding="utf-8"))
    assert document["ref"] == "national@1.1.0"
    assert len(document["reasons"]) == len(taxonomy.codes)
    reason = next(r for r in document["reasons"] if r["code"] == "signalement_fraude")
    assert reason["segments"] == ["reassurance", "urgence"]
    assert document["segments"]["suivi_dossier"] == "Suivi de dossier"


def test_export_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedExportFormat, match=r"« \.xlsx » non prise en charge \(attendu : \.csv ou \.json\)"):
        export_taxonomy(load_taxonomy(), tmp_path / "motifs.xlsx")


def test_codes_are_readable_slugs_unique_and_independent_of_order() -> None:
    labels = ["Prise de RDV (agence)", "Réclamation", "reclamation", "Œuvres sociales", "123 soleil", "日本語", "Autre"]
    codes = codes_for_labels(labels)
    assert codes["Prise de RDV (agence)"] == "prise_de_rdv_agence"
    assert {codes["Réclamation"], codes["reclamation"]} == {"reclamation", "reclamation_2"}
    assert codes["Œuvres sociales"] == "oeuvres_sociales"
    assert codes["123 soleil"] == "motif_123_soleil"
    assert re.fullmatch(r"motif_[0-9a-f]{8}", codes["日本語"])
    assert codes["Autre"] == AUTRE
    shuffled = labels[:]
    random.Random(3).shuffle(shuffled)
    assert codes_for_labels(shuffled) == codes


@given(st.lists(st.text(max_size=40), max_size=25))
def test_codes_for_any_labels_are_valid_and_unique(labels: list[str]) -> None:
    codes = codes_for_labels(labels)
    assert set(codes) == {label.strip() for label in labels if label.strip()}
    assert len(set(codes.values())) == len(codes)
    assert all(re.fullmatch(CODE_PATTERN, code) for code in codes.values())
    assert codes_for_labels(reversed(labels)) == codes


def test_taxonomy_from_labels_keeps_labels_and_adds_autre() -> None:
    examples = {"Colis perdu": ["mon colis n'arrive pas", "  ", "colis égaré"] + ["x"] * 10}
    taxonomy = taxonomy_from_labels(
        ["Colis perdu", "Remboursement", "Colis perdu", " "], taxonomy_id="colis", version="2.0.0", examples=examples
    )
    assert taxonomy.ref == "colis@2.0.0"
    assert set(taxonomy.codes) == {"colis_perdu", "remboursement", AUTRE}
    assert taxonomy.get("colis_perdu").label == "Colis perdu"
    assert taxonomy.get("colis_perdu").examples == ("mon colis n'arrive pas", "colis égaré", "x", "x", "x")
    assert len(taxonomy.domains) == 1 and taxonomy.get("remboursement").domain == taxonomy.domains[0].code
    assert taxonomy.get(AUTRE).is_active


def test_a_dataset_label_meaning_other_becomes_the_reserved_code() -> None:
    taxonomy = taxonomy_from_labels(["Autre", "Colis"], taxonomy_id="colis", version="1.0.0")
    assert taxonomy.codes.count(AUTRE) == 1 and taxonomy.get(AUTRE).label == "Autre"


def test_bad_inputs_are_refused_with_the_field_named() -> None:
    with pytest.raises(EmptyLabelSet, match="aucune étiquette"):
        taxonomy_from_labels(["", "  "], taxonomy_id="vide", version="1.0.0")
    with pytest.raises(TaxonomyValidationError, match="champ « taxonomy » : code « Mon Corpus » invalide"):
        taxonomy_from_labels(["a"], taxonomy_id="Mon Corpus", version="1.0.0")
    with pytest.raises(TaxonomyValidationError, match="champ « version » : version « 1 » invalide"):
        taxonomy_from_labels(["a"], taxonomy_id="corpus", version="1")


def test_the_written_yaml_loads_back(tmp_path: Path) -> None:
    taxonomy = write_taxonomy_from_labels(
        ["Colis perdu", "Remboursement"], tmp_path / "colis.yaml", taxonomy_id="colis", version="1.0.0"
    )
    again = load_taxonomy(tmp_path / "colis.yaml")
    assert again.model_dump() == taxonomy.model_dump()
