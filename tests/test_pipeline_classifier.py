"""The temperature-calibrated linear classifier: scikit-learn's estimator checks and a calibration check."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from pipeline.classifier import TemperatureCalibratedLinear, fit_temperature

_WEIGHTS_ARE_NOT_REPEATS = (
    "the temperature is fitted on cross-validated scores: a repeated row and a weighted row fall in different folds"
)


@parametrize_with_checks(
    [TemperatureCalibratedLinear(), TemperatureCalibratedLinear(kind="logistic.v1", cv=3)],
    expected_failed_checks=lambda _: {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_ARE_NOT_REPEATS,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_ARE_NOT_REPEATS,
    },
)
def test_sklearn_estimator_contract(estimator: TemperatureCalibratedLinear, check: object) -> None:
    check(estimator)  # type: ignore[operator]


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 4)) * 3
    true_t = 2.5
    p = np.exp(logits / true_t)
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(4, p=row) for row in p])
    assert fit_temperature(logits, y) == pytest.approx(true_t, rel=0.1)


def _ece(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return total


def test_probabilities_are_calibrated_on_overlapping_classes() -> None:
    # Three Gaussian classes that overlap: accuracy ≈ 0.7, so over-confident raw SVM scores would show.
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [1.5, 0.0], [0.75, 1.3]])

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 3, size=n)
        return centres[y] + rng.normal(size=(n, 2)), y

    X, y = sample(600)
    X_test, y_test = sample(4000)
    model = TemperatureCalibratedLinear(C=1.0).fit(X, y)
    proba = model.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    accuracy = (proba.argmax(axis=1) == y_test).mean()
    assert 0.55 < accuracy < 0.9  # the check is meaningful only when the model is often wrong
    assert _ece(proba, y_test) < 0.05


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("kind", ["linear_svm.v1", "logistic.v1"])
def test_unchecked_probabilities_equal_the_checked_ones(n_classes: int, kind: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = rng.integers(0, n_classes, size=80)
    model = TemperatureCalibratedLinear(kind=kind, cv=3).fit(X, y)  # type: ignore[arg-type]
    np.testing.assert_allclose(model.predict_proba_unchecked(X), model.predict_proba(X), rtol=1e-10)
