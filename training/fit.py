"""Fitting a reason model and calibrating its three outcomes on notes it has not seen (pure, no I/O).

Each note ends in one of three outcomes, each from its own gate calibrated for its own promise:
- « autre » (hors base): novelty above a conformal threshold set so that at most α of notes of *known* reasons go
  there (`training.conformal`);
- « à confirmer »: a known reason is likely but the model hesitates: a conformal prediction set holding the true
  reason with probability ≥ 1 − β;
- « sûr » (confident): the top reason's probability is high enough for auto-coded notes to reach the target
  precision.

The calibration scores come from cross-fitting (`decision.folds` folds over the known-reason notes, each scored by a
model that never saw it): no note is set aside, which matters with ~10 notes per reason. Separately, the novelty mix
(max probability vs. similarity to the nearest training note) is chosen on simulated unknown reasons: in
`abstention.holdout_rounds` rounds a share of the reasons is held out entirely and must look new. The final model is
fitted on all the data and given the gates.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import softmax

from pipeline.classifier import fit_temperature
from pipeline.members import fuse, member_from
from pipeline.model import ReasonModel
from pipeline.sets import score_config, set_scores
from pipeline.settings import resolve_config
from taxonomy import AUTRE
from training.calibrate import choose_novelty_weight, choose_threshold, novelty
from training.conformal import gate_threshold
from training.errors import CalibrationError, InvalidSplit
from training.split import open_set_split

MISSING_LOGIT = -1e3  # log-probability of a reason a fold's model never saw
UNREACHABLE = 1.0 + 1e-9  # a top-1 probability threshold no note reaches: nothing is auto-coded


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
    temperature: float | None = None,
) -> SimulatedScores:
    """Scores of inner models on known-reason validation notes and on notes of reasons they never saw (held-out
    reasons, plus the notes labelled « autre » when the data has some). With `temperature` (from `cross_fit`), the
    inner models use it instead of fitting their own by cross-validation (5 fewer fits each)."""
    cfg = resolve_config(config)
    inner_cfg = cfg if temperature is None else _without_temperature_cv(cfg)
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
        inner = ReasonModel(config=inner_cfg, redactor=redactor).fit(
            inner_texts, list(array[split.train]), reason_texts=inner_reasons
        )
        if temperature is not None:
            inner.classifier_.temperature_ = temperature
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


def choose_weight(scores: SimulatedScores, config: Mapping[str, Any]) -> tuple[float, float | None]:
    """Novelty mix (max probability vs. nearest-note similarity) that best ranks simulated unknown reasons above
    known ones (ROC AUC), or the config's value when choosing is off."""
    settings = resolve_config(config)["abstention"]
    if not settings["choose_weight"]:
        return float(settings["max_prob_weight"]), None
    mask = scores.has_words
    return choose_novelty_weight(scores.max_prob[mask], scores.similarity[mask], scores.unknown[mask])


@dataclass(frozen=True)
class CrossFitScores:
    """Out-of-fold scores of known-reason notes: each note scored by a model that never saw it."""

    proba: np.ndarray  # over the final model's classes (a class the fold's model did not know gets 0)
    similarity: np.ndarray
    has_words: np.ndarray
    truth: np.ndarray  # index of the true reason in `classes`
    classes: np.ndarray
    temperature: float  # fitted on the out-of-fold scores; the final model uses it
    folds: np.ndarray  # fold of each note (consecutive periods with time folds)
    by_time: bool = False
    models: tuple[ReasonModel, ...] = ()  # the folds' models (temperature set), in fold order


