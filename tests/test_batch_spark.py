"""`--engine spark` on local Spark: same output, quarantine and resume behaviour as the local engine.

One SparkSession (`local[2]`) for the whole module; small inputs (a few chunks) to stay well under a minute.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipeline.artifact import load_model, save_model
from serving.batch import ReclassifyOptions, reclassify
from tests.batch_support import assert_no_personal_data, demo_calls, train_model_v10, train_model_v11
from tests.batch_support import write_calls_with_bad_rows as plant
from tests.test_batch_local import Interrupt, PickyModel

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("batch-spark")]


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    pytest.importorskip("pyspark")
    from serving.batch.spark import build_session

    session = build_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def picky_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real model, failing on notes holding PickyModel.MARKER (to compare model-error quarantines)."""
    base = tmp_path_factory.mktemp("spark-models")
    picky = base / "capricieux"
    save_model(PickyModel(load_model(train_model_v10(base / "v10"))), picky)
    return picky


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_spark_engine_equals_local_engine_and_resumes(
    tmp_path: Path, spark: object, picky_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import serving.batch.spark

    monkeypatch.setattr(serving.batch.spark, "MIN_NOTES_PER_TASK", 20)  # several tasks per chunk, results reordered
    calls = demo_calls(240, seed=5)
    calls.loc[calls.index[17], "text"] = f"Mme Martin : {PickyModel.MARKER} depuis mars, NIR 1 85 05 78 006 084 91"
    path = tmp_path / "appels.csv"
    planted = plant(path, calls, every=41)

    local = tmp_path / "local.csv"
    local_options = ReclassifyOptions(input=path, output=str(local), model=str(picky_model), chunk_rows=90)
    reclassify(dataclasses.replace(local_options, encoding="utf-8"))

    on_spark = tmp_path / "spark.csv"
    options = ReclassifyOptions(
        input=path,
        output=str(on_spark),
        model=str(picky_model),
        chunk_rows=90,
        encoding="utf-8",
        engine="spark",
        spark_session=spark,
    )
    with pytest.raises(KeyboardInterrupt):
        reclassify(options, progress=Interrupt(after=100))
    summary = reclassify(options)
    assert summary.resumed and summary.engine == "spark (local[2])"

    assert sha(on_spark) == sha(local)
    quarantine = Path(str(on_spark) + ".quarantine.csv")
    assert sha(quarantine) == sha(Path(str(local) + ".quarantine.csv"))
    q = pd.read_csv(quarantine, dtype=str, keep_default_na=False)
    assert len(q) == len(planted) + 1 and "model_error" in set(q.error_code)
    assert_no_personal_data("the quarantine file", quarantine.read_text(encoding="utf-8"))


def test_spark_rescoring_equals_local(tmp_path: Path, spark: object) -> None:
    model = train_model_v11(tmp_path / "v11")
    history = demo_calls(120, seed=9)
    history.loc[history.index[:6], "reason"] = ["numerique_connexion", "paiement_indu", "rdv_prise", "autre", "x", ""]
    path = tmp_path / "historique.csv"
    history.to_csv(path, index=False)
    common = {"input": path, "model": str(model), "chunk_rows": 90, "taxonomy_from": "national@1.0.0"}
    reclassify(ReclassifyOptions(output=str(tmp_path / "local.parquet"), **common))  # type: ignore[arg-type]
    reclassify(
        ReclassifyOptions(output=str(tmp_path / "spark.parquet"), engine="spark", spark_session=spark, **common)  # type: ignore[arg-type]
    )
    local = pd.read_parquet(tmp_path / "local.parquet")
    on_spark = pd.read_parquet(tmp_path / "spark.parquet")
    pd.testing.assert_frame_equal(local, on_spark)
    assert set(local.method) == {"model", "crosswalk"}
