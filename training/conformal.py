"""Conformal gates of the three outcomes, from out-of-fold scores (pure functions, no I/O).

Two promises are made with conformal p-values, computed by the `crepes` library (`ConformalClassifier`,
non-smoothed p-values `(#{calibration scores ≥ s} + 1) / (n + 1)`):

- **novelty gate** (« autre » = hors base): the calibration scores are the novelty scores of notes of *known*
  reasons; a note goes to « autre » when its p-value is ≤ α, so at most α of notes of known reasons do (marginally,
  over calibration and test draws).
- **prediction set** (« à confirmer »): the calibration scores are `1 − p(true reason)` (crepes' `hinge`); a reason
  enters the set when its p-value is > β, so the set holds the true reason of a known note with probability ≥ 1 − β.

Because p-values only depend on how a score ranks among the calibration scores, each gate becomes one threshold on
the score (`gate_threshold`): serving compares a float instead of ranking against thousands of stored scores, with
exactly the same decisions (tested against crepes).

The calibration scores come from cross-fitting (`training.fit`): each note is scored by a model that did not see
it, so no note is wasted on a separate calibration split — what matters with ~10 notes per reason.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from crepes import ConformalClassifier
from scipy.stats import beta as beta_distribution

from training.errors import CalibrationError


@dataclass(frozen=True)
class ConformalGate:
    """`score > threshold` ⇔ conformal p-value ≤ `level` (for any new score)."""

    threshold: float  # +inf when no score can reach the level with this few calibration scores
    level: float
    n_calibration: int
    expected_rate: float  # share of calibration scores above the threshold (≈ level, ≤ level)
    rate_interval: tuple[float, float]  # 90 % interval of the rate on new notes, given this calibration

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["threshold"] = None if math.isinf(self.threshold) else self.threshold
        out["rate_interval"] = list(self.rate_interval)
        return out


def conformal_p_values(calibration: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Non-smoothed conformal p-values of `scores` against `calibration` scores (crepes)."""
    classifier = ConformalClassifier().fit(np.asarray(calibration, dtype=float))
    return np.asarray(classifier.predict_p(np.asarray(scores, dtype=float), smoothing=False), dtype=float).ravel()


def gate_threshold(calibration: np.ndarray | list[float], level: float) -> ConformalGate:
    """The threshold on scores equivalent to « p-value ≤ `level` », and the rate it is expected to flag.

    p-values only change at calibration scores: the threshold is the largest calibration score whose p-value is
    still above `level` (any larger score has a p-value ≤ `level`). With fewer than 1/`level` − 1 scores no new
    score can have a p-value that small: the threshold is +inf (the gate never fires) and the report says so.
    """
    if not 0.0 < level < 1.0:
        raise CalibrationError(f"niveau conformel hors de ]0, 1[ (reçu : {level})")
    scores = np.asarray(calibration, dtype=float)
    if scores.ndim != 1 or len(scores) == 0:
        raise CalibrationError("aucun score de calibration pour la porte conforme")
    if not np.isfinite(scores).all():
        raise CalibrationError("scores de calibration non finis")
    n = len(scores)
    candidates = np.unique(scores)
    above_all = candidates[-1] + 1.0
    p_values = conformal_p_values(scores, np.append(candidates, above_all))
    # +inf when even a score above every calibration score is not rare enough
    threshold = math.inf if p_values[-1] > level else float(candidates[p_values[:-1] > level].max())
    flagged = int((scores > threshold).sum())
    return ConformalGate(
        threshold=threshold,
        level=level,
        n_calibration=n,
        expected_rate=flagged / n,
        rate_interval=rate_interval(n, level),
    )


def rate_interval(n: int, level: float, *, mass: float = 0.9) -> tuple[float, float]:
    """Where the gate's rate on new notes lies with probability `mass`, given `n` exchangeable calibration scores.

    For split conformal prediction the rate conditional on the calibration set follows Beta(l, n + 1 − l) with
    l = ⌊(n + 1)·level⌋ (Vovk 2012; Angelopoulos & Bates 2021, § 3.2). Cross-fitted scores come from several models,
    so this is an approximation; `benchmarks/` checks the rate on data the threshold never saw.
    """
    flagged = math.floor((n + 1) * level)
    if flagged < 1:
        return (0.0, 0.0)
    low, high = beta_distribution.ppf([(1 - mass) / 2, (1 + mass) / 2], flagged, n + 1 - flagged)
    return (float(low), float(high))