def fold_assignment(
    labels: Sequence[str] | np.ndarray, folds: int, random_state: int, *, times: Sequence[Any] | None = None
) -> np.ndarray:
    """Stratified folds that also work with one note per reason: each reason's notes are shuffled and dealt to the
    folds in turn, starting from a random fold (so reasons with few notes do not all land in fold 0).

    With `times`, folds are consecutive periods instead (the notes sorted by time, cut in `folds` blocks): each note
    is then scored by a model that never saw its period, as production notes are — their topics drift."""
    if times is not None:
        # naive times (a file's) and aware ones (the store's feedback) in one order: naive read as UTC
        order = np.argsort(pd.to_datetime(pd.Series(list(times)), utc=True).to_numpy(), kind="stable")
        out = np.empty(len(order), dtype=int)
        out[order] = np.arange(len(order)) * folds // max(1, len(order))
        return out
    rng = np.random.default_rng(random_state)
    array = np.asarray(labels, dtype=object)
    out = np.zeros(len(array), dtype=int)
    for code in sorted(set(array.tolist())):
        rows = rng.permutation(np.flatnonzero(array == code))
        out[rows] = (int(rng.integers(folds)) + np.arange(len(rows))) % folds
    return out


def cross_fit(
    texts: Sequence[str],
    labels: Sequence[str],
    reason_texts: Mapping[str, Sequence[str]] | None,
    config: Mapping[str, Any],
    *,
    redactor: Any = None,
    times: Sequence[Any] | None = None,
) -> CrossFitScores:
    """Scores of every known-reason note by the model of the folds it was not in (cross-conformal calibration).
    Taxonomy texts stay in every fold's training data: they are known at training time, like in production.

    The folds' models skip their own temperature cross-validation: their out-of-fold scores are exactly what the
    temperature needs, so it is fitted once here (log-loss), and `proba` uses it."""
    cfg = resolve_config(config)
    folds = int(cfg["decision"]["folds"])
    rows = np.asarray([index for index, label in enumerate(labels) if label != AUTRE])
    array = np.asarray([str(labels[index]) for index in rows], dtype=object)
    classes = np.asarray(sorted(set(array.tolist()) | {str(c) for c in (reason_texts or {}) if c != AUTRE}))
    if len(rows) < folds or len(set(array.tolist())) < 2:
        raise InvalidSplit(f"{len(rows)} notes de motifs connus : trop peu pour {folds} plis de calibration")
    by_time = times is not None and cfg["decision"]["folds_by"] == "time"
    known_times = [times[index] for index in rows] if by_time and times is not None else None
    assignment = fold_assignment(array, folds, int(cfg["random_state"]), times=known_times)
    logits = np.full((len(rows), len(classes)), MISSING_LOGIT)
    similarity = np.zeros(len(rows))
    has_words = np.zeros(len(rows), dtype=bool)
    column = {code: index for index, code in enumerate(classes)}
    models = []
    for fold in range(folds):
        held = np.flatnonzero(assignment == fold)
        if len(held) == 0:
            continue
        scored, model = _score_fold(
            texts, rows, array, assignment != fold, held, logits, column, reason_texts, cfg, redactor
        )
        similarity[held] = scored.similarity
        has_words[held] = scored.has_words
        models.append(model)
    truth = np.asarray([column[code] for code in array])
    temperature = fit_temperature(logits, truth)
    proba = softmax(logits / temperature, axis=1)
    for model in models:  # they score new notes as they scored their held-out notes (`decision.probabilities`)
        model.classifier_.temperature_ = temperature
    return CrossFitScores(
        proba, similarity, has_words, truth, classes, temperature, assignment, by_time, models=tuple(models)
    )


def _score_fold(
    texts: Sequence[str],
    rows: np.ndarray,
    array: np.ndarray,
    train: np.ndarray,
    held: np.ndarray,
    logits: np.ndarray,
    column: Mapping[str, int],
    reason_texts: Mapping[str, Sequence[str]] | None,
    cfg: Mapping[str, Any],
    redactor: Any,
) -> tuple[Any, ReasonModel]:
    """Fit a model on the notes where `train` is True, write the log-probabilities of the `held` notes into
    `logits` (columns of the final model's classes) and return its score parts and the model."""
    inner = ReasonModel(config=_without_temperature_cv(cfg), redactor=redactor).fit(
        [texts[index] for index in rows[train]], list(array[train]), reason_texts=reason_texts
    )
    scored = inner.score_parts([texts[index] for index in rows[held]], always_similarity=True)
    columns = np.asarray([column[str(code)] for code in inner.classes_], dtype=np.intp)
    # softmax at temperature 1 → log-probabilities: the class scores up to a per-note constant, which softmax
    # ignores; a reason the fold's model never saw keeps MISSING_LOGIT (as the temperature CV does).
    logits[np.ix_(held, columns)] = np.log(np.clip(scored.proba, 1e-300, None))
    return scored, inner


