"""Request and response bodies of the API (pydantic), with explicit limits and French documentation.

Requests refuse unknown fields. The note's length is checked by the route (413 with the configured limit), not
here, so that the limit stays a setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
CallId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"),
    Field(description="Identifiant de l'appel dans l'outil de téléphonie ou le CRM.", examples=["2026-03-02-000123"]),
]
Site = Annotated[
    str,
    StringConstraints(pattern=CODE_PATTERN),
    Field(
        description="Identifiant du site (applique son extension locale de la base de motifs).",
        examples=["metropole_lyon"],
    ),
]
Channel = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$"),
    Field(description="Canal de contact.", examples=["telephone"]),
]
Code = Annotated[
    str,
    StringConstraints(pattern=CODE_PATTERN),
    Field(description="Code de motif de la base (voir GET /v1/taxonomy).", examples=["paiement_non_recu"]),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuggestionRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "L'usager n'a pas reçu son versement de mars, il demande quand il sera payé.",
                    "site": "metropole_lyon",
                    "channel": "telephone",
                    "k": 3,
                    "call_id": "2026-03-02-000123",
                }
            ]
        }
    )

    text: str = Field(
        min_length=1,
        description=(
            "Note de l'agent ou transcription. Anonymisée avant tout enregistrement ; jamais journalisée. "
            "Longueur maximale configurable (MOTIFS_MAX_TEXT_LENGTH, 5 000 caractères par défaut) : au-delà, 413."
        ),
    )
    site: Site | None = None
    channel: Channel | None = None
    k: int | None = Field(default=None, ge=1, le=10, description="Nombre de suggestions (défaut : MOTIFS_TOP_K).")
    call_id: CallId | None = Field(
        default=None,
        description="Identifiant de l'appel. Quand il est fourni, la suggestion est enregistrée (texte anonymisé).",
    )


class Suggestion(_Response):
    code: str = Field(description="Code du motif.", examples=["paiement_non_recu"])
    label: str = Field(description="Libellé du motif (libellé local si le site en a un).")
    confidence: float = Field(ge=0, le=1, description="Probabilité estimée (calibrée) du motif.")


class SelfServiceHint(_Response):
    hint: str = Field(description="Ce que l'usager peut faire seul la prochaine fois.")
    url: str | None = Field(default=None, description="Adresse du service en ligne, s'il y en a une.")


class ReasonChoice(_Response):
    code: str = Field(description="Code du motif.", examples=["paiement_non_recu"])
    label: str = Field(description="Libellé du motif (libellé local si le site en a un).")


class Novelty(_Response):
    score: float | None = Field(
        ge=0, le=1, description="Score de nouveauté de la note (0 : très proche des motifs connus, 1 : hors base)."
    )
    threshold: float | None = Field(
        description="Au-dessus de ce seuil la note est « hors base » (calibré pour qu'au plus α des notes de motifs "
        "connus le dépassent, 5 % par défaut)."
    )


class SuggestionResponse(_Response):
    decision: Literal["confident", "to_confirm", "autre"] = Field(
        description=(
            "confident : un motif connu, qualifié automatiquement ; to_confirm : un motif connu est probable mais le "
            "modèle hésite — choisir dans prediction_set ; autre : la note ne ressemble à aucun motif de la base "
            "(hors base), les suggestions restent les motifs les plus proches."
        )
    )
    prediction_set: list[ReasonChoice] = Field(
        description=(
            "Ensemble de motifs qui contient le bon avec la probabilité calibrée (90 % par défaut), du plus probable "
            "au moins probable ; vide si decision = autre."
        )
    )
    novelty: Novelty
    suggestions: list[Suggestion] = Field(description="Motifs suggérés, du plus probable au moins probable.")
    autre: bool = Field(description="Vrai si decision = autre (note hors base). Conservé pour compatibilité.")
    self_service: SelfServiceHint | None = Field(description="Piste d'autonomie du motif le plus probable.")
    model_version: str = Field(description="Version du modèle qui a répondu.")
    taxonomy_version: str = Field(description="Version de la base de motifs (avec l'extension du site).")
    degraded: bool = Field(
        description="Vrai si la réponse est vide faute de temps (délai dépassé) : l'agent qualifie à la main."
    )


class FeedbackRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "call_id": "2026-03-02-000123",
                    "suggested_codes": ["paiement_non_recu", "paiement_montant", "dossier_etat"],
                    "chosen_code": "paiement_non_recu",
                    "site": "metropole_lyon",
                }
            ]
        }
    )

    call_id: CallId
    suggested_codes: list[Code] = Field(default_factory=list, max_length=20, description="Codes montrés à l'agent.")
    chosen_code: Code = Field(description="Code retenu par l'agent (doit exister dans la base de motifs).")
    site: Site | None = None
    agent: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$",
        description=(
            "Identifiant de l'agent (facultatif ; avec des utilisateurs configurés, c'est l'utilisateur connecté "
            "qui est enregistré). Sert au plafond par agent de l'apprentissage."
        ),
    )


class FeedbackResponse(_Response):
    call_id: str
    chosen_code: str
    national_code: str = Field(description="Code national sous lequel le choix est compté (motif local remonté).")
    taxonomy_version: str
    call_known: bool = Field(
        description="L'appel avait une suggestion enregistrée ; sinon le retour est gardé mais marqué comme tel."
    )


class ReasonOut(_Response):
    code: str
    label: str
    domain: str | None = Field(default=None, description="Domaine national du motif.")
    parent: str | None = Field(default=None, description="Motif parent (motifs locaux d'un site).")
    site: str | None = Field(default=None, description="Site qui a ajouté ce motif local.")
    self_service: SelfServiceHint | None = None


class TaxonomyOut(_Response):
    taxonomy_version: str = Field(description="Référence de la version, extension de site comprise.")
    site: str | None = Field(description="Site demandé (null : base nationale).")
    site_extension: bool = Field(description="Vrai si le site a une extension locale appliquée.")
    reasons: list[ReasonOut] = Field(description="Motifs actifs, « autre » compris.")


class ErrorItem(_Response):
    loc: list[str | int] = Field(description="Où est l'erreur (champ), jamais la valeur reçue.")
    type: str
    msg: str = Field(description="Message en français.")


class ValidationErrorOut(_Response):
    detail: list[ErrorItem]


class ErrorOut(_Response):
    detail: str = Field(description="Message en français ; ne reprend jamais le texte envoyé.")


class Liveness(_Response):
    status: str = Field(examples=["ok"])


class Readiness(_Response):
    status: str = Field(description="ok, ou indisponible.", examples=["ok"])
    model: bool
    taxonomy: bool
    database: bool


class VersionOut(_Response):
    motifs: str = Field(description="Version du logiciel.")
    api: str = Field(examples=["v1"])
    model_version: str | None
    taxonomy_version: str | None
    sites: list[str] = Field(description="Sites dont l'extension locale est chargée.")
    schema_revision: str | None = Field(description="Révision du schéma de la base de données.")


# --- review of emerging clusters (read-only JSON beside the /revue pages) ---


class TrendPointOut(_Response):
    period: str = Field(examples=["2024-W15"])
    size: int = Field(ge=0, description="Appels du cluster dans la période (0 s'il n'y est pas vu).")


class DecisionOut(_Response):
    action: str = Field(description="create (nouveau motif), attach (rattaché) ou dismiss (écarté).")
    reviewer: str = Field(description="Auteur déclaré de la décision.")
    target_code: str | None = None
    taxonomy_ref: str | None = Field(default=None, examples=["national@1.2.0"])
    created_at: str | None = Field(default=None, description="Date et heure (UTC, ISO 8601).")


class ClusterOut(_Response):
    id: str = Field(examples=["E0001"])
    scope: str = Field(examples=["week"])
    status: str = Field(
        description="open (à traiter), created (nouveau motif), attached (rattaché), dismissed (écarté)."
    )
    signal: str = Field(description="Signal de la dernière période où il est vu : strong, weak ou none.")
    best_signal: str = Field(description="Signal le plus fort sur les périodes suivies.")
    size: int = Field(ge=0)
    period: str | None = None
    first_seen: str
    last_seen: str
    growth: float | None = None
    novelty: float | None = None
    keywords: list[str]
    parent_code: str | None = Field(default=None, description="Motif dont il est un sous-thème (scission possible).")
    nearest_code: str | None = None
    trend: list[TrendPointOut]


class ClusterDetailOut(ClusterOut):
    examples: list[str] = Field(description="3 à 5 notes représentatives, anonymisées.")
    notes_count: int = Field(ge=0)
    decisions: list[DecisionOut]


class ClusterListOut(_Response):
    scope: str | None = Field(description="Suivi affiché ; null si aucun suivi n'est enregistré (motifs emerging).")
    scopes: list[str]
    run_id: int | None = Field(default=None, description="Dernière analyse enregistrée du suivi.")
    hidden: int = Field(ge=0, description="Clusters jamais signalés, masqués sauf include_silent=true.")
    clusters: list[ClusterOut]
