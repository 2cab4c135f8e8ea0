"""Errors of the training layer. Messages never echo a caller's free text (it may hold personal data)."""


class TrainingError(Exception):
    """Base class of every training error."""


class InvalidDemoSettings(TrainingError):
    """The demo corpus generator was given impossible settings (rows, weeks, output file)."""