def forward_fit(
    texts: Sequence[str],
    labels: Sequence[str],
    reason_texts: Mapping[str, Sequence[str]] | None,
    config: Mapping[str, Any],
    scores: CrossFitScores,
    *,
    redactor: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, true reason index) of the notes of every period but the first, each scored by a model of
    the earlier periods only — as production scores notes it has never seen, written after everything it learnt
    from. `scores` are `cross_fit`'s with time folds (their periods and temperature are reused). Costs
    `decision.folds` − 1 fits on growing shares of the data."""
    cfg = resolve_config(config)
    rows = np.asarray([index for index, label in enumerate(labels) if label != AUTRE])
    array = np.asarray([str(labels[index]) for index in rows], dtype=object)
    column = {str(code): index for index, code in enumerate(scores.classes)}
    logits = np.full((len(rows), len(scores.classes)), MISSING_LOGIT)
    later = scores.folds > 0
    for fold in range(1, int(scores.folds.max()) + 1):
        held = np.flatnonzero(scores.folds == fold)
        earlier = scores.folds < fold
        if len(held) == 0 or len(set(array[earlier].tolist())) < 2:
            later[held] = False
            continue
        _score_fold(texts, rows, array, earlier, held, logits, column, reason_texts, cfg, redactor)
    if not later.any():
        raise InvalidSplit("trop peu de périodes pour calibrer l'ensemble sur des périodes futures")
    return softmax(logits[later] / scores.temperature, axis=1), scores.truth[later]


def _without_temperature_cv(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The config with the classifier's temperature cross-validation off (the caller sets the temperature)."""
    out = copy.deepcopy(dict(cfg))
    out["classifier"] = {**out["classifier"], "cv": 1}
    return out


def confident_gate(top: np.ndarray, correct: np.ndarray, precision: float) -> dict[str, Any]:
    """Smallest top-1 probability from which auto-coded (« confident ») notes reach `precision` out of fold; when no
    probability reaches it, nothing is auto-coded (threshold above 1) and the report says so."""
    if len(top) == 0:
        return {"threshold": UNREACHABLE, "precision": None, "share": 0.0, "reached": False, "target": precision}
    choice = choose_threshold(1.0 - top, correct, target_precision=precision)
    return {
        "threshold": 1.0 - choice.threshold if choice.reached else UNREACHABLE,
        "precision": choice.precision if choice.reached else None,
        "share": choice.coverage if choice.reached else 0.0,
        "reached": choice.reached,
        "target": precision,
    }


