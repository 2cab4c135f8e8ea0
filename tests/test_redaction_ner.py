"""spaCy NER as an option for names: when the gate opens, and what is kept of its PER entities."""

from __future__ import annotations

import pytest

from pipeline.redaction import Redactor
from pipeline.redaction.engine import cached_engine

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spacy")]


def _gate(text: str) -> bool:
    engine = Redactor(use_ner="gated")._engine()
    names = engine.names
    return names.needs_ner(text, engine.rule_candidates(text))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Demande d'attestation CAF pour l'APL, rappel lundi.", False),  # acronyms, services, days
        ("Mme Dupont appelle pour son RSA.", False),  # the name is already found by the rules
        ("La CAF de Lyon a transféré le dossier à France Travail.", False),  # places and services
        ("Rappeler Ouattara demain matin.", True),  # an unexplained capitalised word
        ("Vu avec Solenn Kervella ce matin.", True),
        ("Problème. Attestation envoyée.", False),  # sentence starts
    ],
)
def test_gate_opens_only_on_unexplained_capitalised_words(text: str, expected: bool) -> None:
    assert _gate(text) is expected


def test_gated_ner_finds_a_name_the_rules_miss_and_keeps_services() -> None:
    text = "Vu avec Solenn Kervella ce matin, elle attend son versement CAF de Lyon."
    assert Redactor(use_ner="off").redact(text) == text
    out = Redactor(use_ner="gated").redact(text)
    assert "Kervella" not in out and "<NOM>" in out
    assert "CAF de Lyon" in out


def test_ner_spans_drop_civilities_and_service_words() -> None:
    engine = cached_engine(Redactor(use_ner="always")._key())
    from pipeline import nlp

    text = "Mme Boulanger et M. Lyon Kevin ont appelé la CAF."
    doc = next(nlp.run([text], nlp.ENTITIES))
    spans = [text[c.start : c.end] for c in engine.names.ner_candidates(text, doc)]
    assert all(not s.startswith(("Mme", "M.")) for s in spans)
    assert "CAF" not in spans


def test_always_and_gated_give_the_same_output_shape() -> None:
    notes = ["Mme Dupont au 06 12 34 56 78", "Rappeler Ouattara demain", "RAS"]
    for mode in ("gated", "always"):
        out = Redactor(use_ner=mode).transform(notes)
        assert out[0] == "Mme <NOM> au <TEL>" and out[2] == "RAS" and len(out) == 3
