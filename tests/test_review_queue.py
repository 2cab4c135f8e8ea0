"""The « à confirmer » queue: ranking properties (uncertainty, diversity, volume), the store's candidates, and an
analyst's label stored as feedback that training reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serving.errors import InvalidDay, UnknownCall, UnknownReasonCode
from serving.review.confirm import confirmation_queue, label_call
from serving.review.queue import QueueCandidate, note_vectors, rank_queue, uncertainty
from serving.store import Database, FeedbackRecord, PredictionRecord, ScoredCode

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CODES = {"paiement_non_recu", "paiement_montant", "dossier_etat", "rdv_prise", "autre"}


def _candidate(call_id: str, text: str, best: float, second: float, set_size: int = 2) -> QueueCandidate:
    return QueueCandidate(call_id, text, (best, second), tuple(f"c{i}" for i in range(set_size)))


def _unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.array(rows, dtype=float)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_uncertainty_grows_as_the_margin_shrinks_and_the_set_grows() -> None:
    assert uncertainty((0.9, 0.05)) < uncertainty((0.5, 0.4)) < uncertainty((0.45, 0.45))
    assert uncertainty((0.5, 0.4), set_size=4) > uncertainty((0.5, 0.4), set_size=2)
    assert uncertainty((1.0,)) == 0.0


def test_near_identical_notes_collapse_to_one_representative() -> None:
    texts = [f"je n'ai pas reçu mon versement du mois {m}" for m in ("de mars", "d'avril", "de mai", "de juin")]
    texts += ["je voudrais prendre un rendez-vous à l'agence", "mon dossier est bloqué depuis trois semaines"]
    candidates = [_candidate(f"a{i}", t, 0.5, 0.4) for i, t in enumerate(texts)]
    entries = rank_queue(candidates, note_vectors(texts))
    assert len(entries) == 3
    assert sum(e.group_size for e in entries) == len(texts)
    grouped = next(e for e in entries if e.group_size == 4)
    assert {candidates[i].call_id for i in grouped.members} == {"a0", "a1", "a2", "a3"}
    assert entries[0] is grouped  # same doubt: the larger group teaches more


def test_more_uncertain_group_ranks_first_at_equal_volume() -> None:
    vectors = _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    candidates = [
        _candidate("sure", "a", 0.9, 0.05),
        _candidate("tie", "b", 0.45, 0.44),
        _candidate("mid", "c", 0.6, 0.3),
    ]
    assert [e.call_id for e in rank_queue(candidates, vectors)] == ["tie", "mid", "sure"]


def test_volume_has_diminishing_returns_against_uncertainty() -> None:
    # ten notes the model is nearly sure of vs. two real ties: the ties come first
    rows = [[1, 0.01 * i, 0] for i in range(10)] + [[0, 0, 1], [0, 0.01, 1]]
    candidates = [_candidate(f"s{i}", "x", 0.95, 0.02) for i in range(10)]
    candidates += [_candidate("t0", "y", 0.4, 0.39), _candidate("t1", "y", 0.41, 0.4)]
    entries = rank_queue(candidates, _unit(rows))
    assert [e.group_size for e in entries] == [2, 10]


def test_limit_similarity_and_shape_are_checked() -> None:
    candidates = [_candidate(f"c{i}", "x", 0.5, 0.4) for i in range(3)]
    vectors = _unit([[1, 0], [0.99, 0.1], [0, 1]])
    assert len(rank_queue(candidates, vectors, limit=1)) == 1
    assert len(rank_queue(candidates, vectors, similarity=1.0)) == 3
    assert rank_queue([], np.zeros((0, 2))) == []
    with pytest.raises(ValueError, match="vecteurs"):
        rank_queue(candidates, vectors[:2])
    with pytest.raises(ValueError, match="similarité"):
        rank_queue(candidates, vectors, similarity=0)


def test_ranking_is_deterministic_and_independent_of_input_order() -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng.normal(size=(40, 5)).tolist())
    scores = rng.uniform(0.2, 0.6, size=(40, 2))
    candidates = [_candidate(f"c{i}", "x", float(a), float(b)) for i, (a, b) in enumerate(scores)]
    first = rank_queue(candidates, vectors, similarity=0.8)
    again = rank_queue(candidates, vectors, similarity=0.8)
    assert first == again
    assert sorted(i for e in first for i in e.members) == list(range(40))  # each call in exactly one group


# --- over the store ------------------------------------------------------------------------------------------------


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.open(db_url)
    yield database
    database.close()


def _prediction(
    call_id: str, text: str, decision: str = "to_confirm", minutes: int = 0, **kw: object
) -> PredictionRecord:
    fields: dict[str, object] = {
        "call_id": call_id,
        "called_at": T0 + timedelta(minutes=minutes),
        "code": "paiement_non_recu",
        "confidence": 0.45,
        "autre": decision == "autre",
        "decision": decision,
        "top_k": (ScoredCode("paiement_non_recu", 0.45), ScoredCode("paiement_montant", 0.40)),
        "prediction_set": ("paiement_non_recu", "paiement_montant") if decision == "to_confirm" else (),
        "model_version": "m1",
        "taxonomy_version": "national@1.1.0",
        "source": "api",
        "site": "caf-75",
        "redacted_text": text,
    }
    fields.update(kw)
    return PredictionRecord(**fields)  # type: ignore[arg-type]


def test_queue_holds_unlabelled_to_confirm_calls_only(db: Database) -> None:
    db.predictions.add_many(
        [
            _prediction("c1", "pas reçu mon versement de mars", minutes=1),
            _prediction("c2", "pas reçu mon versement d'avril", minutes=2),
            _prediction("c3", "rendez-vous pour mon dossier", minutes=3),
            _prediction("sure", "rendez-vous à l'agence", decision="confident", minutes=4),
            _prediction("out", "question sur la météo", decision="autre", minutes=5),
            _prediction("done", "changement d'adresse", minutes=6),
            _prediction("empty", "", minutes=7),
        ]
    )
    db.feedback.add(FeedbackRecord("done", ("dossier_etat",), "dossier_etat", "national@1.1.0"), known_codes=CODES)
    queue = confirmation_queue(db, similarity=0.5)
    shown = {item.record.call_id for item in queue}
    assert shown and shown <= {"c1", "c2", "c3"}
    assert sum(item.entry.group_size for item in queue) == 3  # c1, c2, c3 only: the rest is not « à confirmer »
    assert [item.rank for item in queue] == list(range(1, len(queue) + 1))
    assert queue[0].choices == ("paiement_non_recu", "paiement_montant")
    assert confirmation_queue(db, site="other") == []


def test_a_label_becomes_analyst_feedback_that_training_reads(db: Database) -> None:
    db.predictions.add(_prediction("c1", "pas reçu mon versement de mars"))
    record = label_call(
        db, "c1", "paiement_montant", analyst="Camille", known_codes=CODES, taxonomy_ref="national@1.1.0"
    )
    assert record.source == "analyst" and record.agent == "Camille"
    (stored,) = list(db.feedback.with_notes())
    assert (stored.call_id, stored.chosen_code, stored.source, stored.agent) == (
        "c1",
        "paiement_montant",
        "analyst",
        "Camille",
    )
    assert stored.redacted_text == "pas reçu mon versement de mars"
    assert confirmation_queue(db) == []  # labelled: out of the queue
    with pytest.raises(UnknownCall):
        label_call(db, "nope", "paiement_montant", analyst="Camille", known_codes=CODES, taxonomy_ref="x")
    with pytest.raises(UnknownReasonCode):
        label_call(db, "c1", "pas_un_code", analyst="Camille", known_codes=CODES, taxonomy_ref="national@1.1.0")


# --- motifs review queue -------------------------------------------------------------------------------------------


def test_cli_prints_and_exports_the_queue(db_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from motifs.cli.main import build_app

    db = Database.open(db_url)
    db.predictions.add_many(
        [
            _prediction("c1", "pas reçu mon versement de mars", minutes=1),
            _prediction("c2", "pas reçu mon versement d'avril", minutes=2),
            _prediction("c3", "=rendez-vous pour mon dossier", minutes=3),
        ]
    )
    db.close()
    runner = CliRunner()
    shown = runner.invoke(build_app(), ["review", "queue", "--database-url", db_url])
    assert shown.exit_code == 0, shown.output
    assert "File « à confirmer »" in shown.output and "paiement_non_recu" in shown.output
    out = tmp_path / "file.csv"
    exported = runner.invoke(build_app(), ["review", "queue", "--database-url", db_url, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    frame = pd.read_csv(out)
    assert list(frame["rang"]) == list(range(1, len(frame) + 1))
    assert frame["notes_semblables"].sum() == 3  # the two « versement » notes are one line or two, never lost
    assert set(frame["call_id"]) <= {"c1", "c2", "c3"}
    assert not frame["note"].str.startswith("=").any()  # CSV for spreadsheets: formulas neutralised
    bad = runner.invoke(build_app(), ["review", "queue", "--database-url", db_url, "--since", "hier"])
    assert bad.exit_code != 0 and isinstance(bad.exception, InvalidDay)  # a domain error: one line from main()
