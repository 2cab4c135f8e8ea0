"""MLflow end-to-end with a temporary SQLite store: run contents, registry, champion/challenger, pyfunc, tampering.

Uses the scikit-learn test double of ReasonModel (tests/reason_model_double.py) so it runs in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from pipeline.artifact import MODEL_FILE, save_model
from pipeline.errors import ArtifactTampered
from pipeline.mlflow_model import OUTPUT_COLUMNS, SHA256_TAG, mlflow_uris, resolve_model
from tests.reason_model_double import TRAIN, ReasonModelDouble, fitted_double
from training import tracking
from training.evaluate import evaluate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mlflow")]

EVAL = [
    ("je n'ai toujours pas reçu le versement", "paiement_non_recu"),
    ("rien n'est arrivé sur mon compte ce mois", "paiement_non_recu"),
    ("je veux un rendez-vous avec quelqu'un", "rdv_prise"),
    ("rendez-vous à l'agence possible ?", "rdv_prise"),
    ("je n'arrive plus à me connecter", "numerique_connexion"),
    ("mot de passe perdu pour le site", "numerique_connexion"),
]
EVAL_TEXTS = [t for t, _ in EVAL]
EVAL_CODES = [c for _, c in EVAL]


def _publish(model: ReasonModelDouble, folder: Path, uri: str) -> tuple[object, object]:
    manifest = save_model(model, folder)
    report = evaluate(model, EVAL_TEXTS, EVAL_CODES)
    publication = tracking.publish(
        model=model,
        model_dir=folder,
        manifest=manifest,
        report=report,
        eval_texts=EVAL_TEXTS,
        eval_codes=EVAL_CODES,
        params={"model.C": "20"},
        metrics={**report.metrics(), "threshold": model.threshold_},
        tags={"taxonomy_ref": "national@1.0.0", "training_data_sha256": "0" * 64},
        tracking_uri=uri,
    )
    return publication, report


@pytest.fixture(scope="session")  # session: xdist may interleave other modules in between
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Three versions published in order: good (champion), worse (challenger), better (new champion)."""
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    good = fitted_double(threshold=0.85)  # abstains on its least sure evaluation notes
    texts, labels = zip(*TRAIN, strict=True)
    worse = ReasonModelDouble(threshold=0.0, taxonomy_ref="national@1.0.0", model_version="worse").fit(
        texts,
        [labels[(i + 4) % len(labels)] for i in range(len(labels))],  # labels shifted: wrong model
    )
    better = fitted_double(threshold=0.0)
    scores = {
        name: evaluate(m, EVAL_TEXTS, EVAL_CODES).macro_f1
        for name, m in [("good", good), ("worse", worse), ("better", better)]
    }
    assert scores["worse"] < scores["good"] < scores["better"], scores  # precondition of the scenario
    results = {}
    for name, model in (("good", good), ("worse", worse), ("better", better)):
        results[name] = _publish(model, root / name, uri)
    return {"root": root, "uri": uri, "results": results, "scores": scores}


