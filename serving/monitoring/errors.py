"""Errors of demand monitoring. Messages name columns, row numbers and call ids — never a caller's free text."""

from __future__ import annotations

from serving.errors import ServingError


class MonitoringError(ServingError):
    """Base class of the monitoring errors."""


class InvalidCallsFrame(MonitoringError):
    """The table of calls and predictions does not follow the monitoring input contract."""


class InvalidMonitoringConfig(MonitoringError):
    """The monitoring configuration (YAML) is unreadable or has a value out of range."""


class InvalidRegistry(MonitoringError):
    """A serialised cluster registry cannot be read back."""
