"""What the API needs from the model and the redactor (structural types), and the real types it passes around.

The model and the redactor are `pipeline.model.ReasonModel` and `pipeline.redaction.Redactor`; tests use small
doubles with the same shape, so the routes depend on Protocols (`SuggestionModel` is the pipeline's own), not on
the concrete classes. Predictions (`pipeline.predictions.Prediction`) and the taxonomy (`taxonomy.Taxonomy`) are
plain data every test can build: they are re-exported as they are rather than mirrored.
"""

from __future__ import annotations

from typing import Protocol

from pipeline.predictions import Prediction as Prediction  # re-exported: what `suggest` returns
from pipeline.predictions import SuggestionModel as SuggestionModel  # re-exported: the model as the routes use it
from taxonomy import Taxonomy as Taxonomy  # re-exported: national, or extended with one site (`with_site`)


class Redactor(Protocol):
    """`pipeline.redaction.Redactor`: personal data replaced by tags (<NOM>, <TEL>…)."""

    def redact(self, text: str) -> str: ...
