"""`--engine spark`: notes scored by PySpark workers (`local[*]` by default, or a cluster's master URL).

Why a pandas UDF over our own loader rather than `mlflow.pyfunc.spark_udf`: the batch must store the *redacted*
note and quarantine the notes the model fails on, exactly like the local engine; the pyfunc returns neither. So the
driver reads and checks the input (`serving.batch.inputs`, the same code as the local engine), ships the notes of a
chunk to Spark, and each Python worker runs `LocalNotesScorer` — the model's own redactor, then
`suggest(..., redacted=True)` — on its partition (`mapInPandas`). Results come back to the driver, which builds the
rows with the same `ChunkProcessor` as the local engine: same columns, same quarantine, same resume.

The model directory is sent to the workers with `SparkContext.addFile` (works on a cluster, not only locally) and
each worker loads it once (hash checked by `pipeline.artifact.load_model`) and keeps it while Spark reuses the
worker. Spark's Python workers must run the driver's Python where motifs is importable: `PYSPARK_PYTHON` is set to
this interpreter when unset, and this process's `sys.path` is passed on in `PYTHONPATH`.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.predictions import Prediction, Suggestion
from serving.batch.engines import Task
from serving.batch.records import parse_top_k, top_k_json
from serving.batch.scoring import ChunkProcessor, ChunkResult, LocalNotesScorer, Scored, ScoringSettings
from serving.spark import build_session, map_notes

RESULT_SCHEMA = (
    "pos long, redacted string, code string, confidence double, autre boolean, decision string, prediction_set string, "
    "novelty double, novelty_threshold double, top_k string, error string"
)
MIN_NOTES_PER_TASK = 500
_SCORERS: dict[str, LocalNotesScorer] = {}  # per Spark Python worker: model name → scorer, loaded once


def _worker_scorer(name: str, sha256: str) -> LocalNotesScorer:
    if name not in _SCORERS:
        from pyspark import SparkFiles
        from threadpoolctl import threadpool_limits

        from pipeline.artifact import load_model

        threadpool_limits(1)  # Spark runs one task per core: a task must not spread over the others

        _SCORERS[name] = LocalNotesScorer(load_model(SparkFiles.get(name), expected_sha256=sha256))
    return _SCORERS[name]


def _score_partition(name: str, sha256: str, k: int, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """On a Spark worker: redact and score each Arrow batch of (pos, text)."""
    scorer = _worker_scorer(name, sha256)
    for batch in batches:
        scored = scorer(batch["text"].tolist(), k)
        yield pd.DataFrame(
            {
                "pos": batch["pos"].to_numpy(dtype=np.int64),
                "redacted": [s.redacted for s in scored],
                "code": [None if s.prediction is None else str(s.prediction.code) for s in scored],
                "confidence": [np.nan if s.prediction is None else float(s.prediction.confidence) for s in scored],
                "autre": [False if s.prediction is None else bool(s.prediction.autre) for s in scored],
                "decision": [None if s.prediction is None else s.prediction.decision for s in scored],
                "prediction_set": [
                    None if s.prediction is None else json.dumps(list(s.prediction.prediction_set)) for s in scored
                ],
                "novelty": [_float(None if s.prediction is None else s.prediction.novelty) for s in scored],
                "novelty_threshold": [
                    _float(None if s.prediction is None else s.prediction.novelty_threshold) for s in scored
                ],
                "top_k": [None if s.prediction is None else top_k_json(s.prediction.top_k) for s in scored],
                "error": [s.error for s in scored],
            }
        )


def _float(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _optional(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


class SparkNotesScorer:
    """The notes scorer of `ChunkProcessor`, run on Spark: one Spark job per call."""

    def __init__(self, spark: Any, name: str, sha256: str) -> None:
        self.spark = spark
        self.name = name
        self.sha256 = sha256

    def __call__(self, texts: list[str], k: int) -> list[Scored]:
        if not texts:
            return []
        work = partial(_score_partition, self.name, self.sha256, k)
        result = map_notes(self.spark, texts, work, RESULT_SCHEMA, min_per_task=MIN_NOTES_PER_TASK)
        out: list[Scored] = []
        for redacted, code, confidence, autre, decision, members, novelty, novelty_at, top_k, error in zip(
            result["redacted"].tolist(),
            result["code"].tolist(),
            result["confidence"].tolist(),
            result["autre"].tolist(),
            result["decision"].tolist(),
            result["prediction_set"].tolist(),
            result["novelty"].tolist(),
            result["novelty_threshold"].tolist(),
            result["top_k"].tolist(),
            result["error"].tolist(),
            strict=True,
        ):
            if error is not None:
                out.append(Scored(redacted, error=str(error)))
            elif code is None:
                out.append(Scored(redacted))
            else:
                top = tuple(Suggestion(s.code, s.confidence) for s in parse_top_k(str(top_k)))
                prediction = Prediction(
                    str(code),
                    float(confidence),
                    bool(autre),
                    top,
                    decision=decision,
                    prediction_set=tuple(json.loads(members or "[]")),
                    novelty=_optional(novelty),
                    novelty_threshold=_optional(novelty_at),
                )
                out.append(Scored(redacted, prediction))
        return out


class SparkEngine:
    """Chunks read and checked here, notes scored on Spark, rows built here (see the module docstring)."""

    def __init__(
        self,
        model_dir: Path,
        sha256: str,
        settings: ScoringSettings,
        *,
        master: str = "local[*]",
        scratch: Path,
        session: Any = None,
    ) -> None:
        self._own_session = session is None
        self.spark = session if session is not None else build_session(master, app="motifs-reclassify")
        name = f"motifs-modele-{sha256[:16]}"
        if not any(uri.rstrip("/").endswith("/" + name) for uri in self.spark.sparkContext.listFiles):
            staged = scratch / name
            if not staged.exists():
                shutil.copytree(model_dir, staged)
            self.spark.sparkContext.addFile(str(staged), recursive=True)
        self.processor = ChunkProcessor(SparkNotesScorer(self.spark, name, sha256), settings)

    @property
    def parallelism(self) -> int:
        return int(self.spark.sparkContext.defaultParallelism)

    def map(self, tasks: Iterator[Task]) -> Iterator[tuple[tuple[int, int], ChunkResult]]:
        for key, file_name, frame in tasks:
            yield key, self.processor.process(frame, file_name)

    def close(self, *, abort: bool = False) -> None:
        if self._own_session:
            self.spark.stop()
