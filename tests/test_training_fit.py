"""fit_model: the final model gets a threshold chosen on simulated unknown reasons, never on its own training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.model import AUTRE, ReasonModel
from training.fit import fit_model, mix_weights, simulate_open_set

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reason_model")]


@pytest.fixture(scope="module")
def notes(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "pipeline" / "notes.csv")


def test_fit_model_calibrates_abstention_and_reports_it(notes: pd.DataFrame, data_dir: Path) -> None:
    reason_texts = yaml.safe_load((data_dir / "pipeline" / "reason_texts.yaml").read_text("utf-8"))
    config = {"abstention": {"holdout_rounds": 2, "target_precision": 0.8}}
    model = fit_model(list(notes.text), list(notes.reason), reason_texts, config)
    assert isinstance(model, ReasonModel)
    report = model.abstention_
    assert report["n_unknown"] > 0 and report["rounds"] == 2
    assert model.threshold_ == report["threshold"]
    assert model.max_prob_weight_ == report["max_prob_weight"]
    assert 0.0 <= report["coverage"] <= 1.0
    assert list(model.classes_[model.predict_proba(list(notes.text)).argmax(axis=1)]) == list(notes.reason)
    assert model.predict(["", "Paiement non reçu ce mois"])[0] == AUTRE


def test_fit_model_with_two_reasons_keeps_the_default_threshold(notes: pd.DataFrame) -> None:
    two = notes[notes.reason.isin(["rdv_prise", "dossier_etat"])]
    model = fit_model(list(two.text), list(two.reason))
    assert "skipped" in model.abstention_
    assert model.threshold_ == 0.5


def test_mix_weights_give_unknown_notes_the_expected_share() -> None:
    unknown = np.array([True] * 30 + [False] * 10)
    weights = mix_weights(unknown, 0.2)
    assert weights[unknown].sum() / weights.sum() == pytest.approx(0.2)
    assert weights.sum() == pytest.approx(40)


def test_notes_labelled_autre_are_simulated_unknowns_not_a_class(notes: pd.DataFrame) -> None:
    texts = [*notes.text, "Appel pour signaler un chien perdu", "Question sur la météo de demain"]
    labels = [*notes.reason, AUTRE, AUTRE]
    config = {"abstention": {"holdout_rounds": 1}}
    scores = simulate_open_set(texts, labels, None, config)
    # 1 of 4 reasons held out (5 notes) + 2 « autre » notes, all unknown
    assert int(scores.unknown.sum()) == 5 + 2
    model = fit_model(texts, labels, None, config)
    assert AUTRE not in model.classes_
