"""Repositories of demand monitoring and review: the cluster registry, monitoring runs with per-period cluster
snapshots, review decisions and the training examples they produce. No SQL outside this module and `repository`.

A monitoring run is saved in one transaction (`MonitoringStore.save_run`): the run row, the registry entries
(inserted, or updated **without touching their status**: only review decisions change a status, so an analyst's
decision taken while a run was computing is not lost), and the snapshots of the periods it covers (those periods'
previous snapshots are replaced: the latest run over a period is the truth for that period). A review decision is one
transaction too (`ReviewStore.decide`): the cluster must still be open, the decision and its examples are inserted
and the status changes together.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from serving.errors import ClusterAlreadyReviewed, InvalidRecord, UnknownCluster
from serving.store._sql import insert_statement as _insert
from serving.store._sql import store_error as _store_error
from serving.store.engine import writer
from serving.store.records import (
    STATUS_AFTER,
    ClusterRecord,
    ClusterSnapshot,
    MonitoringRunRecord,
    PeriodState,
    ReviewDecisionRecord,
    ReviewedExample,
)
from serving.store.schema import (
    ClusterRow,
    ClusterSnapshotRow,
    MonitoringPeriodRow,
    MonitoringRunRow,
    NoteTokensRow,
    ReviewDecisionRow,
    ReviewedExampleRow,
    utcnow,
)

_CLUSTERS: Table = ClusterRow.__table__  # type: ignore[assignment]
_RUNS: Table = MonitoringRunRow.__table__  # type: ignore[assignment]
_SNAPSHOTS: Table = ClusterSnapshotRow.__table__  # type: ignore[assignment]
_DECISIONS: Table = ReviewDecisionRow.__table__  # type: ignore[assignment]
_EXAMPLES: Table = ReviewedExampleRow.__table__  # type: ignore[assignment]
_PERIODS: Table = MonitoringPeriodRow.__table__  # type: ignore[assignment]
_TOKENS: Table = NoteTokensRow.__table__  # type: ignore[assignment]
_IN_CHUNK = 500


class MonitoringStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    # --- writing -------------------------------------------------------------------------------------------------
    def save_run(
        self,
        run: MonitoringRunRecord,
        clusters: Iterable[ClusterRecord],
        snapshots: Iterable[ClusterSnapshot],
        period_states: Iterable[PeriodState] = (),
        kept_periods: Collection[str] = (),
    ) -> MonitoringRunRecord:
        """Store a run, the updated registry of its scope, the snapshots of the periods it reported and the state of
        the periods it analysed (replaced); returns the run with its id. Every cluster, snapshot and period state
        must belong to the run's scope. `kept_periods`: reported periods whose stored snapshots are the run's as
        they are (an incremental run reused them): they are moved to the new run, not sent again."""
        cluster_rows = sorted((_cluster_row(c, run.scope) for c in clusters), key=lambda r: r["cluster_id"])
        snapshot_list = list(snapshots)
        moved_periods = sorted(kept_periods)
        periods = sorted(
            ({str(p["period"]) for p in run.periods} | {s.period for s in snapshot_list}) - set(moved_periods)
        )
        run_row = _run_row(run)
        state_rows = [_period_row(state, run.scope) for state in period_states]
        try:
            with self._writer.begin() as connection:
                run_id = int(connection.execute(_RUNS.insert().returning(_RUNS.c.id), [run_row]).scalar_one())
                if cluster_rows:
                    stmt = _insert(connection, _CLUSTERS)
                    kept = ("scope", "cluster_id", "status", "created_at")
                    stmt = stmt.on_conflict_do_update(
                        index_elements=["scope", "cluster_id"],
                        set_={c: stmt.excluded[c] for c in cluster_rows[0] if c not in kept},
                    )
                    connection.execute(stmt, cluster_rows)
                s = _SNAPSHOTS.c
                for start in range(0, len(periods), _IN_CHUNK):
                    chunk = periods[start : start + _IN_CHUNK]
                    connection.execute(delete(_SNAPSHOTS).where(s.scope == run.scope, s.period.in_(chunk)))
                for start in range(0, len(moved_periods), _IN_CHUNK):
                    chunk = moved_periods[start : start + _IN_CHUNK]
                    moved = update(_SNAPSHOTS).where(s.scope == run.scope, s.period.in_(chunk)).values(run_id=run_id)
                    connection.execute(moved)
                rows = [_snapshot_row(snapshot, run.scope, run_id) for snapshot in snapshot_list]
                if rows:
                    connection.execute(_SNAPSHOTS.insert(), rows)
                if state_rows:
                    stmt = _insert(connection, _PERIODS)
                    stmt = stmt.on_conflict_do_update(
                        index_elements=["scope", "period"],
                        set_={c: stmt.excluded[c] for c in state_rows[0] if c not in ("scope", "period")},
                    )
                    connection.execute(stmt, state_rows)
                stored = connection.execute(select(_RUNS).where(_RUNS.c.id == run_id)).one()
        except SQLAlchemyError as exc:
            raise _store_error(f"enregistrement du suivi ({run.scope})", self._engine, exc) from exc
        return _run_record(stored._mapping)

    # --- reading -------------------------------------------------------------------------------------------------
    def registry(self, scope: str) -> list[ClusterRecord]:
        """Every cluster of a scope, by id (the registry monitoring starts from)."""
        c = _CLUSTERS.c
        query = select(_CLUSTERS).where(c.scope == scope).order_by(c.cluster_id)
        with self._engine.connect() as connection:
            return [_cluster_record(row._mapping) for row in connection.execute(query)]

    def cluster(self, scope: str, cluster_id: str) -> ClusterRecord | None:
        c = _CLUSTERS.c
        query = select(_CLUSTERS).where(c.scope == scope, c.cluster_id == cluster_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return _cluster_record(row._mapping) if row is not None else None

    def snapshots(
        self, scope: str, cluster_id: str | None = None, *, period: str | None = None
    ) -> list[ClusterSnapshot]:
        """Snapshots of a scope (one cluster, or one period, or all), by cluster id then period."""
        s = _SNAPSHOTS.c
        query = select(_SNAPSHOTS).where(s.scope == scope)
        if cluster_id is not None:
            query = query.where(s.cluster_id == cluster_id)
        if period is not None:
            query = query.where(s.period == period)
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(s.cluster_id, s.period))
            return [_snapshot_record(row._mapping) for row in rows]

    def latest_snapshots(self, scope: str) -> dict[str, ClusterSnapshot]:
        """Cluster id → its snapshot of the last period it was seen in."""
        s = _SNAPSHOTS.c
        last = (
            select(s.cluster_id, func.max(s.period).label("period"))
            .where(s.scope == scope)
            .group_by(s.cluster_id)
            .subquery()
        )
        query = (
            select(_SNAPSHOTS)
            .join(last, (s.cluster_id == last.c.cluster_id) & (s.period == last.c.period))
            .where(s.scope == scope)
        )
        with self._engine.connect() as connection:
            return {row.cluster_id: _snapshot_record(row._mapping) for row in connection.execute(query)}

    def runs(self, scope: str | None = None, *, limit: int = 50) -> list[MonitoringRunRecord]:
        """The latest runs (of one scope, or all), newest first."""
        r = _RUNS.c
        query = select(_RUNS)
        if scope is not None:
            query = query.where(r.scope == scope)
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(r.created_at.desc(), r.id.desc()).limit(limit))
            return [_run_record(row._mapping) for row in rows]

    def latest_run(self, scope: str | None = None) -> MonitoringRunRecord | None:
        found = self.runs(scope, limit=1)
        return found[0] if found else None

    def get_run(self, run_id: int) -> MonitoringRunRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(_RUNS).where(_RUNS.c.id == run_id)).first()
        return _run_record(row._mapping) if row is not None else None

    def period_states(
        self, scope: str, *, results: bool = True, periods: Collection[str] | None = None
    ) -> dict[str, PeriodState]:
        """Period → its stored state without the registry (`registry_after`): of `periods`, or all; `results=False`:
        fingerprints only, the cheap read of a rerun."""
        p = _PERIODS.c
        light = [p.scope, p.period, p.calls_fingerprint, p.settings_fingerprint, p.n_calls]
        flag = p.report.is_not(None).label("has_results")
        query = (
            select(*light, *([p.report, p.writing_change] if results else []), flag)
            .where(p.scope == scope)
            .order_by(p.period)
        )
        wanted = sorted(periods) if periods is not None else None
        chunks = [None] if wanted is None else [wanted[i : i + _IN_CHUNK] for i in range(0, len(wanted), _IN_CHUNK)]
        out: dict[str, PeriodState] = {}
        with self._engine.connect() as connection:
            for chunk in chunks:
                chunk_query = query if chunk is None else query.where(p.period.in_(chunk))
                out.update((row.period, _period_record(row._mapping)) for row in connection.execute(chunk_query))
        return out

    def registry_after(self, scope: str, period: str) -> dict[str, Any] | None:
        """The cluster registry as it stood after `period` (an incremental run restarts from it)."""
        p = _PERIODS.c
        query = select(p.registry_state).where(p.scope == scope, p.period == period)
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def note_tokens(self, keys: Collection[str]) -> dict[str, tuple[list[str], bytes | None]]:
        """Key → (lemmas, vector bytes) of the notes already lemmatised (`note_tokens`), for those found."""
        wanted = sorted(set(keys))
        t = _TOKENS.c
        out: dict[str, tuple[list[str], bytes | None]] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = select(t.key, t.lemmas, t.vector).where(t.key.in_(wanted[start : start + _IN_CHUNK]))
                out.update((key, (list(lemmas), vector)) for key, lemmas, vector in connection.execute(query))
        return out

    def save_note_tokens(self, tokens: Mapping[str, tuple[Sequence[str], bytes | None]]) -> None:
        """Keep notes' lemmas and vectors (a key already there is left as it is)."""
        now = datetime.now(UTC)
        rows = [
            {"key": key, "lemmas": list(lemmas), "vector": vector, "saved_at": now}
            for key, (lemmas, vector) in tokens.items()
        ]
        if not rows:
            return
        try:
            with self._writer.begin() as connection:
                connection.execute(_insert(connection, _TOKENS).on_conflict_do_nothing(index_elements=["key"]), rows)
        except SQLAlchemyError as exc:
            raise _store_error("enregistrement des lemmes des notes", self._engine, exc) from exc

    def prune_note_tokens(self, before: datetime) -> int:
        """Forget the lemmas kept before `before` (and those of unknown date); how many rows went. A later run
        lemmatises again what it needs: the results do not change, only that run's time."""
        t = _TOKENS.c
        query = delete(_TOKENS).where(or_(t.saved_at < before, t.saved_at.is_(None)))
        try:
            with self._writer.begin() as connection:
                return int(connection.execute(query).rowcount or 0)
        except SQLAlchemyError as exc:
            raise _store_error("suppression des anciens lemmes des notes", self._engine, exc) from exc

    def scopes(self) -> list[str]:
        """Scopes that have clusters, most recently run first."""
        r = _RUNS.c
        query = select(r.scope, func.max(r.id).label("last")).group_by(r.scope).order_by(func.max(r.id).desc())
        with self._engine.connect() as connection:
            return [scope for scope, _ in connection.execute(query)]


class ReviewStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def decide(self, decision: ReviewDecisionRecord, examples: Sequence[ReviewedExample] = ()) -> ReviewDecisionRecord:
        """Record a decision on an open cluster, its training examples, and the cluster's new status — together.

        Raises `UnknownCluster` when the cluster is not in the registry, `ClusterAlreadyReviewed` when its status is
        no longer « open » (two analysts deciding at once: the second one is told, nothing is written)."""
        status = STATUS_AFTER[decision.action]
        c = _CLUSTERS.c
        try:
            with self._writer.begin() as connection:
                query = select(c.status).where(c.scope == decision.scope, c.cluster_id == decision.cluster_id)
                if connection.dialect.name == "postgresql":
                    query = query.with_for_update()
                current = connection.execute(query).scalar_one_or_none()
                if current is None:
                    raise UnknownCluster(
                        f"cluster {decision.cluster_id} absent du suivi « {decision.scope} » "
                        "(attendu : un identifiant de motifs review list)"
                    )
                if current != "open":
                    raise ClusterAlreadyReviewed(
                        f"cluster {decision.cluster_id} déjà traité (statut : {current}) ; une seule décision "
                        "par cluster (voir motifs review show)"
                    )
                row = _decision_row(decision)
                decision_id = int(
                    connection.execute(_DECISIONS.insert().returning(_DECISIONS.c.id), [row]).scalar_one()
                )
                rows = _example_rows(examples, decision_id)
                if rows:
                    connection.execute(_EXAMPLES.insert(), rows)
                connection.execute(
                    update(_CLUSTERS)
                    .where(c.scope == decision.scope, c.cluster_id == decision.cluster_id)
                    .values(status=status, updated_at=utcnow())
                )
                stored = connection.execute(select(_DECISIONS).where(_DECISIONS.c.id == decision_id)).one()
        except SQLAlchemyError as exc:
            raise _store_error(f"enregistrement de la décision sur {decision.cluster_id}", self._engine, exc) from exc
        return _decision_record(stored._mapping)

    def decisions(self, scope: str | None = None, cluster_id: str | None = None) -> list[ReviewDecisionRecord]:
        """Decisions, oldest first (of one scope and/or cluster)."""
        d = _DECISIONS.c
        query = select(_DECISIONS)
        if scope is not None:
            query = query.where(d.scope == scope)
        if cluster_id is not None:
            query = query.where(d.cluster_id == cluster_id)
        with self._engine.connect() as connection:
            return [_decision_record(row._mapping) for row in connection.execute(query.order_by(d.created_at, d.id))]

    def examples(self, codes: Collection[str] | None = None) -> list[ReviewedExample]:
        """Reviewed training examples (of some codes), oldest first."""
        e = _EXAMPLES.c
        query = select(_EXAMPLES)
        if codes is not None:
            query = query.where(e.code.in_(sorted(codes)))
        with self._engine.connect() as connection:
            return [_example_record(row._mapping) for row in connection.execute(query.order_by(e.id))]

    def examples_by_code(self, codes: Collection[str] | None = None) -> dict[str, list[str]]:
        """Code → its reviewed example texts (each distinct text once), for training."""
        out: dict[str, list[str]] = {}
        for example in self.examples(codes):
            texts = out.setdefault(example.code, [])
            if example.redacted_text not in texts:
                texts.append(example.redacted_text)
        return out


