"""fit_model: the final model gets its three gates from cross-fitted scores, never from its own training notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.members import FusedMembers, member_from
from pipeline.model import AUTRE, ReasonModel
from training.fit import cross_fit, fit_model, fold_assignment, simulate_open_set

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reason_model")]

FAST = {"abstention": {"holdout_rounds": 1}, "classifier": {"cv": 3}}


@pytest.fixture(scope="module")
def notes(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "pipeline" / "notes.csv")


def test_fit_model_calibrates_the_three_gates_and_reports_them(notes: pd.DataFrame, data_dir: Path) -> None:
    reason_texts = yaml.safe_load((data_dir / "pipeline" / "reason_texts.yaml").read_text("utf-8"))
    config = {"abstention": {"holdout_rounds": 2}, "decision": {"alpha": 0.1, "set_coverage": 0.8}}
    model = fit_model(list(notes.text), list(notes.reason), reason_texts, config)
    assert isinstance(model, ReasonModel)
    report = model.abstention_
    assert report["n_calibration"] == len(notes) and report["folds"] == 5
    assert report["novelty"]["level"] == pytest.approx(0.1)
    assert report["prediction_set"]["level"] == pytest.approx(0.2)
    # 20 calibration notes: the novelty gate can fire at α = 10 % (1/21 < 0.1), and the model uses its threshold
    assert model.threshold_ == report["novelty"]["threshold"]
    assert model.set_threshold_ == report["prediction_set"]["threshold"]
    assert model.confident_threshold_ == report["confident"]["threshold"]
    assert model.max_prob_weight_ == report["max_prob_weight"]
    assert list(model.classes_[model.predict_proba(list(notes.text)).argmax(axis=1)]) == list(notes.reason)
    (empty, known) = model.suggest(["", "Paiement non reçu ce mois"])
    assert (empty.decision, empty.code) == ("autre", AUTRE)
    assert known.decision in ("confident", "to_confirm") and known.prediction_set[0] == known.code


def test_too_few_notes_to_cross_fit_keep_the_config_gates(notes: pd.DataFrame) -> None:
    four = notes.groupby("reason").head(1)
    model = fit_model(list(four.text), list(four.reason), None, FAST)
    assert "skipped" in model.abstention_
    assert (model.threshold_, model.confident_threshold_, model.set_threshold_) == (0.9, 0.9, 0.9)


def test_with_two_reasons_the_weight_is_not_chosen_but_the_gates_are(notes: pd.DataFrame) -> None:
    two = notes[notes.reason.isin(["rdv_prise", "dossier_etat"])]
    model = fit_model(list(two.text), list(two.reason), None, FAST)
    assert "weight_skipped" in model.abstention_ and "skipped" not in model.abstention_
    assert model.max_prob_weight_ == 0.5  # the config's
    assert model.abstention_["n_calibration"] == len(two)


def test_folds_spread_reasons_with_one_note() -> None:
    labels = ["a"] * 10 + [f"rare_{i}" for i in range(10)]
    folds = fold_assignment(labels, 5, random_state=0)
    assert sorted(np.bincount(folds[:10], minlength=5)) == [2, 2, 2, 2, 2]  # stratified
    assert len(set(folds[10:].tolist())) > 1  # singletons are not all in the same fold
    np.testing.assert_array_equal(folds, fold_assignment(labels, 5, random_state=0))


def test_notes_labelled_autre_are_simulated_unknowns_not_a_class(notes: pd.DataFrame) -> None:
    texts = [*notes.text, "Appel pour signaler un chien perdu", "Question sur la météo de demain"]
    labels = [*notes.reason, AUTRE, AUTRE]
    config = {"abstention": {"holdout_rounds": 1}}
    scores = simulate_open_set(texts, labels, None, config)
    # 1 of 4 reasons held out (5 notes) + 2 « autre » notes, all unknown
    assert int(scores.unknown.sum()) == 5 + 2
    model = fit_model(texts, labels, None, config)
    assert AUTRE not in model.classes_
    assert model.abstention_["n_calibration"] == len(notes)  # « autre » notes never calibrate the known gates


def test_time_folds_are_consecutive_periods_even_with_naive_and_aware_times() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 5)
    # a file's naive times, then feedback times from the store (aware), later
    times: list[datetime] = [start + timedelta(days=d) for d in range(6)]
    times += [datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=d) for d in range(4)]
    folds = fold_assignment(["a"] * 10, 5, random_state=0, times=list(reversed(times)))
    assert list(folds) == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]  # the latest notes form the last period


def test_with_dates_the_set_is_calibrated_on_later_periods_scored_by_earlier_models(notes: pd.DataFrame) -> None:
    from datetime import datetime, timedelta

    from training.fit import cross_fit, forward_fit

    texts, labels = list(notes.text), list(notes.reason)
    days = [(7 * index) % len(texts) for index in range(len(texts))]  # reasons mixed in every period
    times = [datetime(2026, 1, 5) + timedelta(days=d) for d in days]
    config = {**FAST, "decision": {"set_folds": "forward"}}
    scores = cross_fit(texts, labels, None, config, times=times)
    assert scores.by_time and list(scores.folds[np.argsort(days)]) == sorted(scores.folds)
    proba, truth = forward_fit(texts, labels, None, config, scores)
    assert len(truth) == int((scores.folds > 0).sum())  # the first period has no earlier model
    np.testing.assert_array_equal(truth, scores.truth[scores.folds > 0])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    model = fit_model(texts, labels, None, config, times=times)
    assert model.abstention_["prediction_set"]["calibrated_on"] == "forward"
    assert model.set_score_ == model.abstention_["prediction_set"]["score"]
    undated = fit_model(texts, labels, None, config)
    assert undated.abstention_["prediction_set"]["calibrated_on"] == "cross"


def test_each_fold_member_scores_its_held_out_notes_as_calibration_did(notes: pd.DataFrame) -> None:
    """The served probabilities (`fold_mean.v1`) are made of the models the gates were calibrated on: a member kept
    in the final model gives its held-out notes exactly their calibration probabilities (temperature, class
    columns and shared feature blocks included)."""
    texts, labels = list(notes.text), list(notes.reason)
    config = {**FAST, "random_state": 3}
    scores = cross_fit(texts, labels, None, config)
    full = ReasonModel(config=config).fit(texts, labels)
    assert len(scores.models) == 5 and list(full.classes_) == list(scores.classes)
    for fold, fold_model in enumerate(scores.models):
        held = np.flatnonzero(scores.folds == fold)
        full.members_ = (member_from(fold_model, full.classes_),)
        served = full.predict_proba([texts[index] for index in held])
        np.testing.assert_allclose(served, scores.proba[held], atol=1e-9)


def test_the_final_model_serves_the_mean_of_its_fold_models_unless_told_otherwise(notes: pd.DataFrame) -> None:
    texts, labels = list(notes.text), list(notes.reason)
    model = fit_model(texts, labels, None, FAST)
    assert model.abstention_["probabilities"] == "fold_mean.v1" and len(model.members_) == 5
    # fit_model stores them fused (one product per note); the same folds member by member give the same numbers
    assert isinstance(model.members_, FusedMembers)
    fused = model.members_
    scores = cross_fit(texts, labels, None, FAST)
    members = tuple(member_from(fold_model, model.classes_) for fold_model in scores.models)
    alone = []
    for member in members:
        model.members_ = (member,)
        alone.append(model.predict_proba(texts[:6]))
    model.members_ = members
    one_by_one = model.predict_proba(texts[:6])
    np.testing.assert_allclose(one_by_one, np.mean(alone, axis=0), atol=1e-12)
    model.members_ = fused
    np.testing.assert_allclose(model.predict_proba(texts[:6]), one_by_one, atol=1e-5)
    assert model.predict_proba(texts[:6]).sum(axis=1) == pytest.approx(1.0)
    # the novelty keeps the full model's maximum probability (the « autre » gate as before)
    parts = model.score_parts(texts[:6])
    model.members_ = ()
    np.testing.assert_allclose(parts.top, model.predict_proba(texts[:6]).max(axis=1), atol=1e-12)
    alone_full = model.predict_proba(texts[:6])
    del model.members_  # a model saved before the members existed serves its full model
    np.testing.assert_array_equal(model.predict_proba(texts[:6]), alone_full)
    full = fit_model(texts, labels, None, {**FAST, "decision": {"probabilities": "full.v1"}})
    assert full.abstention_["probabilities"] == "full.v1" and full.members_ == ()
