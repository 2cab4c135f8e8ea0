"""The model artifact: one directory holding `model.joblib` and `manifest.json`.

A model file is code: unpickling it runs whatever it says. So the manifest records the SHA-256 of the joblib file
when it is written, and `load_model` reads the file's bytes once, checks their hash (and the taxonomy the model was
trained on) and only then unpickles those same bytes. A file that does not match is never unpickled.

The manifest alone proves only that the file was not changed after the manifest was written (corruption, a file
swapped on disk): whoever replaces the pickle can rewrite the manifest too. So the hash must ALSO be found in a
trusted record before the bytes are unpickled: `expected_sha256` from a place the attacker cannot write (the MLflow
registry's tag `artifact_sha256`, passed by `pipeline.mlflow_model.resolve_model`; the hash a parent process
already checked, passed to batch workers), else the trusted-models list of `pipeline.trust` (`save_model` records
what it writes; `motifs models trust DIR` records a folder that came from elsewhere). A file in neither is refused
without being unpickled.

This module lives in `pipeline/` because serving loads models and must not import training.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import joblib
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import (
    ArtifactInvalid,
    ArtifactNotFound,
    ArtifactTampered,
    ArtifactUntrusted,
    TaxonomyVersionMismatch,
)
from pipeline.files import atomic_file
from pipeline.trust import is_trusted, record_trusted, trust_file

if TYPE_CHECKING:
    from taxonomy import Taxonomy

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
TAXONOMY_FILE = "taxonomy.yaml"
ARTIFACT_FORMAT = "motifs-model-v1"
_MANIFEST_MAX_BYTES = 1 << 20
_LIBRARIES = ("scikit-learn", "spacy", "numpy", "scipy", "joblib", "pandas")


@runtime_checkable
class SavableModel(Protocol):
    """What the artifact needs from a model (`pipeline.model.ReasonModel` provides it)."""

    classes_: Any
    threshold_: float
    taxonomy_ref: str | None
    model_version: str | None

    def predict_proba(self, texts: Sequence[str]) -> Any: ...

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Any]: ...


class TrainingDataInfo(BaseModel):
    """Aggregate facts about the training data: never the data itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rows: int = Field(ge=0)
    file_name: str | None = None


class Manifest(BaseModel):
    """What `manifest.json` says about `model.joblib`. Unknown keys are kept (newer writers may add some)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    format: str = ARTIFACT_FORMAT
    file: str = MODEL_FILE
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)
    model_version: str
    taxonomy_ref: str | None = None
    taxonomy_id: str | None = None
    taxonomy_version: str | None = None
    created_at: datetime
    motifs_version: str
    python_version: str
    libraries: dict[str, str]
    classes: list[str]
    threshold: float | None = None
    training_data: TrainingDataInfo | None = None
    # from-data taxonomies: dataset label → reason code (codes are slugs of labels), so evaluation data keeps its
    # original labels. Labels are category names, never notes.
    label_codes: dict[str, str] | None = None
    # The taxonomy the model was trained on, copied next to it (`taxonomy.yaml`) so that it travels with the model:
    # every command uses exactly this base. None for a site-extended base (shipped files) and older artifacts.
    taxonomy_file: str | None = None
    taxonomy_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    # The model's calibration report (`model.abstention_`, written by `training.fit`): α, and per gate (novelty,
    # prediction_set, confident) its threshold and what it promises — e.g. novelty.rate_interval, the expected share
    # of known-reason notes sent to « autre ». Serving reads it here without importing training. Absent (None) for
    # models saved before the three outcomes.
    calibration: dict[str, Any] | None = None


def _json_safe(value: Any) -> Any:
    """A JSON-ready copy of a calibration report: numpy numbers → Python, tuples → lists, NaN/±inf → None."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@dataclass(frozen=True)