def test_run_holds_params_metrics_tags_and_artifacts(store: dict) -> None:
    uri = store["uri"]
    publication, report = store["results"]["good"]
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(publication.registered.run_id)
    assert run.data.params["model.C"] == "20"
    assert run.data.metrics["macro_f1"] == pytest.approx(report.macro_f1)
    assert {"accuracy", "top3_accuracy", "autre_rate", "ece", "threshold"} <= set(run.data.metrics)
    assert run.data.tags["taxonomy_ref"] == "national@1.0.0"
    assert run.data.tags["promotion"] == "champion"
    listed = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert listed == {
        f"evaluation/{n}" for n in ("evaluation.json", "per_class.csv", "confusion_matrix.png", "manifest.json")
    }
    local = Path(client.download_artifacts(run.info.run_id, "evaluation", str(store["root"] / "dl")))
    assert json.loads((local / "evaluation.json").read_text(encoding="utf-8"))["macro_f1"] == pytest.approx(
        report.macro_f1
    )
    assert (local / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (local / "per_class.csv").read_text(encoding="utf-8").startswith("code,precision,recall,f1,support")


def test_champion_then_challenger_then_new_champion(store: dict) -> None:
    uri = store["uri"]
    results = store["results"]
    good, worse, better = (results[n][0] for n in ("good", "worse", "better"))
    assert good.promotion.alias == "champion" and good.promotion.champion_version is None
    assert worse.promotion.alias == "challenger"
    assert worse.promotion.champion_version == good.registered.version
    assert worse.promotion.champion_score == pytest.approx(store["scores"]["good"])
    assert "reste challenger" in worse.promotion.reason
    assert better.promotion.alias == "champion" and "devient champion" in better.promotion.reason
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert str(client.get_model_version_by_alias("motifs-reasons", "champion").version) == better.registered.version
    assert str(client.get_model_version_by_alias("motifs-reasons", "challenger").version) == worse.registered.version
    version = client.get_model_version("motifs-reasons", better.registered.version)
    assert len(version.tags[SHA256_TAG]) == 64 and version.tags["taxonomy_ref"] == "national@1.0.0"


def test_resolve_and_pyfunc_predict_with_signature(store: dict) -> None:
    uri = store["uri"]
    loaded = resolve_model("models:/motifs-reasons@champion", tracking_uri=uri)
    assert loaded.model_version == "test-1" and loaded.threshold_ == 0.0
    frame = pd.DataFrame({"text": ["je veux un rendez-vous", None, "   "], "site": ["a", "b", "c"]})
    with mlflow_uris(uri):
        pyfunc = mlflow.pyfunc.load_model("models:/motifs-reasons@champion")
    signature = pyfunc.metadata.signature
    assert signature.inputs.input_names() == ["text", "site", "channel"]
    assert signature.outputs.input_names() == list(OUTPUT_COLUMNS)
    out = pyfunc.predict(frame)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert out.loc[0, "code"] == "rdv_prise" and not out.loc[0, "autre"]
    assert json.loads(out.loc[0, "top_k"])[0]["code"] == "rdv_prise"
    assert out.loc[1:, "code"].tolist() == ["autre", "autre"] and out.loc[1:, "confidence"].tolist() == [0.0, 0.0]
    assert set(out["taxonomy_version"]) == {"national@1.0.0"}
    direct = loaded.suggest(["je veux un rendez-vous"])[0]
    assert out.loc[0, "confidence"] == pytest.approx(direct.confidence)


def test_tampered_registered_champion_is_refused_and_blocks_promotion(store: dict, tmp_path: Path) -> None:
    uri = store["uri"]
    version = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(
        "motifs-reasons", "champion"
    )
    # the champion's registered copy of model.joblib in the artifact store: flip one byte
    stored = [
        path
        for path in (store["root"] / "mlartifacts" / "models").rglob(MODEL_FILE)
        if hashlib.sha256(path.read_bytes()).hexdigest() == version.tags[SHA256_TAG]
    ]
    assert stored
    for path in stored:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    with pytest.raises(ArtifactTampered):
        resolve_model("models:/motifs-reasons@champion", tracking_uri=uri)
    publication, _ = _publish(fitted_double(threshold=0.0), tmp_path / "after", uri)
    assert publication.promotion.alias == "challenger"
    assert "ArtifactTampered" in publication.promotion.reason
    assert tracking.alias_version(uri, "motifs-reasons", "champion") == str(version.version)


def test_missing_local_registry_is_a_clear_error_and_creates_nothing(tmp_path: Path) -> None:
    from pipeline.errors import ArtifactInvalid, ArtifactNotFound

    uri = f"sqlite:///{tmp_path / 'absent' / 'mlflow.db'}"
    with pytest.raises(ArtifactNotFound, match="registre MLflow introuvable"):
        resolve_model("models:/motifs-reasons@champion", tracking_uri=uri)
    assert not (tmp_path / "absent").exists()
    with pytest.raises(ArtifactInvalid, match="models:/NOM@ALIAS"):
        resolve_model("models:/motifs-reasons", tracking_uri=uri)


@pytest.mark.parametrize("user_choice", [None, "sqlite:////tmp/motifs-choix-utilisateur.db"])
def test_pointing_mlflow_at_a_store_leaves_the_environment_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_choice: str | None
) -> None:
    """MLflow writes MLFLOW_TRACKING_URI when its URI is set: after the block, the user's variable (or its absence)
    is back, so the next command of the same process does not read another store."""
    if user_choice is None:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", user_choice)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    for _ in range(2):  # the second block starts from MLflow's global left by the first
        with mlflow_uris(f"sqlite:///{tmp_path / 'mlflow.db'}"):
            pass
        assert os.environ.get("MLFLOW_TRACKING_URI") == user_choice
        assert "MLFLOW_REGISTRY_URI" not in os.environ
