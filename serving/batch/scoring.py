"""Notes → predictions → output rows, exactly as the API does it for one note.

The API (`serving.api.suggest.compute_suggestion`) redacts the note with the model's own redactor
(`serving.redaction.redactor_for`), asks `model.suggest([redacted], redacted=True)` (so redaction is not done twice)
and turns the prediction into a `PredictionRecord` with `PredictionRecord.from_prediction`. The batch does the same
calls on a whole chunk at once (`Redactor.transform` = `redact` note by note; `suggest` on a batch = one by one), so
the same text gives the same codes, confidences, top-k and redacted text.

A chunk the model or the redactor fails on is retried note by note; the notes that still fail are quarantined
(`model_error`, with the exception's type only) and the others are kept: one bad note never stops the run.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.calls import TIMEZONE
from pipeline.predictions import Decision, Prediction, Suggestion
from serving.batch.records import (
    OUTPUT_COLUMNS,
    RESCORE_COLUMNS,
    TEXT_COLUMN,
    paris_aware,
    record_row,
    rows_frame,
)
from serving.redaction import redactor_for
from serving.store import PredictionRecord
from taxonomy import AUTRE

logger = logging.getLogger("motifs.batch")


@dataclass(frozen=True)
class Scored:
    """One note after the scorer: its redacted text and prediction, or why it failed (exception type only)."""

    redacted: str | None
    prediction: Any = None  # None when only redaction was asked (k = 0) or when it failed
    error: str | None = None


@dataclass(frozen=True)
class LoadedBatchModel:
    """The model of a run, pinned: version, taxonomy, and the SHA-256 of its artifact."""

    model: Any
    model_version: str
    taxonomy_version: str
    artifact_sha256: str
    directory: Path | None  # a motifs model directory worker processes can load (None: registry download, gone)
    calibration: Mapping[str, Any] | None = None  # the manifest's calibration report (recorded in the store)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in getattr(self.model, "classes_", [])]


def load_batch_model(ref: str | Path) -> LoadedBatchModel:
    """The model `ref` names (a directory or `models:/NAME@ALIAS`), checked by `pipeline.mlflow_model`; its
    taxonomy is registered in the local taxonomy folder (`taxonomy.register_taxonomy`)."""
    from pipeline.mlflow_model import resolve_artifact
    from taxonomy import register_taxonomy

    artifact = resolve_artifact(ref)
    # The model's own base, registered so that emerging / report / review read the stored codes with exactly it.
    register_taxonomy(artifact.taxonomy())
    registry = str(ref).startswith("models:/")
    return LoadedBatchModel(
        model=artifact.model,
        model_version=str(artifact.manifest.model_version),
        taxonomy_version=str(artifact.manifest.taxonomy_ref or getattr(artifact.model, "taxonomy_ref", "") or ""),
        artifact_sha256=artifact.manifest.sha256,
        directory=None if registry else Path(artifact.directory),
        calibration=_calibration(artifact.manifest),
    )


def _calibration(manifest: Any) -> Mapping[str, Any] | None:
    report = getattr(manifest, "calibration", None)
    return report if isinstance(report, Mapping) else None


def model_directory_for_workers(loaded: LoadedBatchModel, scratch: Path) -> tuple[Path, str]:
    """A model directory other processes can load, and the SHA-256 they must find: the original directory, or
    (for a registry model, whose download is gone) the same model saved again under `scratch`."""
    from pipeline.artifact import read_manifest, save_model

    if loaded.directory is not None:
        return loaded.directory, read_manifest(loaded.directory).sha256
    target = scratch / f"modele-{loaded.artifact_sha256[:12]}"
    if not (target / "manifest.json").exists():
        save_model(loaded.model, target)
    return target, read_manifest(target).sha256


def redact_many(redactor: Any, texts: list[str]) -> list[str]:
    transform = getattr(redactor, "transform", None)
    if callable(transform):
        return list(transform(texts))
    return [redactor.redact(text) for text in texts]


class LocalNotesScorer:
    """Redact then predict, in this process (the local engine, and each Spark worker)."""

    def __init__(self, model: Any, redactor: Any | None = None) -> None:
        self.model = model
        self.redactor = redactor if redactor is not None else redactor_for(model)

    def __call__(self, texts: list[str], k: int) -> list[Scored]:
        """`k` suggestions per note; `k = 0`: redaction only."""
        if not texts:
            return []
        try:
            redacted = redact_many(self.redactor, texts)
        except Exception:
            return [self._one(text, k) for text in texts]
        if k == 0:
            return [Scored(text) for text in redacted]
        try:
            predictions = self.model.suggest(redacted, k=k, redacted=True)
        except Exception:
            return [self._predict_one(text, k) for text in redacted]
        return [Scored(text, prediction) for text, prediction in zip(redacted, predictions, strict=True)]

    def _one(self, text: str, k: int) -> Scored:
        try:
            (redacted,) = redact_many(self.redactor, [text])
        except Exception as exc:
            return Scored(None, error=f"anonymisation impossible ({type(exc).__name__})")
        return self._predict_one(redacted, k) if k else Scored(redacted)

    def _predict_one(self, redacted: str, k: int) -> Scored:
        try:
            (prediction,) = self.model.suggest([redacted], k=k, redacted=True)
        except Exception as exc:
            return Scored(redacted, error=f"prédiction impossible ({type(exc).__name__})")
        return Scored(redacted, prediction)


NotesScorer = Callable[[list[str], int], list[Scored]]


@dataclass(frozen=True)
class ScoringSettings:
    """What is pinned for a run and written on every row."""

    k: int
    model_version: str
    taxonomy_version: str
    classes: tuple[str, ...]
    rescore_from: str | None = None  # source taxonomy of the stored codes when re-scoring (else: reclassification)
    rescore: bool = False


@dataclass
class ChunkResult:
    output: pd.DataFrame  # output rows in input order, always with `redacted_text`
    errors: pd.DataFrame  # quarantine rows (model errors, unusable stored codes), text already redacted

    @property
    def rows(self) -> int:
        return len(self.output) + len(self.errors)


class ChunkProcessor:
    """One chunk of valid calls → output rows (and quarantine rows for the notes that fail)."""

    def __init__(self, scorer: NotesScorer, settings: ScoringSettings) -> None:
        self.scorer = scorer
        self.settings = settings
        self._migrations = _Migrations(settings.taxonomy_version) if settings.rescore else None

    def process(self, frame: pd.DataFrame, file_name: str) -> ChunkResult:
        s = self.settings
        n = len(frame)
        texts = frame["text"].tolist()
        plan = self._plan(frame) if self._migrations is not None else None
        predictions: list[Any] = [None] * n
        redacted: list[str | None] = [None] * n
        failures: dict[int, tuple[str, str]] = {}
        if plan is None:
            batches = [(list(range(n)), s.k)]
        else:
            failures.update(plan.failures)
            batches = [
                ([i for i in range(n) if plan.method[i] == "model" and not plan.candidates[i]], s.k),
                ([i for i in range(n) if plan.method[i] == "model" and plan.candidates[i]], max(s.k, len(s.classes))),
                ([i for i in range(n) if plan.method[i] == "crosswalk"], 0),  # redaction only
            ]
        for rows, k in batches:
            for i, scored in zip(rows, self.scorer([texts[i] for i in rows], k), strict=True):
                redacted[i] = scored.redacted
                if scored.error is not None:
                    failures[i] = ("model_error", scored.error)
                elif plan is None or plan.method[i] == "model":
                    predictions[i] = scored.prediction
                    if plan is not None and plan.candidates[i]:
                        predictions[i] = _among_candidates(scored.prediction, plan.candidates[i], s.k)
                else:
                    predictions[i] = plan.migrated[i]

        aware = paris_aware(pd.to_datetime(frame["timestamp"]))
        ids, sites, channels = frame["call_id"].tolist(), frame["site"].tolist(), frame["channel"].tolist()
        rows_out: list[dict[str, Any]] = []
        kept: list[int] = []
        for i in range(n):
            prediction = predictions[i]
            if prediction is None:
                continue
            record = PredictionRecord.from_prediction(
                prediction,
                call_id=ids[i],
                called_at=aware.iat[i].to_pydatetime(),
                model_version=s.model_version,
                taxonomy_version=s.taxonomy_version,
                source="batch",
                site=sites[i] or None,
                channel=channels[i] or None,
                redacted_text=redacted[i],
            )
            record = dataclasses.replace(record, top_k=record.top_k[: s.k])
            if plan is not None and plan.method[i] == "crosswalk":
                record = dataclasses.replace(record, method="crosswalk")
            extra = {TEXT_COLUMN: record.redacted_text}
            if plan is not None:
                extra.update(
                    source_reason=plan.source_reason[i], source_taxonomy=plan.source_ref[i], migration=plan.status[i]
                )
            rows_out.append(record_row(record, extra))
            kept.append(i)
        columns = [
            *(c for c in OUTPUT_COLUMNS if c != "timestamp"),
            *(RESCORE_COLUMNS if plan is not None else ()),
            TEXT_COLUMN,
        ]
        output = rows_frame(rows_out, columns)
        output.insert(1, "timestamp", aware.iloc[kept].dt.tz_convert(TIMEZONE).dt.tz_localize(None).to_numpy())
        row_numbers = frame.index.to_numpy()
        errors = pd.DataFrame.from_records(
            [
                {
                    "file": file_name,
                    "row": int(row_numbers[i]),
                    "call_id": ids[i],
                    "error_code": code,
                    "error": error,
                    "redacted_text": redacted[i] or "",
                }
                for i, (code, error) in sorted(failures.items())
            ],
            columns=["file", "row", "call_id", "error_code", "error", "redacted_text"],
        )
        return ChunkResult(output=output, errors=errors.astype({"row": "int64"}))

    def _plan(self, frame: pd.DataFrame) -> _RescorePlan:
        assert self._migrations is not None
        return self._migrations.plan(frame, self.settings.rescore_from, set(self.settings.classes))


def _among_candidates(prediction: Any, candidates: Sequence[str], k: int) -> Any:
    """The model's probabilities restricted to the codes a split offers, renormalised: the call is known to be one
    of them (it was filed under the code that was split)."""
    scores = {s.code: float(s.confidence) for s in prediction.top_k if s.code in candidates}
    total = sum(scores.values())
    if not scores or total <= 0 or not math.isfinite(total):
        return prediction
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    top = tuple(Suggestion(code, min(1.0, value / total)) for code, value in ranked[:k])
    offered = tuple(code for code in prediction.prediction_set if code in candidates) or (top[0].code,)
    decision: Decision = "confident" if prediction.decision == "confident" and len(offered) == 1 else "to_confirm"
    return Prediction(
        code=top[0].code,
        confidence=top[0].confidence,
        autre=False,
        top_k=top,
        decision=decision,
        prediction_set=offered,
        novelty=prediction.novelty,
        novelty_threshold=prediction.novelty_threshold,
    )


@dataclass
class _RescorePlan:
    method: list[str]  # "model" | "crosswalk" | "" (failed)
    candidates: list[tuple[str, ...]]  # model rows restricted to the split's candidates
    migrated: list[Prediction | None]
    source_reason: list[str]
    source_ref: list[str]
    status: list[str]
    failures: dict[int, tuple[str, str]]  # row → (error code, French message)


class _Migrations:
    """Crosswalk plans from each source taxonomy to the model's, built once per source version."""

    def __init__(self, target_ref: str) -> None:
        from taxonomy import load_taxonomy

        self.target = load_taxonomy(target_ref)
        self._plans: dict[str, Any] = {}

    def _plan_for(self, source_ref: str) -> Any:
        if source_ref not in self._plans:
            from taxonomy import TaxonomyError, plan_migration

            try:
                self._plans[source_ref] = plan_migration(source_ref, self.target)
            except TaxonomyError as exc:
                self._plans[source_ref] = exc
        return self._plans[source_ref]

    def plan(self, frame: pd.DataFrame, default_source: str | None, known: set[str]) -> _RescorePlan:
        from taxonomy import MigrationStatus

        n = len(frame)
        codes = frame["reason"].astype(str).str.strip().tolist() if "reason" in frame.columns else [""] * n
        refs = (
            frame["taxonomy_version"].astype(str).str.strip().tolist()
            if "taxonomy_version" in frame.columns
            else [""] * n
        )
        confidences = _stored_confidences(frame)
        plan = _RescorePlan(["model"] * n, [()] * n, [None] * n, codes, [""] * n, [""] * n, {})
        for i in range(n):
            source = refs[i] or default_source or ""
            plan.source_ref[i] = source
            code = codes[i]
            if not source:
                plan.method[i] = ""
                plan.failures[i] = (
                    "unknown_taxonomy",
                    "taxonomie d'origine inconnue (colonne taxonomy_version vide et --taxonomy-from absent)",
                )
                continue
            migration_plan = self._plan_for(source)
            if isinstance(migration_plan, Exception):
                plan.method[i] = ""
                plan.failures[i] = (
                    "unknown_taxonomy",
                    "taxonomie d'origine inconnue ou sans chaîne de correspondance vers "
                    f"{self.target.ref} (valeur de la colonne taxonomy_version ou de --taxonomy-from)",
                )
                continue
            if not code:
                plan.status[i] = MigrationStatus.UNKNOWN.value
                continue
            migration = migration_plan.migrate(code)
            plan.status[i] = migration.status.value
            if migration.status in (MigrationStatus.MAPPED, MigrationStatus.UNCHANGED) and migration.code != AUTRE:
                confidence = confidences[i]
                plan.method[i] = "crosswalk"
                plan.migrated[i] = Prediction(
                    code=migration.code,
                    confidence=confidence,
                    autre=False,
                    top_k=(Suggestion(migration.code, confidence),),
                    prediction_set=(migration.code,),
                )
            elif migration.status is MigrationStatus.REQUALIFY and migration.candidates:
                plan.candidates[i] = tuple(c for c in migration.candidates if c in known)
        return plan


def _stored_confidences(frame: pd.DataFrame) -> list[float]:
    """A previous reclassification's confidence when the input has one (kept by the crosswalk), else 1.0: a code
    filed by an agent is taken as certain."""
    if "confidence" not in frame.columns:
        return [1.0] * len(frame)
    values = pd.to_numeric(frame["confidence"], errors="coerce").to_numpy(dtype=float)
    return [float(v) if np.isfinite(v) and 0.0 <= v <= 1.0 else 1.0 for v in values]
