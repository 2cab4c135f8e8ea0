"""Errors of the serving layer. Messages never echo a caller's free text (it may hold personal data)."""


class ServingError(Exception):
    """Base class of every serving error."""
