"""Keeping callers' free text out of logs.

The rule is that logs never receive a note: refer to it by `call_id` or row number, and describe it with
`describe_text` (its length only). `RedactingFilter` is the safety net behind that rule: attached to a logging
handler, it redacts every record's message (and formatted traceback) before it is written, so a slip such as
`log.error("bad note %s", text)` leaks tags, not personal data.
"""

from __future__ import annotations

import logging

from pipeline.redaction.redactor import Redactor


def describe_text(text: object) -> str:
    """What a log line may say about a text: its kind and length, never its content."""
    if isinstance(text, str):
        return f"<texte de {len(text)} caractères>"
    return f"<{type(text).__name__}>"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message and traceback of every record (rules only, no NER: fast)."""

    def __init__(self, name: str = "", *, redactor: Redactor | None = None) -> None:
        super().__init__(name)
        self._redactor = redactor if redactor is not None else Redactor(use_ner="off")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a badly formatted record: keep its template only, never its arguments
            message = str(record.msg)
        record.msg = self._redactor.redact(message)
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._redactor.redact(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.redact(record.stack_info)
        return True
