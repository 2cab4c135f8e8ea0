"""Evaluation of a reason model on labelled notes: pure functions, no I/O.

Open-set evaluation: a test label the model does not know (not in `classes_`, or the label « autre » itself) is the
truth « autre » — the right answer for such a note is to abstain. Definitions, so scripts and people agree:

Each prediction has a decision (`confident`, `to_confirm` or `autre`, see `pipeline.predictions.Prediction`).

- `accuracy` (product accuracy): share of notes handled right — a known reason with the decision confident or
  to_confirm and the right top code, or a truly unknown note sent to « autre ».
- `forced_accuracy`: share of notes whose top code is right, whatever the decision (truly unknown notes are wrong).
- `false_autre_rate`: share of notes of known reasons sent to « autre » (the gate promises at most α, 5 %).
- `confident_rate` / `confident_accuracy`: share of notes auto-coded, and the accuracy of their code.
- `to_confirm_rate`: share of notes left to confirm.
- `set_coverage` / `mean_set_size`: share of notes of known reasons whose reason is in the prediction set (promised
  ≥ 1 − β, 90 %), and the mean number of codes in the set (over all notes).
- `macro_f1`: unweighted mean of per-class F1 over the classes present in the truth (« autre » included when some
  truth is « autre »). A class predicted but absent from the truth does not add a zero to the mean; its wrong
  predictions still lower the recall of the true classes.
- `top3_accuracy`: a known note is a hit when its label is among the model's 3 best codes (abstention ignored); a
  note whose truth is « autre » is a hit when the model abstains.
- `autre_rate`: share of notes sent to « autre ».
- `open_f1` (only when the truth holds « autre »): F1 of the « autre » class seen as a binary task — predicted
  « autre » vs truly unknown. `known_accuracy`: accuracy on the notes whose label the model knows (an abstention
  on them is an error).
- `ece` (expected calibration error): notes are put in 15 equal-width bins of their top-1 probability
  ((0, 1/15], (1/15, 2/15], … ; 0 goes in the first bin); ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|,
  where accuracy is that of the top-1 code (abstention ignored; a truly unknown note is always wrong).
- `per_class` and the confusion matrix cover the codes present in the truth or the predictions (+ « autre »).
- `coverage_curve`: notes sorted by top-1 probability, highest first; for coverage c in 10 %, 20 %, … 100 % the
  first ⌈c·N⌉ are kept and the accuracy of their top-1 code is given, with the lowest probability kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from pipeline.predictions import Prediction, SuggestionModel
from taxonomy import AUTRE
from training.errors import TrainingDataError

ECE_BINS = 15
COVERAGE_LEVELS = tuple(round(0.1 * i, 1) for i in range(1, 11))


@dataclass(frozen=True)
class ClassReport:
    code: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class CoveragePoint:
    coverage: float
    kept: int
    min_confidence: float
    accuracy: float


@dataclass(frozen=True)
class EvaluationReport:
    n: int
    accuracy: float
    macro_f1: float
    top3_accuracy: float
    autre_rate: float
    ece: float
    per_class: tuple[ClassReport, ...]
    coverage_curve: tuple[CoveragePoint, ...]
    confusion_labels: tuple[str, ...]
    confusion_matrix: tuple[tuple[int, ...], ...]
    k: int = 3
    top_k_accuracy: float = 0.0
    n_unknown: int = 0
    unknown_labels: tuple[str, ...] = ()
    open_f1: float | None = None
    known_accuracy: float | None = None
    selective_accuracy: float | None = None
    threshold: float | None = None
    forced_accuracy: float = 0.0
    false_autre_rate: float | None = None
    confident_rate: float = 0.0
    confident_accuracy: float | None = None
    to_confirm_rate: float = 0.0
    set_coverage: float | None = None
    mean_set_size: float = 0.0
    taxonomy_ref: str | None = None
    model_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict. Fixed top-level keys: accuracy, macro_f1, top3_accuracy, autre_rate, ece, per_class,
        and open_f1 / known_accuracy when the truth holds unknown labels."""
        out: dict[str, Any] = {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "top3_accuracy": self.top3_accuracy,
            "autre_rate": self.autre_rate,
            "forced_accuracy": self.forced_accuracy,
            "false_autre_rate": self.false_autre_rate,
            "confident_rate": self.confident_rate,
            "confident_accuracy": self.confident_accuracy,
            "to_confirm_rate": self.to_confirm_rate,
            "set_coverage": self.set_coverage,
            "mean_set_size": self.mean_set_size,
            "open_f1": self.open_f1,
            "known_accuracy": self.known_accuracy,
        }
        out.update(
            ece=self.ece,
            per_class={c.code: {k: v for k, v in asdict(c).items() if k != "code"} for c in self.per_class},
            n=self.n,
            k=self.k,
            top_k_accuracy=self.top_k_accuracy,
            n_unknown=self.n_unknown,
            unknown_labels=list(self.unknown_labels),
            selective_accuracy=self.selective_accuracy,
            threshold=self.threshold,
            coverage_curve=[asdict(p) for p in self.coverage_curve],
            confusion_matrix={
                "labels": list(self.confusion_labels),
                "matrix": [list(row) for row in self.confusion_matrix],
            },
            taxonomy_ref=self.taxonomy_ref,
            model_version=self.model_version,
        )
        out.update(self.extra)
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def metrics(self) -> dict[str, float]:
        """The scalar metrics, e.g. for MLflow (`None` ones left out)."""
        values = {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "top3_accuracy": self.top3_accuracy,
            "autre_rate": self.autre_rate,
            "ece": self.ece,
            "open_f1": self.open_f1,
            "known_accuracy": self.known_accuracy,
            "selective_accuracy": self.selective_accuracy,
            "forced_accuracy": self.forced_accuracy,
            "false_autre_rate": self.false_autre_rate,
            "confident_rate": self.confident_rate,
            "confident_accuracy": self.confident_accuracy,
            "to_confirm_rate": self.to_confirm_rate,
            "set_coverage": self.set_coverage,
            "mean_set_size": self.mean_set_size,
        }
        return {name: float(v) for name, v in values.items() if v is not None}


