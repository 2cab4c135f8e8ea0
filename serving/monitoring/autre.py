"""« autre » share by period, site and channel; alerts on a target, on a rise over the baseline, and the health alarm;
the « à confirmer » share beside it, with its own alarm.

« autre » counts the calls outside the base only: the model's novelty « autre » and the agents' own « autre » choices
(`calls.prepare_calls`). The calls the model hesitated on (`to_confirm`: a known reason is likely, the agent picks from
a short set) are never counted in it; their share is a separate model-quality indicator (`to_confirm_share`).

A rise of « autre » in one site is a local matter (a new need, a new team); a rise everywhere at once almost always
means the chain is broken (preprocessing, a wrong model version) and is reported as a single `model_health` alert
instead of one rise per site.

Rules (thresholds in `defaults.yaml`, section `autre` and `health`):
- `autre_above_target`: share > target (per-site override), with at least `min_calls` calls in the group.
- `autre_rise`: share − baseline ≥ `rise_points` and z ≥ `min_z`, where baseline = pooled share of the previous
  `baseline_periods` periods (same weekday for days), z = (share − baseline) / sqrt(b (1 − b) / n) with b the
  baseline clipped to [0.01, 0.99], and both the period and the baseline hold at least `min_calls` calls.
- `model_health`: the overall share rose by ≥ `health.rise_points` and at least `health.min_fraction` of the groups of
  `health.dimension` (≥ `health.min_groups` groups with enough calls) rose by as much; or the overall share is above
  `health.max_share`. The other « autre » alerts of that period are then folded into it.
- `model_doubt` (« modèle à vérifier »): the overall « à confirmer » share is above `health.max_to_confirm_share`,
  with at least `autre.min_calls` calls. A model that hesitates on most notes is stale (the notes changed) or was
  trained on too little: look at it, retrain it. It does not fold the « autre » alerts (it says nothing about them).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from serving.monitoring._format import pct, points, scope_phrase
from serving.monitoring.calls import PERIOD, PERIOD_START, Granularity, baseline_starts
from serving.monitoring.config import MonitoringConfig
from serving.monitoring.results import Alert

ALL_SCOPE = "all"
ALL_GROUP = "ensemble"
TABLE_COLUMNS = (
    "period",
    "period_start",
    "scope",
    "group",
    "n_calls",
    "n_autre",
    "n_autre_model",
    "n_autre_agent",
    "share",
    "n_to_confirm",
    "to_confirm_share",
    "baseline_calls",
    "baseline_autre",
    "baseline_share",
    "delta",
    "z",
)


def autre_share_table(
    calls: pd.DataFrame, granularity: Granularity, *, dimensions: tuple[str, ...], baseline_periods: int
) -> pd.DataFrame:
    """One row per (period, scope, group): calls, « autre » calls, share, and the baseline of the previous periods.

    `calls` comes from `prepare_calls`. `n_autre` = `n_autre_model` (the model's novelty « autre ») + `n_autre_agent`
    (the agent chose « autre » where the model did not); `n_to_confirm` / `to_confirm_share`: calls the model sent
    to confirmation (not in `n_autre`). `scope` is "all" (group "ensemble") or a dimension name ("site", "channel")
    with the group's value. Baseline columns are NaN when no earlier period of the group has calls.
    """
    frames = [calls.assign(scope=ALL_SCOPE, group=ALL_GROUP)]
    frames += [calls.assign(scope=dimension, group=calls[dimension]) for dimension in dimensions]
    stacked = pd.concat(frames, ignore_index=True)
    stacked["agent_only"] = stacked["autre"] & ~stacked["novelty_autre"]
    counts = (
        stacked.groupby(["scope", "group", PERIOD_START, PERIOD], sort=True)
        .agg(
            n_calls=("call_id", "size"),
            n_autre=("autre", "sum"),
            n_autre_model=("novelty_autre", "sum"),
            n_autre_agent=("agent_only", "sum"),
            n_to_confirm=("to_confirm", "sum"),
        )
        .reset_index()
    )
    for column in ("n_autre", "n_autre_model", "n_autre_agent", "n_to_confirm"):
        counts[column] = counts[column].astype(int)
    counts["share"] = counts["n_autre"] / counts["n_calls"]
    counts["to_confirm_share"] = counts["n_to_confirm"] / counts["n_calls"]
    index = {
        (row.scope, row.group, row.period_start): (row.n_calls, row.n_autre)
        for row in counts[["scope", "group", PERIOD_START, "n_calls", "n_autre"]].itertuples(index=False)
    }
    base_calls, base_autre = [], []
    for row in counts[["scope", "group", PERIOD_START]].itertuples(index=False):
        found = [
            index.get((row.scope, row.group, start))
            for start in baseline_starts(row.period_start, granularity, baseline_periods)
        ]
        present = [item for item in found if item is not None]
        base_calls.append(sum(n for n, _ in present))
        base_autre.append(sum(a for _, a in present))
    counts["baseline_calls"] = base_calls
    counts["baseline_autre"] = base_autre
    counts["baseline_share"] = (counts["baseline_autre"] / counts["baseline_calls"]).where(counts["baseline_calls"] > 0)
    counts["delta"] = counts["share"] - counts["baseline_share"]
    clipped = counts["baseline_share"].clip(0.01, 0.99)
    counts["z"] = counts["delta"] / (clipped * (1 - clipped) / counts["n_calls"]).pow(0.5)
    counts = counts.rename(columns={PERIOD_START: "period_start", PERIOD: "period"})
    return counts.loc[:, list(TABLE_COLUMNS)].sort_values(["period_start", "scope", "group"]).reset_index(drop=True)


def _scope(row: Any) -> dict[str, str]:
    return {} if row.scope == ALL_SCOPE else {str(row.scope): str(row.group)}


def _finite(value: float) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def autre_alerts(table: pd.DataFrame, config: MonitoringConfig) -> list[Alert]:
    """Alerts of every period of `table` (from `autre_share_table`), health alarms first within a period."""
    alerts: list[Alert] = []
    settings = config.autre
    for _, rows in table.groupby("period_start", sort=True):
        label = str(rows["period"].iloc[0])
        health_alert = _health_alert(rows, label, config)
        if health_alert is not None:
            alerts.append(health_alert)
            continue
        for row in rows.itertuples(index=False):
            if row.scope != ALL_SCOPE and row.scope not in settings.dimensions:
                continue
            if row.n_calls < settings.min_calls:
                continue
            scope = _scope(row)
            target = (
                settings.site_targets.get(str(row.group), settings.target) if row.scope == "site" else settings.target
            )
            if row.share > target:
                alerts.append(
                    Alert(
                        kind="autre_above_target",
                        severity="warning",
                        period=label,
                        scope=scope,
                        value=float(row.share),
                        baseline=float(row.baseline_share) if _finite(row.baseline_share) else None,
                        threshold=target,
                        message=(
                            f"Part de « autre » à {pct(row.share)} {scope_phrase(scope)} "
                            f"({row.n_autre} appels sur {row.n_calls}), au-dessus de la cible de {pct(target)}."
                        ),
                        details={"n_calls": int(row.n_calls), "n_autre": int(row.n_autre)},
                    )
                )
            if (
                row.baseline_calls >= settings.min_calls
                and _finite(row.delta)
                and row.delta >= settings.rise_points
                and row.z >= settings.min_z
            ):
                alerts.append(
                    Alert(
                        kind="autre_rise",
                        severity="warning",
                        period=label,
                        scope=scope,
                        value=float(row.share),
                        baseline=float(row.baseline_share),
                        threshold=float(row.baseline_share) + settings.rise_points,
                        message=(
                            f"Hausse de « autre » {scope_phrase(scope)} : {pct(row.share)} "
                            f"contre {pct(row.baseline_share)} "
                            f"sur les {settings.baseline_periods} périodes précédentes ({points(row.delta)})."
                        ),
                        details={
                            "n_calls": int(row.n_calls),
                            "n_autre": int(row.n_autre),
                            "baseline_calls": int(row.baseline_calls),
                            "delta_points": float(row.delta),
                            "z": float(row.z),
                        },
                    )
                )
    return alerts


def to_confirm_alerts(table: pd.DataFrame, config: MonitoringConfig) -> list[Alert]:
    """`model_doubt` alarms of every period of `table` (overall « à confirmer » share above its maximum)."""
    limit = config.health.max_to_confirm_share
    if limit is None:
        return []
    overall = table[(table["scope"] == ALL_SCOPE) & (table["n_calls"] >= config.autre.min_calls)]
    alerts = []
    for row in overall.itertuples(index=False):
        if row.to_confirm_share <= limit:
            continue
        alerts.append(
            Alert(
                kind="model_doubt",
                severity="critical",
                period=str(row.period),
                scope={},
                value=float(row.to_confirm_share),
                baseline=None,
                threshold=limit,
                message=(
                    f"Modèle à vérifier : il hésite sur {pct(row.to_confirm_share)} des appels, envoyés "
                    f"« à confirmer » ({row.n_to_confirm} sur {row.n_calls}), au-delà de {pct(limit)}. Ces appels ne "
                    "sont pas comptés dans « autre » ; un modèle qui hésite autant est dépassé (les notes ont changé) "
                    "ou a appris sur trop peu d'exemples : l'évaluer sur des notes récentes et le réentraîner."
                ),
                details={"n_calls": int(row.n_calls), "n_to_confirm": int(row.n_to_confirm)},
            )
        )
    return alerts


def _health_alert(rows: pd.DataFrame, label: str, config: MonitoringConfig) -> Alert | None:
    settings, health = config.autre, config.health
    overall = rows[rows["scope"] == ALL_SCOPE].iloc[0]
    if overall["n_calls"] < settings.min_calls:
        return None
    groups = rows[
        (rows["scope"] == health.dimension)
        & (rows["n_calls"] >= settings.min_calls)
        & (rows["baseline_calls"] >= settings.min_calls)
    ]
    rising = groups[groups["delta"] >= health.rise_points]
    overall_rose = (
        overall["baseline_calls"] >= settings.min_calls
        and _finite(overall["delta"])
        and overall["delta"] >= health.rise_points
        and overall["z"] >= settings.min_z
    )
    broad = len(groups) >= health.min_groups and len(rising) >= health.min_fraction * len(groups)
    too_high = overall["share"] > health.max_share
    if not ((overall_rose and broad) or too_high):
        return None
    word = {"site": "sites", "channel": "canaux"}[health.dimension]
    if overall_rose and broad:
        reason = (
            f"hausse simultanée sur {len(rising)} {word} sur {len(groups)} "
            f"({pct(overall['share'])} contre {pct(overall['baseline_share'])}, {points(overall['delta'])})"
        )
    else:
        reason = f"part de « autre » à {pct(overall['share'])}, au-delà de {pct(health.max_share)}"
    return Alert(
        kind="model_health",
        severity="critical",
        period=label,
        scope={},
        value=float(overall["share"]),
        baseline=float(overall["baseline_share"]) if _finite(overall["baseline_share"]) else None,
        threshold=health.max_share if too_high and not (overall_rose and broad) else health.rise_points,
        message=(
            f"Alerte de santé : {reason}. Une hausse partout à la fois signale plutôt un problème de traitement "
            "(prétraitement, version du modèle) qu'un nouveau besoin : vérifier la chaîne avant d'analyser les motifs."
        ),
        details={
            "dimension": health.dimension,
            "groups": {
                str(row.group): {
                    "share": float(row.share),
                    "baseline_share": float(row.baseline_share) if _finite(row.baseline_share) else None,
                }
                for row in groups.itertuples(index=False)
            },
            "rising_groups": sorted(str(group) for group in rising["group"]),
        },
    )
