"""What a reason model returns: plain frozen records, importable without spaCy or scikit-learn.

`pipeline.model.ReasonModel.suggest` builds them; serving (API, store, batch) and training (evaluation) consume them
through this module, so the shape of a prediction is written once.
"""

from __future__ import annotations

from dataclasses import dataclass


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
