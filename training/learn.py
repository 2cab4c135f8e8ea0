"""`motifs learn`: a scheduled-friendly retraining from the agents' choices.

    champion's MLflow run ─ tag feedback_last_at (the latest choice it was trained with)
        └ choices given after it ≥ minimum? no → nothing is trained (exit 0: a cron can run it every night)
        └ yes → `train_and_register(..., feedback=…)`: the freshest choices are the evaluation holdout, the champion
          is re-scored on that same holdout and keeps its alias unless the new model is strictly better (macro-F1)
        └ per-reason F1 of the old champion and of the new model on that holdout: what changed

Deciding is a pure function (`should_retrain`, `reason_changes`); only `learn` touches MLflow and disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.mlflow_model import resolve_artifact, resolve_tracking_uri
from training import tracking
from training.evaluate import EvaluationReport, evaluate
from training.feedback import FEEDBACK_MARK_TAG, FeedbackNote
from training.promotion import CHAMPION, registered_name_for
from training.run import TrainResult, load_config, train_and_register


@dataclass(frozen=True)
class ReasonChange:
    """F1 of one reason on the recent holdout, before (champion) and after (new model)."""

    code: str
    before: float
    after: float
    support: int

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class LearnOutcome:
    new_choices: int  # choices given after the champion's latest one (all, without a champion trained on feedback)
    minimum: int
    champion_version: str | None
    since: datetime | None  # the champion's latest choice
    result: TrainResult | None = None  # None: not enough new feedback, nothing trained
    changes: list[ReasonChange] = field(default_factory=list)

    @property
    def trained(self) -> bool:
        return self.result is not None


def count_new_choices(notes: Sequence[FeedbackNote], since: datetime | None) -> int:
    """Distinct calls with a choice given strictly after `since` (every call when `since` is None)."""
    return len({note.call_id for note in notes if since is None or note.given_at > since})


def should_retrain(new_choices: int, minimum: int) -> bool:
    return new_choices >= minimum


def reason_changes(after: EvaluationReport, before: EvaluationReport) -> list[ReasonChange]:
    """Reasons whose F1 moved on the same holdout, biggest loss first (losses are what a manager checks)."""
    old = {item.code: item for item in before.per_class}
    changes = [
        ReasonChange(item.code, old[item.code].f1 if item.code in old else 0.0, item.f1, item.support)
        for item in after.per_class
    ]
    return sorted((c for c in changes if abs(c.delta) > 1e-9), key=lambda c: (c.delta, c.code))


def champion_mark(tracking_uri: str, registered_name: str) -> tuple[str | None, datetime | None]:
    """(champion version, latest choice it was trained with) — (None, None) without a champion."""
    version = tracking.alias_version(tracking_uri, registered_name, CHAMPION)
    if version is None:
        return None, None
    with tracking.mlflow_session(tracking_uri) as client:
        run_id = client.get_model_version(registered_name, version).run_id
        tag = client.get_run(str(run_id)).data.tags.get(FEEDBACK_MARK_TAG)
    if not tag:
        return version, None
    moment = datetime.fromisoformat(tag)
    return version, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def learn(
    data_path: str | Path,
    taxonomy: str | Path | None,
    text_col: str,
    label_col: str,
    config_path: str | Path | None,
    out_root: str | Path,
    feedback: Sequence[FeedbackNote],
    *,
    minimum: int,
    tracking_uri: str | None = None,
    now: datetime | None = None,
    unknown_label_policy: str = "refuse",
) -> LearnOutcome:
    """Retrain on the file plus every choice when at least `minimum` choices came after the champion's latest
    one; the new model goes to `out_root/modele-<UTC time>` (never over the champion's directory)."""
    uri = resolve_tracking_uri(tracking_uri)
    name = registered_name_for(
        load_config(config_path)["training"]["registry"]["registered_model"], _taxonomy_id(taxonomy)
    )
    version, since = champion_mark(uri, name)
    new_choices = count_new_choices(feedback, since)
    outcome = LearnOutcome(new_choices, minimum, version, since)
    if not should_retrain(new_choices, minimum):
        return outcome
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    result = train_and_register(
        data_path,
        taxonomy,
        text_col,
        label_col,
        config_path,
        Path(out_root) / f"modele-{stamp}",
        uri,
        feedback=feedback,
        unknown_label_policy=unknown_label_policy,
    )
    changes: list[ReasonChange] = []
    if version is not None:
        changes = _changes_against(result, f"models:/{name}/{version}", uri)
    return LearnOutcome(new_choices, minimum, version, since, result, changes)


def _taxonomy_id(taxonomy: str | Path | None) -> str | None:
    """The id of the base the models are trained on (each base has its own registered name, `training.promotion`);
    `from-data[:ID]` needs the data file to be built and keeps the default name unless an id is given."""
    import taxonomy as tx

    text = None if taxonomy is None else str(taxonomy)
    if text is not None and text.startswith("from-data"):
        return text.partition(":")[2] or None
    return tx.load_taxonomy(text).id


def _changes_against(result: TrainResult, champion_ref: str, uri: str) -> list[ReasonChange]:
    texts, codes = result.evaluation_notes
    try:
        champion: Any = resolve_artifact(champion_ref, tracking_uri=uri)
    except Exception:  # publish() already refused promotion and said why: no comparison to show
        return []
    before = evaluate(champion.model, texts, codes, known=result.model.classes_)
    return reason_changes(result.report, before)
