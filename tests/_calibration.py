"""A stand-in for a trained model, saved for real by `save_model` (no training): only what the manifest reads,
with the calibration report `training.fit` attaches (`model.abstention_`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifact import save_model

# The shape of `training.fit`'s `model.abstention_` (numpy numbers and inf as the gates produce them).
REPORT: dict[str, Any] = {
    "max_prob_weight": np.float64(1.0),
    "alpha": 0.05,
    "set_coverage": 0.9,
    "novelty": {
        "threshold": np.float64(0.83),
        "level": 0.05,
        "n_calibration": 412,
        "expected_rate": 0.0485,
        "rate_interval": (np.float64(0.0321), np.float64(0.0712)),
    },
    "prediction_set": {"threshold": None, "level": 0.1, "n_calibration": 412, "rate_interval": [0.07, 0.13]},
    "confident": {"threshold": math.inf, "precision": None, "share": 0.0, "reached": False, "target": 0.9},
    "n_calibration": 412,
}


class StandInModel:
    """What `save_model` reads from a `ReasonModel`."""

    def __init__(self, *, version: str, report: dict[str, Any] | None) -> None:
        self.classes_ = np.array(["attestation", "paiement_non_recu"], dtype=object)
        self.threshold_ = 0.83
        self.taxonomy_ref = "national@1.1.0"
        self.model_version = version
        if report is not None:
            self.abstention_ = report

    def predict_proba(self, texts: Any) -> Any:
        return np.full((len(texts), 2), 0.5)

    def suggest(self, texts: Any, k: int = 3, *, redacted: bool = False) -> list[Any]:
        return []


def save_stand_in(directory: Path, *, version: str = "modele-test-1", report: dict[str, Any] | None = REPORT) -> Path:
    save_model(StandInModel(version=version, report=report), directory)  # type: ignore[arg-type]
    return directory
