"""Errors of the taxonomy layer. Messages say what was received and what was expected, in French.

Taxonomy files are our own data, so messages may name codes, fields and versions; they never carry call notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class TaxonomyError(Exception):
    """Base class of every taxonomy error."""


@dataclass(frozen=True)
class ValidationIssue:
    """One problem found in one taxonomy file, rendered as one readable line."""

    file: str
    problem: str
    expected: str = ""
    code: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        subject = f"motif « {self.code} » : " if self.code else ""
        expected = f" (attendu : {self.expected})" if self.expected else ""
        return f"{where} : {subject}{self.problem}{expected}"


class TaxonomyValidationError(TaxonomyError):
    """A taxonomy, lineage or site extension is invalid; carries every issue found, not just the first."""

    def __init__(self, issues: Iterable[ValidationIssue]) -> None:
        self.issues: tuple[ValidationIssue, ...] = tuple(issues)
        if not self.issues:
            raise ValueError("TaxonomyValidationError needs at least one issue")
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.issues) == 1:
            return str(self.issues[0])
        lines = [f"{len(self.issues)} erreurs dans la base de motifs :"]
        lines += [f"- {issue}" for issue in self.issues]
        return "\n".join(lines)


class TaxonomyNotFound(TaxonomyError):
    """No taxonomy file or site extension matches a reference."""


class InvalidTaxonomyRef(TaxonomyError):
    """A reference such as `national@1.1.0` is malformed."""


class UnknownReasonCode(TaxonomyError):
    """A code is not in the taxonomy it was looked up in."""


class MigrationError(TaxonomyError):
    """Codes cannot be migrated between two taxonomy versions (other taxonomy, backwards, missing link)."""


class UnsupportedExportFormat(TaxonomyError):
    """An export file's extension is neither .csv nor .json."""


class EmptyLabelSet(TaxonomyError):
    """A dataset given to `from-data` has no non-empty label."""


class InvalidDraft(TaxonomyError):
    """A reason cannot be added to a draft version: bad code, code already used, unknown domain, stale draft…"""


class TaxonomyConflict(TaxonomyError):
    """A taxonomy version already exists with other content (an id@version names exactly one base)."""
