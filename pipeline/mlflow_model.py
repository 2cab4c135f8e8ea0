"""The MLflow face of a motifs model: a pyfunc wrapper, its signature, and `resolve_model` for serving.

The registered MLflow model `motifs-reasons` is a pyfunc whose only artifact is the motifs model directory
(`model.joblib` + `manifest.json`, see `pipeline.artifact`). `load_context` goes through `load_model`, so the
joblib file is hash-checked before it is unpickled, also under `mlflow models serve` and `mlflow.pyfunc.spark_udf`
— and its hash must be in the trusted-models list of that process (`pipeline.trust`: `MOTIFS_TRUSTED_MODELS`, or
`motifs models trust DIR` on that machine), else it is refused.
(MLflow itself unpickles its own `python_model.pkl` — a reference to `MotifsPyfunc` — from the artifact store it
trusts; `resolve_model`, used by our serving, never loads that file: it reads the motifs directory only and checks
it against the SHA-256 kept in the registry's version tag `artifact_sha256`.)

Input: a DataFrame with a `text` column (optional `site`, `channel`, accepted and not used yet). Output: one row per
input row with `code`, `confidence`, `autre`, `top_k` (JSON list of `{"code", "confidence"}`), `model_version`,
`taxonomy_version` (the full ref, e.g. `national@1.1.0`). An empty or missing text gives « autre » with confidence 0
instead of failing the whole batch.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow.models.signature import ModelSignature
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

from pipeline.artifact import MANIFEST_FILE, LoadedArtifact, load_artifact, load_model
from pipeline.errors import ArtifactInvalid, ArtifactNotFound, PipelineError
from taxonomy import AUTRE, LOCAL_DATA_DIR

ARTIFACT_KEY = "motifs_model"
REGISTERED_MODEL_NAME = "motifs-reasons"
SHA256_TAG = "artifact_sha256"
OUTPUT_COLUMNS = ("code", "confidence", "autre", "top_k", "model_version", "taxonomy_version")
SIGNATURE = ModelSignature(
    inputs=Schema(
        [
            ColSpec("string", "text"),
            ColSpec("string", "site", required=False),
            ColSpec("string", "channel", required=False),
        ]
    ),
    outputs=Schema(
        [
            ColSpec("string", "code"),
            ColSpec("double", "confidence"),
            ColSpec("boolean", "autre"),
            ColSpec("string", "top_k"),
            ColSpec("string", "model_version"),
            ColSpec("string", "taxonomy_version"),
        ]
    ),
    params=ParamSchema([ParamSpec("k", "long", 3)]),
)
_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")


class MotifsPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
    """pyfunc wrapper around a motifs model directory (artifact key `motifs_model`)."""

    def load_context(self, context: Any) -> None:
        self.model_ = load_model(context.artifacts[ARTIFACT_KEY])

    # MLflow reads this annotation: `pd.DataFrame` means "no schema inference" (SIGNATURE is explicit).
    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        k = int((params or {}).get("k", 3))
        return predict_frame(self.model_, model_input, k=k)


def predict_frame(model: Any, model_input: Any, *, k: int = 3) -> pd.DataFrame:
    """The pyfunc's output frame for `model_input` (DataFrame with `text`, a Series or a list of texts)."""
    if isinstance(model_input, pd.DataFrame):
        if "text" not in model_input.columns:
            raise PipelineError("colonne « text » absente de l'entrée (attendu : un tableau avec une colonne text)")
        texts = model_input["text"].tolist()
    elif isinstance(model_input, pd.Series):
        texts = model_input.tolist()
    elif isinstance(model_input, list | tuple):
        texts = list(model_input)
    else:
        raise PipelineError(f"entrée de type {type(model_input).__name__} (attendu : DataFrame avec une colonne text)")
    usable = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
    model_version = str(getattr(model, "model_version", "") or "")
    taxonomy = str(getattr(model, "taxonomy_ref", "") or "")
    rows: list[dict[str, Any]] = [
        {"code": AUTRE, "confidence": 0.0, "autre": True, "top_k": "[]"} for _ in range(len(texts))
    ]
    if usable:
        predictions = model.suggest([texts[i] for i in usable], k=k)
        for i, prediction in zip(usable, predictions, strict=True):
            rows[i] = {
                "code": str(prediction.code),
                "confidence": float(prediction.confidence),
                "autre": bool(prediction.autre),
                "top_k": json.dumps(
                    [{"code": str(s.code), "confidence": round(float(s.confidence), 6)} for s in prediction.top_k],
                    ensure_ascii=False,
                ),
            }
    frame = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS[:4]))
    frame["confidence"] = frame["confidence"].astype("float64")
    frame["autre"] = frame["autre"].astype(bool)
    frame["model_version"] = model_version
    frame["taxonomy_version"] = taxonomy
    return frame[list(OUTPUT_COLUMNS)]


