"""Repositories: the only place where serving code reads and writes the database (no SQL elsewhere).

`Database.open(url)` creates the engine and migrates the schema; `db.predictions`, `db.feedback`, `db.monitoring`
(cluster registry, runs, snapshots: `serving.store.monitoring`), `db.review` (decisions, reviewed examples),
`db.users` (`serving.store.users`) and `db.models` (`serving.store.models`) are the repositories. Writes are short
transactions that take the write lock up front on SQLite, insert rows sorted by key (no deadlock between concurrent
PostgreSQL writers); predictions are idempotent on (call_id, model_version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, Select, Table, and_, case, func, literal, select, text
from sqlalchemy.exc import SQLAlchemyError

from serving.errors import InvalidRecord, UnknownReasonCode
from serving.store._sql import insert_statement as _insert
from serving.store._sql import store_error as _store_error
from serving.store.engine import database_url, make_engine, safe_url, writer
from serving.store.migrate import upgrade
from serving.store.models import ModelStore
from serving.store.monitoring import MonitoringStore, ReviewStore
from serving.store.records import CodeCount, FeedbackNote, FeedbackRecord, PredictionRecord, ScoredCode, Source
from serving.store.schema import FeedbackRow, PredictionRow, utcnow
from serving.store.users import UserStore

OnConflict = Literal["replace", "keep"]
_PREDICTIONS: Table = PredictionRow.__table__  # type: ignore[assignment]
_FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[assignment]
_PREDICTION_KEY = ("call_id", "model_version")
_IN_CHUNK = 500  # bound parameters per IN (...) query, well under SQLite's limit


class Database:
    """An open motifs database: engine + repositories."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.predictions = PredictionStore(engine)
        self.feedback = FeedbackStore(engine)
        self.monitoring = MonitoringStore(engine)
        self.review = ReviewStore(engine)
        self.users = UserStore(engine)
        self.models = ModelStore(engine)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Database:
        """Open `url` (default: `MOTIFS_DATABASE_URL`, else ./motifs-data/motifs.db) and bring its schema up to date."""
        engine = make_engine(database_url(url))
        if migrate:
            upgrade(engine)
        return cls(engine)

    @property
    def safe_url(self) -> str:
        return safe_url(self.engine.url)

    def ping(self) -> bool:
        """True when the database answers a trivial query (readiness probe)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()


class PredictionStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    # --- writing -------------------------------------------------------------------------------------------------
    def add(self, record: PredictionRecord, *, on_conflict: OnConflict = "replace") -> int:
        return self.add_many([record], on_conflict=on_conflict)

    def add_many(self, records: Iterable[PredictionRecord], *, on_conflict: OnConflict = "replace") -> int:
        """Write predictions in one transaction; returns how many rows were inserted or replaced (`"replace"`: rows
        of another source, left as they were, are counted too).

        A (call_id, model_version) already present is replaced (`"replace"`: the latest note wins, a batch rerun
        rewrites identical rows) or left alone (`"keep"`: resuming a batch never touches finished rows). Within
        one call, the last record of a key wins. A row is only ever replaced by a record of **its own source**: an
        API suggestion never overwrites a batch-qualified historical call (nor the reverse), even when a batch
        writes between the API's check (`other_sources`) and its write.
        """
        if on_conflict not in ("replace", "keep"):
            raise InvalidRecord(f"on_conflict « {on_conflict} » (attendu : replace ou keep)")
        rows_by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for record in records:
            if not isinstance(record, PredictionRecord):
                raise InvalidRecord(f"attendu : PredictionRecord, reçu : {type(record).__name__}")
            rows_by_key[(record.call_id, record.model_version)] = _prediction_row(record)
        if not rows_by_key:
            return 0
        rows = [rows_by_key[key] for key in sorted(rows_by_key)]
        try:
            with self._writer.begin() as connection:
                stmt = _insert(connection, _PREDICTIONS)
                if on_conflict == "replace":
                    updated = {c: stmt.excluded[c] for c in rows[0] if c not in _PREDICTION_KEY}
                    stmt = stmt.on_conflict_do_update(
                        index_elements=list(_PREDICTION_KEY),
                        set_=updated,
                        where=_PREDICTIONS.c.source == stmt.excluded.source,
                    )
                    connection.execute(stmt, rows)
                    return len(rows)
                # "keep": RETURNING lists the rows actually inserted (rowcount is unreliable for executemany).
                stmt = stmt.on_conflict_do_nothing(index_elements=list(_PREDICTION_KEY))
                return len(connection.execute(stmt.returning(_PREDICTIONS.c.id), rows).all())
        except SQLAlchemyError as exc:
            raise _store_error(f"écriture de {len(rows)} prédiction(s)", self._engine, exc) from exc

    # --- reading -------------------------------------------------------------------------------------------------
    def existing_call_ids(self, call_ids: Iterable[str], *, model_version: str) -> set[str]:
        """The call ids among `call_ids` that already have a prediction by `model_version` (batch resumption)."""
        wanted = list(dict.fromkeys(call_ids))
        found: set[str] = set()
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                query = select(_PREDICTIONS.c.call_id).where(
                    _PREDICTIONS.c.model_version == model_version, _PREDICTIONS.c.call_id.in_(chunk)
                )
                found.update(connection.scalars(query))
        return found

    def other_sources(self, call_id: str, source: Source) -> set[str]:
        """The sources other than `source` that already hold a prediction of `call_id` (the API answers 409)."""
        p = _PREDICTIONS.c
        query = select(p.source).where(p.call_id == call_id, p.source != source).distinct()
        with self._engine.connect() as connection:
            return set(connection.scalars(query))

    def get(self, call_id: str, *, model_version: str | None = None) -> list[PredictionRecord]:
        """Every stored prediction of one call (one per model version), oldest first."""
        p = _PREDICTIONS.c
        query = select(_PREDICTIONS).where(p.call_id == call_id)
        if model_version is not None:
            query = query.where(p.model_version == model_version)
        return list(self._iter(query.order_by(p.created_at, p.id)))

    def iter_between(
        self,
        start: datetime,
        end: datetime,
        *,
        site: str | None = None,
        channel: str | None = None,
        model_version: str | None = None,
        source: Source | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[PredictionRecord]:
        """Predictions of calls made in [start, end), by call time, streamed (flat memory on large windows)."""
        p = _PREDICTIONS.c
        query = select(_PREDICTIONS).where(
            *_window(start, end, site=site, channel=channel, model_version=model_version, source=source)
        )
        yield from self._iter(query.order_by(p.called_at, p.id), chunk_size=chunk_size)

    def code_counts(
        self,
        start: datetime,
        end: datetime,
        *,
        site: str | None = None,
        channel: str | None = None,
        model_version: str | None = None,
    ) -> list[CodeCount]:
        """Calls per (site, channel, code, autre) made in [start, end) — computed by the database.

        Give `model_version` when several models scored the same calls, or each call is counted once per model.
        """
        p = _PREDICTIONS.c
        query = (
            select(p.site, p.channel, p.code, p.autre, func.count())
            .where(*_window(start, end, site=site, channel=channel, model_version=model_version))
            .group_by(p.site, p.channel, p.code, p.autre)
        )
        with self._engine.connect() as connection:
            return [
                CodeCount(site=s, channel=c, code=code, autre=bool(autre), calls=int(n))
                for s, c, code, autre, n in connection.execute(query)
            ]

    def time_range(
        self, start: datetime, end: datetime, *, site: str | None = None, model_version: str | None = None
    ) -> tuple[datetime, datetime] | None:
        """Times of the first and last calls made in [start, end) (None when there is none)."""
        p = _PREDICTIONS.c
        query = select(func.min(p.called_at), func.max(p.called_at)).where(
            *_window(start, end, site=site, model_version=model_version)
        )
        with self._engine.connect() as connection:
            first, last = connection.execute(query).one()
        if first is None or last is None:
            return None
        return first, last

    def period_fingerprints(
        self, bounds: Sequence[datetime], *, site: str | None = None, model_version: str | None = None
    ) -> list[tuple[int, str]]:
        """For each period [bounds[i], bounds[i + 1]): its number of calls and a fingerprint of its predictions
        (count, sum and max of ids, latest computation time) and of the agents' feedback on them (count, max id) —
        one GROUP BY query each, done by the database. Equal fingerprints: the period's calls did not change."""
        if len(bounds) < 2:
            return []
        p, f = _PREDICTIONS.c, _FEEDBACK.c
        bucket = _bucket(p.called_at, bounds)
        window = _window(bounds[0], bounds[-1], site=site, model_version=model_version)
        predictions = select(bucket, func.count(), func.sum(p.id), func.max(p.id), func.max(p.created_at))
        feedback = select(bucket, func.count(f.id), func.max(f.id)).join(_FEEDBACK, f.call_id == p.call_id)
        with self._engine.connect() as connection:
            made = {int(row[0]): row[1:] for row in connection.execute(predictions.where(*window).group_by(bucket))}
            given = {int(row[0]): row[1:] for row in connection.execute(feedback.where(*window).group_by(bucket))}
        out = []
        for index in range(len(bounds) - 1):
            n, total, last, computed = made.get(index, (0, 0, 0, None))
            key = f"{n}|{total}|{last}|{computed}|{given.get(index, (0, 0))}"
            out.append((int(n), hashlib.sha1(key.encode("utf-8")).hexdigest()[:32]))
        return out

    def period_code_counts(
        self,
        bounds: Sequence[datetime],
        *,
        site: str | None = None,
        channel: str | None = None,
        model_version: str | None = None,
    ) -> list[list[CodeCount]]:
        """For each period [bounds[i], bounds[i + 1]): calls per (site, channel, code, autre), in one GROUP BY
        period × site × channel × code × autre query done by the database (SQLite and PostgreSQL alike)."""
        if len(bounds) < 2:
            return []
        p = _PREDICTIONS.c
        bucket = _bucket(p.called_at, bounds)
        query = (
            select(bucket, p.site, p.channel, p.code, p.autre, func.count())
            .where(*_window(bounds[0], bounds[-1], site=site, channel=channel, model_version=model_version))
            .group_by(bucket, p.site, p.channel, p.code, p.autre)
            .order_by(bucket, p.site, p.channel, p.code, p.autre)
        )
        out: list[list[CodeCount]] = [[] for _ in range(len(bounds) - 1)]
        with self._engine.connect() as connection:
            for index, s, c, code, autre, n in connection.execute(query):
                out[int(index)].append(CodeCount(site=s, channel=c, code=code, autre=bool(autre), calls=int(n)))
        return out

    def chosen_by_agent(
        self,
        start: datetime,
        end: datetime,
        code: str,
        *,
        site: str | None = None,
        model_version: str | None = None,
    ) -> int:
        """Calls made in [start, end) (scored by `model_version`, at `site`) whose latest feedback chose `code`:
        one COUNT(DISTINCT) over predictions joined to each call's latest feedback, done by the database."""
        p, f = _PREDICTIONS.c, _FEEDBACK.c
        latest = select(f.call_id, func.max(f.id).label("id")).group_by(f.call_id).subquery()
        query = (
            select(func.count(func.distinct(p.call_id)))
            .select_from(_PREDICTIONS)
            .join(latest, latest.c.call_id == p.call_id)
            .join(_FEEDBACK, f.id == latest.c.id)
            .where(*_window(start, end, site=site, model_version=model_version), f.chosen_code == code)
        )
        with self._engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def model_versions(self, start: datetime, end: datetime) -> dict[str, int]:
        """Model versions that scored calls made in [start, end), with their number of calls."""
        p = _PREDICTIONS.c
        query = (
            select(p.model_version, func.count())
            .where(p.called_at >= start, p.called_at < end)
            .group_by(p.model_version)
        )
        with self._engine.connect() as connection:
            return {version: int(n) for version, n in connection.execute(query)}

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(_PREDICTIONS)) or 0)

    def awaiting_confirmation(
        self, *, since: datetime | None = None, site: str | None = None, limit: int = 5000
    ) -> list[PredictionRecord]:
        """The calls whose latest prediction is « à confirmer », with a note, and that nobody labelled yet (no
        feedback row): the candidates of the active-learning queue. The `limit` most recent calls, newest first."""
        p, f = _PREDICTIONS.c, _FEEDBACK.c
        latest = select(p.call_id, func.max(p.id).label("id")).group_by(p.call_id).subquery()
        labelled = select(f.call_id).where(f.call_id == p.call_id).exists()
        query = (
            select(_PREDICTIONS)
            .join(latest, p.id == latest.c.id)
            .where(p.decision == "to_confirm", p.redacted_text.is_not(None), p.redacted_text != "", ~labelled)
        )
        if since is not None:
            query = query.where(p.called_at >= since)
        if site is not None:
            query = query.where(p.site == site)
        return list(self._iter(query.order_by(p.called_at.desc(), p.id.desc()).limit(limit)))

    def _iter(self, query: Select[Any], *, chunk_size: int = 5000) -> Iterator[PredictionRecord]:
        with self._engine.connect() as connection:
            for row in connection.execution_options(yield_per=chunk_size).execute(query):
                yield _prediction_record(row._mapping)