# --- rows ↔ records ----------------------------------------------------------------------------------------------


def _cluster_row(record: ClusterRecord, scope: str) -> dict[str, Any]:
    if record.scope != scope:
        raise InvalidRecord(f"cluster {record.cluster_id} du suivi « {record.scope} » enregistré dans « {scope} »")
    now = utcnow()
    return {
        "scope": record.scope,
        "cluster_id": record.cluster_id,
        "status": record.status,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "parent_code": record.parent_code,
        "keywords": list(record.keywords),
        "state": record.state,
        "created_at": now,
        "updated_at": now,
    }


def _cluster_record(row: Any) -> ClusterRecord:
    return ClusterRecord(
        scope=row["scope"],
        cluster_id=row["cluster_id"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        keywords=tuple(row["keywords"]),
        state=dict(row["state"]),
        parent_code=row["parent_code"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _period_row(state: PeriodState, scope: str) -> dict[str, Any]:
    if state.scope != scope:
        raise InvalidRecord(f"période {state.period} du suivi « {state.scope} » enregistrée dans « {scope} »")
    return {
        "scope": state.scope,
        "period": state.period,
        "calls_fingerprint": state.calls_fingerprint,
        "settings_fingerprint": state.settings_fingerprint,
        "n_calls": int(state.n_calls),
        "report": state.report,
        "registry_state": state.registry,
        "writing_change": state.writing_change,
        "updated_at": utcnow(),
    }


def _period_record(row: Any) -> PeriodState:
    return PeriodState(
        scope=row["scope"],
        period=row["period"],
        calls_fingerprint=row["calls_fingerprint"],
        settings_fingerprint=row["settings_fingerprint"],
        n_calls=int(row["n_calls"]),
        report=row.get("report"),
        registry=row.get("registry_state"),
        writing_change=row.get("writing_change"),
        has_results=bool(row["has_results"]),
    )


def _run_row(run: MonitoringRunRecord) -> dict[str, Any]:
    return {
        "scope": run.scope,
        "granularity": run.granularity,
        "site": run.site,
        "period_from": run.period_from,
        "period_to": run.period_to,
        "source": run.source,
        "model_version": run.model_version,
        "taxonomy_version": run.taxonomy_version,
        "parameters": run.parameters,
        "autre_share": run.autre_share,
        "periods": list(run.periods),
        "alerts": list(run.alerts),
        "created_at": utcnow(),
    }


def _run_record(row: Any) -> MonitoringRunRecord:
    return MonitoringRunRecord(
        id=int(row["id"]),
        scope=row["scope"],
        granularity=row["granularity"],
        site=row["site"],
        period_from=row["period_from"],
        period_to=row["period_to"],
        source=row["source"],
        model_version=row["model_version"],
        taxonomy_version=row["taxonomy_version"],
        parameters=dict(row["parameters"]),
        autre_share=row["autre_share"],
        periods=tuple(row["periods"]),
        alerts=tuple(row["alerts"]),
        created_at=row["created_at"],
    )


def _snapshot_row(snapshot: ClusterSnapshot, scope: str, run_id: int) -> dict[str, Any]:
    if snapshot.scope != scope:
        raise InvalidRecord(f"cluster {snapshot.cluster_id} du suivi « {snapshot.scope} » enregistré dans « {scope} »")
    return {
        "run_id": run_id,
        "scope": snapshot.scope,
        "cluster_id": snapshot.cluster_id,
        "period": snapshot.period,
        "size": int(snapshot.size),
        "period_size": int(snapshot.period_size),
        "keywords": list(snapshot.keywords),
        "examples": list(snapshot.examples),
        "call_ids": list(snapshot.call_ids),
        "notes": dict(snapshot.notes),
        "novelty": float(snapshot.novelty),
        "growth": float(snapshot.growth),
        "signal": snapshot.signal,
        "parent_code": snapshot.parent_code,
        "nearest_code": snapshot.nearest_code,
        "details": snapshot.details,
        "created_at": utcnow(),
    }


def _snapshot_record(row: Any) -> ClusterSnapshot:
    return ClusterSnapshot(
        scope=row["scope"],
        cluster_id=row["cluster_id"],
        period=row["period"],
        size=int(row["size"]),
        period_size=int(row["period_size"]),
        keywords=tuple(row["keywords"]),
        examples=tuple(row["examples"]),
        call_ids=tuple(row["call_ids"]),
        notes=dict(row["notes"]),
        novelty=float(row["novelty"]),
        growth=float(row["growth"]),
        signal=row["signal"],
        parent_code=row["parent_code"],
        nearest_code=row["nearest_code"],
        details=dict(row["details"]),
        run_id=int(row["run_id"]),
        created_at=row["created_at"],
    )


def _decision_row(decision: ReviewDecisionRecord) -> dict[str, Any]:
    return {
        "scope": decision.scope,
        "cluster_id": decision.cluster_id,
        "action": decision.action,
        "target_code": decision.target_code,
        "reviewer": decision.reviewer,
        "taxonomy_ref": decision.taxonomy_ref,
        "payload": decision.payload,
        "created_at": utcnow(),
    }


def _decision_record(row: Any) -> ReviewDecisionRecord:
    return ReviewDecisionRecord(
        id=int(row["id"]),
        scope=row["scope"],
        cluster_id=row["cluster_id"],
        action=row["action"],
        target_code=row["target_code"],
        reviewer=row["reviewer"],
        taxonomy_ref=row["taxonomy_ref"],
        payload=dict(row["payload"]),
        created_at=row["created_at"],
    )


def _example_rows(examples: Sequence[ReviewedExample], decision_id: int) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for example in examples:
        if not example.redacted_text.strip():
            continue
        rows.setdefault(
            example.call_id,
            {
                "decision_id": decision_id,
                "call_id": example.call_id,
                "redacted_text": example.redacted_text,
                "code": example.code,
                "taxonomy_ref": example.taxonomy_ref,
                "created_at": utcnow(),
            },
        )
    return [rows[key] for key in sorted(rows)]


def _example_record(row: Any) -> ReviewedExample:
    return ReviewedExample(
        call_id=row["call_id"],
        redacted_text=row["redacted_text"],
        code=row["code"],
        taxonomy_ref=row["taxonomy_ref"],
        decision_id=int(row["decision_id"]),
        created_at=row["created_at"],
    )
