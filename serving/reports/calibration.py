"""The expected false-« autre » rate the report shows beside the « autre » share, from the model's calibration.

The novelty gate of a model is calibrated so that at most α (5 % by default) of notes of *known* reasons are sent to
« autre » (`training.fit`, `training.conformal`); `rate_interval` says where that rate lies on new notes given how many
notes calibrated it. The report reads it from the model's manifest (`pipeline.artifact`, key `calibration`, written
since the three outcomes) — never from `training/`, which serving does not import — or, over the store, from what the
model recorded there when it wrote its predictions (`db.models`). Without either, or for a model saved before the
three outcomes, the rate is « inconnu » and the report says why: it never shows a default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.artifact import MANIFEST_FILE, Manifest, read_manifest
from pipeline.errors import PipelineError
from serving.reports import formatting as fmt
from serving.reports.errors import InvalidReportOptions
from serving.store import Database


@dataclass(frozen=True)
class AutreCalibration:
    """What the model promises about « autre »: `alpha` = the largest share of notes of known reasons its novelty
    gate sends there; `rate_interval` = the 90 % interval of that share on new notes. `missing` = why it is unknown
    (French, shown as is) when `alpha` is None."""

    model_version: str | None = None
    alpha: float | None = None
    rate_interval: tuple[float, float] | None = None
    n_calibration: int | None = None
    missing: str = "modèle non précisé : option --model de motifs report"

    @property
    def known(self) -> bool:
        return self.alpha is not None

    def expected_phrase(self) -> str:
        """« dont attendu par erreur : 5 % (intervalle 3–7 %) », or « … : inconnu (raison) »."""
        if self.alpha is None:
            return f"dont attendu par erreur : inconnu ({self.missing})"
        text = f"dont attendu par erreur : {fmt.pct_short(self.alpha)}"
        if self.rate_interval is not None:
            text += f" (intervalle {fmt.pct_range(*self.rate_interval)})"
        return text

    def explanation(self) -> str:
        """One French sentence on what the expected rate means, for the « autre » section."""
        if self.alpha is None:
            return f"Part attendue d'appels de motifs connus envoyés à tort dans « autre » : inconnue ({self.missing})."
        interval = (
            f", entre {fmt.pct_range(*self.rate_interval)} sur de nouvelles notes (intervalle à 90 %, "
            f"calibré sur {fmt.count(self.n_calibration or 0)} notes)"
            if self.rate_interval is not None
            else ""
        )
        model = f"Le modèle {self.model_version}" if self.model_version else "Le modèle"
        return (
            f"{model} est calibré pour envoyer à tort dans « autre » au plus {fmt.pct_short(self.alpha)} des appels "
            f"de motifs connus{interval} : une part de « autre » de cet ordre n'est pas un signal ; au-delà, des "
            "appels sortent vraiment de la base."
        )


def calibration_from_manifest(manifest: Manifest) -> AutreCalibration:
    """The novelty gate's promise recorded in the manifest; « inconnu » for models saved before it was recorded or
    whose gates could not be calibrated (too few notes)."""
    return calibration_from_report(manifest.model_version, getattr(manifest, "calibration", None))


def stored_calibration(db: Database, model_version: str | None) -> AutreCalibration:
    """The calibration the store recorded for `model_version` when it wrote predictions (`db.models`, since
    revision 0007); « inconnu », naming `--model`, for a model that wrote before it."""
    if not model_version:
        return AutreCalibration()
    record = db.models.get(model_version)
    if record is None:
        return AutreCalibration(
            model_version,
            missing=f"le modèle {model_version} n'a pas enregistré sa calibration dans la base : option --model de "
            "motifs report",
        )
    return calibration_from_report(record.model_version, record.calibration)


def calibration_from_report(version: str | None, report: Any) -> AutreCalibration:
    """The promise of a manifest's `calibration` report (as saved, or as the store recorded it)."""
    if not isinstance(report, Mapping):
        return AutreCalibration(version, missing=f"le modèle {version} ne porte pas sa calibration : le réentraîner")
    if "skipped" in report or not isinstance(report.get("novelty"), Mapping):
        return AutreCalibration(
            version, missing=f"le modèle {version} n'a pas pu être calibré (trop peu de notes par motif)"
        )
    novelty: Mapping[str, Any] = report["novelty"]
    alpha = _number(report.get("alpha", novelty.get("level")))
    if alpha is None:
        return AutreCalibration(version, missing=f"calibration du modèle {version} illisible")
    if novelty.get("threshold") is None:  # too few calibration notes for any score to be rare enough: never fires
        return AutreCalibration(version, alpha=0.0, rate_interval=None, n_calibration=_count(novelty))
    interval = novelty.get("rate_interval")
    bounds = None
    if isinstance(interval, list | tuple) and len(interval) == 2:
        low, high = _number(interval[0]), _number(interval[1])
        bounds = (low, high) if low is not None and high is not None else None
    return AutreCalibration(model_version=version, alpha=alpha, rate_interval=bounds, n_calibration=_count(novelty))


def read_calibration(ref: str | Path, *, tracking_uri: str | None = None) -> AutreCalibration:
    """The calibration of the model `ref`: a model directory (its manifest only: nothing is unpickled) or a registry
    URI `models:/motifs-reasons@champion` (downloaded and checked like for serving)."""
    text = str(ref)
    try:
        if text.startswith("models:/"):
            from pipeline.mlflow_model import resolve_artifact  # MLflow only when a registry is named

            manifest = resolve_artifact(text, tracking_uri=tracking_uri).manifest
        else:
            directory = Path(text)
            if not (directory / MANIFEST_FILE).exists() and (directory / "MLmodel").exists():
                from pipeline.mlflow_model import model_dir_in_pyfunc

                directory = model_dir_in_pyfunc(directory)
            manifest = read_manifest(directory)
    except PipelineError as error:
        raise InvalidReportOptions(f"--model : {error}") from None
    return calibration_from_manifest(manifest)


def _count(gate: Mapping[str, Any]) -> int | None:
    value = gate.get("n_calibration")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
