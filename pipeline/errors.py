"""Errors of the pipeline layer. Messages never echo a caller's free text (it may hold personal data)."""


class PipelineError(Exception):
    """Base class of every pipeline error."""


class UnreadableTable(PipelineError):
    """A data file cannot be opened or parsed at all."""


class EmptyTable(UnreadableTable):
    """A data file has no header or no row."""


class UnsupportedFormat(UnreadableTable):
    """A data file's extension is not one we read or write."""


class MissingColumns(PipelineError):
    """A call export lacks a column of the contract (or a column named in the mapping is not in the file)."""


class InvalidColumnMapping(PipelineError):
    """A column mapping names an unknown contract column or maps two contract columns to one source column."""


class RejectedCallRows(PipelineError):
    """Strict reading found rows that break the contract. Holds (row, call_id, error_code), never the row's text."""

    def __init__(self, message: str, rows: list[tuple[int, str, str]]) -> None:
        super().__init__(message)
        self.rows = rows


class InvalidText(PipelineError):
    """A batch of texts is malformed (one string instead of a list, a missing or non-text value)."""


class InvalidConfig(PipelineError):
    """A model configuration has an unknown key, component name or an out-of-range value."""


class UnknownReason(PipelineError):
    """A label or reason code is not usable for training (e.g. the reserved « autre », or too few examples)."""


class ArtifactError(PipelineError):
    """A model artifact directory cannot be written or trusted."""


class ArtifactNotFound(ArtifactError):
    """The model directory, its manifest or its model file is missing."""


class ArtifactInvalid(ArtifactError):
    """The manifest is unreadable or does not describe a motifs model."""


class ArtifactTampered(ArtifactError):
    """The model file's SHA-256 does not match the recorded one: it is never unpickled."""


class TaxonomyVersionMismatch(ArtifactError):
    """The model was trained on another taxonomy (id or version) than the one expected."""


class RedactionError(PipelineError):
    """Base class of the redaction step's errors."""


class RedactionConfigError(RedactionError):
    """A redaction setting (YAML file or constructor parameter) is invalid."""


class MissingColumn(RedactionError):
    """A column the caller named is not in the file."""


class RedactionInputError(RedactionError, ValueError):
    """Redaction received something other than text (e.g. one string where a list of texts is expected)."""


class ArtifactUntrusted(ArtifactError):
    """A model file whose SHA-256 is in no trusted record (registry, trusted-models list): never unpickled."""


class InvalidOutput(PipelineError):
    """An output path that cannot be written as asked (e.g. the file being read)."""
