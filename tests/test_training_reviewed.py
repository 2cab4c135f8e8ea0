"""`training.run.with_reviewed_examples`: how the review's examples join the taxonomy's texts before training."""

from __future__ import annotations

from training.run import with_reviewed_examples

TEXTS = {
    "attestation": ["Attestation", "Demande d'une attestation de paiement"],
    "paiement_non_recu": ["Paiement non reçu"],
}
ACTIVE = {"attestation", "paiement_non_recu", "solidarite_source"}


def test_active_code_gets_each_reviewed_example_once() -> None:
    reviewed = {
        "solidarite_source": ["montants pré-remplis faux", "montants pré-remplis faux", "veut corriger ses salaires"],
        "attestation": ["Demande d'une attestation de paiement", "attestation pour la CAF du département"],
    }
    merged, used, ignored = with_reviewed_examples(TEXTS, reviewed, ACTIVE)
    assert merged["solidarite_source"] == ["montants pré-remplis faux", "veut corriger ses salaires"]
    # Already a taxonomy text of the reason: not added twice.
    assert merged["attestation"] == [*TEXTS["attestation"], "attestation pour la CAF du département"]
    assert merged["paiement_non_recu"] == TEXTS["paiement_non_recu"]
    assert used == {"solidarite_source": 2, "attestation": 1}
    assert ignored == {}


def test_inactive_or_unknown_codes_are_reported_and_left_out() -> None:
    reviewed = {
        "ancien_code": ["note a", "note b", "note b"],
        "inconnu": ["note c"],
        "paiement_non_recu": ["virement pas arrivé ce mois"],
    }
    merged, used, ignored = with_reviewed_examples(TEXTS, reviewed, ACTIVE)
    assert "ancien_code" not in merged and "inconnu" not in merged
    assert ignored == {"ancien_code": 2, "inconnu": 1}  # distinct texts, like `used`
    assert used == {"paiement_non_recu": 1}


def test_empty_texts_are_dropped() -> None:
    reviewed = {"solidarite_source": ["", "   ", "montant net social incompris"], "inconnu": ["", " "]}
    merged, used, ignored = with_reviewed_examples(TEXTS, reviewed, ACTIVE)
    assert merged["solidarite_source"] == ["montant net social incompris"]
    assert used == {"solidarite_source": 1}
    assert ignored == {}  # nothing but empty texts: nothing to report


def test_inputs_are_not_modified_and_no_review_changes_nothing() -> None:
    before = {code: list(values) for code, values in TEXTS.items()}
    merged, used, ignored = with_reviewed_examples(TEXTS, {}, ACTIVE)
    assert merged == before and used == {} and ignored == {}
    with_reviewed_examples(TEXTS, {"attestation": ["nouvelle note"]}, ACTIVE)
    assert before == TEXTS
