"""The main job (`motifs demo`) on a tiny corpus: report, store, monitoring run, and an idempotent rerun."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from motifs.demo import DemoJobSettings, DemoOutcome, run_demo
from motifs.errors import DemoJobError


def _table_counts(database: Path) -> tuple[int, int, int]:
    with sqlite3.connect(database) as connection:
        rows, distinct = connection.execute("SELECT COUNT(*), COUNT(DISTINCT call_id) FROM predictions").fetchone()
        runs = connection.execute("SELECT COUNT(*) FROM monitoring_runs").fetchone()[0]
    return int(rows), int(distinct), int(runs)


def _registry(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return sorted(connection.execute("SELECT scope, cluster_id FROM clusters").fetchall())


@pytest.mark.slow
@pytest.mark.xdist_group("demo_job")
def test_demo_job_runs_the_chain_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    settings = DemoJobSettings(out_dir=tmp_path / "demo", rows=2_000, train_rows=400)
    first: DemoOutcome = run_demo(settings)
    database = settings.out_dir / "motifs.db"

    html = first.report.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert 'lang="fr"' in html
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=\"https?:|<img[^>]*\bsrc=\"https?:", html)
    without_review_links = re.sub(r'href="http://127\.0\.0\.1:8000/revue/[^"]*"', "", html)
    assert "http://" not in without_review_links and "https://" not in without_review_links

    rows, distinct, runs = _table_counts(database)
    assert first.corpus_rows == 2_000
    assert rows == distinct == first.stored_predictions == first.corpus_rows - first.quarantined
    assert first.scored == rows
    assert first.monitoring_run is not None and runs == 1  # the report reuses the monitoring, not a second run
    assert first.emerging_json.is_file()
    assert first.registered_version == "1" and first.alias == "champion"
    assert {event.scenario for event in first.events} == {"emergent_reforme", "sous_theme_attestation", "pic_connexion"}
    registry = _registry(database)
    assert registry, "the monitoring stored no cluster"
    assert re.search(r"dont attendu par erreur : \d", html)  # the model's calibration beside the « autre » share
    with sqlite3.connect(database) as connection:  # recorded by the batch: a report over the store needs no --model
        (calibration,) = connection.execute(
            "SELECT calibration FROM models WHERE model_version = ?", (first.model_version,)
        ).fetchone()
    assert json.loads(calibration)["novelty"]["n_calibration"] > 0

    second = run_demo(settings)
    rows_again, distinct_again, runs_again = _table_counts(database)
    assert (rows_again, distinct_again) == (rows, distinct)
    assert second.corpus_reused and second.model_reused
    assert second.scored == 0
    assert second.model_version == first.model_version
    assert second.registered_version == first.registered_version
    assert second.clusters == first.clusters
    assert _registry(database) == registry
    assert runs_again == runs + 1  # each run of the job is recorded once
    assert second.report.is_file()


def test_demo_job_refuses_a_folder_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier\n", encoding="utf-8")
    with pytest.raises(DemoJobError, match="impossible d'écrire dans ce dossier"):
        run_demo(DemoJobSettings(out_dir=blocker / "demo", rows=2_000, train_rows=400))


def test_demo_job_refuses_a_corpus_too_small_for_sixteen_weeks(tmp_path: Path) -> None:
    with pytest.raises(DemoJobError, match="--rows 100"):
        run_demo(DemoJobSettings(out_dir=tmp_path / "demo", rows=100))
