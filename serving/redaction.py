"""Which redactor serving uses for a model: the one it was trained with, so the API and the batch redact exactly as
training did (same types, same site patterns); the default `pipeline.redaction.Redactor` when it has none."""

from __future__ import annotations

from typing import Any


def redactor_for(model: Any) -> Any:
    """The model's own redactor (its `redactor` parameter) when it has one, else the default `Redactor()`."""
    own = getattr(model, "redactor", None)
    if own is not None and callable(getattr(own, "redact", None)):
        return own
    return default_redactor()


def default_redactor() -> Any:
    """`pipeline.redaction.Redactor()` with its default settings, for notes no model has seen (imported on use)."""
    from pipeline.redaction import Redactor

    return Redactor()