def evaluate(
    model: SuggestionModel,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    k: int = 3,
    known: Collection[str] | None = None,
) -> EvaluationReport:
    """Evaluate `model` on `texts` with true `labels` (open set: labels the model does not know count as « autre »).

    `known` overrides which labels count as known — used to score an older model on the label space of a newer one.
    """
    if isinstance(texts, str) or isinstance(labels, str):
        raise TrainingDataError("une liste de textes et une liste de motifs sont attendues, pas une chaîne")
    if len(texts) != len(labels):
        raise TrainingDataError(f"{len(texts)} textes pour {len(labels)} motifs (attendu : autant des deux)")
    if len(texts) == 0:
        raise TrainingDataError("aucune ligne à évaluer")
    predictions = model.suggest(list(texts), k=max(k, 3))
    report = score_predictions(
        predictions, labels, classes=[str(c) for c in (model.classes_ if known is None else known)], k=k
    )
    threshold = getattr(model, "threshold_", None)
    return replace(
        report,
        threshold=None if threshold is None else float(threshold),
        taxonomy_ref=getattr(model, "taxonomy_ref", None),
        model_version=getattr(model, "model_version", None),
    )


def open_set_truth(labels: Sequence[str], classes: Collection[str]) -> list[str]:
    """Labels the model does not know (and « autre » itself) become « autre »."""
    known = set(classes) - {AUTRE}
    return [str(label) if str(label) in known else AUTRE for label in labels]