def calibrate_decisions(
    scores: CrossFitScores,
    weight: float,
    config: Mapping[str, Any],
    set_calibration: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The three gates from out-of-fold scores: novelty (« autre » for at most α of known notes), prediction set
    (true reason inside with probability ≥ 1 − β) and confident (auto-coded notes at the target precision).

    `set_calibration` (probabilities, true reason index) replaces the out-of-fold scores for the set gate:
    `forward_fit`'s notes scored by models of earlier periods only, when the notes drift."""
    cfg = resolve_config(config)
    decision = cfg["decision"]
    top = scores.proba.max(axis=1)
    values = np.where(scores.has_words, np.clip(novelty(top, scores.similarity, weight), 0.0, 1.0), 1.0)
    novelty_gate = gate_threshold(values, float(decision["alpha"]))
    set_proba, set_truth = (scores.proba, scores.truth) if set_calibration is None else set_calibration
    set_score = score_config(decision)
    true_scores = set_scores(set_proba, set_score)[np.arange(len(set_truth)), set_truth]
    set_gate = gate_threshold(true_scores, 1.0 - float(decision["set_coverage"]))
    passed = values <= novelty_gate.threshold
    correct = scores.proba.argmax(axis=1) == scores.truth
    confident = confident_gate(top[passed], correct[passed], float(decision["confident_precision"]))
    return {
        "max_prob_weight": weight,
        "alpha": float(decision["alpha"]),
        "set_coverage": float(decision["set_coverage"]),
        "novelty": novelty_gate.as_dict(),
        "prediction_set": {
            **set_gate.as_dict(),
            "score": set_score,
            "calibrated_on": "cross" if set_calibration is None else "forward",
        },
        "confident": confident,
        "n_calibration": len(values),
        "folds": int(decision["folds"]),
        "out_of_fold_accuracy": float(correct.mean()),
    }


def fit_model(
    texts: Sequence[str],
    labels: Sequence[str],
    reason_texts: Mapping[str, Sequence[str]] | None = None,
    config: Mapping[str, Any] | None = None,
    *,
    redactor: Any = None,
    times: Sequence[Any] | None = None,
) -> ReasonModel:
    """A `ReasonModel` fitted on all the data, with its three gates calibrated on out-of-fold scores.

    `model.abstention_` reports the novelty weight, each gate's threshold and what it achieved out of fold. With too
    few notes to cross-fit, the config's thresholds are kept and the report says so; with fewer than 3 reasons no
    reason can be held out to choose the novelty weight, and the config's weight is kept.
    """
    cfg = resolve_config(config)
    report: dict[str, Any] = {}
    scores: CrossFitScores | None = None
    try:
        scores = cross_fit(texts, labels, reason_texts, cfg, redactor=redactor, times=times)
    except InvalidSplit as error:
        report["skipped"] = str(error)
    temperature = None if scores is None else scores.temperature
    weight, auc = float(cfg["abstention"]["max_prob_weight"]), None
    try:
        simulated = simulate_open_set(texts, labels, reason_texts, cfg, redactor=redactor, temperature=temperature)
        weight, auc = choose_weight(simulated, cfg)
    except (InvalidSplit, CalibrationError) as error:
        report["weight_skipped"] = str(error)
    forward: tuple[np.ndarray, np.ndarray] | None = None
    if scores is not None and scores.by_time and cfg["decision"]["set_folds"] == "forward":
        try:
            forward = forward_fit(texts, labels, reason_texts, cfg, scores, redactor=redactor)
        except InvalidSplit as error:
            report["forward_skipped"] = str(error)
    if scores is not None:
        try:
            report.update(calibrate_decisions(scores, weight, cfg, forward), temperature=temperature)
        except CalibrationError as error:
            report["skipped"] = str(error)
    report["novelty_auc"] = auc
    final_cfg = cfg if temperature is None else _without_temperature_cv(cfg)
    model = ReasonModel(config=final_cfg, redactor=redactor).fit(texts, labels, reason_texts=reason_texts)
    if temperature is not None:
        model.classifier_.temperature_ = temperature
        model.config_ = cfg  # the temperature comes from cross-fitting; the config stays the user's
    model.max_prob_weight_ = weight
    if scores is not None and cfg["decision"]["probabilities"] == "fold_mean.v1":
        # new notes are scored by the models the gates were calibrated on (pipeline.members)
        members = tuple(member_from(fold_model, model.classes_) for fold_model in scores.models)
        # one product per note when the members can be rewritten in the full model's features (exact, faster)
        model.members_ = fuse(model.features_.steps[-1][1], members) or members
    report["probabilities"] = "fold_mean.v1" if getattr(model, "members_", ()) else "full.v1"
    if "skipped" not in report:
        model.threshold_ = _finite(report["novelty"]["threshold"], 1.0)
        model.set_threshold_ = _finite(report["prediction_set"]["threshold"], 1.0)
        model.confident_threshold_ = float(report["confident"]["threshold"])
    model.abstention_ = report
    return model


def _finite(value: float | None, fallback: float) -> float:
    """A gate reported as never firing (threshold None/+inf) becomes the score's upper bound."""
    return fallback if value is None else float(value)
