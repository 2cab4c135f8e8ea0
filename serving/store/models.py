"""The model versions that wrote predictions (`models`, revision 0007): each batch into the store and each API start
records its model's version, taxonomy and calibration, so readers of the store (the report) know what the model
that scored the calls promised about « autre » without being given the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import SQLAlchemyError

from serving.store._sql import insert_statement as _insert
from serving.store._sql import store_error as _store_error
from serving.store.engine import writer
from serving.store.schema import ModelRow, utcnow

_MODELS: Table = ModelRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ModelRecord:
    model_version: str
    taxonomy_version: str
    calibration: Mapping[str, Any] | None  # the manifest's `calibration` report as saved; None: it carries none
    recorded_at: datetime | None = None


class ModelStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def record(self, model_version: str, taxonomy_version: str, calibration: Mapping[str, Any] | None) -> None:
        """Insert or refresh the row of `model_version` (a version's manifest does not change: refreshing only
        moves `recorded_at` and fills a calibration read from a newer copy)."""
        row = {
            "model_version": model_version,
            "taxonomy_version": taxonomy_version,
            "calibration": dict(calibration) if isinstance(calibration, Mapping) else None,
            "recorded_at": utcnow(),
        }
        try:
            with self._writer.begin() as connection:
                statement = _insert(connection, _MODELS).values(row)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["model_version"],
                        set_={key: statement.excluded[key] for key in row if key != "model_version"},
                    )
                )
        except SQLAlchemyError as exc:
            raise _store_error("enregistrement du modèle", self._engine, exc) from None

    def get(self, model_version: str) -> ModelRecord | None:
        try:
            with self._engine.connect() as connection:
                row = connection.execute(select(_MODELS).where(_MODELS.c.model_version == model_version)).first()
        except SQLAlchemyError as exc:
            raise _store_error("lecture du modèle", self._engine, exc) from None
        if row is None:
            return None
        return ModelRecord(row.model_version, row.taxonomy_version, row.calibration, row.recorded_at)
