"""What a reason model returns and offers its users, importable without spaCy or scikit-learn.

`pipeline.model.ReasonModel.suggest` builds the `Prediction` records; serving (API, store, batch) and training
(evaluation) consume them through this module, so the shape of a prediction is written once. `SuggestionModel` is
the part of `ReasonModel` those users call: the Protocol lets tests give them a small double instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    code: str  # top reason, or "autre" when the model abstains
    confidence: float  # probability of the top reason
    autre: bool  # True when the model abstained (or the top reason is "autre")
    top_k: tuple[Suggestion, ...]  # the k best known reasons with calibrated probabilities, even when abstaining


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
