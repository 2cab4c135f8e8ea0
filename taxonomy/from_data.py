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
from collections import Counter
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


def label_counts(labels: Iterable[str] | Mapping[str, int]) -> Counter[str]:
    """Rows per stripped non-empty label: `labels` is one label per row, or already a label → rows mapping."""
    counts: Counter[str] = Counter()
    items = labels.items() if isinstance(labels, Mapping) else ((label, 1) for label in labels)
    for label, n in items:
        if label and str(label).strip():
            counts[str(label).strip()] += int(n)
    return counts


def fold_rare_labels(
    counts: Mapping[str, int], *, min_count: int = 1, fold_into: str = AUTRE
) -> tuple[list[str], list[str], str]:
    """(kept labels, folded labels, code or label they fold into): labels with fewer than `min_count` rows become
    aliases of `fold_into` (« autre », or a kept label or its code) instead of reasons of their own."""
    kept = sorted(label for label, n in counts.items() if n >= min_count)
    folded = sorted(label for label, n in counts.items() if n < min_count)
    if not kept:
        raise EmptyLabelSet(f"aucune étiquette n'a au moins {min_count} ligne(s) (attendu : un --min-count plus petit)")
    return kept, folded, fold_into


def taxonomy_from_labels(
    labels: Iterable[str] | Mapping[str, int],
    *,
    taxonomy_id: str,
    version: str,
    examples: Mapping[str, Sequence[str]] | None = None,
    label: str | None = None,
    min_count: int = 1,
    fold_into: str = AUTRE,
) -> Taxonomy:
    """A validated taxonomy whose reasons are the dataset's labels (+ « autre »); `examples` are keyed by label and
    taken as given (callers redact them: a taxonomy file is shared). `labels` is one label per row or a label →
    rows mapping; labels with fewer than `min_count` rows are folded into `fold_into` (« autre » by default, or a
    kept label or code) as its aliases, so the data's raw labels still map onto the base."""
    kept, folded, target = fold_rare_labels(label_counts(labels), min_count=min_count, fold_into=fold_into)
    codes = codes_for_labels(kept)
    if not codes:
        raise EmptyLabelSet("aucune étiquette non vide dans le jeu de données (attendu : au moins une étiquette)")
    target_code = _fold_target(target, codes)
    examples = examples or {}
    reasons: list[dict[str, object]] = []
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
    if folded:
        holder = next(r for r in reasons if r["code"] == target_code)
        holder["aliases"] = [_short_label(text) for text in folded]
        if target_code != AUTRE:
            holder["definition"] = f"{holder['definition']} ; inclut les étiquettes rares regroupées ici (voir aliases)"
    data = {
        "taxonomy": taxonomy_id,
        "version": version,
        "label": label or f"Motifs du jeu de données « {taxonomy_id[:64]} »",
        "description": "Base construite automatiquement à partir des étiquettes d'un jeu de données (from-data).",
        "domains": [{"code": DATA_DOMAIN, "label": "Étiquettes du jeu de données"}],
        "reasons": reasons,
    }
    return validate_model(Taxonomy, data, SourceMap(file="from-data"))


def _fold_target(target: str, codes: Mapping[str, str]) -> str:
    if target == AUTRE:
        return AUTRE
    if target in codes.values():
        return target
    stripped = target.strip()
    if stripped in codes:
        return codes[stripped]
    raise EmptyLabelSet(
        f"regroupement des étiquettes rares : « {target[:60]} » n'est ni « autre » ni une étiquette gardée "
        "(attendu : autre, ou le code ou l'étiquette d'un motif qui a assez de lignes)"
    )


def write_taxonomy_from_labels(
    labels: Iterable[str] | Mapping[str, int],
    path: str | Path,
    *,
    taxonomy_id: str,
    version: str,
    examples: Mapping[str, Sequence[str]] | None = None,
    min_count: int = 1,
    fold_into: str = AUTRE,
) -> Taxonomy:
    """`taxonomy_from_labels`, written as a YAML file that `load_taxonomy(path)` reads back."""
    taxonomy = taxonomy_from_labels(
        labels, taxonomy_id=taxonomy_id, version=version, examples=examples, min_count=min_count, fold_into=fold_into
    )
    write_taxonomy(taxonomy, path)
    return taxonomy
