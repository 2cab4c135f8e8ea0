"""`train_and_register` and the `motifs train` / `motifs evaluate` commands, end to end with the real model and a
temporary SQLite MLflow store (tiny French fixtures in tests/data/training/)."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import sys
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app, main
from pipeline.artifact import load_model
from training.errors import TrainingConfigError, TrainingDataError
from training.run import load_config, read_labelled, train_and_register

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mlflow-train")]

FAKE_EMAIL = "zorglubette.quimper@exemple.fr"  # made-up
FAKE_NIR = "284127512345687"  # made-up, valid key (python-stdnum fr.nir)
# The model's character n-grams (up to 5) would keep fragments of unredacted notes: look for those too.
NEEDLES = [FAKE_EMAIL, FAKE_NIR, "zorgl", "rglub", "quimp", "84127", "41275", "27512"]


@pytest.fixture(scope="session")  # session: xdist may interleave other modules in between
def trained(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict:
    """Two trainings on the same data: the first is champion, the second ties and stays challenger."""
    root = tmp_path_factory.mktemp("train")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    data = data_dir / "training" / "appels_etiquetes.csv"
    config = data_dir / "training" / "rapide.yaml"
    # the file holds rows of a reason absent from the base: counted as « autre » only when told so
    policy = {"unknown_label_policy": "autre"}
    first = train_and_register(data, None, "text", "reason", config, root / "m1", tracking_uri=uri, **policy)
    second = train_and_register(data, None, "text", "reason", config, root / "m2", tracking_uri=uri, **policy)
    return {"root": root, "uri": uri, "data": data, "first": first, "second": second}


def test_train_logs_everything_and_registers_a_champion(trained: dict) -> None:
    first, uri = trained["first"], trained["uri"]
    assert first.split_kind == "time"
    assert first.unknown_labels == {"reforme_cheque_energie": 6}
    assert first.labels_unmatched == {"reforme_cheque_energie": 6}
    assert first.manifest.taxonomy_ref == "national@1.1.0"
    assert first.manifest.training_data.sha256 == hashlib.sha256(trained["data"].read_bytes()).hexdigest()
    assert first.report.n_unknown > 0 and first.report.open_f1 is not None  # emerging reason lands in evaluation
    assert first.promotion.alias == "champion"
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(first.publication.registered.run_id)
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    assert (tags["taxonomy_id"], tags["taxonomy_version"]) == ("national", "1.1.0")
    assert tags["training_data_sha256"] == first.manifest.training_data.sha256
    assert tags["training_data_rows"] == str(first.data.rows)
    assert params["training.split.evaluation_fraction"] == "0.2"
    assert "decision.alpha" in params and params["abstention.holdout_rounds"] == "1"  # --config
    assert metrics["macro_f1"] == pytest.approx(first.report.macro_f1)
    assert {"open_f1", "known_accuracy", "threshold", "rows_evaluation"} <= set(metrics)
    loaded = load_model(first.model_dir, expected_taxonomy_ref="national@1.1.0")
    notes = ["pas reçu le versement", "nouvelle adresse à saisir", "rdv demain ?", ""]
    assert loaded.suggest(notes) == first.model.suggest(notes)  # save → load gives identical predictions


def test_same_score_stays_challenger(trained: dict) -> None:
    first, second = trained["first"], trained["second"]
    assert second.promotion.alias == "challenger"
    assert second.promotion.champion_version == first.publication.registered.version
    assert second.promotion.champion_score == pytest.approx(second.report.macro_f1)
    client = mlflow.MlflowClient(tracking_uri=trained["uri"], registry_uri=trained["uri"])
    assert str(client.get_model_version_by_alias("motifs-reasons", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("motifs-reasons", "challenger").version) == "2"


def test_no_raw_text_in_mlflow_store(tmp_path: Path, data_dir: Path) -> None:
    source = (data_dir / "training" / "appels_etiquetes.csv").read_text(encoding="utf-8")
    planted = source.rstrip("\n") + (
        f"\nA9001,2026-01-06T10:00:00,pas reçu le versement écrire à {FAKE_EMAIL},paiement_non_recu"
        f"\nA9002,2026-01-06T10:05:00,attestation demandée NIR {FAKE_NIR},attestation\n"
    )
    data = tmp_path / "planted.csv"
    data.write_text(planted, encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    config = data_dir / "training" / "rapide.yaml"
    result = train_and_register(
        data, None, "text", "reason", config, tmp_path / "model", tracking_uri=uri, unknown_label_policy="autre"
    )
    blobs = [p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file()]
    blobs.append(pickle.dumps(load_model(result.model_dir)))  # model.joblib is compressed: scan the object too
    for needle in NEEDLES:
        for blob in blobs:
            assert needle.encode("utf-8") not in blob.lower(), f"raw personal data « {needle} » found"


def test_cli_train_then_evaluate_from_data(tmp_path: Path, data_dir: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    data = data_dir / "training" / "intentions.csv"
    runner = CliRunner()
    args = ["train", "--data", str(data), "--taxonomy", "from-data:intentions", "--text-col", "utterance"]
    args += ["--label-col", "intent", "--out", str(tmp_path / "model"), "--tracking-uri", uri]
    args += ["--config", str(data_dir / "training" / "rapide.yaml")]
    result = runner.invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert "intentions@1.0.0" in result.output and "champion" in result.output
    assert "mlflow ui --backend-store-uri" in result.output

    # a model on another base than the national one has its own registered name
    for model_ref in (str(tmp_path / "model"), "models:/motifs-reasons-intentions@champion"):
        out = tmp_path / "eval.json"
        result = runner.invoke(
            build_app(),
            [
                *("evaluate", "--model", model_ref, "--data", str(data), "--text-col", "utterance"),
                *("--label-col", "intent", "--json", str(out), "--tracking-uri", uri),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "Exactitude" in result.output and "F1 macro" in result.output
        report = json.loads(out.read_text(encoding="utf-8"))
        assert {"accuracy", "macro_f1", "top3_accuracy", "autre_rate", "ece", "per_class"} <= set(report)
        assert report["n_unknown"] == 0  # labels mapped to the from-data codes through the model's own taxonomy
        assert report["accuracy"] > 0.5  # evaluated on its own training notes: must mostly know them


def test_cli_errors_are_one_french_line(tmp_path: Path, data_dir: Path, monkeypatch, capsys) -> None:
    data = tmp_path / "x.csv"
    shutil.copy(data_dir / "training" / "intentions.csv", data)
    monkeypatch.setattr(sys, "argv", ["motifs", "train", "--data", str(data), "--out", str(tmp_path / "m")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Erreur :") and "text" in err and "--text-col" in err and "\n" not in err


def test_read_labelled_skips_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        "text,reason\nbonjour,attestation\n,attestation\nsalut,\n  ,x\nencore,rdv_gestion\n", encoding="utf-8"
    )
    data = read_labelled(path, text_col="text", label_col="reason")
    assert data.texts == ["bonjour", "encore"] and data.records == 5
    assert data.skipped == {"texte vide": [2, 4], "motif vide": [3]}
    with pytest.raises(TrainingDataError, match="label"):
        read_labelled(path, text_col="text", label_col="label")


def test_config_is_merged_and_checked(tmp_path: Path) -> None:
    assert load_config(None)["training"]["split"]["evaluation_fraction"] == 0.2
    good = tmp_path / "c.yaml"
    good.write_text("training:\n  split:\n    evaluation_fraction: 0.3\nclassifier:\n  C: 2.0\n", encoding="utf-8")
    merged = load_config(good)
    assert merged["training"]["split"] == {"evaluation_fraction": 0.3, "time_column": "timestamp", "random_state": 0}
    assert merged["classifier"] == {"C": 2.0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  splitt: {}\n", encoding="utf-8")
    with pytest.raises(TrainingConfigError, match="splitt"):
        load_config(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("training: [\n", encoding="utf-8")
    with pytest.raises(TrainingConfigError, match="YAML"):
        load_config(broken)


def test_registered_real_model_serves_through_pyfunc(trained: dict) -> None:
    import pandas as pd

    from pipeline.mlflow_model import OUTPUT_COLUMNS, mlflow_uris

    with mlflow_uris(trained["uri"]):
        pyfunc = mlflow.pyfunc.load_model("models:/motifs-reasons@champion")
    assert pyfunc.metadata.signature.outputs.input_names() == list(OUTPUT_COLUMNS)
    notes = ["toujours pas reçu le paiement", "", "je veux déplacer mon rdv"]
    out = pyfunc.predict(pd.DataFrame({"text": notes}))
    direct = trained["first"].model.suggest([notes[0], notes[2]])
    assert out["code"].tolist() == [direct[0].code, "autre", direct[1].code]
    assert out["confidence"].tolist()[0] == pytest.approx(direct[0].confidence)
    assert set(out["taxonomy_version"]) == {"national@1.1.0"}
