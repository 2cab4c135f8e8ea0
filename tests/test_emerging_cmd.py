"""`motifs emerging` on files and on the store: planted theme found, JSON keys, registry saved, same ids on rerun,
an analyst's decision sticks. The simple lemmatizer keeps these tests free of spaCy."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app
from serving.errors import InvalidDay, NoMonitoringData
from serving.review.emerging import calls_from_store, run_emerging
from serving.store import Database, ReviewDecisionRecord
from tests.review_support import (
    SIMPLE_CONFIG,
    SIMPLE_CONFIG_YAML,
    THEME,
    NoRedactor,
    lemmatizer,
    store_predictions,
    stream,
    write_files,
)

CLUSTER_KEYS = {"id", "size", "keywords", "examples", "call_ids", "novelty", "growth", "signal"}


def _theme_clusters(report_dict: dict) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (period["period"], cluster["id"], tuple(sorted(cluster["call_ids"])))
        for period in report_dict["periods"]
        for cluster in period["clusters"]
        if any(THEME in call_id for call_id in cluster["call_ids"])
    ]


def _run(**kwargs: object):  # type: ignore[no-untyped-def]
    return run_emerging(
        granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), redactor=NoRedactor(), **kwargs
    )  # type: ignore[arg-type]


def test_files_json_shape_registry_and_same_ids_on_rerun(tmp_path: Path) -> None:
    calls, predictions = write_files(stream(), tmp_path)
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    out = tmp_path / "emergents.json"
    first = _run(calls=calls, predictions=predictions, database_url=url, json_out=out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [p["period"] for p in data["periods"]] == [f"2024-W{w}" for w in range(10, 16)]
    for period in data["periods"]:
        assert {"period", "autre_share", "clusters", "alerts"} <= set(period)
        for cluster in period["clusters"]:
            assert set(cluster) >= CLUSTER_KEYS
    w15 = data["periods"][-1]
    assert w15["autre_share"] == pytest.approx(10 / 50)
    found = _theme_clusters(data)
    assert {cluster_id for _, cluster_id, _ in found} == {"E0001"}
    (cluster,) = [c for c in w15["clusters"] if c["id"] == "E0001"]
    assert cluster["signal"] in ("weak", "strong") and cluster["size"] == 16
    assert any(a["kind"] == "emerging_reason" and a["scope"]["cluster"] == "E0001" for a in w15["alerts"])

    db = Database.open(url)
    assert [c.cluster_id for c in db.monitoring.registry("week")] == ["E0001"]
    trend = db.monitoring.snapshots("week", "E0001")
    assert [(s.period, s.period_size) for s in trend] == [("2024-W14", 8), ("2024-W15", 8)]
    assert set(trend[-1].notes) == set(cluster["call_ids"])  # every call's redacted note, for « rattacher »
    assert first.run is not None and first.run.source == "files" and first.run.parameters["calls"] == "appels.csv"
    assert first.run.autre_share == pytest.approx((6 * 2 + 16) / 268, abs=1e-6)  # « autre »: 2 a week + the planted 16
    db.close()

    again = _run(calls=calls, predictions=predictions, database_url=url, json_out=out)
    assert json.loads(out.read_text(encoding="utf-8")) == data
    assert again.run is not None and again.run.id == first.run.id + 1
    db = Database.open(url)
    assert len(db.monitoring.snapshots("week")) == 2  # replaced, not duplicated
    db.close()


def test_store_a_retrained_model_that_rescored_the_same_calls_is_the_one_followed(db_url: str) -> None:
    """After the loop (review → retrain → reclassify the same history), both models scored every call: the newest
    is followed, not the one that sorts first."""
    frame = stream()
    db = Database.open(db_url)
    store_predictions(db, frame, model_version="20260302T090000Z")
    store_predictions(db, frame, model_version="20260310T160000Z")
    followed = calls_from_store(db)
    db.close()
    assert followed.model_version == "20260310T160000Z" and len(followed.frame) == len(frame)


def test_store_same_ids_on_rerun_and_a_dismissed_cluster_stays_silent(db_url: str) -> None:
    frame = stream()
    db = Database.open(db_url)
    store_predictions(db, frame)
    store_predictions(db, frame.head(20), model_version="m0")  # an older model on a few calls: not mixed in
    first = _run(database_url=db_url)
    assert first.source.source == "store" and first.source.model_version == "m1"
    ids = _theme_clusters(first.report.to_dict())
    assert ids and {cluster_id for _, cluster_id, _ in ids} == {"E0001"}

    db.review.decide(ReviewDecisionRecord(scope="week", cluster_id="E0001", action="dismiss", reviewer="qualite"))
    again = _run(database_url=db_url)
    assert _theme_clusters(again.report.to_dict()) == ids
    statuses = {c.status for p in again.report.periods for c in p.clusters if c.id == "E0001"}
    assert statuses == {"dismissed"}
    assert not [a for a in again.report.alerts if a.kind == "emerging_reason"]
    assert db.monitoring.cluster("week", "E0001").status == "dismissed"  # type: ignore[union-attr]
    db.close()


def test_from_to_reports_only_the_window_but_reads_its_history(tmp_path: Path) -> None:
    calls, predictions = write_files(stream(), tmp_path)
    outcome = _run(
        calls=calls,
        predictions=predictions,
        date_from=date(2024, 4, 8),
        date_to=date(2024, 4, 14),
        store=False,
    )
    assert [p.period for p in outcome.report.periods] == ["2024-W15"]
    (cluster,) = [c for c in outcome.report.periods[0].clusters if c.signal != "none"]
    assert cluster.previous_rate == 0.0 and cluster.signal in ("weak", "strong")  # history before --from was read
    assert outcome.run is None


def test_site_scope_has_its_own_registry(tmp_path: Path) -> None:
    calls, predictions = write_files(stream(), tmp_path)
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    outcome = _run(calls=calls, predictions=predictions, database_url=url, site="Lille")
    assert outcome.scope == "week@Lille"
    assert all(p.n_calls < 30 for p in outcome.report.periods)
    db = Database.open(url)
    assert db.monitoring.scopes() == ["week@Lille"]
    db.close()


def test_bad_inputs_are_refused_in_french(tmp_path: Path) -> None:
    calls, predictions = write_files(stream(weeks=2, planted_from=9), tmp_path)
    with pytest.raises(NoMonitoringData, match="vont ensemble"):
        _run(calls=calls, store=False)
    with pytest.raises(NoMonitoringData, match="avant --from"):
        _run(calls=calls, predictions=predictions, date_from=date(2024, 3, 10), date_to=date(2024, 3, 1))
    with pytest.raises(NoMonitoringData, match="aucune prédiction"):
        _run(database_url=f"sqlite:///{tmp_path / 'vide.db'}")


def test_cli_on_files_writes_the_json(tmp_path: Path) -> None:
    calls, predictions = write_files(stream(), tmp_path, with_text=True)
    config = tmp_path / "suivi.yaml"
    config.write_text(SIMPLE_CONFIG_YAML, encoding="utf-8")
    out = tmp_path / "out" / "emergents.json"
    args = ["emerging", "--calls", str(calls), "--predictions", str(predictions), "--period", "week"]
    args += ["--config", str(config), "--json", str(out), "--database-url", f"sqlite:///{tmp_path / 'm.db'}"]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert "E0001" in result.output and "motifs review list --scope week" in result.output
    assert "Notes anonymisées reprises de la sortie de reclassification" in result.output
    assert "« à confirmer »" in result.output and "non compté dans « autre »" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert _theme_clusters(data)
    bad = CliRunner().invoke(build_app(), ["emerging", "--calls", str(calls), "--from", "hier"])
    assert isinstance(bad.exception, InvalidDay) and "aaaa-mm-jj" in str(bad.exception)  # one day reader (serving.days)


def test_files_with_decisions_keep_to_confirm_out_of_autre(tmp_path: Path) -> None:
    """A reclassification output with the three outcomes: the calls the model hesitated on are reported apart (JSON
    and the stored run), the « autre » share is the one of the calls outside the base."""
    calls, predictions = write_files(stream(), tmp_path)
    table = pd.read_csv(predictions)
    doubt = ~table["autre"] & (table.index % 4 == 0)
    table["decision"] = np.where(table["autre"], "autre", np.where(doubt, "to_confirm", "confident"))
    table.to_csv(predictions, index=False)
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    outcome = _run(calls=calls, predictions=predictions, database_url=url)
    w15 = outcome.report.to_dict()["periods"][-1]
    assert w15["autre_share"] == pytest.approx(10 / 50)  # as without decisions
    assert w15["n_to_confirm"] > 0 and w15["to_confirm_share"] == pytest.approx(w15["n_to_confirm"] / 50)
    assert sum(p.n_to_confirm for p in outcome.report.periods) == int(doubt.sum())
    assert outcome.run is not None and outcome.run.periods[-1]["n_to_confirm"] == w15["n_to_confirm"]
