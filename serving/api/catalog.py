"""Turning a model's prediction into what an agent sees, with the taxonomy of their site.

- Labels come from the site's taxonomy (national reasons + the site's local reasons).
- A code the model knows but the site's taxonomy does not — a local reason of *another* site — is rolled up to
  its national ancestor; suggestions that end up on the same code are merged (confidences added).
- A code no taxonomy knows (model and taxonomy out of step) is left out and logged by code, never shown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from serving.api.ports import Prediction, Taxonomy
from serving.api.schemas import ReasonChoice, ReasonOut, SelfServiceHint, Suggestion

logger = logging.getLogger("motifs.api")


def shown_code(code: str, taxonomy: Taxonomy, local_parents: Mapping[str, str]) -> str | None:
    """The code to show for a model code in this taxonomy (itself, its national ancestor, or None)."""
    if code in taxonomy:
        return code
    parent = local_parents.get(code)
    if parent is not None and parent in taxonomy:
        return parent
    return None


def present_suggestions(
    prediction: Prediction, taxonomy: Taxonomy, local_parents: Mapping[str, str], k: int
) -> list[Suggestion]:
    merged: dict[str, float] = {}
    for scored in prediction.top_k:
        code = shown_code(scored.code, taxonomy, local_parents)
        if code is None:
            logger.warning("code %s prédit par le modèle absent de %s : suggestion écartée", scored.code, taxonomy.ref)
            continue
        merged[code] = merged.get(code, 0.0) + float(scored.confidence)
    ranked = sorted(merged.items(), key=lambda item: -item[1])[:k]
    return [
        Suggestion(code=code, label=taxonomy.get(code).label, confidence=min(1.0, max(0.0, confidence)))
        for code, confidence in ranked
    ]


def present_set(prediction: Prediction, taxonomy: Taxonomy, local_parents: Mapping[str, str]) -> list[ReasonChoice]:
    """The prediction set in this taxonomy's codes (rolled up and merged like the suggestions), empty for « autre »."""
    if prediction.decision == "autre":
        return []
    codes = (shown_code(code, taxonomy, local_parents) for code in prediction.prediction_set)
    return [ReasonChoice(code=code, label=taxonomy.get(code).label) for code in dict.fromkeys(c for c in codes if c)]


def self_service_of(code: str | None, taxonomy: Taxonomy) -> SelfServiceHint | None:
    if code is None or code not in taxonomy:
        return None
    hint = taxonomy.get(code).self_service
    return None if hint is None else SelfServiceHint(hint=hint.hint, url=hint.url)


def describe(reasons: Sequence[Any], taxonomy: Taxonomy) -> list[ReasonOut]:
    return [
        ReasonOut(
            code=reason.code,
            label=reason.label,
            domain=reason.domain,
            parent=reason.parent,
            site=reason.site,
            self_service=self_service_of(reason.code, taxonomy),
        )
        for reason in reasons
    ]
