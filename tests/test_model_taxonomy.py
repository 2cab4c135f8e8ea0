"""The taxonomy travels with the model, raw labels map through it, and champions are compared like with like.

Real trainings on the tiny fixture (tests/data/training/) with a temporary MLflow store and taxonomy folder.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import mlflow
import pandas as pd
import pytest

import taxonomy as tx
from pipeline.artifact import TAXONOMY_FILE, load_artifact
from pipeline.errors import ArtifactTampered
from serving.review.emerging import calls_taxonomy
from training.errors import TrainingDataError
from training.run import evaluate_file, train_and_register

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mlflow-train")]


def _config(data_dir: Path) -> Path:
    return data_dir / "training" / "rapide.yaml"


def _known_rows(data_dir: Path) -> pd.DataFrame:
    frame = pd.read_csv(data_dir / "training" / "appels_etiquetes.csv", dtype=str)
    return frame[frame["reason"] != "reforme_cheque_energie"].reset_index(drop=True)


def _as_raw_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes replaced by their labels as an export would write them: upper case, accents dropped on half."""
    labels = tx.load_taxonomy("national@1.1.0").labels
    raw = frame.copy()
    out = []
    for i, code in enumerate(raw["reason"]):
        label = labels[code]
        out.append(label.upper() if i % 2 else tx.label_key(label))
    raw["reason"] = out
    return raw


def test_raw_labels_map_through_labels_and_aliases(tmp_path: Path, data_dir: Path) -> None:
    frame = _known_rows(data_dir)
    raw = _as_raw_labels(frame)
    path = tmp_path / "export.csv"
    raw.to_csv(path, index=False, sep="|", encoding="cp1252")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = train_and_register(
        path, "national@1.1.0", "text", "reason", _config(data_dir), tmp_path / "m", tracking_uri=uri
    )
    assert result.labels_unmatched == {}
    assert set(frame["reason"]) <= set(result.manifest.classes)  # learned as codes, not as raw labels
    assert not set(raw["reason"]) & set(result.manifest.classes)
    assert result.unknown_labels == {}
    evaluation = evaluate_file(tmp_path / "m", path, text_col="text", label_col="reason")
    assert evaluation.labels_unmatched == {} and evaluation.report.n_unknown == 0


def test_unknown_labels_are_refused_unless_sent_to_autre(tmp_path: Path, data_dir: Path) -> None:
    data = data_dir / "training" / "appels_etiquetes.csv"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(TrainingDataError, match=r"1 étiquette\(s\) sur 6 ligne\(s\) : « reforme_cheque_energie »"):
        train_and_register(data, None, "text", "reason", _config(data_dir), tmp_path / "m", tracking_uri=uri)
    assert not (tmp_path / "m").exists()  # refused before anything is written
    with pytest.raises(TrainingDataError, match="--unknown-labels"):
        train_and_register(
            data, None, "text", "reason", _config(data_dir), tmp_path / "m", tracking_uri=uri, unknown_label_policy="x"
        )


