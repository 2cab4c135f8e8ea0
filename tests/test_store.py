"""serving.store: schema migrations, idempotent writes, monitoring queries — on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from serving.errors import InvalidRecord, StoreError, UnknownReasonCode, UnsupportedDatabase
from serving.store import (
    Database,
    FeedbackRecord,
    PredictionRecord,
    ScoredCode,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from serving.store.migrate import alembic_config
from serving.store.schema import Base

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def record(
    call_id: str = "c1", *, model: str = "m1", code: str = "paiement_non_recu", **kwargs: object
) -> PredictionRecord:
    fields: dict[str, object] = {
        "call_id": call_id,
        "called_at": T0,
        "code": code,
        "confidence": 0.8,
        "autre": code == "autre",
        "top_k": (ScoredCode(code, 0.8), ScoredCode("paiement_montant", 0.1)),
        "model_version": model,
        "taxonomy_version": "national@1.1.0",
        "source": "batch",
        "site": "caf-75",
        "channel": "telephone",
        "redacted_text": "pas reçu mon versement <NOM>",
    }
    fields.update(kwargs)
    return PredictionRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db(db_url: str) -> Database:
    database = Database.open(db_url)
    yield database
    database.close()


def test_migrations_reproduce_the_orm_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert {"predictions", "feedback", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrade_twice_is_a_no_op_and_downgrade_goes_back_to_empty(db_url: str) -> None:
    from alembic import command

    engine = make_engine(db_url)
    upgrade(engine)
    Database(engine).predictions.add(record("c1"))
    assert upgrade(engine) == head_revision()
    assert Database(engine).predictions.count() == 1
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert not {"predictions", "feedback"} & set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'sub' / 'motifs.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
    assert db.ping()
    db.close()


def test_unsupported_or_unreadable_urls_are_refused_in_french() -> None:
    with pytest.raises(UnsupportedDatabase, match="non prise en charge"):
        make_engine("mysql://u:secret@host/db")
    with pytest.raises(UnsupportedDatabase, match="illisible"):
        make_engine("pas une url")


def test_migration_failure_hides_the_password() -> None:
    engine = make_engine("postgresql+psycopg://motifs:s3cret@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreError) as info:
        upgrade(engine)
    assert "s3cret" not in str(info.value)
    assert "***" in str(info.value)


def test_round_trip_keeps_every_field_and_timezones(db: Database) -> None:
    paris = timezone(timedelta(hours=1))
    original = record("c1", called_at=datetime(2026, 3, 2, 10, 30, tzinfo=paris))
    db.predictions.add(original)
    (stored,) = db.predictions.get("c1")
    assert stored == original  # equal as instants; created_at is not compared
    assert stored.called_at.tzinfo is not None
    assert stored.called_at == T0
    assert stored.created_at is not None and stored.created_at.tzinfo is not None
    assert stored.top_k[0] == ScoredCode("paiement_non_recu", 0.8)


def test_rerun_is_idempotent_and_a_new_model_adds_a_row(db: Database) -> None:
    batch = [record(f"c{i}") for i in range(5)]
    assert db.predictions.add_many(batch) == 5
    assert db.predictions.add_many(batch) == 5
    assert db.predictions.count() == 5
    db.predictions.add_many([record("c0", model="m2", code="attestation")])
    assert db.predictions.count() == 6
    assert [r.model_version for r in db.predictions.get("c0")] == ["m1", "m2"]


def test_a_model_is_recorded_once_per_version_with_its_calibration(db: Database) -> None:
    assert db.models.get("m1") is None
    db.models.record("m1", "national@1.0.0", None)  # a model saved before calibration existed
    first = db.models.get("m1")
    assert first is not None and first.calibration is None and first.taxonomy_version == "national@1.0.0"
    promise = {"alpha": 0.05, "novelty": {"level": 0.05, "threshold": 0.8, "rate_interval": [0.03, 0.07]}}
    db.models.record("m1", "national@1.0.0", promise)  # recorded again (next batch): refreshed, not duplicated
    db.models.record("m2", "national@1.1.0", {"skipped": "trop peu de notes"})
    again = db.models.get("m1")
    assert again is not None and again.calibration == promise
    assert again.recorded_at is not None and first.recorded_at is not None and again.recorded_at >= first.recorded_at
    other = db.models.get("m2")
    assert other is not None and other.calibration == {"skipped": "trop peu de notes"}


def test_replace_keeps_the_latest_note_and_keep_leaves_finished_rows(db: Database) -> None:
    db.predictions.add(record("c1", redacted_text="premier jet", source="api"))
    db.predictions.add(record("c1", redacted_text="note complète", source="api"))
    (row,) = db.predictions.get("c1")
    assert row.redacted_text == "note complète"
    written = db.predictions.add_many(
        [record("c1", redacted_text="reprise"), record("c2", redacted_text="reprise")], on_conflict="keep"
    )
    assert written == 1
    assert db.predictions.get("c1")[0].redacted_text == "note complète"
    assert db.predictions.get("c2")[0].redacted_text == "reprise"


def test_duplicate_keys_in_one_call_keep_the_last(db: Database) -> None:
    db.predictions.add_many([record("c1", code="attestation"), record("c1", code="rdv_prise")])
    assert [r.code for r in db.predictions.get("c1")] == ["rdv_prise"]


def test_existing_call_ids_for_resumption(db: Database) -> None:
    db.predictions.add_many([record(f"c{i}") for i in range(700)])
    asked = [f"c{i}" for i in range(650, 760)]
    assert db.predictions.existing_call_ids(asked, model_version="m1") == {f"c{i}" for i in range(650, 700)}
    assert db.predictions.existing_call_ids(asked, model_version="m2") == set()


def test_window_queries_and_code_counts(db: Database) -> None:
    day = timedelta(days=1)
    db.predictions.add_many(
        [
            record("a", called_at=T0),
            record("b", called_at=T0 + timedelta(hours=2), code="autre"),
            record("c", called_at=T0 + timedelta(hours=3), site="cpam-13"),
            record("d", called_at=T0 + day),  # outside [T0, T0 + 1 day)
            record("e", called_at=T0, model="m2"),
        ]
    )
    assert [r.call_id for r in db.predictions.iter_between(T0, T0 + day, model_version="m1", chunk_size=2)] == [
        "a",
        "b",
        "c",
    ]
    assert [r.call_id for r in db.predictions.iter_between(T0, T0 + 2 * day, site="cpam-13")] == ["c"]
    counts = {(c.site, c.code, c.autre): c.calls for c in db.predictions.code_counts(T0, T0 + day, model_version="m1")}
    assert counts == {
        ("caf-75", "paiement_non_recu", False): 1,
        ("caf-75", "autre", True): 1,
        ("cpam-13", "paiement_non_recu", False): 1,
    }
    assert db.predictions.model_versions(T0, T0 + day) == {"m1": 3, "m2": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"call_id": ""}, "sans call_id"),
        ({"called_at": datetime(2026, 3, 2, 9, 30)}, "sans fuseau"),
        ({"source": "csv"}, "source"),
        ({"confidence": 1.5}, "hors de"),
    ],
)
def test_invalid_records_are_refused_before_the_database(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        record(**change)  # type: ignore[arg-type]


def test_feedback_is_validated_against_the_taxonomy(db: Database) -> None:
    known = {"paiement_non_recu", "attestation", "autre"}
    db.feedback.add(
        FeedbackRecord("c1", ("paiement_non_recu", "attestation"), "attestation", "national@1.1.0", site="caf-75"),
        known_codes=known,
    )
    db.feedback.add(
        FeedbackRecord("c1", ("paiement_non_recu",), "paiement_non_recu", "national@1.1.0"), known_codes=known
    )
    db.feedback.add(FeedbackRecord("c2", (), "autre", "national@1.1.0"), known_codes=known)
    with pytest.raises(UnknownReasonCode, match="« demande_de_jean » n'existe pas"):
        db.feedback.add(FeedbackRecord("c3", (), "demande_de_jean", "national@1.1.0"), known_codes=known)
    with pytest.raises(UnknownReasonCode, match="inconnu_suggere"):
        db.feedback.add(FeedbackRecord("c3", ("inconnu_suggere",), "autre", "national@1.1.0"), known_codes=known)
    assert db.feedback.count() == 3
    assert db.feedback.latest_choices(["c1", "c2", "c9"]) == {"c1": "paiement_non_recu", "c2": "autre"}
    now = datetime.now(UTC)
    given = list(db.feedback.iter_between(now - timedelta(minutes=5), now + timedelta(minutes=5), site="caf-75"))
    assert [(f.call_id, f.suggested_codes, f.chosen_code) for f in given] == [
        ("c1", ("paiement_non_recu", "attestation"), "attestation")
    ]
