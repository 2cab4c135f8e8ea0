"""Classifiers the emerging-reason benchmarks can train on a stream's known reasons (`--classifier`)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union


class Classifier(Protocol):
    """Trained on the known intents' training rows; predicts (code or « autre », confidence, autre) per text."""

    threshold: float  # its abstention threshold, for the result table

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        *,
        seed: int,
        reason_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> Any: ...

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def _tfidf_logreg() -> Any:
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(C=20.0, max_iter=3000),
    )


class TfidfLogReg:
    """TF-IDF words + characters → logistic regression; « autre » below the 10th percentile of the top probability
    on a validation third of the training rows. The stand-in for ReasonModel (`--classifier stand-in`)."""

    threshold = 0.0

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        *,
        seed: int,
        reason_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> TfidfLogReg:
        fit_texts, val_texts, fit_labels, _ = train_test_split(
            texts, labels, test_size=1 / 3, stratify=labels, random_state=seed
        )
        probe = _tfidf_logreg().fit(fit_texts, fit_labels)
        self.threshold = float(np.quantile(probe.predict_proba(val_texts).max(axis=1), 0.10))
        self.model = _tfidf_logreg().fit(texts, labels)
        return self

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        probs = self.model.predict_proba(texts)
        top = probs.max(axis=1)
        autre = top < self.threshold
        return np.where(autre, "autre", self.model.classes_[probs.argmax(axis=1)]), top, autre


class ReasonModelClassifier:
    """The project's `ReasonModel` trained by `training.fit.fit_model` (abstention calibrated on simulated unknown
    reasons; `reason_texts` = the taxonomy texts). `--classifier reason-model`."""

    threshold = 0.0

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        *,
        seed: int,
        reason_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> ReasonModelClassifier:
        from training.fit import fit_model

        self.model = fit_model(texts, labels, reason_texts=reason_texts)
        self.threshold = float(self.model.threshold_)
        return self

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        predictions = self.model.suggest(texts, k=3)
        self.decisions = np.array([p.decision for p in predictions])  # the three outcomes, as the store keeps them
        return (
            np.array([p.code for p in predictions]),
            np.array([float(p.confidence) for p in predictions]),
            np.array([bool(p.autre) for p in predictions]),
        )


def load_factory(spec: str) -> Any:
    """`stand-in`, `reason-model`, or `module:factory` returning an object with the `Classifier` methods."""
    if spec == "stand-in":
        return TfidfLogReg
    if spec == "reason-model":
        return ReasonModelClassifier
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)
