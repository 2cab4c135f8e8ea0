"""A new user's path with their own export, end to end (README « Avec vos propres données »), on the shared AN
written questions (`../shared/datasets/an_qe16_2022q3`: cp1252, « | », raw labels, a jj/mm/aaaa `date` column):

from-data → file taxonomy → train with raw labels and --time-col → evaluate (0 unknown label) → reclassify into a
fresh SQLite database without site nor channel → emerging → report naming the rubriques → serve → review.

A subset of the export (the most frequent rubriques plus every rare one, questions cut to 800 characters) and a
light model configuration keep it to about two minutes; skipped when the dataset is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import taxonomy as tx
from motifs.cli.main import build_app

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MOTIFS_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
EXPORT = SHARED / "an_qe16_2022q3" / "data.csv"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("mlflow-train"),
    pytest.mark.skipif(not EXPORT.is_file(), reason=f"jeu partagé absent : {EXPORT}"),
]

LIGHT_CONFIG = """
preprocessing:
  max_chars: 800
features:
  char: {ngram_range: [3, 4], max_features: 30000}
  vectors: {weight: 0.0}
classifier: {cv: 2}
abstention: {holdout_rounds: 1, max_exemplars_per_class: 20}
"""


def _subset(path: Path) -> pd.DataFrame:
    """The export's own format kept (cp1252, « | », raw labels, French dates), fewer and shorter rows."""
    frame = pd.read_csv(EXPORT, sep="|", encoding="cp1252", dtype=str, keep_default_na=False)
    counts = frame["rubrique"].value_counts()
    keep = set(counts.index[:12]) | set(counts[counts <= 2].index)
    subset = frame[frame["rubrique"].isin(keep)].copy()
    subset["question"] = subset["question"].str.slice(0, 800)
    subset.to_csv(path, sep="|", encoding="cp1252", index=False)
    return subset


def _run(*args: object) -> str:
    result = CliRunner().invoke(build_app(), [str(a) for a in args])
    assert result.exit_code == 0, f"motifs {' '.join(map(str, args))}\n{result.output}"
    return result.output


def test_own_export_from_data_to_report_serve_and_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a new user's working folder: motifs-data/ is created here
    monkeypatch.delenv("MOTIFS_TAXONOMY_DIR")  # the default local folder, motifs-data/taxonomy
    export = tmp_path / "export.csv"
    subset = _subset(export)
    (tmp_path / "leger.yaml").write_text(LIGHT_CONFIG, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'motifs-data' / 'an_qe16.db'}"
    mlflow_uri = f"sqlite:///{tmp_path / 'motifs-data' / 'mlflow.db'}"

    out = _run("taxonomy", "from-data", "--data", export, "--label-col", "rubrique", "--text-col", "question",
               "--time-col", "date", "--min-count", "3", "--id", "an_qe16", "--out", "an_qe16.yaml")  # fmt: skip
    assert "regroupée(s) dans « autre »" in out and "anonymisé" in out
    base = tx.load_taxonomy(tmp_path / "an_qe16.yaml")

    out = _run("train", "--data", export, "--taxonomy", "an_qe16.yaml", "--text-col", "question",
               "--label-col", "rubrique", "--time-col", "date", "--config", "leger.yaml",
               "--out", "motifs-data/an_qe16", "--tracking-uri", mlflow_uri)  # fmt: skip
    assert "0 inconnue(s)" in out and "Découpage temporel" in out
    assert "motifs-reasons-an_qe16" in out
    assert (tmp_path / "motifs-data" / "taxonomy" / "an_qe16" / "v1.0.0.yaml").is_file()

    out = _run("evaluate", "--model", "motifs-data/an_qe16", "--data", export, "--text-col", "question",
               "--label-col", "rubrique")  # fmt: skip
    assert "étiquettes inconnues : 0" in out

    _run("reclassify", "--in", export, "--out", db_url, "--model", "motifs-data/an_qe16",
         "--text-col", "question", "--time-col", "date")  # fmt: skip
    _run("emerging", "--database-url", db_url, "--period", "week")
    report = tmp_path / "rapport.html"
    out = _run("report", "--database-url", db_url, "--from", "2022-07-04", "--to", "2022-09-25", "--out", report)
    assert "Suivi lu : exécution n° 1" in out  # the run motifs emerging stored, read back and not recomputed
    html = report.read_text(encoding="utf-8")
    assert "an_qe16@1.0.0" in html
    top = subset["rubrique"].value_counts().index[0]  # « énergie et carburants »
    assert f'<th scope="row">{top}</th>' in html  # the rubrique by its label (its code beside it)
    hors_base = re.search(r'<th scope="row">Hors base</th><td class="num">(\d+)</td>', html)
    assert hors_base is not None and hors_base.group(1) == "1"  # only « autre » is out of the base

    from fastapi.testclient import TestClient

    from serving.api.main import create_app
    from serving.api.settings import Settings

    settings = Settings(model="motifs-data/an_qe16", database_url=db_url)
    with TestClient(create_app(settings)) as client:
        listing = client.get("/v1/taxonomy").json()
        assert "an_qe16@1.0.0" in str(listing)
        answer = client.post("/v1/suggestions", json={"text": subset["question"].iloc[0]})
        assert answer.status_code == 200
        assert all(s["code"] in base for s in answer.json()["suggestions"])
        assert client.get("/revue").status_code == 200

    out = _run("review", "list", "--database-url", db_url, "--all")
    assert "Clusters du suivi" in out
