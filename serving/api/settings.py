"""Settings of the suggestion API, read from the environment (prefix `MOTIFS_`) or given explicitly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from serving.store import DEFAULT_DATABASE_URL

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class Settings(BaseSettings):
    """Every field can be set with an environment variable `MOTIFS_<NAME>` (e.g. `MOTIFS_MAX_TEXT_LENGTH=8000`)."""

    model_config = SettingsConfigDict(env_prefix="MOTIFS_", extra="ignore", frozen=True)

    model: str | None = Field(
        default=None,
        description="Modèle à servir : dossier d'artefact ou URI du registre MLflow (models:/motifs-reasons@champion).",
    )
    database_url: str = Field(default=DEFAULT_DATABASE_URL, description="Base de données (SQLite ou PostgreSQL).")
    migrate_on_startup: bool = Field(default=True, description="Appliquer les migrations du schéma au démarrage.")
    max_text_length: int = Field(default=5000, ge=1, le=1_000_000, description="Longueur maximale d'une note.")
    request_timeout_s: float = Field(
        default=2.0, gt=0, le=60, description="Au-delà, réponse dégradée (vide) plutôt qu'un écran bloqué."
    )
    top_k: int = Field(default=3, ge=1, le=10, description="Nombre de suggestions par défaut.")
    model_threads: int = Field(default=4, ge=1, le=64, description="Fils d'exécution pour le modèle.")
    site_extensions_dir: Path | None = Field(
        default=None, description="Dossier des extensions de site (<site>.yaml) ; par défaut celles livrées."
    )
    store_suggestions: bool = Field(
        default=True, description="Enregistrer les suggestions (texte anonymisé) quand un call_id est fourni."
    )
    taxonomy_dir: Path | None = Field(
        default=None,
        description="Dossier local des versions de la base (brouillons de la revue) ; sinon motifs-data/taxonomy.",
    )
    discovery_dir: Path | None = Field(
        default=None,
        description="Dossier des brouillons de motifs discover --revue, relus sur /revue/decouverte ; sinon "
        "motifs-data/decouverte.",
    )
    reviewer: str | None = Field(
        default=None,
        max_length=128,
        description=(
            "Nom proposé par défaut comme auteur des décisions de revue (déclaré) quand aucun utilisateur n'est "
            "configuré ; avec des utilisateurs, l'auteur est l'utilisateur connecté."
        ),
    )
    # --- who may do what (docs: README « Utilisateurs et droits ») ---
    allowed_hosts: list[str] = Field(
        default_factory=lambda: list(LOOPBACK_HOSTS),
        description="Noms d'hôte acceptés dans l'en-tête Host (contre le DNS rebinding), en JSON.",
    )
    rate_limit: str = Field(
        default="20/second;600/minute",
        pattern=r"^\d+/(second|minute|hour|day)(;\d+/(second|minute|hour|day))*$",
        description="Requêtes permises par jeton (ou par session), au format de la bibliothèque limits.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Clé de signature des cookies de session ; par défaut tirée au démarrage (sessions perdues au "
        "redémarrage, et propres à un processus).",
    )
    session_max_age_s: int = Field(default=8 * 3600, ge=60, le=7 * 24 * 3600, description="Durée d'une session web.")
    secure_cookies: bool = Field(default=False, description="Cookies « Secure » (servir en HTTPS, derrière un proxy).")
    oidc_issuer: str | None = Field(default=None, description="OIDC : émetteur attendu (claim iss) ; active l'OIDC.")
    oidc_audience: str | None = Field(default=None, description="OIDC : audience attendue (claim aud).")
    oidc_jwks_url: str | None = Field(default=None, description="OIDC : adresse des clés publiques (jwks_uri).")
    oidc_jwks_file: Path | None = Field(default=None, description="OIDC : clés publiques dans un fichier JWKS local.")
    oidc_roles_claim: str = Field(default="roles", description="OIDC : claim listant les rôles de l'utilisateur.")
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description="OIDC : valeur du claim → rôle motifs (agent, analyst, admin) ; par défaut les noms des rôles.",
    )
    oidc_name_claim: str = Field(default="preferred_username", description="OIDC : claim du nom (sinon sub).")

    @property
    def oidc_enabled(self) -> bool:
        return self.oidc_issuer is not None

    @property
    def max_body_bytes(self) -> int:
        """Largest request body read: a note of max_text_length characters fully \\u-escaped, plus the other fields."""
        return max(64 * 1024, self.max_text_length * 6 + 8 * 1024)


@lru_cache(maxsize=1)
def settings_from_env() -> Settings:
    return Settings()
