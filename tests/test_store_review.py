"""serving.store, revision 0002: cluster registry, runs, snapshots, review decisions — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import inspect

from serving.errors import ClusterAlreadyReviewed, InvalidRecord, UnknownCluster
from serving.store import (
    ClusterRecord,
    ClusterSnapshot,
    Database,
    MonitoringRunRecord,
    ReviewDecisionRecord,
    ReviewedExample,
    monitoring_scope,
)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.open(db_url)
    yield database
    database.close()


def cluster(cluster_id: str, *, scope: str = "week", status: str = "open", size: int = 8) -> ClusterRecord:
    return ClusterRecord(
        scope=scope,
        cluster_id=cluster_id,
        first_seen="2024-W14",
        last_seen="2024-W15",
        keywords=("chauffage", "aide"),
        state={"profile": {"chauffage": 0.9}, "history": {"2024-W14": size}},
        status=status,
    )


def snapshot(cluster_id: str, period: str, *, scope: str = "week", size: int = 8) -> ClusterSnapshot:
    return ClusterSnapshot(
        scope=scope,
        cluster_id=cluster_id,
        period=period,
        size=size,
        period_size=size,
        keywords=("chauffage", "aide"),
        examples=("aide chauffage exceptionnelle <NOM>",),
        call_ids=("c1", "c2"),
        notes={"c1": "aide chauffage exceptionnelle <NOM>", "c2": "prime chauffage"},
        novelty=0.93,
        growth=4.0,
        signal="weak",
        details={"share": 0.03},
    )


def run(periods: list[str], *, scope: str = "week") -> MonitoringRunRecord:
    return MonitoringRunRecord(
        scope=scope,
        granularity="week",
        source="files",
        periods=tuple({"period": p, "n_calls": 100, "n_autre": 7, "autre_share": 0.07} for p in periods),
        alerts=({"kind": "emerging_reason", "period": periods[-1], "scope": {"cluster": "E0001"}},),
        period_from=periods[0],
        period_to=periods[-1],
        parameters={"from": None},
        autre_share=0.07,
    )


def test_revision_creates_the_review_tables(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"clusters", "monitoring_runs", "cluster_snapshots", "review_decisions", "reviewed_examples"} <= tables


def test_scope_names() -> None:
    assert monitoring_scope("week") == "week"
    assert monitoring_scope("month", "caf-75") == "month@caf-75"
    with pytest.raises(InvalidRecord, match="granularité"):
        monitoring_scope("year")


def test_save_run_round_trip_and_rerun_replaces_the_periods_it_covers(db: Database) -> None:
    first = db.monitoring.save_run(
        run(["2024-W14", "2024-W15"]),
        [cluster("E0001"), cluster("E0002")],
        [snapshot("E0001", "2024-W14"), snapshot("E0001", "2024-W15", size=12), snapshot("E0002", "2024-W15")],
    )
    assert first.id is not None and first.created_at is not None
    assert first.periods[0]["n_calls"] == 100 and first.alerts[0]["kind"] == "emerging_reason"
    assert [c.cluster_id for c in db.monitoring.registry("week")] == ["E0001", "E0002"]
    assert db.monitoring.registry("week")[0] == cluster("E0001")
    trend = db.monitoring.snapshots("week", "E0001")
    assert [(s.period, s.size) for s in trend] == [("2024-W14", 8), ("2024-W15", 12)]
    assert trend[0] == snapshot("E0001", "2024-W14") and trend[0].run_id == first.id
    assert db.monitoring.latest_snapshots("week")["E0001"].period == "2024-W15"

    # A rerun over W15 only: E0002 is gone from W15, E0001's W15 point is replaced, W14 is kept.
    second = db.monitoring.save_run(run(["2024-W15"]), [cluster("E0001")], [snapshot("E0001", "2024-W15", size=9)])
    assert [(s.cluster_id, s.period, s.size) for s in db.monitoring.snapshots("week")] == [
        ("E0001", "2024-W14", 8),
        ("E0001", "2024-W15", 9),
    ]
    assert db.monitoring.latest_run("week") == second
    assert [r.id for r in db.monitoring.runs()] == [second.id, first.id]
    assert db.monitoring.get_run(first.id or 0) == first
    assert db.monitoring.scopes() == ["week"]


def test_scopes_are_separate_registries(db: Database) -> None:
    db.monitoring.save_run(run(["2024-W14"]), [cluster("E0001")], [snapshot("E0001", "2024-W14")])
    month = "month@caf-75"
    db.monitoring.save_run(
        run(["2024-04"], scope=month), [cluster("E0001", scope=month)], [snapshot("E0001", "2024-04", scope=month)]
    )
    assert [s.period for s in db.monitoring.snapshots("week")] == ["2024-W14"]
    assert [s.period for s in db.monitoring.snapshots(month)] == ["2024-04"]
    assert db.monitoring.scopes() == [month, "week"]
    with pytest.raises(InvalidRecord, match="enregistré dans"):
        db.monitoring.save_run(run(["2024-W16"]), [cluster("E0003", scope=month)], [])


def test_decisions_change_the_status_once_and_it_survives_a_new_run(db: Database) -> None:
    db.monitoring.save_run(run(["2024-W14"]), [cluster("E0001"), cluster("E0002")], [])
    decision = db.review.decide(
        ReviewDecisionRecord(
            scope="week",
            cluster_id="E0001",
            action="attach",
            reviewer="analyste.qualite",
            target_code="paiement_non_recu",
            taxonomy_ref="national@1.1.0",
            payload={"calls": 2},
        ),
        [
            ReviewedExample("c1", "pas reçu le versement <NOM>", "paiement_non_recu", "national@1.1.0"),
            ReviewedExample("c2", "versement en retard", "paiement_non_recu", "national@1.1.0"),
            ReviewedExample("c2", "doublon ignoré", "paiement_non_recu", "national@1.1.0"),
            ReviewedExample("c3", "  ", "paiement_non_recu", "national@1.1.0"),
        ],
    )
    assert decision.id is not None and decision.created_at is not None and decision.reviewer == "analyste.qualite"
    assert db.monitoring.cluster("week", "E0001").status == "attached"  # type: ignore[union-attr]
    examples = db.review.examples()
    assert [(e.call_id, e.decision_id) for e in examples] == [("c1", decision.id), ("c2", decision.id)]
    assert db.review.examples_by_code({"paiement_non_recu"}) == {
        "paiement_non_recu": ["pas reçu le versement <NOM>", "versement en retard"]
    }
    assert db.review.examples_by_code({"attestation"}) == {}

    with pytest.raises(ClusterAlreadyReviewed, match="E0001 déjà traité"):
        db.review.decide(ReviewDecisionRecord(scope="week", cluster_id="E0001", action="dismiss", reviewer="b"))
    with pytest.raises(UnknownCluster, match="E0404"):
        db.review.decide(ReviewDecisionRecord(scope="week", cluster_id="E0404", action="dismiss", reviewer="b"))
    with pytest.raises(UnknownCluster):  # same id, other scope
        db.review.decide(ReviewDecisionRecord(scope="month", cluster_id="E0002", action="dismiss", reviewer="b"))

    # A later monitoring run saves the registry again with status "open": the analyst's decision stays.
    db.monitoring.save_run(run(["2024-W15"]), [cluster("E0001", status="open")], [])
    assert db.monitoring.cluster("week", "E0001").status == "attached"  # type: ignore[union-attr]
    assert [d.action for d in db.review.decisions("week")] == ["attach"]
    assert db.review.decisions(cluster_id="E0002") == []


def test_invalid_decisions_are_refused_before_the_database() -> None:
    with pytest.raises(InvalidRecord, match="inconnue"):
        ReviewDecisionRecord(scope="week", cluster_id="E0001", action="merge", reviewer="a")
    with pytest.raises(InvalidRecord, match="sans motif cible"):
        ReviewDecisionRecord(scope="week", cluster_id="E0001", action="create", reviewer="a")
    with pytest.raises(InvalidRecord, match="sans auteur"):
        ReviewDecisionRecord(scope="week", cluster_id="E0001", action="dismiss", reviewer="")
    with pytest.raises(InvalidRecord, match="statut"):
        cluster("E0001", status="fermé")


def test_review_queue_orders_by_expected_value_within_a_grade() -> None:
    from serving.review.workflow import ClusterView, _order

    def view(cluster_id: str, signal: str, size: int, priority: float) -> ClusterView:
        return ClusterView(
            scope="national", cluster_id=cluster_id, status="open", first_seen="2024-W10", last_seen="2024-W12",
            keywords=(), size=size, period="2024-W12", signal=signal, best_signal=signal, novelty=None,
            growth=None, examples=(), priority=priority,
        )  # fmt: skip

    # A large artefact with little expected value ranks below a smaller, persistent, growing theme; weak below strong.
    views = [view("E0001", "strong", 90, 50.0), view("E0002", "strong", 40, 400.0), view("E0003", "weak", 20, 900.0)]
    assert [v.cluster_id for v in sorted(views, key=_order)] == ["E0002", "E0001", "E0003"]
