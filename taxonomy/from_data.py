"""An ad-hoc taxonomy built from the label set of any labeled dataset (`motifs taxonomy from-data`).

Public corpora have their own labels; turning them into a taxonomy version lets the pipeline be trained and
benchmarked on them unchanged. Codes are slugs of the labels (accents dropped, lower case, `_`), unique and stable
for a given label set: colliding labels are numbered `_2`, `_3`… in sorted order. A label whose slug is `autre`
becomes the reserved catch-all; otherwise `autre` is added. All reasons go in one domain.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from taxonomy.errors import EmptyLabelSet
from taxonomy.schema import AUTRE, Taxonomy
from taxonomy.validation import SourceMap
from taxonomy.yaml_io import validate_model, write_taxonomy

DATA_DOMAIN = "donnees"
AUTRE_LABEL = "Autre motif (hors base)"
AUTRE_DEFINITION = (
    "Inclut : les appels qu'aucun motif de la base ne décrit. Exclut : tout appel qu'un motif existant décrit, "
    "même imparfaitement."
)
_MAX_CODE = 56  # room for a « _NN » suffix within the 64 characters of a code
_MAX_LABEL = 200
_MAX_EXAMPLES = 5
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def slugify(label: str) -> str:
    """`"Prise de RDV (agence)"` → `"prise_de_rdv_agence"`; a label with no Latin letter gets a hashed code."""
    text = unicodedata.normalize("NFKD", label.translate(_LIGATURES)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:_MAX_CODE].rstrip("_")
    if not slug:
        return "motif_" + hashlib.sha1(label.encode("utf-8")).hexdigest()[:8]
    return slug if slug[0].isalpha() else f"motif_{slug}"[:_MAX_CODE]


def codes_for_labels(labels: Iterable[str]) -> dict[str, str]:
    """Distinct non-empty labels (stripped) → unique codes, deterministic for a given set of labels."""
    distinct = sorted({label.strip() for label in labels if label and label.strip()})
    codes: dict[str, str] = {}
    taken: set[str] = set()
    for label in distinct:
        base = slugify(label)
        code, number = base, 1
        while code in taken:
            number += 1
            code = f"{base}_{number}"
        taken.add(code)
        codes[label] = code
    return codes


def _short_label(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def taxonomy_from_labels(
    labels: Iterable[str],
    *,
    taxonomy_id: str,
    version: str,
    examples: Mapping[str, Sequence[str]] | None = None,
    label: str | None = None,
) -> Taxonomy:
    """A validated taxonomy whose reasons are the dataset's labels (+ « autre »); `examples` are keyed by label."""
    codes = codes_for_labels(labels)
    if not codes:
        raise EmptyLabelSet("aucune étiquette non vide dans le jeu de données (attendu : au moins une étiquette)")
    examples = examples or {}
    reasons = []
    for text, code in codes.items():
        definition = AUTRE_DEFINITION if code == AUTRE else f"Étiquette « {_short_label(text)} » du jeu de données"
        notes = [note.strip()[:500] for note in examples.get(text, ()) if note and note.strip()][:_MAX_EXAMPLES]
        reason: dict[str, object] = {
            "code": code,
            "label": _short_label(text),
            "domain": None if code == AUTRE else DATA_DOMAIN,
            "definition": definition,
            "examples": notes,
        }
        reasons.append(reason)
    if AUTRE not in codes.values():
        reasons.append({"code": AUTRE, "label": AUTRE_LABEL, "definition": AUTRE_DEFINITION})
    data = {
        "taxonomy": taxonomy_id,
        "version": version,
        "label": label or f"Motifs du jeu de données « {taxonomy_id[:64]} »",
        "description": "Base construite automatiquement à partir des étiquettes d'un jeu de données (from-data).",
        "domains": [{"code": DATA_DOMAIN, "label": "Étiquettes du jeu de données"}],
        "reasons": reasons,
    }
    return validate_model(Taxonomy, data, SourceMap(file="from-data"))


def write_taxonomy_from_labels(
    labels: Iterable[str],
    path: str | Path,
    *,
    taxonomy_id: str,
    version: str,
    examples: Mapping[str, Sequence[str]] | None = None,
) -> Taxonomy:
    """`taxonomy_from_labels`, written as a YAML file that `load_taxonomy(path)` reads back."""
    taxonomy = taxonomy_from_labels(labels, taxonomy_id=taxonomy_id, version=version, examples=examples)
    write_taxonomy(taxonomy, path)
    return taxonomy
