"""TEST DOUBLE of `pipeline.model.ReasonModel` — a small, real scikit-learn model with the same interface.

Used by the artifact / MLflow / evaluation tests so they do not depend on spaCy or on the real classifier's
training time. It is not the product's model: it does no French preprocessing and no redaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from pipeline.predictions import Prediction, Suggestion
from taxonomy import AUTRE


class ReasonModelDouble(BaseEstimator, ClassifierMixin):
    def __init__(
        self, *, threshold: float = 0.0, taxonomy_ref: str | None = None, model_version: str | None = None
    ) -> None:
        self.threshold = threshold
        self.taxonomy_ref = taxonomy_ref
        self.model_version = model_version

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, reason_texts: Any = None) -> Self:
        self.pipeline_ = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), LogisticRegression(C=20.0, max_iter=2000)
        )
        self.pipeline_.fit(list(texts), list(labels))
        self.classes_ = np.asarray(self.pipeline_.classes_)
        self.threshold_ = float(self.threshold)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        check_is_fitted(self)
        if isinstance(texts, str):
            raise ValueError("a list of texts was expected, not one string")
        return np.asarray(self.pipeline_.predict_proba(list(texts)))

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        proba = self.predict_proba(texts)
        out = []
        for row in proba:
            order = np.argsort(-row, kind="stable")[:k]
            top = tuple(Suggestion(str(self.classes_[i]), float(row[i])) for i in order)
            autre = top[0].confidence < self.threshold_
            out.append(Prediction(AUTRE if autre else top[0].code, top[0].confidence, autre, top))
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray([p.code for p in self.suggest(texts, k=1)])

    def novelty_scores(self, texts: Sequence[str]) -> np.ndarray:
        return 1.0 - self.predict_proba(texts).max(axis=1)


TRAIN = [
    ("je n'ai pas reçu mon versement ce mois-ci", "paiement_non_recu"),
    ("mon paiement n'est toujours pas arrivé", "paiement_non_recu"),
    ("le virement de l'aide n'est pas arrivé sur mon compte", "paiement_non_recu"),
    ("toujours rien reçu sur mon compte bancaire", "paiement_non_recu"),
    ("je voudrais prendre rendez-vous avec un conseiller", "rdv_prise"),
    ("puis-je avoir un rendez-vous la semaine prochaine", "rdv_prise"),
    ("prendre un rdv à l'accueil", "rdv_prise"),
    ("je souhaite un rendez-vous en agence", "rdv_prise"),
    ("je n'arrive pas à me connecter à mon espace personnel", "numerique_connexion"),
    ("mot de passe oublié pour mon compte en ligne", "numerique_connexion"),
    ("impossible de me connecter au site", "numerique_connexion"),
    ("mon identifiant ne marche pas sur le site", "numerique_connexion"),
]


def fitted_double(*, threshold: float = 0.0, taxonomy_ref: str | None = "national@1.0.0") -> ReasonModelDouble:
    texts, labels = zip(*TRAIN, strict=True)
    return ReasonModelDouble(threshold=threshold, taxonomy_ref=taxonomy_ref, model_version="test-1").fit(texts, labels)