def _bucket(column: Any, bounds: Sequence[datetime]) -> Any:
    """The index i of the period [bounds[i], bounds[i + 1]) a time falls in, as a SQL CASE (portable)."""
    whens = [(column < bound, index) for index, bound in enumerate(bounds[1:-1])]
    # Labelled: GROUP BY the label, so PostgreSQL sees one expression (not two copies with their own parameters).
    return (case(*whens, else_=len(bounds) - 2) if whens else literal(0)).label("period_index")


def _window(
    start: datetime,
    end: datetime,
    *,
    site: str | None = None,
    channel: str | None = None,
    model_version: str | None = None,
    source: Source | None = None,
) -> list[Any]:
    p = _PREDICTIONS.c
    clauses: list[Any] = [p.called_at >= start, p.called_at < end]
    for column, value in ((p.site, site), (p.channel, channel), (p.model_version, model_version), (p.source, source)):
        if value is not None:
            clauses.append(column == value)
    return clauses


def _prediction_row(record: PredictionRecord) -> dict[str, Any]:
    return {
        "call_id": record.call_id,
        "called_at": record.called_at,
        "site": record.site,
        "channel": record.channel,
        "redacted_text": record.redacted_text,
        "code": record.code,
        "confidence": float(record.confidence),
        "autre": bool(record.autre),
        "top_k": [s.as_json() for s in record.top_k],
        "decision": record.decision,
        "prediction_set": list(record.prediction_set),
        "model_version": record.model_version,
        "taxonomy_version": record.taxonomy_version,
        "source": record.source,
        "method": record.method,
        "created_at": utcnow(),
    }


