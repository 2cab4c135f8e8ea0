"""The expected false-« autre » rate: written in the model's manifest by `save_model`, read back by the report.

A stand-in model (no training: only what `save_model` reads) is saved for real, so the manifest goes through the
same writer and reader as a trained model's; nothing is unpickled by the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.artifact import MANIFEST_FILE, read_manifest
from serving.reports import AutreCalibration, InvalidReportOptions, calibration_from_manifest, read_calibration
from tests._calibration import REPORT, save_stand_in

NNBSP = "\u202f"


def test_manifest_keeps_the_calibration_report_as_plain_json(tmp_path: Path) -> None:
    save_stand_in(tmp_path / "modele")
    raw = json.loads((tmp_path / "modele" / MANIFEST_FILE).read_text(encoding="utf-8"))
    novelty = raw["calibration"]["novelty"]
    assert novelty["rate_interval"] == [0.0321, 0.0712] and novelty["n_calibration"] == 412
    assert raw["calibration"]["confident"]["threshold"] is None  # inf is not JSON
    assert read_manifest(tmp_path / "modele").calibration == raw["calibration"]


def test_manifests_without_calibration_still_load(tmp_path: Path) -> None:
    save_stand_in(tmp_path / "ancien", report=None)
    manifest = read_manifest(tmp_path / "ancien")
    assert manifest.calibration is None
    raw = json.loads((tmp_path / "ancien" / MANIFEST_FILE).read_text(encoding="utf-8"))
    raw.pop("calibration", None)  # a manifest written before the key existed
    (tmp_path / "ancien" / MANIFEST_FILE).write_text(json.dumps(raw), encoding="utf-8")
    assert read_manifest(tmp_path / "ancien").calibration is None


def test_report_reads_alpha_and_interval_from_the_model_directory(tmp_path: Path) -> None:
    calibration = read_calibration(save_stand_in(tmp_path / "modele"))
    assert calibration.known and calibration.model_version == "modele-test-1"
    assert calibration.alpha == 0.05 and calibration.rate_interval == (0.0321, 0.0712)
    assert calibration.expected_phrase() == f"dont attendu par erreur : 5{NNBSP}% (intervalle 3,2–7,1{NNBSP}%)"
    assert "calibré sur 412 notes" in calibration.explanation()


def test_unknown_calibration_says_why(tmp_path: Path) -> None:
    assert AutreCalibration().expected_phrase() == (
        "dont attendu par erreur : inconnu (modèle non précisé : option --model de motifs report)"
    )
    old = read_calibration(save_stand_in(tmp_path / "ancien", report=None))
    assert not old.known and "le réentraîner" in old.expected_phrase()
    skipped = calibration_from_manifest(
        read_manifest(save_stand_in(tmp_path / "petit", report={"skipped": "trop peu de notes"}))
    )
    assert not skipped.known and "n'a pas pu être calibré" in skipped.expected_phrase()


def test_missing_model_directory_is_a_clean_option_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidReportOptions, match=r"--model : .*introuvable"):
        read_calibration(tmp_path / "absent")


def test_a_novelty_gate_that_never_fires_expects_no_false_autre(tmp_path: Path) -> None:
    report = {**REPORT, "novelty": {**REPORT["novelty"], "threshold": None, "rate_interval": [0.0, 0.0]}}
    calibration = read_calibration(save_stand_in(tmp_path / "modele", report=report))
    assert calibration.expected_phrase() == f"dont attendu par erreur : 0{NNBSP}%"