class LoadedArtifact:
    model: Any
    manifest: Manifest
    directory: Path
    # The model's taxonomy.yaml, read (hash-checked) when the artifact was loaded: a registry model's directory is
    # a temporary download, gone by the time the taxonomy is asked for.
    own_taxonomy: Taxonomy | None = None

    def label_to_code(self, label: str) -> str:
        """A dataset label as the model's code (identity unless the manifest maps it)."""
        return (self.manifest.label_codes or {}).get(label, label)

    def taxonomy(self) -> Taxonomy:
        """Exactly the taxonomy the model was trained on (see `model_taxonomy`)."""
        if self.own_taxonomy is not None:
            return self.own_taxonomy
        return model_taxonomy(self.directory, self.manifest)


def model_taxonomy(directory: str | Path, manifest: Manifest) -> Taxonomy:
    """The model's own taxonomy: its `taxonomy.yaml` (hash-checked), else — older artifacts, site-extended bases —
    the version its ref names among the shipped and registered ones. Never another version: when it cannot be
    found, `TaxonomyNotFound` names what was looked for."""
    from taxonomy import TaxonomyNotFound, load_taxonomy
    from taxonomy.loader import read_taxonomy_file

    ref = manifest.taxonomy_ref
    if manifest.taxonomy_file:
        path = Path(directory) / manifest.taxonomy_file
        if not path.is_file():
            raise ArtifactNotFound(f"{directory} : pas de {manifest.taxonomy_file} (la base du modèle, {ref})")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if manifest.taxonomy_sha256 and not hmac.compare_digest(actual, manifest.taxonomy_sha256):
            raise ArtifactTampered(
                f"{path} : empreinte SHA-256 {actual[:12]}… différente de celle du manifeste "
                f"({manifest.taxonomy_sha256[:12]}…) ; base du modèle modifiée, elle n'a pas été chargée"
            )
        taxonomy = read_taxonomy_file(path)[0]
        if taxonomy.ref != ref:
            raise ArtifactInvalid(f"{path} : base {taxonomy.ref}, le manifeste annonce {ref}")
        return taxonomy
    if not ref:
        raise TaxonomyNotFound(
            f"{directory} : le modèle ne dit pas sur quelle base de motifs il a été entraîné (taxonomy_ref absent)"
        )
    try:
        return load_taxonomy(ref)
    except TaxonomyNotFound as exc:
        raise TaxonomyNotFound(
            f"base du modèle {manifest.model_version} ({ref}) introuvable : {exc} — réentraîner le modèle "
            "(la base est alors rangée avec lui) ou enregistrer le fichier de la base dans le dossier local"
        ) from None


def split_taxonomy_ref(ref: str | None) -> tuple[str | None, str | None]:
    """`"national@1.1.0"` → `("national", "1.1.0")`; a ref without `@` is an id without version."""
    if not ref:
        return None, None
    taxonomy_id, _, taxonomy_version = ref.partition("@")
    return taxonomy_id or None, taxonomy_version or None


def _library_versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in _LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def _motifs_version() -> str:
    try:
        return version("motifs")
    except PackageNotFoundError:
        return "0.0.0+source"


