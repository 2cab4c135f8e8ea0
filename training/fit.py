"""Fitting a reason model and calibrating its abstention on simulated out-of-scope notes (pure, no I/O).

`fit_model` does what `ReasonModel.fit` alone cannot do honestly: choose the abstention threshold on data the model
has not seen. In each of `abstention.holdout_rounds` rounds, a share of the reasons is held out entirely (they play
the out-of-scope notes of production), an inner model is fitted on the other reasons' training rows, and its scores
on held-out validation rows (known reasons) and on every note of the held-out reasons are pooled. From the pooled
scores: the novelty mix (max probability vs. similarity to the nearest training note) and the threshold reaching
the user's target precision. The final model is then fitted on all the data with those two values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.model import ReasonModel
from pipeline.settings import resolve_config
from taxonomy import AUTRE
from training.calibrate import ThresholdChoice, choose_novelty_weight, choose_threshold, novelty
from training.errors import InvalidSplit
from training.split import open_set_split


@dataclass(frozen=True)
class SimulatedScores:
    """Pooled validation scores of the inner models (one row per validation note and round)."""

    max_prob: np.ndarray
    similarity: np.ndarray
    correct: np.ndarray  # top reason right (always False for notes of held-out reasons)
    unknown: np.ndarray  # note of a held-out reason
    has_words: np.ndarray


def simulate_open_set(
    texts: Sequence[str],
    labels: Sequence[str],
    reason_texts: Mapping[str, Sequence[str]] | None,
    config: Mapping[str, Any],
    *,
    redactor: Any = None,
) -> SimulatedScores:
    """Scores of inner models on known-reason validation notes and on notes of reasons they never saw (held-out
    reasons, plus the notes labelled « autre » when the data has some)."""
    cfg = resolve_config(config)
    settings = cfg["abstention"]
    rows = np.asarray([index for index, label in enumerate(labels) if label != AUTRE])
    autre_rows = [index for index, label in enumerate(labels) if label == AUTRE]
    array = np.asarray([str(labels[index]) for index in rows], dtype=object)
    parts: list[tuple[np.ndarray, ...]] = []
    for round_index in range(int(settings["holdout_rounds"])):
        split = open_set_split(
            array,
            holdout_fraction=float(settings["holdout_fraction"]),
            validation_fraction=float(settings["validation_fraction"]),
            random_state=int(cfg["random_state"]) + round_index,
        )
        known = set(split.known)
        inner_texts = [texts[index] for index in rows[split.train]]
        inner_reasons = {code: list(values) for code, values in (reason_texts or {}).items() if code in known}
        inner = ReasonModel(config=cfg, redactor=redactor).fit(
            inner_texts, array[split.train], reason_texts=inner_reasons
        )
        validation = np.concatenate([split.validation_known, split.validation_unknown])
        # Notes labelled « autre » in the data are real out-of-scope notes: unknown in every round, never trained on.
        validation_texts = [texts[index] for index in rows[validation]] + [texts[index] for index in autre_rows]
        scored = inner.score_parts(validation_texts, always_similarity=True)
        predicted = inner.classes_[scored.proba.argmax(axis=1)]
        truth = np.concatenate([array[validation], np.full(len(autre_rows), AUTRE, dtype=object)])
        is_unknown = np.concatenate([np.isin(array[validation], split.unknown), np.ones(len(autre_rows), dtype=bool)])
        parts.append(
            (
                scored.proba.max(axis=1),
                scored.similarity,
                (predicted == truth) & ~is_unknown,
                is_unknown,
                scored.has_words,
            )
        )
    max_prob, similarity, correct, unknown, has_words = (np.concatenate(column) for column in zip(*parts, strict=True))
    return SimulatedScores(max_prob, similarity, correct, unknown, has_words)


def calibrate_abstention(scores: SimulatedScores, config: Mapping[str, Any]) -> dict[str, Any]:
    """Novelty weight (if asked) and threshold for the target precision, from simulated scores; a report dict."""
    settings = resolve_config(config)["abstention"]
    weight, auc = float(settings["max_prob_weight"]), None
    if settings["choose_weight"]:
        weight, auc = choose_novelty_weight(
            scores.max_prob[scores.has_words], scores.similarity[scores.has_words], scores.unknown[scores.has_words]
        )
    values = np.where(scores.has_words, np.clip(novelty(scores.max_prob, scores.similarity, weight), 0, 1), 1.0)
    choice: ThresholdChoice = choose_threshold(
        values,
        scores.correct,
        target_precision=float(settings["target_precision"]),
        sample_weight=mix_weights(scores.unknown, float(settings["expected_unknown_share"])),
    )
    return {
        "max_prob_weight": weight,
        "novelty_auc": auc,
        **choice.as_dict(),
        "n_unknown": int(scores.unknown.sum()),
        "rounds": int(settings["holdout_rounds"]),
    }


def mix_weights(unknown: np.ndarray, share: float) -> np.ndarray:
    """Weights that make notes of unknown reasons count for `share` of the validation notes (and known ones for the
    rest), whatever their actual numbers: the simulation holds out whole reasons, so it over-represents them."""
    unknown = np.asarray(unknown, dtype=bool)
    n_unknown, n_known = int(unknown.sum()), int((~unknown).sum())
    if n_unknown == 0 or n_known == 0:
        return np.ones(len(unknown))
    return np.where(unknown, share / n_unknown, (1.0 - share) / n_known) * len(unknown)


def fit_model(
    texts: Sequence[str],
    labels: Sequence[str],
    reason_texts: Mapping[str, Sequence[str]] | None = None,
    config: Mapping[str, Any] | None = None,
    *,
    redactor: Any = None,
) -> ReasonModel:
    """A `ReasonModel` fitted on all the data, with its abstention calibrated on simulated unknown reasons.

    `model.abstention_` reports the chosen novelty weight, threshold, and the precision/coverage reached on the
    simulated validation notes. With fewer than 3 reasons no reason can be held out: the config's threshold is kept
    and the report says so.
    """
    cfg = resolve_config(config)
    report: dict[str, Any]
    try:
        scores = simulate_open_set(texts, labels, reason_texts, cfg, redactor=redactor)
        report = calibrate_abstention(scores, cfg)
    except InvalidSplit as error:
        report = {"skipped": str(error), "threshold": float(cfg["abstention"]["threshold"])}
    model = ReasonModel(config=cfg, redactor=redactor).fit(texts, labels, reason_texts=reason_texts)
    if "skipped" not in report:
        model.max_prob_weight_ = float(report["max_prob_weight"])
        model.threshold_ = float(report["threshold"])
    model.abstention_ = report
    return model
