"""Batch reclassification with the local engine: same answers as one by one and as the API, quarantine, resume,
pinned versions, database output, re-scoring after a taxonomy change, personal data.

Real `ReasonModel`s (light configuration, see tests/batch_support.py) with the real redactor.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy

from pipeline.artifact import load_model, read_manifest
from pipeline.errors import MissingColumns
from pipeline.redaction import Redactor
from serving.batch import ReclassifyOptions, reclassify
from serving.batch.records import OUTPUT_COLUMNS, QUARANTINE_COLUMNS
from serving.errors import InvalidBatchOptions, RunMismatch
from serving.store import Database
from tests.batch_support import (
    EMAIL,
    NIR,
    PHONE,
    assert_no_personal_data,
    demo_calls,
    read_output,
    train_model_v10,
    train_model_v11,
    write_calls_with_bad_rows,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("batch")]


@pytest.fixture(scope="session")
def model_v10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model_v10(tmp_path_factory.mktemp("batch-models") / "v10")


@pytest.fixture(scope="session")
def model_v11(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model_v11(tmp_path_factory.mktemp("batch-models") / "v11")


@pytest.fixture(scope="session")
def calls() -> pd.DataFrame:
    return demo_calls(360, seed=11)


@pytest.fixture
def calls_file(tmp_path: Path, calls: pd.DataFrame) -> tuple[Path, list]:
    path = tmp_path / "appels.csv"
    planted = write_calls_with_bad_rows(path, calls, every=37)
    return path, planted


class Interrupt:
    """A progress hook that presses Ctrl-C once `after` rows have been counted."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.seen = 0

    def start(self, total_rows: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        self.seen += rows
        if self.seen >= self.after:
            raise KeyboardInterrupt

    def phase(self, label: str) -> None:
        pass


def options(inp: Path, out: Path | str, model: Path, **kw: object) -> ReclassifyOptions:
    """Small chunks (several per file); UTF-8 said explicitly: the planted undecodable byte would otherwise make
    `pipeline.calls` guess Windows-1252 for the whole file."""
    kw.setdefault("encoding", "utf-8")
    return ReclassifyOptions(input=inp, output=str(out), model=str(model), chunk_rows=64, **kw)  # type: ignore[arg-type]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quarantine_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out.with_name(out.name + ".quarantine.csv"), dtype=str, keep_default_na=False)


def valid_ids(calls: pd.DataFrame) -> list[str]:
    return calls.call_id.tolist()


# --------------------------------------------------------------------------------------------------- correctness
def test_chunked_run_equals_one_by_one(tmp_path: Path, calls: pd.DataFrame, model_v10: Path) -> None:
    path = tmp_path / "appels.csv"
    calls.to_csv(path, index=False)
    out = tmp_path / "motifs.csv"
    summary = reclassify(options(path, out, model_v10))
    result = read_output(out)
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert result.call_id.tolist() == valid_ids(calls)  # input order, every row once
    assert summary.output_rows == len(calls) and summary.quarantined_rows == 0
    assert set(result.model_version) == {"lot-test-1.0"} and set(result.taxonomy_version) == {"national@1.0.0"}
    assert set(result.method) == {"model"}

    model = load_model(model_v10)
    redactor = Redactor()
    for i in range(0, len(calls), 9):  # one by one, as the API asks
        (expected,) = model.suggest([redactor.redact(calls.text.iat[i])], k=3, redacted=True)
        row = result.iloc[i]
        assert row.reason == expected.code
        assert row.autre == expected.autre
        assert row.confidence == pytest.approx(expected.confidence, rel=1e-9, abs=1e-12)
        top = json.loads(row.top_k)
        assert [t["code"] for t in top] == [s.code for s in expected.top_k]
        assert [t["confidence"] for t in top] == pytest.approx([s.confidence for s in expected.top_k], abs=1e-12)
    paris = pd.to_datetime(calls.timestamp)
    assert (pd.to_datetime(result.timestamp) == paris).all()


def test_bad_rows_are_quarantined_exactly_with_redacted_text(
    tmp_path: Path, calls_file: tuple[Path, list], calls: pd.DataFrame, model_v10: Path
) -> None:
    path, planted = calls_file
    out = tmp_path / "motifs.csv"
    summary = reclassify(options(path, out, model_v10))
    quarantine = quarantine_of(out)
    assert list(quarantine.columns) == list(QUARANTINE_COLUMNS)
    assert sorted(zip(quarantine.row.astype(int), quarantine.error_code, strict=True)) == sorted(
        (p.row, p.error_code) for p in planted
    )
    assert {p.error_code for p in planted} == {
        "empty_text",
        "empty_id",
        "bad_timestamp",
        "duplicate_id",
        "too_long",
        "malformed",
        "undecodable",
    }
    by_row = quarantine.set_index(quarantine.row.astype(int))
    for p in planted:
        assert by_row.loc[p.row, "call_id"] == p.call_id
        assert by_row.loc[p.row, "file"] == "appels.csv"
    content = out.with_name(out.name + ".quarantine.csv").read_text(encoding="utf-8")
    assert_no_personal_data("the quarantine file", content)
    assert "Martin" not in content
    assert "<NIR>" in content and "<EMAIL>" in content  # the text is there, redacted
    result = read_output(out)
    assert result.call_id.tolist() == valid_ids(calls)
    assert summary.quarantined_rows == len(planted)
    assert sum(summary.quarantined.values()) >= len(planted)
    assert summary.rows_read == len(calls) + len(planted)


# --------------------------------------------------------------------------------------------------- resuming
@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_run_resumes_without_loss_or_duplicate(
    tmp_path: Path, calls_file: tuple[Path, list], calls: pd.DataFrame, model_v10: Path, workers: int
) -> None:
    """Ctrl-C in the middle, then the same command: the same bytes as an uninterrupted run. With 2 worker
    processes, most chunks are scored by the pool before the interruption (so the pool's output is checked too)
    and the rest in this process (the number of workers is not pinned: it does not change results)."""
    path, planted = calls_file
    reference = tmp_path / "reference.csv"
    reclassify(options(path, reference, model_v10))

    out = tmp_path / "motifs.csv"
    with pytest.raises(KeyboardInterrupt):
        reclassify(options(path, out, model_v10, workers=workers), progress=Interrupt(after=150 * workers))
    parts = out.with_name(out.name + ".parts")
    committed = sorted(p.name for p in parts.glob("part-*.parquet"))
    assert committed and not out.exists()
    assert not list(parts.glob(".tmp-*")) and not list(tmp_path.glob(".tmp-*"))

    summary = reclassify(dataclasses.replace(options(path, out, model_v10), chunk_rows=100))
    assert summary.resumed and summary.skipped > 0  # the chunk size of the first run is kept
    assert summary.scored + summary.skipped == len(calls)
    assert sha(out) == sha(reference)
    result = read_output(out)
    assert result.call_id.is_unique and len(result) == len(calls)
    assert quarantine_of(out).equals(quarantine_of(reference))
    assert not parts.exists()
    manifest = json.loads(out.with_name(out.name + ".run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "terminé" and manifest["output_sha256"] == sha(out)
    assert manifest["counts"]["quarantined_rows"] == len(planted)


def test_crash_while_assembling_is_finished_by_the_next_run(
    tmp_path: Path, calls_file: tuple[Path, list], model_v10: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.batch.sinks import FileSink

    path, _ = calls_file
    out = tmp_path / "motifs.parquet"
    original = FileSink.assemble

    def crash(self: FileSink) -> None:
        raise OSError("disque plein")

    monkeypatch.setattr(FileSink, "assemble", crash)
    with pytest.raises(OSError):
        reclassify(options(path, out, model_v10))
    monkeypatch.setattr(FileSink, "assemble", original)
    summary = reclassify(options(path, out, model_v10))
    assert summary.scored == 0 and summary.resumed  # every chunk was committed: only the assembly is redone
    assert read_output(out).call_id.is_unique


def test_resuming_with_another_model_is_refused_unless_restart(
    tmp_path: Path, calls_file: tuple[Path, list], model_v10: Path, model_v11: Path
) -> None:
    path, _ = calls_file
    out = tmp_path / "motifs.csv"
    with pytest.raises(KeyboardInterrupt):
        reclassify(options(path, out, model_v10), progress=Interrupt(after=100))
    with pytest.raises(RunMismatch, match=r"commencé avec le modèle lot-test-1\.0 .* reçu : le modèle lot-test-1\.1"):
        reclassify(options(path, out, model_v11))
    with pytest.raises(RunMismatch, match=r"réglages différents.*k : 3 → 2"):
        reclassify(options(path, out, model_v10, k=2))
    summary = reclassify(options(path, out, model_v11, restart=True))
    assert not summary.resumed
    assert set(read_output(out).model_version) == {"lot-test-1.1"}


def test_rerun_of_a_finished_run_changes_nothing(
    tmp_path: Path, calls_file: tuple[Path, list], model_v10: Path
) -> None:
    path, _ = calls_file
    out = tmp_path / "motifs.csv"
    first = reclassify(options(path, out, model_v10))
    before = sha(out), sha(out.with_name(out.name + ".quarantine.csv"))
    again = reclassify(options(path, out, model_v10))
    assert again.already_done and again.scored == 0
    assert again.output_rows == first.output_rows and again.quarantined == first.quarantined
    assert (sha(out), sha(out.with_name(out.name + ".quarantine.csv"))) == before
    out.write_text("modifié\n", encoding="utf-8")
    with pytest.raises(RunMismatch, match="a changé ou disparu"):
        reclassify(options(path, out, model_v10))


def test_a_file_not_written_by_reclassify_is_not_overwritten(
    tmp_path: Path, calls_file: tuple[Path, list], model_v10: Path
) -> None:
    path, _ = calls_file
    out = tmp_path / "rapport.csv"
    out.write_text("précieux\n", encoding="utf-8")
    with pytest.raises(InvalidBatchOptions, match="n'a pas été écrit par motifs reclassify"):
        reclassify(options(path, out, model_v10))
    assert out.read_text(encoding="utf-8") == "précieux\n"


def test_folder_of_files_cross_file_duplicates_and_parquet_output(
    tmp_path: Path, calls: pd.DataFrame, model_v10: Path
) -> None:
    folder = tmp_path / "historique"
    folder.mkdir()
    first, second = calls.iloc[:200], calls.iloc[200:]
    first.to_csv(folder / "2025-01.csv", index=False, sep=";")
    again = pd.concat([second, first.iloc[[5]]], ignore_index=True)  # a call exported twice
    again.to_json(folder / "2025-02.jsonl", orient="records", lines=True, force_ascii=False)
    (folder / "lisez-moi.md").write_text("pas un fichier d'appels", encoding="utf-8")
    out = tmp_path / "motifs.parquet"
    summary = reclassify(options(folder, out, model_v10))
    assert summary.files == 2
    result = read_output(out)
    assert result.call_id.tolist() == valid_ids(calls)
    quarantine = quarantine_of(out)
    assert quarantine[["file", "row", "call_id", "error_code"]].values.tolist() == [
        ["2025-02.jsonl", str(len(second) + 1), first.call_id.iat[5], "duplicate_id"]
    ]
    assert "2025-01.csv ligne 6" in quarantine.error.iat[0]


def test_output_written_inside_the_input_folder_is_not_read_back(
    tmp_path: Path, calls: pd.DataFrame, model_v10: Path
) -> None:
    folder = tmp_path / "historique"
    folder.mkdir()
    calls.iloc[:100].to_csv(folder / "appels.csv", index=False)
    out = folder / "motifs.csv"
    first = reclassify(options(folder, out, model_v10))
    again = reclassify(options(folder, out, model_v10))
    assert first.files == again.files == 1 and again.already_done
    with pytest.raises(InvalidBatchOptions, match="ne peut pas être le fichier d'entrée"):
        reclassify(options(folder / "appels.csv", folder / "appels.csv", model_v10, restart=True))


# --------------------------------------------------------------------------------------------------- vs the API
def test_same_answers_and_records_as_the_api(tmp_path: Path, calls: pd.DataFrame, model_v10: Path) -> None:
    from fastapi.testclient import TestClient

    from serving.api import Settings, create_app

    sample = calls.iloc[:30].copy()
    sample.loc[sample.index[3], "text"] = f"Mme Martin ({EMAIL}, {PHONE}) n'a pas reçu son versement de mars"
    path = tmp_path / "appels.csv"
    sample.to_csv(path, index=False)
    batch_db = f"sqlite:///{tmp_path / 'lot.db'}"
    reclassify(options(path, batch_db, model_v10, quarantine=tmp_path / "q.csv"))
    reclassify(options(path, tmp_path / "motifs.csv", model_v10))
    rows = read_output(tmp_path / "motifs.csv").set_index("call_id")

    api_db = f"sqlite:///{tmp_path / 'api.db'}"
    app = create_app(Settings(model=str(model_v10), database_url=api_db))
    with TestClient(app) as client:
        for call in sample.itertuples():
            body = client.post("/v1/suggestions", json={"text": call.text, "call_id": call.call_id, "k": 3}).json()
            row = rows.loc[call.call_id]
            top = json.loads(row.top_k)
            assert [s["code"] for s in body["suggestions"]] == [t["code"] for t in top]
            assert [s["confidence"] for s in body["suggestions"]] == pytest.approx([t["confidence"] for t in top])
            assert body["autre"] == bool(row.autre)
            assert body["decision"] == row.decision
            assert [item["code"] for item in body["prediction_set"]] == json.loads(row.prediction_set)
            assert (body["model_version"], body["taxonomy_version"]) == (row.model_version, row.taxonomy_version)

    def stored(url: str) -> dict[str, tuple]:
        database = Database.open(url)
        try:
            return {
                call_id: tuple(
                    (
                        r.code,
                        r.confidence,
                        r.autre,
                        r.decision,
                        r.prediction_set,
                        r.top_k,
                        r.redacted_text,
                        r.model_version,
                        r.taxonomy_version,
                    )
                    for r in database.predictions.get(call_id)
                )
                for call_id in sample.call_id
            }
        finally:
            database.close()

    from_api, from_batch = stored(api_db), stored(batch_db)
    assert from_api == from_batch
    # Both record the model that wrote the predictions, with the calibration its manifest carries (the report
    # reads it from there).
    manifest = read_manifest(model_v10)
    for url in (api_db, batch_db):
        database = Database.open(url)
        try:
            record = database.models.get(str(manifest.model_version))
        finally:
            database.close()
        assert record is not None and record.taxonomy_version == manifest.taxonomy_ref
        assert record.calibration == manifest.calibration  # none for this small test model: stored as none
    assert "<EMAIL>" in from_batch[sample.call_id.iat[3]][0][6]
    decisions = {rows[0][3] for rows in from_batch.values()}
    assert decisions <= {"confident", "to_confirm", "autre"} and len(decisions) >= 2  # the fields are really filled


# --------------------------------------------------------------------------------------------------- database
def test_database_output_resumes_by_call_id(
    db_url: str, tmp_path: Path, calls_file: tuple[Path, list], calls: pd.DataFrame, model_v10: Path
) -> None:
    path, planted = calls_file
    quarantine = tmp_path / "quarantaine.csv"
    run = options(path, db_url, model_v10, quarantine=quarantine)
    with pytest.raises(KeyboardInterrupt):
        reclassify(run, progress=Interrupt(after=200))
    database = Database.open(db_url)
    try:
        done_before = database.predictions.count()
        assert 0 < done_before < len(calls)
        first_id = calls.call_id.iat[0]
        (kept,) = database.predictions.get(first_id)

        summary = reclassify(run)
        assert summary.resumed and summary.skipped == done_before
        assert summary.output_rows == len(calls) - done_before
        assert database.predictions.count() == len(calls)
        (again,) = database.predictions.get(first_id)
        assert again.created_at == kept.created_at  # finished rows are never rewritten on resume
        with database.engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT call_id, source, method, redacted_text FROM predictions"))
            rows = rows.all()
        assert sorted(r[0] for r in rows) == sorted(valid_ids(calls))
        assert {(r[1], r[2]) for r in rows} == {("batch", "model")}
        assert all(r[3] for r in rows)
        assert len(pd.read_csv(quarantine)) == len(planted)

        summary = reclassify(run)
        assert summary.scored == 0 and summary.skipped == len(calls) and database.predictions.count() == len(calls)
        summary = reclassify(options(path, db_url, model_v10, quarantine=quarantine, restart=True))
        assert summary.scored == len(calls) and database.predictions.count() == len(calls)
    finally:
        database.close()


# --------------------------------------------------------------------------------------------------- re-scoring
def test_rescoring_after_a_taxonomy_change(tmp_path: Path, calls: pd.DataFrame, model_v11: Path) -> None:
    history = calls.copy()
    history.loc[history.index[0], "reason"] = "code_inexistant"
    history.loc[history.index[1], "reason"] = "numerique_connexion"
    history.loc[history.index[2], "reason"] = "paiement_indu"
    history.loc[history.index[3], "reason"] = "rdv_prise"
    history.loc[history.index[4], "reason"] = "autre"
    path = tmp_path / "historique.csv"
    history.to_csv(path, index=False)
    out = tmp_path / "migres.csv"
    summary = reclassify(options(path, out, model_v11, taxonomy_from="national@1.0.0"))
    result = read_output(out).set_index("call_id")
    assert set(result.taxonomy_version) == {"national@1.1.0"} and set(result.model_version) == {"lot-test-1.1"}
    ids = history.call_id.tolist()
    assert result.loc[ids[0], ["method", "migration"]].tolist() == ["model", "inconnu"]
    split = result.loc[ids[1]]
    assert (split.method, split.migration) == ("model", "à requalifier")
    assert split.reason in {"numerique_identifiants", "numerique_franceconnect"} and not split.autre
    assert {t["code"] for t in json.loads(split.top_k)} <= {"numerique_identifiants", "numerique_franceconnect"}
    assert result.loc[ids[2], ["reason", "method", "migration"]].tolist() == [
        "paiement_trop_percu",
        "crosswalk",
        "mappé",
    ]
    assert result.loc[ids[3], ["reason", "method"]].tolist() == ["rdv_gestion", "crosswalk"]
    assert result.loc[ids[4], "method"] == "model"  # « autre » calls may fit a new reason: scored again
    unchanged = history.iloc[5:][history.reason.iloc[5:] == "attestation"].call_id
    assert (result.loc[unchanged, "method"] == "crosswalk").all()
    assert (result.loc[unchanged, "reason"] == "attestation").all()
    assert (result.loc[unchanged, "confidence"] == 1.0).all()
    assert (result.source_reason.reindex(ids).tolist()) == history.reason.tolist()
    assert summary.methods["crosswalk"] + summary.methods["model"] == len(history)
    assert summary.methods["model"] >= 3

    # A previous reclassification output (with its redacted notes) can be re-scored too: its own
    # taxonomy_version column says where its codes come from.
    previous = tmp_path / "precedent.csv"
    reclassify(options(path, previous, model_v11, taxonomy_from="national@1.0.0", with_text=True))
    again = read_output(previous).rename(columns={"redacted_text": "text"})
    again.to_csv(tmp_path / "precedent-texte.csv", index=False)
    second = reclassify(
        options(tmp_path / "precedent-texte.csv", tmp_path / "encore.csv", model_v11, taxonomy_from="national@1.0.0")
    )
    assert second.methods.get("crosswalk", 0) >= summary.methods["crosswalk"]
    assert second.quarantined_rows == 0


def test_rescoring_needs_a_chain_of_crosswalks(tmp_path: Path, calls: pd.DataFrame, model_v10: Path) -> None:
    path = tmp_path / "appels.csv"
    calls.to_csv(path, index=False)
    with pytest.raises(InvalidBatchOptions, match=r"--taxonomy-from national@1\.1\.0"):
        reclassify(options(path, tmp_path / "x.csv", model_v10, taxonomy_from="national@1.1.0"))


# --------------------------------------------------------------------------------------------------- personal data
class PickyModel:
    """A real model that fails on notes holding a marker (a bug in the model for a few notes)."""

    MARKER = "virement bloqué"

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.classes_ = inner.classes_  # type: ignore[attr-defined]
        self.threshold_ = inner.threshold_  # type: ignore[attr-defined]
        self.taxonomy_ref = inner.taxonomy_ref  # type: ignore[attr-defined]
        self.model_version = "capricieux-1"
        self.redactor = inner.redactor  # type: ignore[attr-defined]

    def predict_proba(self, texts: list[str]) -> object:
        return self.inner.predict_proba(texts)  # type: ignore[attr-defined]

    def suggest(self, texts: list[str], k: int = 3, *, redacted: bool = False) -> list[object]:
        for text in texts:
            if self.MARKER in text:
                raise ValueError(f"note illisible : {text}")  # a careless message, with the note in it
        return self.inner.suggest(texts, k, redacted=redacted)  # type: ignore[attr-defined]


def test_personal_data_of_failing_rows_reaches_no_log_message_or_database(
    tmp_path: Path,
    calls_file: tuple[Path, list],
    calls: pd.DataFrame,
    model_v10: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.artifact import save_model

    path, planted = calls_file
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    failing = f"Mme Martin, NIR {NIR}, {EMAIL} : virement bloqué depuis mars"
    text += f'FAIL0001,"{failing}",2026-02-03 10:00:00,lille,telephone,paiement_non_recu\n'
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    picky = tmp_path / "capricieux"
    save_model(PickyModel(load_model(model_v10)), picky)

    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'lot.db'}"
    quarantine = tmp_path / "q.csv"
    from motifs.cli.main import main

    monkeypatch.setattr(
        sys, "argv", ["motifs", "reclassify", "--in", str(path), "--out", url, "--model", str(picky),
                      "--quarantine", str(quarantine), "--chunk-rows", "64", "--encoding", "utf-8"]
    )  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 0
    out, err = capsys.readouterr()
    assert "En quarantaine" in out
    q = pd.read_csv(quarantine, dtype=str, keep_default_na=False)
    failed = q[q.call_id == "FAIL0001"]
    assert failed.error_code.tolist() == ["model_error"]
    assert failed.error.iat[0] == "prédiction impossible (ValueError)"
    assert len(q) == len(planted) + 1
    database = Database.open(url)
    with database.engine.connect() as connection:
        dump = "\n".join(str(r) for r in connection.execute(sqlalchemy.text("SELECT * FROM predictions")))
    database.close()
    assert database_rows_count(url) == len(calls)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("lot.db*")).decode("utf-8", "replace")
    for where, content in (
        ("stdout/stderr", out + err),
        ("log records", "\n".join(r.getMessage() for r in caplog.records)),
        ("database rows", dump),
        ("database files", raw),
        ("quarantine", quarantine.read_text(encoding="utf-8")),
    ):
        assert_no_personal_data(where, content)
    assert "virement bloqué" not in dump


def database_rows_count(url: str) -> int:
    database = Database.open(url)
    try:
        return database.predictions.count()
    finally:
        database.close()


def test_cli_errors_are_one_french_line(
    tmp_path: Path, calls_file: tuple[Path, list], model_v10: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from motifs.cli.main import main

    path, _ = calls_file
    out = tmp_path / "existant.csv"
    out.write_text("x\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["motifs", "reclassify", "--in", str(path), "--out", str(out), "--model",
                                      str(model_v10)])  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert (
        err.strip().startswith("Erreur :")
        and len(err.strip().splitlines()) == 1
        and "n'a pas été écrit par motifs reclassify" in err
    )
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------------------- registry
def test_registry_model_is_pinned_and_shipped_to_workers(
    tmp_path: Path, calls: pd.DataFrame, model_v10: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--model models:/motifs-reasons@champion`: same output as the directory it was registered from, and a
    directory worker processes / Spark can load (the registry download is gone once loaded), hash-checked."""
    from pipeline.artifact import read_manifest
    from serving.batch.scoring import load_batch_model, model_directory_for_workers
    from training import tracking
    from training.evaluate import evaluate

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    model = load_model(model_v10)
    sample = calls.iloc[:40]
    report = evaluate(model, sample.text.tolist(), sample.reason.tolist())
    tracking.publish(
        model=model,
        model_dir=model_v10,
        manifest=read_manifest(model_v10),
        report=report,
        eval_texts=sample.text.tolist(),
        eval_codes=sample.reason.tolist(),
        params={},
        metrics=report.metrics(),
        tags={"taxonomy_ref": "national@1.0.0", "training_data_sha256": "0" * 64},
        tracking_uri=uri,
    )
    path = tmp_path / "appels.csv"
    sample.to_csv(path, index=False)
    reclassify(options(path, tmp_path / "registre.csv", "models:/motifs-reasons@champion"))  # type: ignore[arg-type]
    reclassify(options(path, tmp_path / "dossier.csv", model_v10))
    assert sha(tmp_path / "registre.csv") == sha(tmp_path / "dossier.csv")
    manifest = json.loads((tmp_path / "registre.csv.run.json").read_text(encoding="utf-8"))
    assert manifest["model_sha256"] == read_manifest(model_v10).sha256

    loaded = load_batch_model("models:/motifs-reasons@champion")
    assert loaded.directory is None and loaded.model_version == "lot-test-1.0"
    directory, digest = model_directory_for_workers(loaded, tmp_path)
    copy = load_model(directory, expected_sha256=digest)
    assert copy.model_version == "lot-test-1.0"
    assert [p.code for p in copy.suggest(sample.text.tolist()[:5])] == [
        p.code for p in model.suggest(sample.text.tolist()[:5])
    ]


# --------------------------------------------------------------------------------------------------- own exports
def test_export_without_site_or_channel_and_named_columns(tmp_path: Path, calls: pd.DataFrame, model_v10: Path) -> None:
    """An export with its own column names, no site nor channel, cp1252 and « | »: read with the column options."""
    export = calls[["call_id", "timestamp", "text"]].rename(columns={"call_id": "id", "text": "question"})
    export = export.assign(timestamp=pd.to_datetime(export["timestamp"]).dt.strftime("%d/%m/%Y"), groupe="x" * 40)
    path = tmp_path / "export.csv"
    export.to_csv(path, index=False, sep="|", encoding="cp1252")
    out = tmp_path / "motifs.csv"
    summary = reclassify(
        ReclassifyOptions(input=path, output=str(out), model=str(model_v10), columns={"text": "question"})
    )
    assert summary.quarantined_rows == 0 and read_output(out).call_id.tolist() == calls.call_id.tolist()

    # a channel column longer than the store's limit: a clear error, not a quarantine of every row …
    wrong = tmp_path / "mauvais.csv"
    columns = {"text": "question", "channel": "groupe"}
    with pytest.raises(InvalidBatchOptions, match=r"channel de plus de 32 caractères.*--channel-col"):
        reclassify(ReclassifyOptions(input=path, output=str(wrong), model=str(model_v10), columns=columns))
    assert (tmp_path / "mauvais.csv.run.json").exists()
    # … and the failed run does not block the corrected command (no --restart needed)
    summary = reclassify(
        ReclassifyOptions(input=path, output=str(wrong), model=str(model_v10), columns={"text": "question"})
    )
    assert summary.output_rows == len(calls) and not summary.resumed


def test_undated_export_into_the_store_with_one_date(tmp_path: Path, calls: pd.DataFrame, model_v10: Path) -> None:
    """An export without dates nor ids (a FAQ) is refused with the way out, then stored under the date given."""
    from datetime import date

    export = calls[["text"]]
    path = tmp_path / "sans-date.csv"
    export.to_csv(path, index=False)
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    with pytest.raises(MissingColumns, match="--date AAAA-MM-JJ"):
        reclassify(ReclassifyOptions(input=path, output=url, model=str(model_v10), row_ids=True))
    options = ReclassifyOptions(input=path, output=url, model=str(model_v10), calls_date=date(2020, 5, 4), row_ids=True)
    summary = reclassify(options)
    assert summary.output_rows == len(calls) and summary.quarantined_rows == 0
    with sqlalchemy.create_engine(url).connect() as connection:
        stamps = connection.execute(sqlalchemy.text("SELECT DISTINCT called_at FROM predictions")).scalars().all()
        ids = connection.execute(sqlalchemy.text("SELECT call_id FROM predictions ORDER BY id")).scalars().all()
    assert [pd.Timestamp(s).tz_localize(None) for s in stamps] == [pd.Timestamp("2020-05-03 22:00")]  # Paris midnight
    assert sorted(ids) == sorted(f"sans-date:{n}" for n in range(1, len(calls) + 1))
    assert reclassify(options).output_rows == 0  # the same export again: same ids, nothing stored twice
