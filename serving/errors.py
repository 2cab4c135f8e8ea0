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


class BatchError(ServingError):
    """A batch reclassification cannot start, resume or finish."""


class InvalidBatchOptions(BatchError):
    """The options of a batch reclassification do not fit together (input, output, engine, workers…)."""


class RunMismatch(BatchError):
    """A run to resume was started with another model, other inputs or other settings."""


class OutputBusy(BatchError):
    """Another process is already writing the same batch output."""


class SparkUnavailable(BatchError):
    """The Spark engine was asked for but PySpark (or Java) is not available."""


class ReviewError(ServingError):
    """A review decision on an emerging cluster cannot be taken as asked."""


class UnknownCluster(ReviewError):
    """No cluster with this id in this scope (ids are `E0001`…, scopes `week`, `month@site`…)."""


class ClusterAlreadyReviewed(ReviewError):
    """A decision was already taken on this cluster (its status is no longer « open »)."""


class InvalidReview(ReviewError):
    """The decision's fields do not fit the taxonomy: code syntax or clash, unknown domain or target reason…"""


class UnknownCall(ReviewError):
    """No stored prediction for this call_id: there is nothing to label."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"appel {call_id} inconnu du stockage (attendu : un appel « à confirmer » de la file)")
        self.call_id = call_id


class NoMonitoringData(ReviewError):
    """Nothing to monitor or review: no calls in the window, or no monitoring run stored yet."""


class AuthError(ServingError):
    """A user, a token or an identity provider's answer is not acceptable (unknown, revoked, invalid)."""


class UnknownUser(AuthError):
    """No active user of that name in the store."""


class InvalidUser(AuthError):
    """A user's name or role does not follow the rules (name syntax, role agent / analyst / admin)."""


class CallIdConflict(StoreError):
    """A call_id already holds a prediction from another source (e.g. a batch row): the API never overwrites it."""

    def __init__(self, call_id: str, sources: set[str]) -> None:
        self.call_id = call_id
        self.sources = sources
        super().__init__(f"l'appel {call_id} est déjà qualifié par une autre source ({', '.join(sorted(sources))})")


class ExposureRefused(AuthError):
    """`motifs serve` asked to listen beyond this machine without authentication (no users, no OIDC)."""


class InvalidDay(ServingError, ValueError):
    """A day given on the command line or in a request that is not aaaa-mm-jj."""
