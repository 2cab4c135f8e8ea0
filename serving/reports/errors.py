"""Errors of the reports. Messages name files, columns and dates — never a caller's free text."""

from __future__ import annotations

from serving.errors import ServingError


class ReportError(ServingError):
    """Base class of the report errors."""


class InvalidReportOptions(ReportError):
    """The report's options do not fit together (dates, period, sources)."""


class InvalidReportInput(ReportError):
    """A calls or predictions file cannot be used for a report (missing column, nothing in common…)."""


class NoCallsInRange(ReportError):
    """No scored call in the report's dates."""
