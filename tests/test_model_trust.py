"""Never unpickle an untrusted model file: a pickle replaced in a model folder, with its manifest rewritten to match,
is refused before any of its code runs; `motifs models trust DIR` approves a folder without loading it."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app
from pipeline.artifact import MANIFEST_FILE, MODEL_FILE, load_model, save_model
from pipeline.errors import ArtifactTampered, ArtifactUntrusted
from pipeline.mlflow_model import resolve_model
from pipeline.trust import TRUSTED_MODELS_ENV, is_trusted, trusted_hashes
from tests.api_doubles import KeywordModel


class Planted:
    """Unpickling this writes a marker file: the proof that a model file's code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "code exécuté"))


def plant(directory: Path, marker: Path) -> None:
    """Replace the pickle and rewrite the manifest so that the pair agrees (what an attacker with write access to the
    folder can do)."""
    payload = pickle.dumps(Planted(marker))
    (directory / MODEL_FILE).write_bytes(payload)
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest.update(sha256=hashlib.sha256(payload).hexdigest(), size_bytes=len(payload))
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_tampered_model_with_a_rewritten_manifest_is_refused_without_running_code(tmp_path: Path) -> None:
    directory = tmp_path / "model"
    save_model(KeywordModel(), directory)
    assert load_model(directory).model_version == "keywords-1"  # trusted: recorded by save_model
    marker = tmp_path / "marker.txt"
    plant(directory, marker)
    with pytest.raises(ArtifactUntrusted, match="motifs models trust"):
        load_model(directory)
    with pytest.raises(ArtifactUntrusted):
        resolve_model(directory)  # what `motifs serve --model DIR` and the batch go through
    assert not marker.exists()


def test_serve_refuses_a_tampered_folder_before_loading_it(tmp_path: Path) -> None:
    from serving.api import Settings
    from serving.api.resources import load_resources

    directory = tmp_path / "model"
    save_model(KeywordModel(), directory)
    marker = tmp_path / "marker.txt"
    plant(directory, marker)
    with pytest.raises(ArtifactUntrusted):
        load_resources(Settings(model=str(directory), database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    assert not marker.exists()


def test_a_folder_from_elsewhere_loads_once_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "model"
    save_model(KeywordModel(), directory)
    # Another machine: its own (empty) trusted list.
    elsewhere = tmp_path / "elsewhere" / "trusted-models.jsonl"
    monkeypatch.setenv(TRUSTED_MODELS_ENV, str(elsewhere))
    with pytest.raises(ArtifactUntrusted):
        load_model(directory)
    result = CliRunner().invoke(build_app(), ["models", "trust", str(directory)])
    assert result.exit_code == 0, result.output
    assert "approuvé" in result.output
    assert load_model(directory).model_version == "keywords-1"
    assert len(trusted_hashes()) == 1
    assert oct(os.stat(elsewhere).st_mode & 0o777) == "0o644"
    CliRunner().invoke(build_app(), ["models", "trust", str(directory)])  # idempotent
    assert len(elsewhere.read_text(encoding="utf-8").splitlines()) == 1


def test_models_trust_refuses_a_pair_that_disagrees_and_never_loads_it(tmp_path: Path) -> None:
    directory = tmp_path / "model"
    save_model(KeywordModel(), directory)
    marker = tmp_path / "marker.txt"
    (directory / MODEL_FILE).write_bytes(pickle.dumps(Planted(marker)))  # manifest NOT rewritten
    result = CliRunner().invoke(build_app(), ["models", "trust", str(directory)])
    assert isinstance(result.exception, ArtifactTampered)
    assert not is_trusted(hashlib.sha256((directory / MODEL_FILE).read_bytes()).hexdigest())
    # Approving a planted pair on purpose never runs it either: trust only records the hash.
    plant(directory, marker)
    assert CliRunner().invoke(build_app(), ["models", "trust", str(directory)]).exit_code == 0
    assert not marker.exists()


def test_a_garbled_trusted_list_trusts_nothing_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = tmp_path / "t.jsonl"
    listing.write_text('pas du json\n{"sha256": "abc"}\n[1, 2]\n{"sha256": "' + "a" * 64 + '"}\n', encoding="utf-8")
    monkeypatch.setenv(TRUSTED_MODELS_ENV, str(listing))
    assert trusted_hashes() == {"a" * 64}
