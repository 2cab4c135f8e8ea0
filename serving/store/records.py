"""What goes in and out of the store: plain frozen records, independent of the ORM and of the database backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pipeline.predictions import DECISIONS, Decision, Prediction
from serving.errors import InvalidRecord

Source = Literal["api", "batch"]
Method = Literal["model", "crosswalk"]
FeedbackSource = Literal["agent", "analyst"]


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
    decision: Decision | None = None  # None: derived from `autre` (« autre » or confident)
    prediction_set: tuple[str, ...] = ()
    created_at: datetime | None = field(default=None, compare=False)  # set by the store

    def __post_init__(self) -> None:
        if self.decision is None:
            object.__setattr__(self, "decision", "autre" if self.autre else "confident")
        if self.decision not in DECISIONS:
            raise InvalidRecord(
                f"appel {self.call_id} : décision « {self.decision} » (attendu : {', '.join(DECISIONS)})"
            )
        if (self.decision == "autre") != bool(self.autre):
            raise InvalidRecord(
                f"appel {self.call_id} : décision « {self.decision} » incohérente avec autre={self.autre}"
            )
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
        prediction: Prediction,
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
            decision=prediction.decision,
            # as the API shows it: « hors base » has no set to confirm (the closest reasons stay in top_k)
            prediction_set=() if prediction.decision == "autre" else tuple(prediction.prediction_set),
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
    # Set by the store: the call had a prediction when the feedback came (False: a call_id the store never saw).
    call_known: bool | None = field(default=None, compare=False)
    source: FeedbackSource = "agent"  # analyst: labelled from the « à confirmer » queue
    agent: str | None = None  # who chose, when known (user name or declared agent id)

    def __post_init__(self) -> None:
        if not self.call_id:
            raise InvalidRecord("retour sans call_id (attendu : l'identifiant de l'appel)")
        if not self.chosen_code:
            raise InvalidRecord(f"appel {self.call_id} : code choisi vide")
        if self.source not in ("agent", "analyst"):
            raise InvalidRecord(f"appel {self.call_id} : origine « {self.source} » (attendu : agent ou analyst)")


@dataclass(frozen=True)
class FeedbackNote:
    """An agent's choice joined to the redacted note of its call (the latest stored prediction of that call):
    what `motifs train --with-feedback` learns from. `redacted_text` is None when the store has no note."""

    call_id: str
    chosen_code: str
    taxonomy_version: str
    created_at: datetime
    site: str | None
    redacted_text: str | None
    source: FeedbackSource = "agent"
    agent: str | None = None


@dataclass(frozen=True)
class CodeCount:
    """Number of predicted calls per (site, channel, code) over a window — the input of « autre » monitoring."""

    site: str | None
    channel: str | None
    code: str
    autre: bool
    calls: int


# --- monitoring and review (revision 0002) ---------------------------------------------------------------------------

ClusterStatus = Literal["open", "created", "attached", "dismissed"]
ReviewAction = Literal["create", "attach", "dismiss"]
CLUSTER_STATUSES: tuple[str, ...] = ("open", "created", "attached", "dismissed")
REVIEW_ACTIONS: tuple[str, ...] = ("create", "attach", "dismiss")
STATUS_AFTER: dict[str, str] = {"create": "created", "attach": "attached", "dismiss": "dismissed"}


def monitoring_scope(granularity: str, site: str | None = None) -> str:
    """The registry a run belongs to: `week`, or `week@caf-75` for one site. Each scope has its own cluster ids
    (period labels of different granularities do not compare, and one site's themes are not the whole country's)."""
    if granularity not in ("day", "week", "month"):
        raise InvalidRecord(f"granularité « {granularity[:10]} » inconnue (attendu : day, week ou month)")
    return granularity if not site else f"{granularity}@{site}"


@dataclass(frozen=True)
class ClusterRecord:
    """One entry of a scope's cluster registry. `state` is the registry entry as plain JSON data (lemma profile,
    per-period sizes, fingerprints, last calls); `status` is the analyst's decision."""

    scope: str
    cluster_id: str
    first_seen: str
    last_seen: str
    keywords: tuple[str, ...]
    state: dict[str, Any]
    parent_code: str | None = None
    status: str = "open"
    created_at: datetime | None = field(default=None, compare=False)
    updated_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.status not in CLUSTER_STATUSES:
            raise InvalidRecord(
                f"cluster {self.cluster_id} : statut « {self.status[:16]} » (attendu : {', '.join(CLUSTER_STATUSES)})"
            )


@dataclass(frozen=True)
class ClusterSnapshot:
    """A cluster as one period saw it: the point of its trend chart, and what the analyst reviews.
    `examples` and `notes` (call_id → note, most central calls) hold **redacted** texts only."""

    scope: str
    cluster_id: str
    period: str
    size: int
    period_size: int
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    call_ids: tuple[str, ...]
    novelty: float
    growth: float
    signal: str
    notes: dict[str, str] = field(default_factory=dict)
    parent_code: str | None = None
    nearest_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = field(default=None, compare=False)  # set by the store
    created_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.signal not in ("none", "weak", "strong"):
            raise InvalidRecord(
                f"cluster {self.cluster_id} : signal « {self.signal[:16]} » (attendu : none, weak, strong)"
            )


@dataclass(frozen=True)
class MonitoringRunRecord:
    """One monitoring run: its scope and options, the « autre » share per period, every alert (as JSON dicts)."""

    scope: str
    granularity: str
    source: str
    periods: tuple[dict[str, Any], ...] = ()
    alerts: tuple[dict[str, Any], ...] = ()
    site: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    model_version: str | None = None
    taxonomy_version: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    autre_share: float | None = None
    id: int | None = None
    created_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PeriodState:
    """One analysed period of a monitoring scope, as an incremental run needs it (`monitoring_periods`): the
    fingerprints it was computed from, its report (None: read as history only), the registry after it and the change
    of writing found in it (JSON dicts of `serving.monitoring`)."""

    scope: str
    period: str
    calls_fingerprint: str
    settings_fingerprint: str
    n_calls: int
    report: dict[str, Any] | None = None
    registry: dict[str, Any] | None = None
    writing_change: dict[str, Any] | None = None
    has_results: bool = False  # report and registry stored (also known when they were not read)

    def __post_init__(self) -> None:
        if self.report is not None and not self.has_results:
            object.__setattr__(self, "has_results", True)


@dataclass(frozen=True)
class ReviewDecisionRecord:
    """An analyst's decision on a cluster. `reviewer` is the logged-in user on the web pages when users exist,
    otherwise declared (form field, setting or CLI option)."""

    scope: str
    cluster_id: str
    action: str
    reviewer: str
    target_code: str | None = None
    taxonomy_ref: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.action not in REVIEW_ACTIONS:
            raise InvalidRecord(f"décision « {self.action[:16]} » inconnue (attendu : {', '.join(REVIEW_ACTIONS)})")
        if not self.reviewer:
            raise InvalidRecord("décision sans auteur (attendu : le nom de l'analyste)")
        if self.action != "dismiss" and not self.target_code:
            raise InvalidRecord(f"décision « {self.action} » sans motif cible")


@dataclass(frozen=True)
class ReviewedExample:
    """A redacted note an analyst's decision made a training example of `code` (valid in `taxonomy_ref`)."""

    call_id: str
    redacted_text: str
    code: str
    taxonomy_ref: str
    decision_id: int | None = None
    created_at: datetime | None = field(default=None, compare=False)
