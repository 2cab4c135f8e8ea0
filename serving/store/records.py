"""What goes in and out of the store: plain frozen records, independent of the ORM and of the database backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from serving.errors import InvalidRecord

Source = Literal["api", "batch"]
Method = Literal["model", "crosswalk"]


class ScoredCodeLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def confidence(self) -> float: ...


class PredictionLike(Protocol):
    """What the store needs from `pipeline.model.Prediction`."""

    @property
    def code(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def autre(self) -> bool: ...
    @property
    def top_k(self) -> Sequence[ScoredCodeLike]: ...


@dataclass(frozen=True)
class ScoredCode:
    code: str
    confidence: float

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "confidence": float(self.confidence)}


@dataclass(frozen=True)
class PredictionRecord:
    """One prediction of one call by one model version. `redacted_text` must already be redacted."""

    call_id: str
    called_at: datetime
    code: str
    confidence: float
    autre: bool
    top_k: tuple[ScoredCode, ...]
    model_version: str
    taxonomy_version: str
    source: Source
    site: str | None = None
    channel: str | None = None
    redacted_text: str | None = None
    method: Method = "model"
    created_at: datetime | None = field(default=None, compare=False)  # set by the store

    def __post_init__(self) -> None:
        if not self.call_id:
            raise InvalidRecord("prédiction sans call_id (attendu : l'identifiant de l'appel)")
        if self.called_at.tzinfo is None:
            raise InvalidRecord(f"appel {self.call_id} : called_at sans fuseau horaire (attendu : datetime « aware »)")
        if self.source not in ("api", "batch"):
            raise InvalidRecord(f"appel {self.call_id} : source « {self.source} » (attendu : api ou batch)")
        if self.method not in ("model", "crosswalk"):
            raise InvalidRecord(f"appel {self.call_id} : méthode « {self.method} » (attendu : model ou crosswalk)")
        if not 0.0 <= self.confidence <= 1.0:
            raise InvalidRecord(f"appel {self.call_id} : confiance {self.confidence} hors de [0, 1]")

    @classmethod
    def from_prediction(
        cls,
        prediction: PredictionLike,
        *,
        call_id: str,
        called_at: datetime,
        model_version: str,
        taxonomy_version: str,
        source: Source,
        site: str | None = None,
        channel: str | None = None,
        redacted_text: str | None = None,
    ) -> PredictionRecord:
        """The record of a model's prediction — the one conversion shared by the API and the batch."""
        return cls(
            call_id=call_id,
            called_at=called_at,
            code=prediction.code,
            confidence=float(prediction.confidence),
            autre=bool(prediction.autre),
            top_k=tuple(ScoredCode(s.code, float(s.confidence)) for s in prediction.top_k),
            model_version=model_version,
            taxonomy_version=taxonomy_version,
            source=source,
            site=site,
            channel=channel,
            redacted_text=redacted_text,
        )


@dataclass(frozen=True)
class FeedbackRecord:
    """An agent's choice for a call: the codes they were shown and the one they chose."""

    call_id: str
    suggested_codes: tuple[str, ...]
    chosen_code: str
    taxonomy_version: str
    site: str | None = None
    model_version: str | None = None
    created_at: datetime | None = field(default=None, compare=False)  # set by the store

    def __post_init__(self) -> None:
        if not self.call_id:
            raise InvalidRecord("retour sans call_id (attendu : l'identifiant de l'appel)")
        if not self.chosen_code:
            raise InvalidRecord(f"appel {self.call_id} : code choisi vide")


@dataclass(frozen=True)
class CodeCount:
    """Number of predicted calls per (site, channel, code) over a window — the input of « autre » monitoring."""

    site: str | None
    channel: str | None
    code: str
    autre: bool
    calls: int