def resolve_tracking_uri(explicit: str | None = None) -> str:
    """`explicit` › `MLFLOW_TRACKING_URI` › a local SQLite store `./motifs-data/mlflow.db` (absolute path)."""
    if explicit:
        return explicit
    from_env = os.environ.get("MLFLOW_TRACKING_URI")
    if from_env:
        return from_env
    return f"sqlite:///{(Path.cwd() / LOCAL_DATA_DIR / 'mlflow.db').resolve()}"


@contextmanager
def mlflow_uris(tracking_uri: str) -> Iterator[mlflow.MlflowClient]:
    """Point MLflow's global tracking and registry URIs at `tracking_uri` for the block, then restore them.

    Parts of MLflow (fluent logging, `models:/` downloads) only read the global URIs, whatever client is passed.
    `set_tracking_uri` also writes `MLFLOW_TRACKING_URI` into the environment: the variables are put back as they
    were, or the next `resolve_tracking_uri` of the process would read MLflow's default instead of the user's choice.
    """
    previous_tracking = mlflow.get_tracking_uri()
    previous_registry = mlflow.get_registry_uri()
    previous_env = {name: os.environ.get(name) for name in _URI_VARIABLES}
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    finally:
        mlflow.set_tracking_uri(previous_tracking)
        mlflow.set_registry_uri(previous_registry)
        for name, value in previous_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@dataclass(frozen=True)
class ModelsUri:
    name: str
    alias: str | None
    version: str | None


def parse_models_uri(ref: str) -> ModelsUri:
    match = _MODELS_URI.match(ref.strip())
    if not match:
        raise ArtifactInvalid(
            f"référence de modèle « {ref} » non reconnue (attendu : models:/NOM@ALIAS ou models:/NOM/VERSION)"
        )
    return ModelsUri(match["name"], match["alias"], match["version"])


def model_dir_in_pyfunc(directory: Path) -> Path:
    """The motifs model directory inside a downloaded MLflow pyfunc model directory."""
    mlmodel = directory / "MLmodel"
    try:
        conf = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
        relative = conf["flavors"]["python_function"]["artifacts"][ARTIFACT_KEY]["path"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        raise ArtifactInvalid(f"{directory} : modèle MLflow sans artefact « {ARTIFACT_KEY} »") from None
    inner = (directory / relative).resolve()
    if directory.resolve() not in inner.parents:
        raise ArtifactInvalid(f"{directory} : chemin d'artefact hors du dossier du modèle")
    return inner


def resolve_model(ref: str | Path, *, tracking_uri: str | None = None, expected_taxonomy_ref: str | None = None) -> Any:
    """The `ReasonModel` that `ref` names (see `resolve_artifact`)."""
    return resolve_artifact(ref, tracking_uri=tracking_uri, expected_taxonomy_ref=expected_taxonomy_ref).model


def resolve_artifact(
    ref: str | Path, *, tracking_uri: str | None = None, expected_taxonomy_ref: str | None = None
) -> LoadedArtifact:
    """Model and manifest from a local directory or a registry URI (`models:/motifs-reasons@champion`, `…/3`).

    A local directory may be a motifs model directory or a downloaded MLflow pyfunc directory. A registry version
    must carry the tag `artifact_sha256` (written at registration); the downloaded file must match it.
    """
    text = str(ref)
    if not text.startswith("models:/"):
        directory = Path(text)
        if not directory.is_dir():
            raise ArtifactNotFound(f"{directory} : dossier de modèle introuvable")
        if not (directory / MANIFEST_FILE).exists() and (directory / "MLmodel").exists():
            directory = model_dir_in_pyfunc(directory)
        return load_artifact(directory, expected_taxonomy_ref=expected_taxonomy_ref)

    parsed = parse_models_uri(text)
    uri = resolve_tracking_uri(tracking_uri)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        raise ArtifactNotFound(f"registre MLflow introuvable : {uri} (entraîner d'abord, ou préciser --tracking-uri)")
    with mlflow_uris(uri) as client, tempfile.TemporaryDirectory(prefix="motifs-model-") as tmp:
        try:
            if parsed.alias is not None:
                version = client.get_model_version_by_alias(parsed.name, parsed.alias)
            else:
                version = client.get_model_version(parsed.name, str(parsed.version))
        except mlflow.exceptions.MlflowException:
            raise ArtifactNotFound(f"{text} : modèle introuvable dans le registre {uri}") from None
        expected_sha = (version.tags or {}).get(SHA256_TAG)
        if not expected_sha:
            raise ArtifactInvalid(
                f"{text} : version {version.version} sans empreinte « {SHA256_TAG} » dans le registre"
            )
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{parsed.name}/{version.version}", dst_path=tmp, tracking_uri=uri, registry_uri=uri
        )
        return load_artifact(
            model_dir_in_pyfunc(Path(local)), expected_taxonomy_ref=expected_taxonomy_ref, expected_sha256=expected_sha
        )
