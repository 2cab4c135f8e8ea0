"""Site extensions: local reasons nested under national codes, rolled up for national figures, migrated with them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from taxonomy import (
    MigrationStatus,
    SiteExtension,
    TaxonomyNotFound,
    TaxonomyValidationError,
    list_sites,
    list_versions,
    load_site,
    load_taxonomy,
    migrate_codes,
)

SITES = Path(__file__).parent / "data" / "taxonomy" / "sites"


@pytest.mark.parametrize("version", list_versions())
def test_shipped_site_extends_every_national_version(version: str) -> None:
    assert list_sites() == ["metropole_lyon"]
    taxonomy = load_taxonomy(version).with_site(load_site("metropole_lyon"))
    assert taxonomy.ref == f"national@{version}+metropole_lyon@1.0.0"
    assert taxonomy.national_ref == f"national@{version}"
    local = [r for r in taxonomy.reasons if r.is_local]
    assert 2 <= len(local) <= 5 and all(r.site == "metropole_lyon" for r in local)
    assert taxonomy.roll_up("lyon_fsl_energie") == "paiement_difficulte"  # local → local → national
    assert taxonomy.roll_up("lyon_tarification_solidaire_transports") == "info_droits"
    assert taxonomy.roll_up("info_droits") == "info_droits"
    domain = taxonomy.domain_of("lyon_fsl_energie")
    assert domain is not None and domain.code == "paiement"
    assert "lyon_fsl_energie" in taxonomy.active_codes
    for reason in local:
        assert "Inclut :" in reason.definition and "Exclut :" in reason.definition and len(reason.examples) >= 3


def test_national_figures_roll_local_codes_up() -> None:
    taxonomy = load_taxonomy("1.1.0+metropole_lyon")
    calls = ["lyon_fsl_energie", "lyon_fonds_solidarite_logement", "paiement_difficulte", "info_droits"]
    national = Counter(taxonomy.roll_up(code) for code in calls)
    assert national == {"paiement_difficulte": 3, "info_droits": 1}


def test_a_site_ref_loads_back_the_same_taxonomy() -> None:
    taxonomy = load_taxonomy("national@1.0.0+metropole_lyon@1.0.0")
    assert load_taxonomy(taxonomy.ref).codes == taxonomy.codes
    with pytest.raises(TaxonomyNotFound, match=r"metropole_lyon@2\.0\.0 introuvable"):
        load_taxonomy("1.1.0+metropole_lyon@2.0.0")


def test_a_site_applies_only_to_the_versions_it_declares() -> None:
    extension = SiteExtension.model_validate(
        {
            "site": "site_test",
            "version": "1.0.0",
            "label": "Site de test",
            "extends": {"taxonomy": "national", "versions": ["1.1.0"]},
            "reasons": [
                {"code": "test_navette", "parent": "info_contact_accueil", "label": "Navette", "definition": "x"}
            ],
        }
    )
    assert load_taxonomy("1.1.0").with_site(extension).roll_up("test_navette") == "info_contact_accueil"
    with pytest.raises(TaxonomyValidationError, match=r"l'extension ne déclare pas étendre national@1\.0\.0"):
        load_taxonomy("1.0.0").with_site(extension)
    with pytest.raises(TaxonomyValidationError, match="déjà étendue par un site"):
        load_taxonomy("1.1.0").with_site(extension).with_site(extension)


def test_nested_and_retired_local_reasons() -> None:
    taxonomy = load_taxonomy("1.0.0").with_site(load_site(SITES / "valid_nested.yaml"))
    assert taxonomy.roll_up("test_aide_commune_cantine") == "info_droits"
    assert taxonomy.successors("test_navette") == ("info_contact_accueil",)
    assert "test_navette" not in taxonomy.active_codes


@pytest.mark.parametrize("name", ["no_parent", "unknown_parent", "clash", "parent_cycle", "parent_autre"])
def test_broken_sites_are_refused_when_applied(name: str) -> None:
    with pytest.raises(TaxonomyValidationError) as caught:
        load_taxonomy("1.1.0").with_site(load_site(SITES / f"{name}.yaml"))
    assert all(f"sites/{name}.yaml" in str(issue) for issue in caught.value.issues)


def test_local_codes_migrate_with_their_national_parent() -> None:
    result = migrate_codes(["lyon_fsl_energie"], "1.0.0+metropole_lyon", "1.1.0")
    move = result["lyon_fsl_energie"]
    assert (move.status, move.code) == (MigrationStatus.MAPPED, "paiement_difficulte")
    assert [str(change) for change in move.changes] == [
        "1.0.0 remontée au parent national : lyon_fsl_energie → paiement_difficulte"
    ]
    kept = migrate_codes(["lyon_fsl_energie", "rdv_prise"], "1.0.0+metropole_lyon", "1.1.0+metropole_lyon")
    assert (kept["lyon_fsl_energie"].status, kept["lyon_fsl_energie"].code) == (MigrationStatus.UNCHANGED,
                                                                                "lyon_fsl_energie")  # fmt: skip
    assert kept["rdv_prise"].code == "rdv_gestion"


def test_a_local_code_under_a_split_parent_is_flagged_with_the_split_candidates() -> None:
    extension = SiteExtension.model_validate(
        {
            "site": "site_test",
            "version": "1.0.0",
            "label": "Site de test",
            "extends": {"taxonomy": "national", "versions": ["1.0.0"]},
            "reasons": [{"code": "test_borne", "parent": "numerique_connexion", "label": "Borne", "definition": "x"}],
        }
    )
    source = load_taxonomy("1.0.0").with_site(extension)
    move = migrate_codes(["test_borne"], source, "1.1.0")["test_borne"]
    assert move.status is MigrationStatus.REQUALIFY
    assert move.candidates == ("numerique_identifiants", "numerique_franceconnect")