def _prediction_record(row: Any) -> PredictionRecord:
    return PredictionRecord(
        call_id=row["call_id"],
        called_at=row["called_at"],
        code=row["code"],
        confidence=row["confidence"],
        autre=bool(row["autre"]),
        top_k=tuple(ScoredCode(item["code"], float(item["confidence"])) for item in row["top_k"]),
        model_version=row["model_version"],
        taxonomy_version=row["taxonomy_version"],
        source=row["source"],
        site=row["site"],
        channel=row["channel"],
        redacted_text=row["redacted_text"],
        method=row["method"],
        decision=row["decision"],
        prediction_set=tuple(row["prediction_set"] or ()),
        created_at=row["created_at"],
    )


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def add(self, record: FeedbackRecord, *, known_codes: Collection[str]) -> bool:
        """Store an agent's choice. Every code (chosen and suggested) must be in `known_codes` (the taxonomy
        `record.taxonomy_version` in use, with the site's extension): codes are never free text. Returns whether
        the call was known to the store (a prediction of that call_id exists); an unknown call is stored flagged
        (`call_known` false), so that training and reports can leave it out."""
        if record.chosen_code not in known_codes:
            raise UnknownReasonCode(record.chosen_code, record.taxonomy_version)
        for code in record.suggested_codes:
            if code not in known_codes:
                raise UnknownReasonCode(code, record.taxonomy_version, field="suggested_codes")
        row: dict[str, Any] = {
            "call_id": record.call_id,
            "suggested_codes": list(record.suggested_codes),
            "chosen_code": record.chosen_code,
            "site": record.site,
            "model_version": record.model_version,
            "taxonomy_version": record.taxonomy_version,
            "source": record.source,
            "agent": record.agent,
            "created_at": utcnow(),
        }
        try:
            with self._writer.begin() as connection:
                known = connection.scalar(
                    select(_PREDICTIONS.c.id).where(_PREDICTIONS.c.call_id == record.call_id).limit(1)
                )
                row["call_known"] = known is not None
                connection.execute(_insert(connection, _FEEDBACK), [row])
        except SQLAlchemyError as exc:
            raise _store_error(f"enregistrement du retour de l'appel {record.call_id}", self._engine, exc) from exc
        return bool(row["call_known"])

    def iter_between(self, start: datetime, end: datetime, *, site: str | None = None) -> Iterator[FeedbackRecord]:
        """Feedback given in [start, end), oldest first."""
        f = _FEEDBACK.c
        query = select(*f).where(f.created_at >= start, f.created_at < end)
        if site is not None:
            query = query.where(f.site == site)
        with self._engine.connect() as connection:
            for row in connection.execute(query.order_by(f.created_at, f.id)):
                yield _feedback_record(row._mapping)

    def latest_choices(self, call_ids: Iterable[str]) -> dict[str, str]:
        """The code finally chosen for each call (its latest feedback), for the calls that have one."""
        f = _FEEDBACK.c
        wanted = list(dict.fromkeys(call_ids))
        choices: dict[str, str] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                latest = (
                    select(f.call_id, func.max(f.id).label("id")).where(f.call_id.in_(chunk)).group_by(f.call_id)
                ).subquery()
                query = select(f.call_id, f.chosen_code).join(
                    latest, and_(f.call_id == latest.c.call_id, f.id == latest.c.id)
                )
                choices.update({call_id: code for call_id, code in connection.execute(query)})
        return choices

    def with_notes(self, *, since: datetime | None = None) -> Iterator[FeedbackNote]:
        """Every choice given at or after `since` (all by default), oldest first, with the redacted note of the
        call's latest prediction (None when the call has none): the training data of `--with-feedback`. Every
        choice of a call is returned: which one wins is the reader's rule (training keeps the latest)."""
        f, p = _FEEDBACK.c, _PREDICTIONS.c
        latest = select(p.call_id, func.max(p.id).label("id")).group_by(p.call_id).subquery()
        query = (
            select(
                f.call_id, f.chosen_code, f.taxonomy_version, f.created_at, f.site, p.redacted_text, f.source, f.agent
            )
            .select_from(_FEEDBACK)
            .outerjoin(latest, latest.c.call_id == f.call_id)
            .outerjoin(_PREDICTIONS, p.id == latest.c.id)
        )
        if since is not None:
            query = query.where(f.created_at >= since)
        with self._engine.connect() as connection:
            for row in connection.execute(query.order_by(f.created_at, f.id)):
                yield FeedbackNote(**row._mapping)

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(_FEEDBACK)) or 0)


def _feedback_record(row: Any) -> FeedbackRecord:
    return FeedbackRecord(
        call_id=row["call_id"],
        suggested_codes=tuple(row["suggested_codes"]),
        chosen_code=row["chosen_code"],
        taxonomy_version=row["taxonomy_version"],
        site=row["site"],
        model_version=row["model_version"],
        created_at=row["created_at"],
        call_known=row["call_known"],
        source=row["source"],
        agent=row["agent"],
    )
