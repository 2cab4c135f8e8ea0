"""What the API holds while it runs: model, redactor, taxonomies (national + one per site), database, threads.

Built once in the app's `lifespan` by a loader (`load_resources` by default; tests pass their own) and closed on
shutdown. Nothing here is loaded at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from serving.api.ports import Redactor, SuggestionModel, Taxonomy
from serving.api.settings import Settings
from serving.errors import ModelNotLoaded, StoreError
from serving.redaction import redactor_for as shared_redactor_for
from serving.store import Database

logger = logging.getLogger("motifs.api")


@dataclass
class Resources:
    model: SuggestionModel
    redactor: Redactor
    taxonomy: Taxonomy  # the national version the model was trained on
    database: Database
    sites: Mapping[str, Taxonomy] = field(default_factory=dict)  # site id → taxonomy.with_site(extension)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "motifs-model"))
    local_parents: dict[str, str] = field(init=False)  # local code of any site → its national ancestor

    def __post_init__(self) -> None:
        self.local_parents = {
            code: extended.roll_up(code)
            for extended in self.sites.values()
            for code in extended.active_codes
            if code not in self.taxonomy
        }

    @property
    def model_version(self) -> str:
        return str(self.model.model_version or "inconnue")

    def taxonomy_for(self, site: str | None) -> Taxonomy:
        """The site's extended taxonomy when it has an extension, else the national one."""
        if site is None:
            return self.taxonomy
        return self.sites.get(site, self.taxonomy)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.database.close()


ResourceLoader = Callable[[Settings], Resources]


def load_resources(settings: Settings) -> Resources:
    """The real thing: the model (directory or MLflow registry), its taxonomy and the sites' extensions, the
    redactor, the database (migrated). Raises a domain error with a French message when something is missing."""
    if not settings.model:
        raise ModelNotLoaded(
            "aucun modèle à servir (attendu : motifs serve --model DOSSIER|models:/motifs-reasons@champion, "
            "ou la variable MOTIFS_MODEL)"
        )
    from threadpoolctl import threadpool_limits

    from pipeline.mlflow_model import resolve_artifact
    from taxonomy import register_taxonomy

    artifact = resolve_artifact(settings.model)
    model = artifact.model
    # Requests run side by side in the model's threads: one BLAS thread each. A small product (one note against the
    # stored exemplars) spread over busy cores costs tens of times more than on one (measured on 2 shared cores).
    threadpool_limits(1)
    taxonomy = artifact.taxonomy()  # exactly the model's base (it travels with the model), never another one
    register_taxonomy(taxonomy)  # the review pages (drafts of the next version) find it by its ref
    sites = load_site_taxonomies(taxonomy, settings.site_extensions_dir)
    redactor = redactor_for(model)
    warm_up(model, redactor)
    database = Database.open(settings.database_url, migrate=settings.migrate_on_startup)
    record_model(database, model.model_version, taxonomy.ref, getattr(artifact.manifest, "calibration", None))
    logger.info(
        "modèle %s chargé (base %s, %d extension(s) de site), base de données %s",
        model.model_version,
        taxonomy.ref,
        len(sites),
        database.safe_url,
    )
    return Resources(
        model=model,
        redactor=redactor,
        taxonomy=taxonomy,
        database=database,
        sites=sites,
        executor=ThreadPoolExecutor(settings.model_threads, "motifs-model"),
    )


def record_model(database: Database, version: Any, taxonomy_ref: str, calibration: Any) -> None:
    """Record the served model in the store (version, base, calibration: what the report reads). A store that cannot
    take it (schema not migrated, read-only) does not stop the API: the report then asks for `--model`."""
    try:
        database.models.record(str(version or "inconnue"), taxonomy_ref, calibration)
    except StoreError as error:
        logger.warning("modèle non enregistré dans la base : %s", error)


def redactor_for(model: Any) -> Redactor:
    """The redactor the model was trained with (same types, site patterns), else the default one: the API
    redacts exactly as training did (and as the batch does: `serving.redaction.redactor_for`)."""
    return cast(Redactor, shared_redactor_for(model))


WARM_UP_NOTE = "L'usager n'a pas reçu son versement du mois et demande une attestation."


def warm_up(model: SuggestionModel, redactor: Redactor) -> None:
    """One suggestion before serving: lazy loads (spaCy tables, vectors) must not make the first agent wait."""
    model.suggest([redactor.redact(WARM_UP_NOTE)], k=1, redacted=True)


def load_site_taxonomies(taxonomy: Any, directory: Path | None) -> dict[str, Taxonomy]:
    """`taxonomy` extended with each site extension of `directory` (default: the shipped ones) that applies to
    its version; an extension written for other versions is skipped with a warning, one for another base quietly."""
    from taxonomy.errors import TaxonomyError
    from taxonomy.loader import list_sites, load_site

    sites: dict[str, Taxonomy] = {}
    for site in list_sites(directory=directory):
        extension = load_site(directory / f"{site}.yaml" if directory is not None else site)
        if extension.extends.taxonomy != taxonomy.id:
            # Another base's extension (the shipped metropole_lyon extends national): not an error of this model.
            logger.debug(
                "extension de site %s (base %s) sans objet pour %s",
                extension.ref,
                extension.extends.taxonomy,
                taxonomy.ref,
            )
            continue
        try:
            sites[extension.id] = taxonomy.with_site(extension)
        except TaxonomyError as exc:
            logger.warning("extension de site %s ignorée pour %s : %s", extension.ref, taxonomy.ref, exc)
    return sites
