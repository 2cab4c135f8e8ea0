"""Errors of the serving layer. Messages never echo a caller's free text (it may hold personal data)."""


class ServingError(Exception):
    """Base class of every serving error."""


class StoreError(ServingError):
    """The database cannot be opened, migrated or written."""


class UnsupportedDatabase(StoreError):
    """The database URL names a backend motifs does not support (only SQLite and PostgreSQL)."""


class InvalidRecord(StoreError):
    """A record handed to the store breaks its contract (missing field, wrong source…)."""


class UnknownReasonCode(ServingError):
    """A code sent by a client (e.g. the chosen code of a feedback) is not in the taxonomy in use."""

    def __init__(self, code: str, taxonomy_ref: str, *, field: str = "chosen_code") -> None:
        self.code = code
        self.taxonomy_ref = taxonomy_ref
        self.field = field
        super().__init__(
            f"code de motif inconnu : « {code} » n'existe pas dans la base de motifs {taxonomy_ref} "
            "(les codes ne sont pas du texte libre : choisir un code de GET /v1/taxonomy)"
        )


class ModelNotLoaded(ServingError):
    """The API was asked for suggestions before (or without) a model and a taxonomy being loaded."""