def test_file_taxonomy_travels_with_the_model(tmp_path: Path, data_dir: Path, monkeypatch) -> None:
    local = tmp_path / "bases"
    monkeypatch.setenv("MOTIFS_TAXONOMY_DIR", str(local))
    frame = pd.read_csv(data_dir / "training" / "intentions.csv", dtype=str)
    yaml_path = tmp_path / "intentions.yaml"
    tx.write_taxonomy_from_labels(frame["intent"].tolist(), yaml_path, taxonomy_id="intentions", version="1.0.0")
    raw = frame.assign(intent=frame["intent"].str.upper())  # raw labels, not codes
    data = tmp_path / "intentions.csv"
    raw.to_csv(data, index=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = train_and_register(
        data, yaml_path, "utterance", "intent", _config(data_dir), tmp_path / "m", tracking_uri=uri
    )
    assert result.manifest.taxonomy_ref == "intentions@1.0.0" and result.labels_unmatched == {}
    assert result.manifest.taxonomy_file == TAXONOMY_FILE and (tmp_path / "m" / TAXONOMY_FILE).is_file()
    assert result.taxonomy_path == local / "intentions" / "v1.0.0.yaml"
    assert result.publication.registered.name == "motifs-reasons-intentions"

    yaml_path.unlink()
    shutil.rmtree(local)  # the base is gone from everywhere but the model directory
    assert load_artifact(tmp_path / "m").taxonomy().ref == "intentions@1.0.0"
    registry = load_artifact(tmp_path / "m")  # and the same from the registry (a temporary download)
    from pipeline.mlflow_model import resolve_artifact

    from_registry = resolve_artifact("models:/motifs-reasons-intentions@champion", tracking_uri=uri).taxonomy()
    assert tx.dump_taxonomy(from_registry) == tx.dump_taxonomy(registry.taxonomy())
    # the stored codes' base is looked up by ref: gone → a refusal naming it, never the national base
    with pytest.raises(tx.TaxonomyNotFound, match=r"intentions@1\.0\.0"):
        calls_taxonomy("intentions@1.0.0")
    with pytest.raises(tx.TaxonomyNotFound, match="--taxonomy"):
        calls_taxonomy(None)
    # reclassify registers the model's base again
    from serving.batch.scoring import load_batch_model

    load_batch_model(tmp_path / "m")
    assert calls_taxonomy("intentions@1.0.0").ref == "intentions@1.0.0"

    (tmp_path / "m" / TAXONOMY_FILE).write_text("taxonomy: autre\n", encoding="utf-8")
    with pytest.raises(ArtifactTampered):
        load_artifact(tmp_path / "m")


def test_same_ref_other_content_is_refused(tmp_path: Path) -> None:
    first = tx.taxonomy_from_labels(["a", "b"], taxonomy_id="essai", version="1.0.0")
    other = tx.taxonomy_from_labels(["a", "c"], taxonomy_id="essai", version="1.0.0")
    path = tx.register_taxonomy(first, taxonomy_dir=tmp_path)
    assert tx.register_taxonomy(first, taxonomy_dir=tmp_path) == path  # same content: nothing to do
    with pytest.raises(tx.TaxonomyConflict, match=r"essai@1\.0\.0"):
        tx.register_taxonomy(other, taxonomy_dir=tmp_path)


def test_broken_model_never_takes_the_champion(tmp_path: Path, data_dir: Path) -> None:
    """A good model, then a broken one (labels shuffled) on the same base: the good one stays champion. A model on
    another base is registered under its own name and leaves the national champion alone."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    frame = _known_rows(data_dir)
    good_csv = tmp_path / "good.csv"
    frame.to_csv(good_csv, index=False)
    shuffled = frame.copy()
    labels = shuffled["reason"].tolist()
    random.Random(3).shuffle(labels)
    shuffled["reason"] = labels
    broken_csv = tmp_path / "broken.csv"
    shuffled.to_csv(broken_csv, index=False)

    config = _config(data_dir)
    good = train_and_register(good_csv, None, "text", "reason", config, tmp_path / "good", tracking_uri=uri)
    broken = train_and_register(broken_csv, None, "text", "reason", config, tmp_path / "broken", tracking_uri=uri)
    other = train_and_register(
        data_dir / "training" / "intentions.csv",
        "from-data:intentions",
        "utterance",
        "intent",
        config,
        tmp_path / "other",
        tracking_uri=uri,
    )
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    champion = client.get_model_version_by_alias("motifs-reasons", "champion")
    assert str(champion.version) == good.publication.registered.version
    assert broken.promotion.alias == "challenger" and broken.promotion.champion_score is not None
    assert other.publication.registered.name == "motifs-reasons-intentions"
    assert other.promotion.alias == "champion" and other.promotion.champion_version is None
    tags = client.get_run(broken.publication.registered.run_id).data.tags
    assert len(tags["evaluation_set_sha256"]) == 64


def test_champion_on_another_version_is_not_compared() -> None:
    from training.promotion import decide_promotion, registered_name_for

    decision = decide_promotion(0.9, champion_version="3", champion_score=None, taxonomy_changed=True)
    assert decision.alias == "challenger" and "autre version de la base" in decision.reason
    assert registered_name_for("motifs-reasons", "national") == "motifs-reasons"
    assert registered_name_for("motifs-reasons", "an_qe16") == "motifs-reasons-an_qe16"


def test_from_data_folds_rare_labels_into_aliases() -> None:
    labels = ["Santé"] * 3 + ["Énergie"] * 3 + ["rare un", "rare deux", "rare deux"]
    base = tx.taxonomy_from_labels(labels, taxonomy_id="essai", version="1.0.0", min_count=3)
    assert set(base.active_codes) == {"sante", "energie", "autre"}
    assert set(base.get("autre").aliases) == {"rare un", "rare deux"}
    mapping = tx.map_labels(base, ["SANTE", "énergie", "Rare Deux", "inconnue"])
    assert mapping.codes == {"SANTE": "sante", "énergie": "energie", "Rare Deux": "autre"}
    assert dict(mapping.unknown) == {"inconnue": 1}
    into_parent = tx.taxonomy_from_labels(labels, taxonomy_id="essai", version="1.0.0", min_count=3, fold_into="Santé")
    assert set(into_parent.get("sante").aliases) == {"rare un", "rare deux"}
    with pytest.raises(tx.EmptyLabelSet, match="absente"):
        tx.taxonomy_from_labels(labels, taxonomy_id="essai", version="1.0.0", min_count=3, fold_into="absente")


def test_an_alias_names_one_reason_only() -> None:
    with pytest.raises(tx.TaxonomyValidationError, match="alias"):
        tx.Taxonomy.model_validate(
            {
                "taxonomy": "essai",
                "version": "1.0.0",
                "label": "Essai",
                "domains": [{"code": "d", "label": "D"}],
                "reasons": [
                    {"code": "a", "label": "Alpha", "domain": "d", "definition": "x", "aliases": ["BETA"]},
                    {"code": "b", "label": "Béta", "domain": "d", "definition": "y"},
                    {"code": "autre", "label": "Autre", "definition": "z"},
                ],
            }
        )


def test_another_base_ignores_the_national_site_extensions_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """`motifs serve` on an an_qe16 model: the shipped metropole_lyon extension (of the national base) is not an
    error of this model — no warning at start-up; the national base still gets it."""
    import logging

    from serving.api.resources import load_site_taxonomies

    base = tx.taxonomy_from_labels(["Santé", "Énergie"], taxonomy_id="an_qe16", version="1.0.0")
    with caplog.at_level(logging.WARNING):
        assert load_site_taxonomies(base, None) == {}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "metropole_lyon" in load_site_taxonomies(tx.load_taxonomy("national@1.1.0"), None)


def test_an_older_from_data_model_without_its_base_file_still_evaluates(
    tmp_path: Path, data_dir: Path, monkeypatch
) -> None:
    """Models written before the base travelled with them hold only the manifest's label → code table."""
    import json

    monkeypatch.setenv("MOTIFS_TAXONOMY_DIR", str(tmp_path / "bases"))
    data = data_dir / "training" / "intentions.csv"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    train_and_register(
        data, "from-data:intentions", "utterance", "intent", _config(data_dir), tmp_path / "m", tracking_uri=uri
    )
    manifest_path = tmp_path / "m" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.pop("taxonomy_file"), manifest.pop("taxonomy_sha256")
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "m" / TAXONOMY_FILE).unlink()
    shutil.rmtree(tmp_path / "bases")
    result = evaluate_file(tmp_path / "m", data, text_col="utterance", label_col="intent")
    assert result.labels_unmatched == {} and result.report.n_unknown == 0
