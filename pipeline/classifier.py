"""A linear classifier whose scores are turned into calibrated probabilities by temperature scaling.

With a handful of examples per reason, `CalibratedClassifierCV` (one sigmoid or isotonic map per class, each fitted on
a few positive scores) overfits. Temperature scaling fits ONE number on out-of-fold scores: `softmax(scores / T)`,
T chosen to minimise the log-loss of the out-of-fold predictions. It keeps the ranking of the classes and needs
only a few dozen notes to be stable.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from pipeline.errors import InvalidConfig

LinearKind = Literal["linear_svm.v1", "logistic.v1"]


def _base_estimator(kind: str, C: float, class_weight: str | None, random_state: int) -> Any:
    if kind == "linear_svm.v1":
        return LinearSVC(C=C, class_weight=class_weight, random_state=random_state)
    if kind == "logistic.v1":
        return LogisticRegression(C=C, class_weight=class_weight, max_iter=5000, random_state=random_state)
    raise InvalidConfig(f"classifieur inconnu : {kind!r} (attendu : 'linear_svm.v1' ou 'logistic.v1')")


def _scores(estimator: Any, X: Any, n_classes: int) -> np.ndarray:
    scores = np.asarray(estimator.decision_function(X), dtype=np.float64)
    if scores.ndim == 1:  # binary problems: one column for the positive class
        scores = np.column_stack([-scores / 2, scores / 2]) if n_classes == 2 else scores[:, None]
    return scores


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Temperature T minimising the log-loss of `softmax(scores / T)` for true class indices `y`."""

    def loss(log_t: float) -> float:
        log_p = log_softmax(scores / np.exp(log_t), axis=1)
        return float(-log_p[np.arange(len(y)), y].mean())

    result = minimize_scalar(loss, bounds=(np.log(1e-3), np.log(1e3)), method="bounded")
    return float(np.exp(result.x))


class TemperatureCalibratedLinear(ClassifierMixin, BaseEstimator):
    """Linear SVM or logistic regression + one temperature fitted on `cv`-fold out-of-fold scores."""

    def __init__(
        self,
        *,
        kind: LinearKind = "linear_svm.v1",
        C: float = 0.5,
        class_weight: str | None = None,
        cv: int = 5,
        random_state: int = 0,
    ) -> None:
        self.kind = kind
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: np.ndarray | None = None) -> TemperatureCalibratedLinear:
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"au moins 2 classes sont nécessaires (reçu : {n_classes} classe)")
        base = _base_estimator(self.kind, self.C, self.class_weight, self.random_state)
        self.estimator_ = clone(base).fit(X, y_index, sample_weight=sample_weight)
        self.temperature_ = self._cross_validated_temperature(base, X, y_index, sample_weight)
        return self

    def _cross_validated_temperature(self, base: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        counts = np.bincount(y)
        n_splits = int(min(self.cv, counts.max()))
        if n_splits < 2:
            return 1.0
        # Classes with fewer members than folds still appear in some training folds; StratifiedKFold warns only.
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        n_classes = len(counts)
        oof = np.zeros((len(y), n_classes))
        scored = np.zeros(len(y), dtype=bool)
        for train, test in folds.split(np.zeros(len(y)), np.where(counts[y] >= n_splits, y, -1)):
            present = np.unique(y[train])
            if len(present) < 2:
                continue
            fold_weight = None if sample_weight is None else sample_weight[train]
            model = clone(base).fit(X[train], y[train], sample_weight=fold_weight)
            fold_scores = _scores(model, X[test], len(present))
            full = np.full((len(test), n_classes), -1e3)
            full[:, present] = fold_scores
            keep = np.isin(y[test], present)
            oof[test[keep]] = full[keep]
            scored[test[keep]] = True
        if scored.sum() < 2:
            return 1.0
        return fit_temperature(oof[scored], y[scored])

    def _class_scores(self, X: Any) -> np.ndarray:
        """One column per class (also for two classes)."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return _scores(self.estimator_, X, len(self.classes_))

    def decision_function(self, X: Any) -> np.ndarray:
        scores = self._class_scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict_proba(self, X: Any) -> np.ndarray:
        return softmax(self._class_scores(X) / self.temperature_, axis=1)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def predict_proba_unchecked(self, X: Any) -> np.ndarray:
        """`predict_proba` without input validation, for callers that built `X` themselves (hot path)."""
        check_is_fitted(self, "estimator_")
        scores = np.asarray(safe_sparse_dot(X, self.estimator_.coef_.T, dense_output=True) + self.estimator_.intercept_)
        if scores.shape[1] == 1:  # binary: one column for the positive class
            scores = np.column_stack([-scores[:, 0] / 2, scores[:, 0] / 2])
        return softmax(scores / self.temperature_, axis=1)

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.classes_[np.argmax(self._class_scores(X), axis=1)]