def score_predictions(
    predictions: Sequence[Prediction], labels: Sequence[str], *, classes: Collection[str], k: int = 3
) -> EvaluationReport:
    """All the metrics from predictions already made (see the module docstring for definitions)."""
    if len(predictions) != len(labels):
        raise TrainingDataError(f"{len(predictions)} prédictions pour {len(labels)} motifs")
    n = len(labels)
    if n == 0:
        raise TrainingDataError("aucune ligne à évaluer")
    truth = np.asarray(open_set_truth(labels, classes), dtype=object)
    predicted = np.asarray([str(p.code) for p in predictions], dtype=object)
    is_autre = np.asarray([bool(p.autre) or str(p.code) == AUTRE for p in predictions])
    top_codes = [[str(s.code) for s in p.top_k] for p in predictions]
    top1 = np.asarray([codes[0] if codes else AUTRE for codes in top_codes], dtype=object)
    confidence = np.asarray([float(p.top_k[0].confidence) if p.top_k else 0.0 for p in predictions])
    unknown = truth == AUTRE
    known_rows = ~unknown

    correct = predicted == truth
    top1_correct = top1 == truth

    def hits(depth: int) -> float:
        return float(np.mean([bool(is_autre[i]) if unknown[i] else truth[i] in top_codes[i][:depth] for i in range(n)]))

    truth_classes = sorted(set(truth.tolist()))
    # classes seen in the truth or the predictions (a model may know 30 codes of which the data uses 5)
    label_set = sorted((set(truth.tolist()) | set(predicted.tolist())) - {AUTRE})
    if AUTRE in set(truth.tolist()) | set(predicted.tolist()):
        label_set.append(AUTRE)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=label_set, zero_division=0
    )
    matrix = confusion_matrix(truth, predicted, labels=label_set)

    open_f1: float | None = None
    known_accuracy: float | None = None
    if unknown.any():
        open_f1 = float(f1_score(unknown, is_autre, zero_division=0))
        known_accuracy = float(np.mean(correct[known_rows])) if known_rows.any() else None
    kept = ~is_autre
    decisions = np.asarray([_decision(p) for p in predictions], dtype=object)
    confident = decisions == "confident"
    sets = [
        tuple(p.prediction_set) or (codes[:1] if codes else ()) for p, codes in zip(predictions, top_codes, strict=True)
    ]
    in_set = np.asarray([truth[i] in sets[i] for i in range(n)])
    return EvaluationReport(
        forced_accuracy=float(np.mean(top1_correct)),
        false_autre_rate=float(np.mean(is_autre[known_rows])) if known_rows.any() else None,
        confident_rate=float(np.mean(confident)),
        confident_accuracy=float(np.mean(top1_correct[confident])) if confident.any() else None,
        to_confirm_rate=float(np.mean(decisions == "to_confirm")),
        set_coverage=float(np.mean(in_set[known_rows])) if known_rows.any() else None,
        mean_set_size=float(np.mean([len(s) for s in sets])),
        n=n,
        accuracy=float(np.mean(correct)),
        macro_f1=float(f1_score(truth, predicted, labels=truth_classes, average="macro", zero_division=0)),
        top3_accuracy=hits(3),
        top_k_accuracy=hits(k),
        k=k,
        autre_rate=float(np.mean(is_autre)),
        ece=expected_calibration_error(confidence, top1_correct),
        per_class=tuple(
            ClassReport(code, float(p), float(r), float(f), int(s))
            for code, p, r, f, s in zip(label_set, precision, recall, f1, support, strict=True)
        ),
        coverage_curve=coverage_curve(confidence, top1_correct),
        confusion_labels=tuple(label_set),
        confusion_matrix=tuple(tuple(int(v) for v in row) for row in matrix),
        n_unknown=int(unknown.sum()),
        unknown_labels=tuple(sorted({str(lab) for lab in labels} - (set(classes) - {AUTRE}))),
        open_f1=open_f1,
        known_accuracy=known_accuracy,
        selective_accuracy=float(np.mean(correct[kept])) if kept.any() else None,
    )


def _decision(prediction: Prediction) -> str:
    """The prediction's decision; « autre » wins over a decision a caller forgot to set (`autre=True`)."""
    return "autre" if prediction.autre or prediction.code == AUTRE else prediction.decision


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, *, bins: int = ECE_BINS) -> float:
    """ECE over `bins` equal-width bins (0 goes into the first bin)."""
    confidence = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    correct = np.asarray(correct, dtype=float)
    if confidence.size == 0:
        return 0.0
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = index == b
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(total)


def coverage_curve(
    confidence: np.ndarray, correct: np.ndarray, *, levels: Sequence[float] = COVERAGE_LEVELS
) -> tuple[CoveragePoint, ...]:
    """Accuracy of the top-1 code on the most confident notes, for each share of notes kept."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    order = np.argsort(-confidence, kind="stable")
    points = []
    for level in levels:
        kept = max(1, math.ceil(level * len(order) - 1e-9))
        chosen = order[:kept]
        points.append(
            CoveragePoint(
                coverage=float(level),
                kept=int(kept),
                min_confidence=float(confidence[chosen].min()),
                accuracy=float(correct[chosen].mean()),
            )
        )
    return tuple(points)
