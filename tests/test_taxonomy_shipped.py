"""The shipped national taxonomy: codes of docs/ARCHITECTURE.md, content agents and the classifier rely on, loading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from taxonomy import (
    AUTRE,
    ChangeKind,
    InvalidTaxonomyRef,
    Segment,
    Status,
    Taxonomy,
    TaxonomyNotFound,
    UnknownReasonCode,
    list_versions,
    load_taxonomy,
    validate_paths,
    write_taxonomy,
)
from taxonomy.loader import DATA_DIR

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"


def _architecture_table() -> dict[str, tuple[str, str]]:
    rows = re.findall(r"^\| (\S+) \| `([a-z_]+)` \| (.+?) \|$", ARCHITECTURE.read_text(encoding="utf-8"), re.M)
    return {code: (domain, label) for domain, code, label in rows}


def test_v1_0_0_has_exactly_the_codes_domains_and_labels_of_the_architecture() -> None:
    table = _architecture_table()
    assert len(table) >= 25
    taxonomy = load_taxonomy("1.0.0")
    assert set(taxonomy.codes) == set(table)
    for code, (domain, label) in table.items():
        reason = taxonomy.get(code)
        assert reason.label == label, code
        assert (reason.domain or "—") == domain, code
    assert 8 <= len(taxonomy.domains) <= 10


def test_v1_1_0_renames_merges_splits_and_adds_as_documented() -> None:
    taxonomy = load_taxonomy("1.1.0")
    assert taxonomy.crosswalk is not None and taxonomy.crosswalk.from_version == "1.0.0"
    changes = {(c.kind, c.from_codes, c.to_codes) for c in taxonomy.crosswalk.changes}
    assert changes == {
        (ChangeKind.RENAME, ("paiement_indu",), ("paiement_trop_percu",)),
        (ChangeKind.MERGE, ("rdv_prise", "rdv_modification"), ("rdv_gestion",)),
        (ChangeKind.SPLIT, ("numerique_connexion",), ("numerique_identifiants", "numerique_franceconnect")),
        (ChangeKind.NEW, (), ("signalement_fraude",)),
    }
    for code in ("paiement_indu", "rdv_prise", "rdv_modification", "numerique_connexion"):
        assert taxonomy.get(code).status is Status.DEPRECATED  # deprecated, never deleted
    assert set(load_taxonomy("1.0.0").codes) < set(taxonomy.codes)


@pytest.mark.parametrize("version", list_versions())
def test_every_active_reason_carries_what_agents_and_the_classifier_need(version: str) -> None:
    taxonomy = load_taxonomy(version)
    assert 25 <= len(taxonomy.active_codes) <= 40
    for reason in taxonomy.active_reasons:
        assert "Inclut :" in reason.definition and "Exclut :" in reason.definition, reason.code
        assert 3 <= len(reason.examples) <= 5, reason.code
        assert len(set(reason.examples)) == len(reason.examples), reason.code
        if reason.code != AUTRE:
            assert reason.segments, reason.code
            assert reason.domain is not None
    autre = taxonomy.get(AUTRE)
    assert "dernier recours" in autre.definition  # tells agents when to use it
    assert all(
        r.self_service.url.startswith("https://") for r in taxonomy.reasons if r.self_service and r.self_service.url
    )
    assert {s for r in taxonomy.reasons for s in r.segments} == set(Segment)


@pytest.mark.parametrize("version", list_versions())
def test_definitions_only_point_to_codes_active_in_their_version(version: str) -> None:
    taxonomy = load_taxonomy(version)
    domains = {d.code for d in taxonomy.domains}
    for reason in taxonomy.active_reasons:
        for group in re.findall(r"\(([a-z_, ]+)\)", reason.definition):
            for token in (t.strip() for t in group.split(",")):
                if token.startswith("domaine "):
                    assert token.removeprefix("domaine ") in domains, (reason.code, token)
                elif "_" in token or token in taxonomy:
                    assert token in taxonomy.active_codes, (reason.code, token)


def test_shipped_data_validates_as_a_whole() -> None:
    report = validate_paths()
    assert report.ok, [str(issue) for issue in report.issues]
    assert report.taxonomies == ("national@1.0.0", "national@1.1.0")
    assert report.sites == ("metropole_lyon@1.0.0",)


def test_references_resolve_to_the_same_versions() -> None:
    assert list_versions() == ["1.0.0", "1.1.0"]
    assert load_taxonomy().ref == "national@1.1.0"
    assert load_taxonomy("national").ref == "national@1.1.0"
    assert load_taxonomy("1.0.0").ref == load_taxonomy("national@1.0.0").ref == "national@1.0.0"
    by_path = load_taxonomy(DATA_DIR / "national" / "v1.0.0.yaml")
    assert by_path.model_dump() == load_taxonomy("1.0.0").model_dump()
    assert load_taxonomy(str(DATA_DIR / "national" / "v1.1.0.yaml")).version == "1.1.0"


@pytest.mark.parametrize(
    ("ref", "error", "fragment"),
    [
        ("1.0", InvalidTaxonomyRef, "référence « 1.0 » invalide"),
        ("national@1.0", InvalidTaxonomyRef, "invalide"),
        ("9.9.9", TaxonomyNotFound, "version 9.9.9 de « national » introuvable (attendu : 1.0.0, 1.1.0)"),
        ("cantine@1.0.0", TaxonomyNotFound, "« cantine » introuvable"),
        ("absent/v1.0.0.yaml", TaxonomyNotFound, "fichier introuvable"),
        ("1.1.0+inconnu", TaxonomyNotFound, "extension de site « inconnu » introuvable"),
    ],
)
def test_bad_references_say_what_was_expected(ref: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=re.escape(fragment)):
        load_taxonomy(ref)


def test_taxonomies_are_immutable() -> None:
    taxonomy = load_taxonomy()
    with pytest.raises(ValidationError):
        taxonomy.version = "2.0.0"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        taxonomy.get("info_droits").label = "autre chose"  # type: ignore[misc]
    assert isinstance(taxonomy.reasons, tuple) and isinstance(taxonomy.get("info_droits").examples, tuple)
    taxonomy.labels["info_droits"] = "modifié"  # a copy: the taxonomy is untouched
    assert taxonomy.get("info_droits").label != "modifié"


def test_lookups_for_the_classifier_and_serving() -> None:
    taxonomy = load_taxonomy("1.1.0")
    assert "numerique_connexion" in taxonomy.codes and "numerique_connexion" not in taxonomy.active_codes
    assert AUTRE in taxonomy.active_codes
    assert [r.code for r in taxonomy.active_reasons] == list(taxonomy.active_codes)
    assert taxonomy.successors("numerique_connexion") == ("numerique_identifiants", "numerique_franceconnect")
    assert taxonomy.successors("paiement_indu") == ("paiement_trop_percu",)
    assert taxonomy.successors("info_droits") == ("info_droits",)
    assert taxonomy.labels["rdv_gestion"] == "Prise, modification ou annulation d'un rendez-vous"
    assert taxonomy.get("signalement_fraude").self_service is not None
    assert taxonomy.domain_of(AUTRE) is None
    assert taxonomy.domain_of("rdv_gestion") == taxonomy.domain("rendez_vous")
    assert {r.code for r in taxonomy.reasons_in("rendez_vous")} == {"rdv_prise", "rdv_modification", "rdv_gestion"}
    with pytest.raises(UnknownReasonCode, match=r"absent de national@1\.1\.0") as caught:
        taxonomy.get("x" * 500)
    assert "x" * 65 not in str(caught.value)  # the received value is cut, never echoed in full


def test_written_yaml_reads_back_identical(tmp_path: Path) -> None:
    taxonomy = load_taxonomy("1.1.0")
    path = write_taxonomy(taxonomy, tmp_path / "v1.1.0.yaml")
    again = load_taxonomy(path)
    assert again.model_dump() == taxonomy.model_dump()
    assert isinstance(again, Taxonomy) and again.origin == tmp_path.resolve()
