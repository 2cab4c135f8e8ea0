"""The model artifact: round-trip, and refusal of anything we cannot vouch for — before unpickling."""

from __future__ import annotations

import hashlib
import json
import pathlib
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest

from pipeline.artifact import MANIFEST_FILE, MODEL_FILE, TrainingDataInfo, load_model, read_manifest, save_model
from pipeline.errors import ArtifactInvalid, ArtifactNotFound, ArtifactTampered, TaxonomyVersionMismatch
from tests.reason_model_double import fitted_double

TEXTS = ["je n'ai rien reçu", "un rendez-vous svp", "mot de passe perdu", "bonjour"]


class _WritesAFile:
    """A pickle payload that creates `marker` when unpickled — what a malicious model file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_round_trip_gives_identical_predictions(tmp_path: Path) -> None:
    model = fitted_double(threshold=0.4)
    data = TrainingDataInfo(sha256="a" * 64, rows=12, file_name="train.csv")
    manifest = save_model(model, tmp_path / "m", training_data=data)
    loaded = load_model(tmp_path / "m", expected_taxonomy_ref="national@1.0.0")

    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert loaded.suggest(TEXTS) == model.suggest(TEXTS)
    assert manifest.sha256 == hashlib.sha256((tmp_path / "m" / MODEL_FILE).read_bytes()).hexdigest()
    on_disk = json.loads((tmp_path / "m" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert on_disk["classes"] == ["numerique_connexion", "paiement_non_recu", "rdv_prise"]
    assert on_disk["threshold"] == 0.4
    assert (on_disk["taxonomy_id"], on_disk["taxonomy_version"]) == ("national", "1.0.0")
    assert on_disk["training_data"] == {"sha256": "a" * 64, "rows": 12, "file_name": "train.csv"}
    assert {"scikit-learn", "joblib"} <= set(on_disk["libraries"])
    assert on_disk["model_version"] == "test-1" and on_disk["created_at"]


def test_model_version_is_stamped_when_missing(tmp_path: Path) -> None:
    model = fitted_double()
    model.model_version = None
    manifest = save_model(model, tmp_path)
    assert manifest.model_version and load_model(tmp_path).model_version == manifest.model_version


def test_flipped_byte_is_refused(tmp_path: Path) -> None:
    save_model(fitted_double(), tmp_path)
    path = tmp_path / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactTampered, match="SHA-256"):
        load_model(tmp_path)


def test_malicious_pickle_is_never_unpickled(tmp_path: Path) -> None:
    save_model(fitted_double(), tmp_path)
    marker = tmp_path / "pwned"
    joblib.dump(_WritesAFile(marker), tmp_path / MODEL_FILE)

    with pytest.raises(ArtifactTampered):
        load_model(tmp_path)
    assert not marker.exists(), "the tampered pickle was executed"

    # The payload is real: loading it without the check does run it.
    joblib.load(tmp_path / MODEL_FILE)
    assert marker.exists()


def test_registry_hash_catches_a_rewritten_manifest(tmp_path: Path) -> None:
    original = save_model(fitted_double(), tmp_path)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_WritesAFile(marker))
    (tmp_path / MODEL_FILE).write_bytes(payload)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest.update(sha256=hashlib.sha256(payload).hexdigest(), size_bytes=len(payload))
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(ArtifactTampered, match="registre"):
        load_model(tmp_path, expected_sha256=original.sha256)
    assert not marker.exists()


@pytest.mark.parametrize("expected", ["national@1.1.0", "site_nord@1.0.0", "site_nord"])
def test_taxonomy_mismatch_is_refused_before_unpickling(tmp_path: Path, expected: str) -> None:
    save_model(fitted_double(taxonomy_ref="national@1.0.0"), tmp_path)
    marker = tmp_path / "pwned"
    (tmp_path / MODEL_FILE).write_bytes(pickle.dumps(_WritesAFile(marker)))
    with pytest.raises(TaxonomyVersionMismatch, match=r"national@1\.0\.0.*attendu"):
        load_model(tmp_path, expected_taxonomy_ref=expected)
    assert not marker.exists()


def test_taxonomy_id_without_version_accepts_any_version(tmp_path: Path) -> None:
    save_model(fitted_double(taxonomy_ref="national@1.0.0"), tmp_path)
    assert load_model(tmp_path, expected_taxonomy_ref="national").taxonomy_ref == "national@1.0.0"


def test_missing_and_invalid_artifacts(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound):
        load_model(tmp_path / "absent")
    with pytest.raises(ArtifactNotFound, match=MANIFEST_FILE):
        load_model(tmp_path)
    save_model(fitted_double(), tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("{pas du json", encoding="utf-8")
    with pytest.raises(ArtifactInvalid, match="JSON"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"format": "motifs-model-v1"}), encoding="utf-8")
    with pytest.raises(ArtifactInvalid, match="sha256"):
        read_manifest(tmp_path)


def test_unfitted_model_is_not_saved(tmp_path: Path) -> None:
    from tests.reason_model_double import ReasonModelDouble

    model = ReasonModelDouble()
    model.classes_ = np.asarray([])
    with pytest.raises(ArtifactInvalid):
        save_model(model, tmp_path)
