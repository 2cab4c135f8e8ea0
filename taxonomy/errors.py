"""Errors of the taxonomy layer. Messages say what was received and what was expected, in French."""


class TaxonomyError(Exception):
    """Base class of every taxonomy error."""
