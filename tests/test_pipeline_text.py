"""Normalisation of agents' notes: abbreviations, apostrophes, case; never crashes and is idempotent."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InvalidText
from pipeline.text import FrenchNormaliser, fold_accents, load_abbreviations, normalise, truncate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RDV pr le dossier", "rendez-vous pour le dossier"),
        ("Dde de PJ ds le BO", "demande de pièce jointe dans le back-office"),
        ("rappeler qd possible svp", "rappeler quand possible s'il vous plaît"),
        ("L’usager a appelé « tjrs » pas de réponse", 'l\'usager a appelé " toujours " pas de réponse'),
        ("tel   fixe\n\tcoupé", "téléphone fixe coupé"),
        ("prédire pro-rata bof", "prédire pro-rata bof"),  # "pr" inside words is left alone
        ("l'info du BO", "l'information du back-office"),
    ],
)
def test_normalise_expands_abbreviations_and_folds_typography(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_no_expansion_contains_an_abbreviation_as_a_word() -> None:
    table = load_abbreviations()
    for key, expansion in table.items():
        words = set(re.findall(r"[\w-]+", expansion))
        assert not words & set(table), f"{key} → {expansion}"


def test_fold_accents() -> None:
    assert fold_accents("élève à noël, ça") == "eleve a noel, ca"


def test_truncate_cuts_at_a_space() -> None:
    assert truncate("un deux trois quatre", 9) == "un deux"
    assert truncate("court", 10) == "court"
    assert len(truncate("x" * 50, 10)) == 10


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_normalise_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*load_abbreviations(), "le", "RDV", "l'", " ", "Pr.", "é"]), max_size=12))
def test_normalise_idempotent_on_abbreviation_soup(words: list[str]) -> None:
    text = " ".join(words)
    assert normalise(normalise(text)) == normalise(text)


def test_normaliser_transformer_cuts_long_texts_and_rejects_one_string() -> None:
    step = FrenchNormaliser(max_chars=100).fit(["a"])
    (out,) = step.transform(["mot " * 1_000_000])  # 4 MB note
    assert len(out) <= 100
    with pytest.raises(InvalidText, match="une seule chaîne"):
        step.transform("une note")
    with pytest.raises(InvalidText, match="ligne 1"):
        step.transform(["ok", None])
