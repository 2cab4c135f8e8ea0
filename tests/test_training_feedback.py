"""Agents' choices as training data (`training.feedback`, `FeedbackStore.with_notes`, `motifs train --with-feedback`):
the join with the stored redacted note, latest choice per call, crosswalk migration, « autre » evidence,
contradictory notes reported by counts, the per-site drift guard and the time holdout on the freshest feedback."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app, main
from serving.store import Database, FeedbackRecord, PredictionRecord, ScoredCode
from taxonomy import AUTRE, load_taxonomy
from training import feedback as fb
from training import learn as learn_mod
from training.errors import TrainingConfigError, TrainingDataError
from training.evaluate import ClassReport, EvaluationReport
from training.feedback import FeedbackNote, add_feedback, prepare_feedback

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
V11 = "national@1.1.0"


def note(
    call_id: str, code: str, minutes: int, text: str | None = "pas reçu le versement", **kw: object
) -> FeedbackNote:
    return FeedbackNote(
        call_id=call_id,
        code=code,
        taxonomy_ref=str(kw.get("ref", V11)),
        given_at=T0 + timedelta(minutes=minutes),
        text=text,
        site=kw.get("site"),  # type: ignore[arg-type]
        agent=kw.get("agent"),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def v11():  # type: ignore[no-untyped-def]
    return load_taxonomy("1.1.0")


# ----------------------------------------------------------------------------------------------------- pure rules
def test_latest_choice_of_a_call_wins(v11) -> None:  # type: ignore[no-untyped-def]
    notes = [
        note("c1", "paiement_montant", 0),
        note("c2", "attestation", 1, "attestation pour la banque"),
        note("c1", "paiement_non_recu", 5),  # the agent changed their mind
        note("c3", "rdv_gestion", 2, "prendre rdv"),
    ]
    examples = prepare_feedback(notes, v11)
    assert examples.codes == ["attestation", "rdv_gestion", "paiement_non_recu"]  # oldest first, by latest choice
    assert examples.texts[-1] == "pas reçu le versement"
    assert (examples.report.read, examples.report.calls, examples.report.superseded) == (4, 3, 1)
    assert examples.report.used == 3 and examples.report.dropped == {}


def test_same_time_the_choice_read_last_wins(v11) -> None:  # type: ignore[no-untyped-def]
    examples = prepare_feedback([note("c1", "paiement_montant", 0), note("c1", "paiement_non_recu", 0)], v11)
    assert examples.codes == ["paiement_non_recu"]


def test_codes_migrate_through_the_crosswalk_and_autre_stays(v11) -> None:  # type: ignore[no-untyped-def]
    old = "national@1.0.0"
    notes = [
        note("c1", "paiement_indu", 0, "trop perçu à rembourser", ref=old),  # renamed in 1.1.0
        note("c2", "rdv_prise", 1, "prendre rdv", ref=old),  # merged into rdv_gestion
        note("c3", "numerique_connexion", 2, "connexion impossible", ref=old),  # split: never guessed
        note("c4", "zzz", 3, "quelque chose", ref=old),  # not in 1.0.0
        note("c5", AUTRE, 4, "question sur le vélo électrique", ref=old),
        note("c6", "paiement_non_recu", 5, "versement absent", ref="ailleurs@2.0.0"),  # another base
        note("c7", "info_droits", 6, "quels droits", ref=old),  # unchanged
    ]
    examples = prepare_feedback(notes, v11)
    assert examples.codes == ["paiement_trop_percu", "rdv_gestion", AUTRE, "info_droits"]
    report = examples.report
    assert report.migrated == {"paiement_indu → paiement_trop_percu": 1, "rdv_prise → rdv_gestion": 1}
    assert report.dropped == {fb.REQUALIFY: 1, fb.UNKNOWN_CODE: 1, fb.OTHER_BASE: 1}
    assert report.autre == 1 and report.used == 4


def test_calls_without_note_and_inactive_codes_are_left_out_and_counted(v11) -> None:  # type: ignore[no-untyped-def]
    notes = [
        note("c1", "attestation", 0, None),
        note("c2", "attestation", 1, "   "),
        note("c3", "rdv_prise", 2, "prendre rdv"),  # a 1.0.0 code under a 1.1.0 ref: no longer active
        note("c4", "attestation", 3, "attestation CAF"),
    ]
    examples = prepare_feedback(notes, v11)
    assert examples.codes == ["attestation"]
    assert examples.report.dropped == {fb.NO_NOTE: 2, fb.INACTIVE: 1}


def test_since_keeps_only_recent_choices(v11) -> None:  # type: ignore[no-untyped-def]
    notes = [note("c1", "attestation", 0, "a"), note("c2", "rdv_gestion", 60, "b")]
    examples = prepare_feedback(notes, v11, since=T0 + timedelta(minutes=30))
    assert examples.codes == ["rdv_gestion"] and examples.report.read == 1


def test_contradictory_notes_are_counted_never_quoted(v11) -> None:  # type: ignore[no-untyped-def]
    secret = "Mme Zorglub pas reçu versement"
    notes = [
        note("c1", "paiement_non_recu", 0, secret),
        note("c2", "paiement_montant", 1, "  mme zorglub PAS reçu   versement "),  # same note, another code
        note("c3", "paiement_non_recu", 2, secret),
        note("c4", "attestation", 3, "attestation"),
        note("c5", "attestation", 4, "attestation"),  # same note, same code: consistent
    ]
    report = prepare_feedback(notes, v11).report
    assert (report.contradictory_notes, report.contradictory_calls) == (1, 3)
    assert report.used == 5  # kept: either agent may be right
    assert "zorglub" not in repr(report).lower()


def test_site_cap_keeps_the_most_recent_choices_of_a_dominant_site(v11) -> None:  # type: ignore[no-untyped-def]
    notes = [note(f"a{i}", "attestation", i, f"note a{i}", site="caf-75") for i in range(8)]
    notes += [note(f"b{i}", "rdv_gestion", 100 + i, f"note b{i}", site="caf-13") for i in range(2)]
    capped = prepare_feedback(notes, v11, max_site_share=0.5)
    assert capped.report.by_site == {"caf-13": 2, "caf-75": 5}
    assert capped.report.dropped == {fb.SITE_CAP: 3}
    assert capped.texts[:5] == [f"note a{i}" for i in range(3, 8)]  # the 3 oldest of caf-75 went
    assert prepare_feedback(notes, v11, max_site_share=1.0).report.used == 10
    alone = [n for n in notes if n.site == "caf-75"]
    assert prepare_feedback(alone, v11, max_site_share=0.5).report.used == 8  # nothing to balance
    with pytest.raises(TrainingConfigError):
        prepare_feedback(notes, v11, max_site_share=0)


def test_agent_cap_keeps_the_most_recent_choices_of_a_dominant_agent(v11) -> None:  # type: ignore[no-untyped-def]
    notes = [note(f"a{i}", "attestation", i, f"note a{i}", agent="agent-1") for i in range(6)]
    notes += [note(f"b{i}", "rdv_gestion", 100 + i, f"note b{i}", agent="agent-2") for i in range(2)]
    notes += [note(f"u{i}", "rdv_gestion", 200 + i, f"note u{i}") for i in range(2)]  # agent unknown
    capped = prepare_feedback(notes, v11, max_agent_share=0.3)
    assert capped.report.dropped == {fb.AGENT_CAP: 3}  # 10 choices → at most 3 per known agent
    assert capped.texts[:3] == ["note a3", "note a4", "note a5"]  # agent-1's 3 oldest went
    assert capped.report.used == 7  # agent-2's 2 and the 2 unknown are all kept
    alone = [n for n in notes if n.agent != "agent-2"]
    assert prepare_feedback(alone, v11, max_agent_share=0.3).report.used == 8  # one known agent: nothing to balance
    with pytest.raises(TrainingConfigError):
        prepare_feedback(notes, v11, max_agent_share=1.5)


def test_add_feedback_holds_out_the_most_recent_choices(v11) -> None:  # type: ignore[no-untyped-def]
    notes = [note(f"c{i}", AUTRE if i == 2 else "attestation", i, f"note {i}") for i in range(10)]
    examples = prepare_feedback(notes, v11)
    rows = add_feedback(
        ["f0", "f1", "f2"], ["rdv_gestion"] * 3, None, ([0, 1], [2], "stratified"), examples, fraction=0.2, minimum=10
    )
    assert rows.split_kind == fb.FEEDBACK_SPLIT
    assert rows.evaluation == [11, 12] and [rows.texts[i] for i in rows.evaluation] == ["note 8", "note 9"]
    assert sorted(rows.train) == [0, 1, 2, *range(3, 11)]  # the whole file joins the training part
    assert rows.autre_rows == {5} and rows.codes[5] == AUTRE
    few = add_feedback(
        ["f0", "f1", "f2"], ["x"] * 3, None, ([0, 1], [2], "stratified"), examples, fraction=0.2, minimum=11
    )
    assert few.split_kind == "stratified" and few.evaluation == [2] and sorted(few.train) == [0, 1, *range(3, 13)]


def test_parse_since() -> None:
    assert fb.parse_since("2026-03-02") == datetime(2026, 3, 2, tzinfo=UTC)
    assert fb.parse_since("2026-03-02T10:00:00+01:00") == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(TrainingDataError, match="AAAA-MM-JJ"):
        fb.parse_since("02/03/2026")


# ------------------------------------------------------------------------------------------------- store join
def _prediction(call_id: str, text: str | None, model_version: str = "m1") -> PredictionRecord:
    return PredictionRecord(
        call_id=call_id,
        called_at=T0,
        code="paiement_non_recu",
        confidence=0.7,
        autre=False,
        top_k=(ScoredCode("paiement_non_recu", 0.7),),
        model_version=model_version,
        taxonomy_version=V11,
        source="api",
        redacted_text=text,
        site="caf-75",
    )


def _choose(db: Database, call_id: str, code: str, ref: str = V11, site: str | None = "caf-75") -> None:
    db.feedback.add(FeedbackRecord(call_id, (code,), code, ref, site=site), known_codes={code})


def test_store_joins_each_choice_to_the_latest_note_of_its_call(db_url: str) -> None:
    db = Database.open(db_url)
    try:
        db.predictions.add(_prediction("c1", "ancienne note"))
        db.predictions.add(_prediction("c1", "note corrigée <NOM>", model_version="m2"))
        db.predictions.add(_prediction("c2", None))
        _choose(db, "c1", "paiement_montant")
        _choose(db, "c2", "attestation")
        _choose(db, "inconnu", "rdv_gestion", site=None)
        _choose(db, "c1", "paiement_non_recu")
        rows = list(db.feedback.with_notes())
        assert [(r.call_id, r.chosen_code, r.redacted_text) for r in rows] == [
            ("c1", "paiement_montant", "note corrigée <NOM>"),
            ("c2", "attestation", None),
            ("inconnu", "rdv_gestion", None),
            ("c1", "paiement_non_recu", "note corrigée <NOM>"),
        ]
        assert rows[0].site == "caf-75" and rows[0].taxonomy_version == V11 and rows[0].created_at.tzinfo is not None
        assert [r.call_id for r in db.feedback.with_notes(since=rows[2].created_at)] == ["inconnu", "c1"]
    finally:
        db.close()


# --------------------------------------------------------------------------------------------- end to end (CLI)
LEARNED = {  # notes the agents qualified, of codes the file also has
    "paiement_non_recu": ["toujours pas le versement de ce mois", "virement pas arrivé", "attend son paiement"],
    "attestation": ["besoin d'une attestation pour la mairie", "attestation de droits svp", "papier pour la banque"],
    "rdv_gestion": ["annuler son rdv de jeudi", "déplacer le rendez-vous", "rdv avec conseillère"],
    "situation_adresse": ["vient de déménager", "changement d'adresse à faire", "nouvelle adresse à Lyon"],
}


@pytest.mark.slow
@pytest.mark.xdist_group("mlflow-train")
def test_cli_train_with_feedback(tmp_path: Path, data_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db = Database.open(url)
    try:
        for code, texts in LEARNED.items():
            for i, text in enumerate(texts):
                db.predictions.add(_prediction(f"{code}-{i}", text))
                _choose(db, f"{code}-{i}", "paiement_montant" if i == 0 else code)  # first a wrong click…
        for code in LEARNED:
            _choose(db, f"{code}-0", code)  # …then corrected: the correction is the latest choice
        db.predictions.add(_prediction("old-1", "trop perçu à rembourser"))
        _choose(db, "old-1", "paiement_indu", ref="national@1.0.0")
        db.predictions.add(_prediction("hors-1", "question sur le vélo électrique"))
        _choose(db, "hors-1", AUTRE)
    finally:
        db.close()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["train", "--data", str(data_dir / "training" / "appels_etiquetes.csv"), "--out", str(tmp_path / "m")]
    args += ["--config", str(data_dir / "training" / "rapide.yaml"), "--tracking-uri", uri]
    args += ["--with-feedback", "--database-url", url, "--unknown-labels", "autre"]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Retours des agents : 18 choix lus, 14 appels, 14 exemples appris (dont 1 « autre »)" in output
    assert "4 choix remplacés" in output
    assert "paiement_indu → paiement_trop_percu (1)" in output
    assert "retours des agents (les plus récents en évaluation" in output
    assert "87 apprentissage, 3 évaluation" in output  # 76 file rows + 11 older choices; ceil(0.2 × 14) freshest
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("motifs")
    assert experiment is not None
    run = client.search_runs([experiment.experiment_id])[0]
    assert run.data.params["data.feedback_examples"] == "14"
    assert run.data.params["data.split_kind"] == fb.FEEDBACK_SPLIT
    assert "vélo" not in str(run.data)  # counts and codes only


def test_cli_since_must_be_a_date(tmp_path: Path, data_dir: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["motifs", "train", "--data", str(data_dir / "training" / "appels_etiquetes.csv"), "--out", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", [*args, "--with-feedback", "--since", "hier"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("Erreur :") and "--since : date illisible" in err and "\n" not in err


# ------------------------------------------------------------------------------------------------- motifs learn
def test_new_choices_and_reason_changes() -> None:
    notes = [note("c1", "attestation", 0), note("c1", "rdv_gestion", 10), note("c2", "attestation", 5)]
    assert learn_mod.count_new_choices(notes, None) == 2
    assert learn_mod.count_new_choices(notes, T0 + timedelta(minutes=5)) == 1  # strictly after the mark
    assert learn_mod.should_retrain(200, 200) and not learn_mod.should_retrain(199, 200)

    def report(**f1: float) -> EvaluationReport:
        per_class = tuple(ClassReport(code, f, f, f, 4) for code, f in f1.items())
        return EvaluationReport(10, 0.5, 0.5, 0.5, 0.0, 0.0, per_class, (), (), ())

    changes = learn_mod.reason_changes(report(a=0.9, b=0.5, c=0.7, d=0.4), report(a=0.8, b=0.6, c=0.7))
    assert [(c.code, round(c.delta, 2)) for c in changes] == [("b", -0.1), ("a", 0.1), ("d", 0.4)]


@pytest.mark.slow
@pytest.mark.xdist_group("mlflow-train")
def test_cli_learn_retrains_only_on_enough_new_feedback(tmp_path: Path, data_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db = Database.open(url)
    try:
        for code, texts in LEARNED.items():
            for i, text in enumerate(texts):
                db.predictions.add(_prediction(f"{code}-{i}", text))
                _choose(db, f"{code}-{i}", code)
    finally:
        db.close()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    models = tmp_path / "modeles"
    args = ["learn", "--data", str(data_dir / "training" / "appels_etiquetes.csv"), "--out-dir", str(models)]
    args += ["--unknown-labels", "autre"]
    args += ["--config", str(data_dir / "training" / "rapide.yaml"), "--tracking-uri", uri, "--database-url", url]
    runner = CliRunner()

    idle = runner.invoke(build_app(), [*args, "--min-new", "100"])
    assert idle.exit_code == 0, idle.output
    assert "12 appel(s) qualifié(s)" in idle.output and "Pas de réentraînement" in idle.output
    assert not models.exists()

    first = runner.invoke(build_app(), [*args, "--min-new", "10"])
    assert first.exit_code == 0, first.output
    assert "champion" in first.output and len(list(models.iterdir())) == 1
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    version = client.get_model_version_by_alias("motifs-reasons", "champion")
    db = Database.open(url)
    try:
        latest = max(row.created_at for row in db.feedback.with_notes())
    finally:
        db.close()
    tag = client.get_run(str(version.run_id)).data.tags[fb.FEEDBACK_MARK_TAG]
    assert datetime.fromisoformat(tag) == latest

    again = runner.invoke(build_app(), [*args, "--min-new", "10"])
    assert again.exit_code == 0 and "0 appel(s) qualifié(s) depuis le" in again.output
    assert "Pas de réentraînement" in again.output and len(list(models.iterdir())) == 1

    db = Database.open(url)
    try:
        for code, texts in LEARNED.items():
            for i, text in enumerate(texts):
                db.predictions.add(_prediction(f"{code}-new-{i}", f"{text} encore"))
                _choose(db, f"{code}-new-{i}", code)
    finally:
        db.close()
    second = runner.invoke(build_app(), [*args, "--min-new", "10"])
    assert second.exit_code == 0, second.output
    output = " ".join(second.output.split())
    assert "12 appel(s) qualifié(s) depuis le" in output and len(list(models.iterdir())) == 2
    assert "Par motif" in output and "version 1" in output  # compared with the champion on the same holdout

    # A challenger that is worse on the same recent choices never takes the alias (a crippled classifier here).
    db = Database.open(url)
    try:
        for code, texts in LEARNED.items():
            for i, text in enumerate(texts):
                db.predictions.add(_prediction(f"{code}-late-{i}", f"{text} toujours"))
                _choose(db, f"{code}-late-{i}", code)
    finally:
        db.close()
    champion_before = client.get_model_version_by_alias("motifs-reasons", "champion").version
    crippled = tmp_path / "crippled.yaml"
    crippled.write_text(
        "abstention: {holdout_rounds: 1}\nclassifier: {cv: 3, C: 0.000001}\nreason_texts: {weight: 0.000001}\n",
        encoding="utf-8",
    )
    worse = runner.invoke(build_app(), [*args, "--min-new", "10", "--config", str(crippled)])
    assert worse.exit_code == 0, worse.output
    worse_output = " ".join(worse.output.split())
    assert "il reste challenger" in worse_output and len(list(models.iterdir())) == 3
    assert "champion version 1 → nouveau" in worse_output  # per-reason F1 changes are printed
    assert client.get_model_version_by_alias("motifs-reasons", "champion").version == champion_before
