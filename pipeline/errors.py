"""Errors of the pipeline layer. Messages never echo a caller's free text (it may hold personal data)."""


class PipelineError(Exception):
    """Base class of every pipeline error."""
