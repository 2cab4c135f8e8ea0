"""What monitoring returns: plain frozen records, JSON-serialisable, French messages for people.

`MonitoringReport.to_json()` writes the scripting format of `motifs emerging --json`:

    {"granularity": "week",
     "periods": [{"period": "2024-W10", "start": "2024-03-04", "n_calls": 812, "n_autre": 61, "autre_share": 0.0751,
                  "n_autre_agent": 4, "n_to_confirm": 203, "to_confirm_share": 0.25,
                  "clusters": [{"id": "E0003", "size": 14, "keywords": [...], "examples": [...], "call_ids": [...],
                                "novelty": 0.62, "growth": 7.5, "signal": "strong", "first_seen": "2024-W10",
                                "parent_code": null, "nearest_code": "paiement_non_recu", "trend": [...], ...}],
                  "alerts": [{"kind": "autre_rise", "severity": "warning", "period": "2024-W10",
                              "scope": {"site": "Lyon"}, "message": "...", "value": ..., "baseline": ...,
                              "threshold": ..., "details": {...}}]}]}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

Signal = Literal["none", "weak", "strong"]
Severity = Literal["info", "warning", "critical"]
AlertKind = Literal[
    "autre_above_target",  # « autre » share above its target
    "autre_rise",  # « autre » share well above its own baseline, in one site or channel (or overall)
    "model_health",  # « autre » jumped everywhere at once: preprocessing or model problem, not a new need
    "model_doubt",  # « modèle à vérifier »: too many calls sent « à confirmer » (the model hesitates)
    "volume_spike",  # a known reason well above its baseline volume
    "volume_drop",  # a known reason well below its baseline volume
    "emerging_reason",  # a new cluster among « autre » / low-confidence calls graded weak or strong
    "emerging_subtheme",  # a new cluster inside a known reason (candidate split) graded weak or strong
    "text_drift",  # new sub-themes in many reasons at once: the way notes are written changed
    "emerging_theme",  # a theme running through many known reasons at once (bursting words), graded weak or strong
]
SIGNALS: tuple[str, ...] = get_args(Signal)
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)


def _clean(value: Any) -> Any:
    """JSON-safe copy: tuples → lists, NaN/inf → None, numpy scalars → Python numbers."""
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


@dataclass(frozen=True)
class Alert:
    """One thing a quality analyst should look at. `message` is the French sentence to show."""

    kind: AlertKind
    severity: Severity
    period: str
    message: str
    scope: dict[str, str] = field(default_factory=dict)  # {} = every call; {"site": "Lyon"}; {"code": "…"}
    value: float | None = None
    baseline: float | None = None
    threshold: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "kind": self.kind,
                "severity": self.severity,
                "period": self.period,
                "scope": self.scope,
                "message": self.message,
                "value": self.value,
                "baseline": self.baseline,
                "threshold": self.threshold,
                "details": self.details,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(
            kind=data["kind"],
            severity=data["severity"],
            period=data["period"],
            message=data["message"],
            scope=dict(data.get("scope") or {}),
            value=data.get("value"),
            baseline=data.get("baseline"),
            threshold=data.get("threshold"),
            details=dict(data.get("details") or {}),
        )


@dataclass(frozen=True)
class TrendPoint:
    period: str
    size: int


@dataclass(frozen=True)
class EmergingCluster:
    """A group of similar calls of one period, with its stable registry id and its weak/strong signal grade.

    - `novelty` ∈ [0, 1]: mean over members of the share of known-reason texts that are closer to another known text
      than the member is to its nearest known text (for « autre » clusters: taxonomy texts and past confidently
      classified calls of every reason; for sub-themes: the parent reason's). 0 = looks like known content.
    - `growth` = (`rate` + 1) / (`previous_rate` + 1), where `rate` is the number of calls per period "like these"
      in the window (any call, whatever its code, at least as similar to the cluster's centroid as a quarter of its
      members are) and `previous_rate` the same over the periods before the window; 1 = stable. Measured on the
      calls themselves, not on cluster ids, so it holds when clusters split or merge from one period to the next.
    - `parent_code`: None for clusters of « autre » / low-confidence calls; the known reason they hide in otherwise.
    - `nearest_code`: the known reason whose texts are closest (a hint for « rattacher à un motif existant »).
    """

    id: str
    size: int  # calls in the window (the current period and the ones before it, `window_periods`)
    period_size: int  # of which in the current period
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    call_ids: tuple[str, ...]
    novelty: float
    growth: float
    signal: Signal
    first_seen: str
    cohesion: float = 0.0  # mean cosine similarity between two members
    share: float = 0.0  # size / all calls of the window
    rate: float = 0.0  # calls like these per period in the window (see `growth`)
    previous_rate: float = 0.0  # calls like these per period before the window
    parent_code: str | None = None
    nearest_code: str | None = None
    status: str = "open"
    trend: tuple[TrendPoint, ...] = ()
    persistence: int = 1  # periods of the window and before it in which the theme (its id) had calls
    priority: float = 0.0  # expected value: size × novelty × persistence × growth (the queue's order within a grade)
    why: str = ""  # French: why the item is in the queue
    kind: str = "cluster"  # "cluster" (similar calls) or "theme" (a theme crossing reasons, `themes.py`)
    reasons: dict[str, int] = field(default_factory=dict)  # theme: known reason → its calls of the period
    folded_into: str | None = None  # a cluster explained by a theme crossing reasons: that theme's id

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "id": self.id,
                "size": self.size,
                "period_size": self.period_size,
                "keywords": self.keywords,
                "examples": self.examples,
                "call_ids": self.call_ids,
                "novelty": self.novelty,
                "growth": self.growth,
                "cohesion": self.cohesion,
                "share": self.share,
                "rate": self.rate,
                "previous_rate": self.previous_rate,
                "signal": self.signal,
                "first_seen": self.first_seen,
                "parent_code": self.parent_code,
                "nearest_code": self.nearest_code,
                "status": self.status,
                "trend": [{"period": point.period, "size": point.size} for point in self.trend],
                "persistence": self.persistence,
                "priority": self.priority,
                "why": self.why,
                "kind": self.kind,
                "reasons": self.reasons,
                "folded_into": self.folded_into,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmergingCluster:
        return cls(
            id=data["id"],
            size=int(data["size"]),
            period_size=int(data.get("period_size", data["size"])),
            keywords=tuple(data["keywords"]),
            examples=tuple(data["examples"]),
            call_ids=tuple(data["call_ids"]),
            novelty=float(data["novelty"]),
            cohesion=float(data.get("cohesion", 0.0)),
            share=float(data.get("share", 0.0)),
            rate=float(data.get("rate", 0.0)),
            previous_rate=float(data.get("previous_rate", 0.0)),
            growth=float(data["growth"]),
            signal=data["signal"],
            first_seen=data["first_seen"],
            parent_code=data.get("parent_code"),
            nearest_code=data.get("nearest_code"),
            status=data.get("status", "open"),
            trend=tuple(TrendPoint(point["period"], int(point["size"])) for point in data.get("trend", ())),
            persistence=int(data.get("persistence", 1)),
            priority=float(data.get("priority", 0.0)),
            why=str(data.get("why", "")),
            kind=str(data.get("kind", "cluster")),
            reasons={str(k): int(v) for k, v in (data.get("reasons") or {}).items()},
            folded_into=data.get("folded_into"),
        )


@dataclass(frozen=True)
class PeriodReport:
    period: str
    start: str  # ISO date of the period's first day
    n_calls: int
    n_autre: int  # outside the base: the model's novelty « autre » + the agents' own « autre » choices
    clusters: tuple[EmergingCluster, ...] = ()
    alerts: tuple[Alert, ...] = ()
    n_to_confirm: int = 0  # sent « à confirmer » (the model hesitated): not in n_autre
    n_autre_agent: int = 0  # of n_autre: the agent chose « autre » where the model did not

    @property
    def autre_share(self) -> float:
        return self.n_autre / self.n_calls if self.n_calls else 0.0

    @property
    def to_confirm_share(self) -> float:
        return self.n_to_confirm / self.n_calls if self.n_calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start,
            "n_calls": self.n_calls,
            "n_autre": self.n_autre,
            "autre_share": _clean(self.autre_share),
            "n_autre_agent": self.n_autre_agent,
            "n_to_confirm": self.n_to_confirm,
            "to_confirm_share": _clean(self.to_confirm_share),
            "clusters": [cluster.to_dict() for cluster in self.clusters],
            "alerts": [alert.to_dict() for alert in self.alerts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeriodReport:
        return cls(
            period=data["period"],
            start=data["start"],
            n_calls=int(data["n_calls"]),
            n_autre=int(data["n_autre"]),
            clusters=tuple(EmergingCluster.from_dict(item) for item in data.get("clusters", ())),
            alerts=tuple(Alert.from_dict(item) for item in data.get("alerts", ())),
            n_to_confirm=int(data.get("n_to_confirm", 0)),
            n_autre_agent=int(data.get("n_autre_agent", 0)),
        )


@dataclass(frozen=True)
class MonitoringReport:
    granularity: str
    periods: tuple[PeriodReport, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"granularity": self.granularity, "periods": [period.to_dict() for period in self.periods]}

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 2) -> str:
        """The JSON text; also written to `path` (UTF-8) when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonitoringReport:
        return cls(granularity=data["granularity"], periods=tuple(PeriodReport.from_dict(p) for p in data["periods"]))

    @property
    def alerts(self) -> list[Alert]:
        return [alert for period in self.periods for alert in period.alerts]
