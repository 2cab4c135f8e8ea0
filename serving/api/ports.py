"""What the API needs from the model, the redactor and the taxonomy (structural types).

The real objects are `pipeline.model.ReasonModel`, `pipeline.redaction.Redactor` and `taxonomy.Taxonomy`; tests
use small doubles with the same shape. Keeping the contract here means the routes never import a concrete class.
A prediction is the real `pipeline.predictions.Prediction` (a plain record, light to import).
"""

from __future__ import annotations

from typing import Any, Protocol

from pipeline.predictions import Prediction as Prediction  # re-exported: what `suggest` returns


class SuggestionModel(Protocol):
    """`pipeline.model.ReasonModel`: thread-safe `suggest` (the spaCy pipeline is shared, never mutated)."""

    @property
    def model_version(self) -> str | None: ...
    @property
    def taxonomy_ref(self) -> str | None: ...
    @property
    def classes_(self) -> Any: ...

    def suggest(self, texts: list[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]: ...


class Redactor(Protocol):
    """`pipeline.redaction.Redactor`: personal data replaced by tags (<NOM>, <TEL>…)."""

    def redact(self, text: str) -> str: ...


class SelfService(Protocol):
    @property
    def hint(self) -> str: ...
    @property
    def url(self) -> str | None: ...


class Reason(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def domain(self) -> str | None: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def site(self) -> str | None: ...
    @property
    def self_service(self) -> SelfService | None: ...
    @property
    def is_active(self) -> bool: ...


class Taxonomy(Protocol):
    """`taxonomy.Taxonomy`, national or extended with one site (`with_site`)."""

    @property
    def ref(self) -> str: ...
    @property
    def active_codes(self) -> tuple[str, ...]: ...
    @property
    def active_reasons(self) -> tuple[Any, ...]: ...

    def __contains__(self, code: object) -> bool: ...
    def get(self, code: str) -> Any: ...
    def roll_up(self, code: str) -> str: ...
