"""Errors of the pipeline layer. Messages never echo a caller's free text (it may hold personal data)."""


class PipelineError(Exception):
    """Base class of every pipeline error."""


class UnreadableTable(PipelineError):
    """A data file cannot be opened or parsed at all."""


class EmptyTable(UnreadableTable):
    """A data file has no header or no row."""


class UnsupportedFormat(UnreadableTable):
    """A data file's extension is not one we read or write."""


class RedactionError(PipelineError):
    """Base class of the redaction step's errors."""


class RedactionConfigError(RedactionError):
    """A redaction setting (YAML file or constructor parameter) is invalid."""


class MissingColumn(RedactionError):
    """A column the caller named is not in the file."""


class RedactionInputError(RedactionError, ValueError):
    """Redaction received something other than text (e.g. one string where a list of texts is expected)."""
