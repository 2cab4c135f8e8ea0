"""Scores of the « à confirmer » prediction set: which reasons enter a note's set (pure numpy, no model).

A reason enters the set when its score is ≤ the set threshold (calibrated by `training.fit` so that the set holds
the true reason with probability 1 − β). Two scores, named in `decision.set_score`:

- `probability.v1`: 1 − p(reason) (« LAC »). The smallest sets when test notes look like the calibration notes,
  but the threshold is a probability: when the notes drift (new topics within known reasons) the final model is
  surer than it should be on them and the set covers less than promised (0.85 for 0.90 on `an_qe16_2022q3`).
- `raps.v1`: regularised adaptive sets (Angelopoulos et al. 2021, « RAPS »): the probability mass of the reasons
  ranked before it and its own, plus `penalty` per rank beyond `penalty_from_rank`. With a large penalty the
  score is mostly the reason's rank: the set is « the k most probable reasons » with k calibrated, and the
  probabilities only decide at the margin — a score that does not depend on how sharp the probabilities are.

Both scores grow along the probability order of a note, so a set is always a prefix of its ranking, and the most
probable reason is always in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pipeline.errors import InvalidConfig

SET_SCORES = ("probability.v1", "raps.v1")


def set_scores(proba: np.ndarray, score: Mapping[str, Any] | None) -> np.ndarray:
    """Score of every reason for every note (same shape as `proba`); `score` is `{"name", "penalty",
    "penalty_from_rank"}` (None: `probability.v1`, what models saved before this choice existed used)."""
    proba = np.asarray(proba, dtype=float)
    if score is None or score["name"] == "probability.v1":
        return 1.0 - proba
    name = str(score["name"])
    if name != "raps.v1":
        raise InvalidConfig(f"« decision.set_score » : score inconnu {name!r} (attendu : {', '.join(SET_SCORES)})")
    if proba.size == 0:
        return np.zeros_like(proba)
    penalty, from_rank = float(score["penalty"]), int(score["penalty_from_rank"])
    order = np.argsort(-proba, axis=1, kind="stable")
    cumulated = np.cumsum(np.take_along_axis(proba, order, axis=1), axis=1)
    ranks = np.arange(1, proba.shape[1] + 1)  # 1 = most probable
    by_rank = cumulated + penalty * np.maximum(0, ranks - from_rank)[None, :]
    out = np.empty_like(by_rank)
    np.put_along_axis(out, order, by_rank, axis=1)
    return out


def set_size(row_scores: np.ndarray, threshold: float) -> int:
    """How many of a note's most probable reasons enter its set (at least one)."""
    return max(1, int(np.sum(row_scores <= threshold)))


def score_config(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The set score named by a `decision:` config section, as stored on a fitted model."""
    name = str(decision["set_score"])
    if name not in SET_SCORES:
        raise InvalidConfig(f"« decision.set_score » : score inconnu {name!r} (attendu : {', '.join(SET_SCORES)})")
    return {
        "name": name,
        "penalty": float(decision["set_penalty"]),
        "penalty_from_rank": int(decision["set_penalty_from_rank"]),
    }
