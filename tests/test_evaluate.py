"""Evaluation metrics on tiny cases computed by hand (see training/evaluate.py for the definitions)."""

from __future__ import annotations

import json

import pytest

from tests.reason_model_double import TRAIN, Prediction, Suggestion, fitted_double
from training.errors import TrainingDataError
from training.evaluate import coverage_curve, evaluate, expected_calibration_error, score_predictions

CLASSES = ["a", "b", "c"]


def _pred(top: list[tuple[str, float]], *, autre: bool = False, members: tuple[str, ...] = ()) -> Prediction:
    suggestions = tuple(Suggestion(code, p) for code, p in top)
    decision = "autre" if autre else "to_confirm" if len(members) > 1 else "confident"
    return Prediction("autre" if autre else top[0][0], top[0][1], autre, suggestions, decision, members)


# truth → a, a, b, c, x (unknown), y (unknown)
PREDICTIONS = [
    _pred([("a", 0.9), ("b", 0.05), ("c", 0.05)]),  # right
    _pred([("b", 0.6), ("a", 0.3), ("c", 0.1)], members=("b", "a")),  # to confirm: wrong top, a in the set
    _pred([("b", 0.8), ("a", 0.1), ("c", 0.1)]),  # right
    _pred([("a", 0.4), ("c", 0.35), ("b", 0.25)], autre=True),  # abstains on a known label: wrong, c in top 3
    _pred([("b", 0.5), ("a", 0.3), ("c", 0.2)], autre=True),  # abstains on an unknown label: right
    _pred([("a", 0.7), ("b", 0.2), ("c", 0.1)]),  # forces a code on an unknown label: wrong
]
LABELS = ["a", "a", "b", "c", "x", "y"]


def test_open_set_metrics_by_hand() -> None:
    report = score_predictions(PREDICTIONS, LABELS, classes=CLASSES)
    assert report.accuracy == pytest.approx(3 / 6)
    assert report.autre_rate == pytest.approx(2 / 6)
    assert report.top3_accuracy == pytest.approx(5 / 6)
    # per class over the truth's classes: a F1 1/2, b F1 2/3, c F1 0, autre F1 1/2
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0 + 0.5) / 4)
    assert report.open_f1 == pytest.approx(0.5)
    assert report.known_accuracy == pytest.approx(2 / 4)
    assert report.selective_accuracy == pytest.approx(2 / 4)
    assert report.n_unknown == 2 and report.unknown_labels == ("x", "y")
    assert report.forced_accuracy == pytest.approx(2 / 6)  # top code right: notes 1 and 3
    assert report.false_autre_rate == pytest.approx(1 / 4)  # the known c sent to « autre »
    assert (report.confident_rate, report.confident_accuracy) == (pytest.approx(3 / 6), pytest.approx(2 / 3))
    assert report.to_confirm_rate == pytest.approx(1 / 6)
    assert report.set_coverage == pytest.approx(3 / 4)  # no set given: the top code stands for it (misses c)
    assert report.mean_set_size == pytest.approx(7 / 6)
    per_class = {c.code: c for c in report.per_class}
    assert (per_class["b"].precision, per_class["b"].recall, per_class["b"].support) == (0.5, 1.0, 1)
    assert per_class["autre"].support == 2
    # each top-1 probability falls in its own bin: ECE = mean |correct − confidence|
    assert report.ece == pytest.approx((0.1 + 0.6 + 0.2 + 0.4 + 0.5 + 0.7) / 6)
    labels = list(report.confusion_labels)
    assert labels == ["a", "b", "c", "autre"]
    assert report.confusion_matrix[labels.index("a")] == (1, 1, 0, 0)
    assert report.confusion_matrix[labels.index("autre")] == (1, 0, 0, 1)


def test_json_keys_for_scripts() -> None:
    open_set = json.loads(score_predictions(PREDICTIONS, LABELS, classes=CLASSES).to_json())
    assert list(open_set)[:15] == [
        "accuracy",
        "macro_f1",
        "top3_accuracy",
        "autre_rate",
        "forced_accuracy",
        "false_autre_rate",
        "confident_rate",
        "confident_accuracy",
        "to_confirm_rate",
        "set_coverage",
        "mean_set_size",
        "open_f1",
        "known_accuracy",
        "ece",
        "per_class",
    ]
    assert set(open_set["per_class"]["a"]) == {"precision", "recall", "f1", "support"}
    closed = score_predictions(PREDICTIONS[:4], LABELS[:4], classes=CLASSES).to_dict()
    assert closed["open_f1"] is None and closed["known_accuracy"] is None  # no unknown note: not measurable
    assert closed["accuracy"] == pytest.approx(2 / 4)
    # closed set: an abstention lowers recall of the true class but « autre » is not a class of the mean
    assert closed["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)


def test_ece_averages_within_a_bin() -> None:
    ece = expected_calibration_error([0.95, 0.95, 0.97, 0.2], [1, 0, 1, 0])
    assert ece == pytest.approx(0.75 * abs(2 / 3 - (0.95 + 0.95 + 0.97) / 3) + 0.25 * 0.2)
    assert expected_calibration_error([1.0, 1.0], [1, 1]) == 0.0
    assert expected_calibration_error([0.0], [0]) == 0.0


def test_coverage_curve_keeps_most_confident_first() -> None:
    curve = coverage_curve([0.4, 0.9, 0.7, 0.8, 0.5, 0.6], [False, True, False, True, False, False])
    by_level = {p.coverage: p for p in curve}
    assert (by_level[0.1].kept, by_level[0.1].accuracy, by_level[0.1].min_confidence) == (1, 1.0, 0.9)
    assert by_level[0.5].kept == 3 and by_level[0.5].accuracy == pytest.approx(2 / 3)
    assert by_level[1.0].kept == 6 and by_level[1.0].accuracy == pytest.approx(2 / 6)


def test_evaluate_a_model_and_known_override() -> None:
    model = fitted_double()
    texts, labels = zip(*TRAIN, strict=True)
    report = evaluate(model, list(texts), list(labels))
    assert report.accuracy == 1.0 and report.macro_f1 == 1.0 and report.n_unknown == 0
    assert report.taxonomy_ref == "national@1.0.0" and report.threshold == 0.0
    # a label space where rdv_prise is unknown: those notes should have been « autre », the model gets them wrong
    narrowed = evaluate(model, list(texts), list(labels), known=["paiement_non_recu", "numerique_connexion"])
    assert narrowed.n_unknown == 4 and narrowed.accuracy == pytest.approx(8 / 12)


def test_bad_inputs() -> None:
    model = fitted_double()
    with pytest.raises(TrainingDataError):
        evaluate(model, ["un", "deux"], ["a"])
    with pytest.raises(TrainingDataError):
        evaluate(model, [], [])
    with pytest.raises(TrainingDataError):
        evaluate(model, "un texte", "a")  # type: ignore[arg-type]


def test_terminal_table_is_in_french() -> None:
    from rich.console import Console

    from training.evaluation_table import render_evaluation

    console = Console(width=120, record=True)
    console.print(render_evaluation(score_predictions(PREDICTIONS, LABELS, classes=CLASSES)))
    text = console.export_text()
    for heading in ("Exactitude (accuracy)", "F1 macro", "F1 de « autre »", "Par motif", "Rappel", "Couverture"):
        assert heading in text
    assert "50.0 %" in text and "0.417" in text
