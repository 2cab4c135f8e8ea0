"""Registering a taxonomy version in the local taxonomy folder, so that every command finds it by its ref.

A model trained on a file or `from-data` taxonomy carries it (`pipeline.artifact`); the commands that only read the
store (`emerging`, `report`, `review`) know the calls' taxonomy by its ref (`an_qe16@1.0.0`) and look it up in the
shipped data and the local folder (`$MOTIFS_TAXONOMY_DIR`, else `./motifs-data/taxonomy`). Training and
reclassification register the model's taxonomy there as `<id>/v<version>.yaml`. An id@version names one base:
registering other content under the same ref is refused rather than silently changing what stored codes mean.
"""

from __future__ import annotations

from pathlib import Path

from taxonomy.errors import TaxonomyConflict, TaxonomyValidationError
from taxonomy.loader import DATA_DIR, local_taxonomy_dir, read_taxonomy_file, version_files
from taxonomy.schema import Taxonomy
from taxonomy.yaml_io import display_name, write_taxonomy


def _content(taxonomy: Taxonomy) -> dict[str, object]:
    return taxonomy.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)


def registered_path(taxonomy: Taxonomy, *, taxonomy_dir: str | Path | None = None) -> Path | None:
    """Where `taxonomy.ref` is found (shipped or local), `None` when nowhere. Raises `TaxonomyConflict` when the
    file found holds another content under the same id@version."""
    found = version_files(taxonomy.id, taxonomy_dir=taxonomy_dir).get(taxonomy.version)
    if found is None:
        return None
    try:
        existing = read_taxonomy_file(found)[0]
    except TaxonomyValidationError:
        existing = None
    if existing is None or _content(existing) != _content(taxonomy):
        raise TaxonomyConflict(
            f"la base {taxonomy.ref} existe déjà dans {display_name(found)} avec un autre contenu (attendu : le "
            "même contenu pour un même identifiant@version ; donner une autre version, p. ex. "
            "motifs taxonomy from-data --version 1.1.0, ou un autre --id)"
        )
    return found


def register_taxonomy(taxonomy: Taxonomy, *, taxonomy_dir: str | Path | None = None) -> Path:
    """Make `taxonomy` loadable by its ref: nothing to do when it is shipped or already registered with the same
    content; else written to `<local folder>/<id>/v<version>.yaml`."""
    if taxonomy.site is not None:  # its base and the extension are files already: nothing to write
        return DATA_DIR / taxonomy.id
    found = registered_path(taxonomy, taxonomy_dir=taxonomy_dir)
    if found is not None:
        return found
    path = local_taxonomy_dir(taxonomy_dir) / taxonomy.id / f"v{taxonomy.version}.yaml"
    return write_taxonomy(taxonomy, path)
