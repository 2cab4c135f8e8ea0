"""Choosing how the model abstains, from validation data only (pure functions, no I/O).

`choose_threshold` picks the abstention threshold on novelty scores: the largest threshold (so the fewest notes sent
to « autre ») whose accepted suggestions reach the precision the user asks for, and reports the precision and the
coverage it achieves on validation. `choose_novelty_weight` picks how much the novelty score trusts the classifier's
max probability versus the similarity to the nearest training note, by how well it separates simulated unknown
reasons from known ones (ROC AUC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from training.errors import CalibrationError

DEFAULT_WEIGHTS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float  # a note goes to « autre » when its novelty score is above this
    target_precision: float
    precision: float  # precision of the suggestions kept (not « autre ») on validation, at this threshold
    coverage: float  # share of validation notes kept
    reached: bool  # False when no threshold reaches the target: the most precise one is returned
    n_validation: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _arrays(
    novelty: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(novelty, dtype=float)
    right = np.asarray(correct, dtype=bool)
    if scores.ndim != 1 or scores.shape != right.shape:
        raise CalibrationError(f"scores et résultats de tailles différentes ({scores.shape} / {right.shape})")
    if len(scores) == 0:
        raise CalibrationError("aucune note de validation pour choisir le seuil d'abstention")
    if not np.isfinite(scores).all():
        raise CalibrationError("scores de nouveauté non finis dans les données de validation")
    return scores, right


def choose_threshold(
    novelty: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    *,
    target_precision: float,
    sample_weight: Sequence[float] | np.ndarray | None = None,
) -> ThresholdChoice:
    """Threshold on `novelty` (keep a note when novelty ≤ threshold) reaching `target_precision` with most coverage.

    `correct[i]` is True when the model's top reason for validation note i is right; notes of reasons unknown to the
    model are never correct (keeping them is an error, only « autre » is right). Notes with novelty ≥ 1 (no word at
    all) always go to « autre ». The threshold is placed halfway between the last kept and the first rejected score.
    `sample_weight` lets the validation notes stand for another mix of known and unknown reasons (coverage and
    precision are then weighted).
    """
    if not 0.0 < target_precision <= 1.0:
        raise CalibrationError(f"précision visée hors de ]0, 1] (reçu : {target_precision})")
    scores, right = _arrays(novelty, correct)
    n = len(scores)
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if weights.shape != scores.shape or (weights < 0).any() or weights.sum() <= 0:
        raise CalibrationError("poids des notes de validation invalides (taille, signe ou somme nulle)")
    eligible = scores < 1.0
    order = np.argsort(scores[eligible], kind="stable")
    sorted_scores = scores[eligible][order]
    sorted_right = right[eligible][order]
    sorted_weights = weights[eligible][order]
    if len(sorted_scores) == 0:
        return ThresholdChoice(0.0, target_precision, 0.0, 0.0, False, n)
    kept = np.cumsum(sorted_weights)
    precision = np.cumsum(sorted_right * sorted_weights) / np.where(kept > 0, kept, 1)
    # Only cut between distinct scores: notes with equal scores are kept or rejected together.
    last_of_value = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    candidates = np.flatnonzero(last_of_value)
    good = candidates[precision[candidates] >= target_precision]
    reached = len(good) > 0
    if reached:
        cut = int(good.max())
    else:  # most precise cut; among equals, the one keeping most notes
        best = precision[candidates].max()
        cut = int(candidates[np.flatnonzero(np.isclose(precision[candidates], best))].max())
    following = sorted_scores[cut + 1] if cut + 1 < len(sorted_scores) else 1.0
    threshold = float((sorted_scores[cut] + following) / 2)
    return ThresholdChoice(
        threshold=threshold,
        target_precision=target_precision,
        precision=float(precision[cut]),
        coverage=float(kept[cut] / weights.sum()),
        reached=reached,
        n_validation=n,
    )


def novelty(max_prob: np.ndarray, similarity: np.ndarray, weight: float) -> np.ndarray:
    """The model's novelty formula: 1 − (weight · max probability + (1 − weight) · nearest-note similarity)."""
    return 1.0 - (weight * np.asarray(max_prob) + (1.0 - weight) * np.asarray(similarity))


def choose_novelty_weight(
    max_prob: Sequence[float] | np.ndarray,
    similarity: Sequence[float] | np.ndarray,
    is_unknown: Sequence[bool] | np.ndarray,
    *,
    weights: Sequence[float] = DEFAULT_WEIGHTS,
) -> tuple[float, float]:
    """(weight, ROC AUC): the mix whose novelty best ranks notes of unknown reasons above known ones."""
    unknown = np.asarray(is_unknown, dtype=bool)
    if unknown.all() or not unknown.any():
        raise CalibrationError("il faut des notes de motifs connus et inconnus pour choisir le score de nouveauté")
    probs, sims = np.asarray(max_prob, dtype=float), np.asarray(similarity, dtype=float)
    aucs = [float(roc_auc_score(unknown, novelty(probs, sims, w))) for w in weights]
    best = int(np.argmax(aucs))
    return float(weights[best]), aucs[best]
