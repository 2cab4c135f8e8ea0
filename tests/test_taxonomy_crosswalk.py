"""Migrating stored codes through crosswalks: 1→1 and n→1 mapped, 1→n flagged, several steps, unknown codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxonomy import (
    AUTRE,
    MigrationError,
    MigrationStatus,
    diff_taxonomies,
    load_lineage,
    load_taxonomy,
    migrate_codes,
    plan_migration,
    taxonomy_from_labels,
)

MINI = Path(__file__).parent / "data" / "taxonomy" / "lineage_ok"
MAPPED, UNCHANGED, REQUALIFY, UNKNOWN = MigrationStatus


def test_shipped_1_0_0_to_1_1_0() -> None:
    codes = ["paiement_indu", "rdv_prise", "rdv_modification", "numerique_connexion", "info_droits", AUTRE, "zzz", ""]
    result = migrate_codes(codes, "1.0.0", "1.1.0")
    assert result.source_ref == "national@1.0.0" and result.target_ref == "national@1.1.0"
    assert result.versions == ("1.0.0", "1.1.0")
    assert (result["paiement_indu"].status, result["paiement_indu"].code) == (MAPPED, "paiement_trop_percu")
    assert (result["rdv_prise"].status, result["rdv_prise"].code) == (MAPPED, "rdv_gestion")
    assert (result["rdv_modification"].status, result["rdv_modification"].code) == (MAPPED, "rdv_gestion")
    split = result["numerique_connexion"]
    assert split.status is REQUALIFY and split.code is None  # never guessed
    assert split.candidates == ("numerique_identifiants", "numerique_franceconnect")
    assert (result["info_droits"].status, result["info_droits"].code) == (UNCHANGED, "info_droits")
    assert (result[AUTRE].status, result[AUTRE].code) == (UNCHANGED, AUTRE)
    assert result["zzz"].status is UNKNOWN and result[""].status is UNKNOWN
    assert [str(change) for change in result["rdv_prise"].changes] == [
        "1.1.0 fusion : rdv_prise + rdv_modification → rdv_gestion"
    ]
    assert result.codes_with(REQUALIFY) == ("numerique_connexion",)
    assert result.new_codes == ("signalement_fraude",)


def test_counts_per_status_weighted_by_rows() -> None:
    result = migrate_codes(["paiement_indu", "numerique_connexion", "info_droits", "zzz"], "1.0.0", "1.1.0")
    rows = {"paiement_indu": 10, "numerique_connexion": 3, "info_droits": 5, "zzz": 1}
    assert result.counts(rows) == {MAPPED: 10, UNCHANGED: 5, REQUALIFY: 3, UNKNOWN: 1}
    assert result.counts() == {MAPPED: 1, UNCHANGED: 1, REQUALIFY: 1, UNKNOWN: 1}


def test_every_1_0_0_code_lands_on_an_active_1_1_0_code_or_is_flagged() -> None:
    source, target = load_taxonomy("1.0.0"), load_taxonomy("1.1.0")
    result = migrate_codes(source.codes, source, target)
    for code, move in result.by_code.items():
        if move.status is REQUALIFY:
            assert move.candidates and all(c in target.active_codes for c in move.candidates), code
        else:
            assert move.code in target.active_codes, code


def test_several_steps_compose() -> None:
    source = load_taxonomy(MINI / "v1.0.0.yaml")
    target = load_taxonomy(MINI / "v1.2.0.yaml")
    result = migrate_codes(["rdv", "courrier", "paiement", "fax", "paiement_montant", AUTRE], source, target)
    assert result.versions == ("1.0.0", "1.1.0", "1.2.0")
    assert (result["rdv"].status, result["rdv"].code) == (MAPPED, "contact")  # rename then merge
    assert [change.kind for change in result["rdv"].changes] == ["rename", "merge"]
    assert (result["courrier"].status, result["courrier"].code) == (MAPPED, "contact")
    assert result["paiement"].status is REQUALIFY  # split, then one branch split again
    assert result["paiement"].candidates == ("paiement_retard_court", "paiement_retard_long", "paiement_montant")
    assert result["fax"].status is REQUALIFY and result["fax"].candidates == ()  # retired: any active code
    assert result["paiement_montant"].status is UNKNOWN  # did not exist in 1.0.0
    assert result[AUTRE].status is UNCHANGED
    assert result.new_codes == ("fraude",)


def test_a_code_already_retired_in_the_source_follows_its_replacement() -> None:
    result = migrate_codes(["paiement_indu", "numerique_connexion", "rdv_prise"], "1.1.0", "1.1.0")
    assert (result["paiement_indu"].status, result["paiement_indu"].code) == (MAPPED, "paiement_trop_percu")
    assert result["numerique_connexion"].status is REQUALIFY
    assert (result["rdv_prise"].status, result["rdv_prise"].code) == (MAPPED, "rdv_gestion")
    mini = migrate_codes(["rdv"], load_taxonomy(MINI / "v1.1.0.yaml"), load_taxonomy(MINI / "v1.2.0.yaml"))
    assert (mini["rdv"].status, mini["rdv"].code) == (MAPPED, "contact")


def test_same_version_keeps_active_codes() -> None:
    taxonomy = load_taxonomy("1.0.0")
    result = migrate_codes(taxonomy.codes, taxonomy, taxonomy)
    assert result.counts() == {MAPPED: 0, UNCHANGED: len(taxonomy.codes), REQUALIFY: 0, UNKNOWN: 0}


def test_an_explicit_lineage_is_used_and_a_missing_link_is_refused() -> None:
    lineage = load_lineage("mini", directory=MINI)
    first, _, last = lineage
    assert plan_migration(first, last, lineage=lineage).versions == ("1.0.0", "1.1.0", "1.2.0")
    with pytest.raises(MigrationError, match=r"pas de chaîne de tables de correspondance de 1\.0\.0 à 1\.2\.0"):
        plan_migration(first, last, lineage=[first, last])


def test_migrating_backwards_or_across_taxonomies_is_refused() -> None:
    with pytest.raises(MigrationError, match="version cible antérieure"):
        migrate_codes(["info_droits"], "1.1.0", "1.0.0")
    other = taxonomy_from_labels(["Colis perdu"], taxonomy_id="colis", version="1.1.0")
    with pytest.raises(MigrationError, match="« national » vers « colis »"):
        migrate_codes(["info_droits"], "1.0.0", other)


def test_the_plan_memoises_per_code() -> None:
    plan = plan_migration("1.0.0", "1.1.0")
    assert plan.migrate("rdv_prise") is plan.migrate("rdv_prise")
    assert plan.apply(["rdv_prise", "rdv_prise"]).by_code.keys() == {"rdv_prise"}


def test_diff_lists_crosswalk_changes_and_edited_fields() -> None:
    diff = diff_taxonomies("1.0.0", "1.1.0")
    assert [item.change.kind.value for item in diff.changes] == ["rename", "merge", "split", "new"]
    edited = {(edit.code, edit.field) for edit in diff.edits}
    assert ("paiement_indu", "status") in edited and ("dossier_courrier", "definition") in edited
    assert ("info_droits", "definition") not in edited
    assert [(e.code, e.after) for e in diff.domain_edits] == [
        ("reclamation", "Réclamations, contestations et signalements")
    ]
    assert diff_taxonomies("1.1.0", "1.1.0").is_empty