def save_model(
    model: SavableModel,
    directory: str | Path,
    *,
    training_data: TrainingDataInfo | None = None,
    label_codes: Mapping[str, str] | None = None,
    taxonomy: Taxonomy | None = None,
) -> Manifest:
    """Write `model.joblib` and `manifest.json` into `directory` (created if needed) and return the manifest.

    When the model has no `model_version` yet, one is stamped on it (UTC time of creation) so the pickle and the
    manifest agree. Both files are written to temporary names then renamed, so a crash never leaves a manifest
    describing another file.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ArtifactInvalid(f"{directory} : c'est un fichier, un dossier de modèle était attendu")
    directory.mkdir(parents=True, exist_ok=True)
    created_at = datetime.now(UTC).replace(microsecond=0)
    if not getattr(model, "model_version", None):
        model.model_version = created_at.strftime("%Y%m%dT%H%M%SZ")
    classes = [str(code) for code in getattr(model, "classes_", [])]
    if not classes:
        raise ArtifactInvalid("modèle non entraîné : aucune classe (attendu : un modèle après fit)")

    taxonomy_text: bytes | None = None
    if taxonomy is not None:
        if taxonomy.ref != getattr(model, "taxonomy_ref", None):
            raise ArtifactInvalid(
                f"base {taxonomy.ref} donnée pour un modèle entraîné sur {getattr(model, 'taxonomy_ref', None)}"
            )
        if taxonomy.site is None:  # a site-extended base is made of shipped files, found by its ref
            from taxonomy import dump_taxonomy

            taxonomy_text = dump_taxonomy(taxonomy).encode("utf-8")

    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    payload = buffer.getvalue()
    taxonomy_ref = getattr(model, "taxonomy_ref", None)
    taxonomy_id, taxonomy_version = split_taxonomy_ref(taxonomy_ref)
    threshold = getattr(model, "threshold_", None)
    calibration = getattr(model, "abstention_", None)
    manifest = Manifest(
        sha256=hashlib.sha256(payload).hexdigest(),
        size_bytes=len(payload),
        model_version=str(model.model_version),
        taxonomy_ref=taxonomy_ref,
        taxonomy_id=taxonomy_id,
        taxonomy_version=taxonomy_version,
        created_at=created_at,
        motifs_version=_motifs_version(),
        python_version=platform.python_version(),
        libraries=_library_versions(),
        classes=classes,
        threshold=None if threshold is None else float(threshold),
        training_data=training_data,
        label_codes=dict(label_codes) if label_codes else None,
        calibration=_json_safe(calibration) if isinstance(calibration, Mapping) and calibration else None,
        taxonomy_file=TAXONOMY_FILE if taxonomy_text is not None else None,
        taxonomy_sha256=hashlib.sha256(taxonomy_text).hexdigest() if taxonomy_text is not None else None,
    )
    if taxonomy_text is not None:
        with atomic_file(directory / TAXONOMY_FILE) as handle:
            handle.write(taxonomy_text)
    elif (directory / TAXONOMY_FILE).exists():
        (directory / TAXONOMY_FILE).unlink()  # an earlier model's base must not pass for this one's
    with atomic_file(directory / MODEL_FILE) as handle:
        handle.write(payload)
    with atomic_file(directory / MANIFEST_FILE, "w") as handle:
        handle.write(manifest.model_dump_json(indent=2) + "\n")
    # We just wrote these bytes from a model in memory: this process vouches for them.
    record_trusted(manifest.sha256, model_version=manifest.model_version, origin=f"save_model {directory.resolve()}")
    return manifest


def read_manifest(directory: str | Path) -> Manifest:
    """Read and validate `manifest.json` (never touches the model file)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactNotFound(f"{directory} : dossier de modèle introuvable")
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactNotFound(f"{directory} : pas de {MANIFEST_FILE} (attendu : un dossier écrit par save_model)")
    if path.stat().st_size > _MANIFEST_MAX_BYTES:
        raise ArtifactInvalid(f"{path} : manifeste trop gros (plus de {_MANIFEST_MAX_BYTES} octets)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest.model_validate(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ArtifactInvalid(f"{path} : JSON illisible") from None
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()}))
        raise ArtifactInvalid(f"{path} : manifeste invalide (champs en cause : {fields})") from None
    if manifest.format != ARTIFACT_FORMAT:
        raise ArtifactInvalid(f"{path} : format « {manifest.format} » inconnu (attendu : {ARTIFACT_FORMAT})")
    if manifest.file != MODEL_FILE:
        raise ArtifactInvalid(f"{path} : fichier de modèle « {manifest.file} » inattendu (attendu : {MODEL_FILE})")
    return manifest


