"""French personal-data redaction, applied before text is stored, logged, clustered or reported.

`Redactor` is a scikit-learn transformer (list of texts in, list of redacted texts out); `redact(text)` and
`find_spans(text)` use the default settings. Tags: `<NOM>`, `<TEL>`, `<NIR>`, `<IBAN>`, `<CARTE>`, `<EMAIL>`,
`<ADRESSE>`, `<DATE_NAISSANCE>`, `<NUM_DOSSIER>`, `<IMMAT>`. Settings live in `default.yaml`.
"""

from __future__ import annotations

from pipeline.redaction.config import RedactionConfig, load_config
from pipeline.redaction.logsafe import RedactingFilter, describe_text
from pipeline.redaction.redactor import Redactor
from pipeline.redaction.spans import PII_TYPES, TAG_RE, Span
from pipeline.redaction.table import RedactionSummary, count_rows, redact_table

__all__ = [
    "PII_TYPES",
    "TAG_RE",
    "RedactingFilter",
    "RedactionConfig",
    "RedactionSummary",
    "Redactor",
    "Span",
    "count_rows",
    "describe_text",
    "find_spans",
    "load_config",
    "redact",
    "redact_table",
]

_DEFAULT = Redactor()


def redact(text: str) -> str:
    """`text` with its personal data replaced by tags (default settings)."""
    return _DEFAULT.redact(text)


def find_spans(text: str) -> list[Span]:
    """The personal data found in `text` with the default settings."""
    return _DEFAULT.find_spans(text)
