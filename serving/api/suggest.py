"""One suggestion, end to end: (call_id of another source? refuse) → redact → model → the site's labels →
(optionally) a record to store.

`compute_suggestion` is plain synchronous code: the route runs it in the model's thread pool under a timeout,
so a slow model yields a degraded empty answer instead of a hung agent screen. The text is redacted first; the
model receives the redacted text (`redacted=True`) and only the redacted text can reach the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from serving.api.catalog import present_set, present_suggestions, self_service_of
from serving.api.resources import Resources
from serving.api.schemas import Novelty, SuggestionRequest, SuggestionResponse
from serving.errors import CallIdConflict
from serving.store import PredictionRecord

T = TypeVar("T")
MAX_K = 10


@dataclass(frozen=True)
class Outcome:
    response: SuggestionResponse
    record: PredictionRecord | None  # what to store, when the request gave a call_id and storing is on


def compute_suggestion(
    resources: Resources, request: SuggestionRequest, *, k: int, store: bool, now: datetime
) -> Outcome:
    if store and request.call_id is not None:
        # Here, in the model's thread, rather than in the route: no extra thread hop per request.
        others = resources.database.predictions.other_sources(request.call_id, "api")
        if others:
            raise CallIdConflict(request.call_id, others)
    redacted = resources.redactor.redact(request.text)
    # Ask for more than k: merging local codes of other sites into their national parent may shorten the list.
    (prediction,) = resources.model.suggest([redacted], k=min(MAX_K, 2 * k), redacted=True)
    taxonomy = resources.taxonomy_for(request.site)
    suggestions = present_suggestions(prediction, taxonomy, resources.local_parents, k)
    top = suggestions[0].code if suggestions and not prediction.autre else None
    response = SuggestionResponse(
        decision=prediction.decision,
        prediction_set=present_set(prediction, taxonomy, resources.local_parents),
        novelty=Novelty(score=prediction.novelty, threshold=prediction.novelty_threshold),
        suggestions=suggestions,
        autre=bool(prediction.autre),
        self_service=self_service_of(top, taxonomy),
        model_version=resources.model_version,
        taxonomy_version=taxonomy.ref,
        degraded=False,
    )
    record = None
    if store and request.call_id is not None:
        record = PredictionRecord.from_prediction(
            prediction,
            call_id=request.call_id,
            called_at=now,
            model_version=resources.model_version,
            taxonomy_version=resources.taxonomy.ref,
            source="api",
            site=request.site,
            channel=request.channel,
            redacted_text=redacted,
        )
        record = dataclasses.replace(record, top_k=record.top_k[:k])
    return Outcome(response=response, record=record)


def degraded_response(resources: Resources, site: str | None) -> SuggestionResponse:
    return SuggestionResponse(
        decision="to_confirm",
        prediction_set=[],
        novelty=Novelty(score=None, threshold=None),
        suggestions=[],
        autre=False,
        self_service=None,
        model_version=resources.model_version,
        taxonomy_version=resources.taxonomy_for(site).ref,
        degraded=True,
    )


async def run_with_timeout(executor: Executor, work: Callable[[], T], timeout_s: float) -> T:
    """`work()` in `executor`, or `TimeoutError` after `timeout_s` (a job still queued is then cancelled; one
    already running finishes in its thread and its result is dropped)."""
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.run_in_executor(executor, work), timeout_s)