def check_taxonomy(manifest: Manifest, expected_taxonomy_ref: str) -> None:
    """Refuse a model trained on another taxonomy; `expected` is `"national"` (any version) or `"national@1.1.0"`."""
    expected_id, expected_version = split_taxonomy_ref(expected_taxonomy_ref)
    same_id = manifest.taxonomy_id == expected_id
    same_version = expected_version is None or manifest.taxonomy_version == expected_version
    if not (same_id and same_version):
        raise TaxonomyVersionMismatch(
            f"le modèle {manifest.model_version} a été entraîné sur la taxonomie "
            f"« {manifest.taxonomy_ref or 'inconnue'} », attendu : « {expected_taxonomy_ref} » "
            "(réentraîner le modèle ou migrer les codes vers la même version)"
        )


def load_model(
    directory: str | Path, *, expected_taxonomy_ref: str | None = None, expected_sha256: str | None = None
) -> Any:
    """Load a model written by `save_model`, after checking it (see `load_artifact`). Returns the `ReasonModel`."""
    return load_artifact(directory, expected_taxonomy_ref=expected_taxonomy_ref, expected_sha256=expected_sha256).model


def load_artifact(
    directory: str | Path, *, expected_taxonomy_ref: str | None = None, expected_sha256: str | None = None
) -> LoadedArtifact:
    """The model and its manifest, after checking them.

    Order matters: manifest → taxonomy → bytes read once → SHA-256 compared to the manifest, and to
    `expected_sha256` when given (model registry, a parent process), else looked up in the trusted-models list →
    only then are those bytes unpickled.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if expected_taxonomy_ref is not None:
        check_taxonomy(manifest, expected_taxonomy_ref)
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactNotFound(f"{directory} : pas de {MODEL_FILE}")
    payload = model_path.read_bytes()
    actual = hashlib.sha256(payload).hexdigest()
    for source, recorded in (("le manifeste", manifest.sha256), ("le registre", expected_sha256)):
        if recorded is not None and not hmac.compare_digest(actual, recorded.lower()):
            raise ArtifactTampered(
                f"{model_path} : empreinte SHA-256 {actual[:12]}… différente de celle enregistrée dans {source} "
                f"({recorded[:12]}…) ; fichier modifié ou corrompu, il n'a pas été chargé"
            )
    if expected_sha256 is None and not is_trusted(actual):
        raise ArtifactUntrusted(
            f"{model_path} : empreinte SHA-256 {actual[:12]}… absente des modèles de confiance ({trust_file()}) ; "
            "fichier non chargé (un modèle venu d'ailleurs s'approuve avec : motifs models trust DOSSIER)"
        )
    model = joblib.load(io.BytesIO(payload))
    if not isinstance(model, SavableModel):
        raise ArtifactInvalid(f"{model_path} : l'objet chargé n'est pas un modèle de motifs")
    if [str(c) for c in model.classes_] != manifest.classes or model.taxonomy_ref != manifest.taxonomy_ref:
        raise ArtifactInvalid(f"{model_path} : le modèle ne correspond pas à son manifeste (classes ou taxonomie)")
    own = model_taxonomy(directory, manifest) if manifest.taxonomy_file else None
    return LoadedArtifact(model=model, manifest=manifest, directory=directory, own_taxonomy=own)


def trust_model_dir(directory: str | Path) -> Manifest:
    """Record a model folder's file in the trusted-models list, without unpickling it: the manifest must be valid
    and agree with the file's bytes (a human vouches for the pair by running `motifs models trust`)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactNotFound(f"{directory} : pas de {MODEL_FILE}")
    actual = hashlib.sha256(model_path.read_bytes()).hexdigest()
    if not hmac.compare_digest(actual, manifest.sha256):
        raise ArtifactTampered(
            f"{model_path} : empreinte SHA-256 {actual[:12]}… différente du manifeste ({manifest.sha256[:12]}…) ; "
            "rien n'a été approuvé"
        )
    record_trusted(actual, model_version=manifest.model_version, origin=f"motifs models trust {directory.resolve()}")
    return manifest
