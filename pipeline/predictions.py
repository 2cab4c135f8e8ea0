"""What a reason model returns and offers its users, importable without spaCy or scikit-learn.

`pipeline.model.ReasonModel.suggest` builds the `Prediction` records; serving (API, store, batch) and training
(evaluation) consume them through this module, so the shape of a prediction is written once. `SuggestionModel` is
the part of `ReasonModel` those users call: the Protocol lets tests give them a small double instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float


Decision = Literal["confident", "to_confirm", "autre"]
DECISIONS: tuple[Decision, ...] = ("confident", "to_confirm", "autre")


@dataclass(frozen=True)
class Prediction:
    """One note's outcome. `decision` says what to do with it:

    - `confident`: one known reason, auto-coded (`code`);
    - `to_confirm`: a known reason is likely but the model hesitates — the agent or a reviewer picks from
      `prediction_set` (it holds the true reason with the calibrated probability, 90 % by default); `code` is the
      most probable one;
    - `autre`: the note is unlike every reason of the base (novelty above its threshold); `code` is « autre »,
      `top_k` still lists the closest reasons.
    """

    code: str  # top reason, or "autre" when the note is outside the base
    confidence: float  # probability of the top reason
    autre: bool  # decision == "autre" (kept for compatibility)
    top_k: tuple[Suggestion, ...]  # the k best known reasons with calibrated probabilities, even for « autre »
    decision: Decision = "confident"
    prediction_set: tuple[str, ...] = ()  # conformal set of codes, most probable first
    novelty: float | None = None  # novelty score in [0, 1] (None when the prediction does not come from a model)
    novelty_threshold: float | None = None  # above it, the note is « autre »


class SuggestionModel(Protocol):
    """`pipeline.model.ReasonModel` as the API and the evaluation use it: thread-safe `suggest` (the spaCy pipeline
    is shared, never mutated), the known codes and the metadata stamped by training."""

    @property
    def model_version(self) -> str | None: ...
    @property
    def taxonomy_ref(self) -> str | None: ...
    @property
    def classes_(self) -> Any: ...

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]: ...
