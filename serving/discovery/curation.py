"""Curating a discovered draft: rename, merge, split, discard candidates, move notes; publish as 1.0.0 of a new id.

The state is the pair written by `motifs discover`: the draft taxonomy and the assignments (`call_id, cluster,
confidence`). Every step is a pure function (draft, assignments) → (draft, assignments) that keeps both consistent —
a merged or discarded code disappears from both, its notes going to the target or to « autre » — and the draft is
revalidated against the schema after each step. `publish` gives the curated draft a new taxonomy id, version 1.0.0
and a release date, and turns the notes of the accepted candidates into weak training labels
(`call_id, text, reason`, the text redacted) that `motifs train --taxonomy <published.yaml>` reads as they are.
Messages name codes and call ids, never a note's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from pipeline.files import atomic_file
from serving.discovery.config import DiscoveryConfig
from serving.discovery.discover import AUTRE_LABEL, discover_reasons
from serving.discovery.draft import definition, unique_code
from serving.discovery.errors import InvalidCuration
from serving.discovery.run import ASSIGNMENT_COLUMNS
from taxonomy import AUTRE, Taxonomy, is_draft, load_taxonomy
from taxonomy.errors import TaxonomyError
from taxonomy.from_data import slugify
from taxonomy.schema import CODE_EXPECTED, CODE_PATTERN
from taxonomy.yaml_io import dump_taxonomy

MAX_EXAMPLES = 8
PUBLISHED_VERSION = "1.0.0"
WEAK_LABEL_COLUMNS = ("call_id", "text", "reason")
PUBLISHED_HEADER = (
    "# Base de motifs {ref}, publiée à partir d'un brouillon de motifs discover relu par un analyste.\n"
    "# Entraîner sur les étiquettes faibles : motifs train --data <étiquettes.csv> --taxonomy <ce fichier>\n"
)


def read_state(draft_path: str | Path, assignments_path: str | Path) -> tuple[Taxonomy, pd.DataFrame]:
    """The draft (must have no release date) and its assignments, checked against each other."""
    draft = load_taxonomy(Path(draft_path))
    if not is_draft(draft):
        raise InvalidCuration(f"{Path(draft_path).name} a une date de publication : ce n'est plus un brouillon")
    try:
        assignments = pd.read_csv(assignments_path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise InvalidCuration(f"{Path(assignments_path).name} : fichier d'affectations illisible") from None
    if list(assignments.columns) != list(ASSIGNMENT_COLUMNS):
        raise InvalidCuration(
            f"{Path(assignments_path).name} : colonnes {', '.join(map(str, assignments.columns[:5]))} "
            f"(attendu : {', '.join(ASSIGNMENT_COLUMNS)}, la sortie de motifs discover --assignments)"
        )
    unknown = sorted(set(assignments["cluster"]) - set(draft.codes))
    if unknown:
        raise InvalidCuration(
            f"{Path(assignments_path).name} : code(s) absent(s) du brouillon {draft.ref} : {', '.join(unknown[:5])} "
            "(attendu : les affectations écrites avec ce brouillon)"
        )
    return draft, assignments


def write_state(draft: Taxonomy, assignments: pd.DataFrame, draft_path: Path, assignments_path: Path) -> None:
    from serving.discovery.draft import HEADER

    with atomic_file(Path(draft_path), "w") as handle:
        handle.write(HEADER.format(ref=draft.ref) + dump_taxonomy(draft))
    with atomic_file(Path(assignments_path), "w") as handle:
        assignments.to_csv(handle, index=False, lineterminator="\n")


def _data(draft: Taxonomy) -> dict[str, Any]:
    return draft.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)


def _validated(data: dict[str, Any]) -> Taxonomy:
    used = {reason.get("domain") for reason in data["reasons"]}
    kept = [domain for domain in data["domains"] if domain["code"] in used]
    data["domains"] = kept or data["domains"][:1]  # a domain left empty by a merge or a discard goes
    try:
        return Taxonomy.model_validate(data)
    except TaxonomyError as exc:
        raise InvalidCuration(f"brouillon invalide après cette étape : {exc}") from None
    except ValidationError as exc:
        fields = ", ".join(sorted({str(error["loc"][-1]) for error in exc.errors()})[:5])
        raise InvalidCuration(
            f"brouillon invalide après cette étape (champ(s) {fields}) : vérifier les textes"
        ) from None


def _candidate(draft: Taxonomy, code: str) -> None:
    if code == AUTRE:
        raise InvalidCuration("« autre » est réservé : il ne se renomme, ne se fusionne ni ne s'écarte")
    if code not in draft:
        shown = code if re.match(CODE_PATTERN, code or "") else "(valeur invalide)"
        raise InvalidCuration(f"motif « {shown} » absent du brouillon {draft.ref} (voir motifs taxonomy show)")


def rename(
    draft: Taxonomy,
    assignments: pd.DataFrame,
    code: str,
    *,
    label: str | None = None,
    definition: str | None = None,
    new_code: str | None = None,
) -> tuple[Taxonomy, pd.DataFrame]:
    """A new label, definition and/or code for one candidate (its notes follow a new code)."""
    _candidate(draft, code)
    if label is None and definition is None and new_code is None:
        raise InvalidCuration("rien à renommer (attendu : --label, --definition ou --code)")
    if new_code is not None and new_code != code:
        if not re.match(CODE_PATTERN, new_code):
            raise InvalidCuration(f"nouveau code invalide (attendu : {CODE_EXPECTED})")
        if new_code == AUTRE or new_code in draft:
            raise InvalidCuration(f"code « {new_code} » déjà utilisé dans {draft.ref}")
    if label is not None and not label.strip():
        raise InvalidCuration("libellé vide (attendu : 1 à 200 caractères)")
    if definition is not None and not definition.strip():
        raise InvalidCuration("définition vide (attendu : « Inclut : … »)")
    data = _data(draft)
    for reason in data["reasons"]:
        if reason["code"] == code:
            if label is not None:
                reason["label"] = label.strip()
            if definition is not None:
                reason["definition"] = definition.strip()
            if new_code is not None:
                reason["code"] = new_code
    assignments = assignments.copy()
    if new_code is not None:
        assignments.loc[assignments["cluster"] == code, "cluster"] = new_code
    return _validated(data), assignments


def merge(
    draft: Taxonomy, assignments: pd.DataFrame, codes: Sequence[str], *, into: str
) -> tuple[Taxonomy, pd.DataFrame]:
    """`codes` become `into` (one of them, or another candidate): their notes and examples go to it."""
    sources = [code for code in dict.fromkeys(codes) if code != into]
    for code in [*sources, into]:
        _candidate(draft, code)
    if not sources:
        raise InvalidCuration("rien à fusionner (attendu : au moins un code différent de la cible)")
    data = _data(draft)
    target = next(reason for reason in data["reasons"] if reason["code"] == into)
    examples = list(target.get("examples", []))
    for reason in data["reasons"]:
        if reason["code"] in sources:
            examples += [text for text in reason.get("examples", []) if text not in examples]
    if examples:
        target["examples"] = examples[:MAX_EXAMPLES]
    data["reasons"] = [reason for reason in data["reasons"] if reason["code"] not in sources]
    assignments = assignments.copy()
    assignments.loc[assignments["cluster"].isin(sources), "cluster"] = into
    return _validated(data), assignments


def discard(draft: Taxonomy, assignments: pd.DataFrame, code: str) -> tuple[Taxonomy, pd.DataFrame]:
    """The candidate goes; its notes stay « autre »."""
    _candidate(draft, code)
    data = _data(draft)
    data["reasons"] = [reason for reason in data["reasons"] if reason["code"] != code]
    assignments = assignments.copy()
    assignments.loc[assignments["cluster"] == code, "cluster"] = AUTRE
    return _validated(data), assignments


def split(
    draft: Taxonomy,
    assignments: pd.DataFrame,
    code: str,
    *,
    parts: int,
    ids: Sequence[str],
    texts: Sequence[str],
    config: DiscoveryConfig,
) -> tuple[Taxonomy, pd.DataFrame]:
    """Re-cluster one candidate's notes (`ids`/`texts`: the notes file, redacted) into `parts` new candidates in the
    same domain, named like `discover` names them; notes that fit none of them stay « autre »."""
    _candidate(draft, code)
    if parts < 2:
        raise InvalidCuration("--parts : au moins 2 motifs pour scinder")
    members = assignments.loc[assignments["cluster"] == code, "call_id"].tolist()
    text_of = dict(zip(ids, texts, strict=True))
    missing = [call_id for call_id in members if call_id not in text_of]
    if missing:
        raise InvalidCuration(
            f"{len(missing)} note(s) du motif {code} absente(s) du fichier de notes "
            "(attendu : le fichier donné à motifs discover)"
        )
    settings = config.with_overrides(
        {
            "clustering": {"min_reasons": parts, "max_reasons": parts, "min_domains": 1, "max_domains": 1},
            "assignment": {"min_size": 1},
        }
    )
    if len(members) < 2 * parts:
        raise InvalidCuration(f"motif {code} : {len(members)} note(s), trop peu pour {parts} motifs")
    found = discover_reasons([text_of[call_id] for call_id in members], settings)
    taken = set(draft.codes) - {code}
    new_codes = {AUTRE_LABEL: AUTRE}
    for candidate in found.candidates:
        new_codes[candidate.number] = unique_code(
            slugify(" ".join(candidate.keywords[:2] or (f"{code} {candidate.number + 1}",))), taken
        )
    data = _data(draft)
    position = next(i for i, reason in enumerate(data["reasons"]) if reason["code"] == code)
    domain = data["reasons"][position]["domain"]
    replacements = []
    for candidate in found.candidates:
        reason: dict[str, Any] = {
            "code": new_codes[candidate.number],
            "label": candidate.label[:200],
            "domain": domain,
            "definition": definition(candidate),
        }
        if candidate.examples:
            reason["examples"] = list(candidate.examples)
        replacements.append(reason)
    data["reasons"][position : position + 1] = replacements
    assignments = assignments.copy()
    chosen = assignments["cluster"] == code
    assignments.loc[chosen, "cluster"] = [new_codes[int(label)] for label in found.labels]
    assignments.loc[chosen, "confidence"] = [f"{max(0.0, float(c)):.4f}" for c in found.confidence]
    return _validated(data), assignments


def move(
    draft: Taxonomy, assignments: pd.DataFrame, call_ids: Iterable[str], *, to: str
) -> tuple[Taxonomy, pd.DataFrame]:
    """These notes now belong to `to` (a candidate or « autre »); an analyst's move has confidence 1."""
    if to != AUTRE:
        _candidate(draft, to)
    wanted = list(dict.fromkeys(str(call_id).strip() for call_id in call_ids if str(call_id).strip()))
    if not wanted:
        raise InvalidCuration("aucun call_id à déplacer")
    known = set(assignments["call_id"])
    missing = [call_id for call_id in wanted if call_id not in known]
    if missing:
        raise InvalidCuration(
            f"{len(missing)} call_id absent(s) des affectations : {', '.join(c[:40] for c in missing[:5])}"
        )
    assignments = assignments.copy()
    chosen = assignments["call_id"].isin(wanted)
    assignments.loc[chosen, "cluster"] = to
    assignments.loc[chosen, "confidence"] = "1.0000"
    return draft, assignments


def publish(
    draft: Taxonomy,
    assignments: pd.DataFrame,
    *,
    taxonomy_id: str,
    ids: Sequence[str],
    texts: Sequence[str],
    released: date,
    label: str | None = None,
) -> tuple[Taxonomy, pd.DataFrame]:
    """Version 1.0.0 of `taxonomy_id` (released `released`), and the weak labels of the accepted candidates' notes
    (`ids`/`texts`: the notes, redacted, as `read_notes` gives them)."""
    if not re.match(CODE_PATTERN, taxonomy_id or ""):
        raise InvalidCuration(f"--id : identifiant de base invalide (attendu : {CODE_EXPECTED})")
    if len(draft.codes) < 2:
        raise InvalidCuration("aucun motif accepté à publier (il ne reste que « autre »)")
    data = _data(draft)
    data.update({"taxonomy": taxonomy_id, "version": PUBLISHED_VERSION, "released": released.isoformat()})
    if label:
        data["label"] = label.strip()
    data.pop("crosswalk", None)
    published = _validated(data)
    notes = pd.DataFrame({"call_id": list(ids), "text": list(texts)})
    accepted = assignments[assignments["cluster"] != AUTRE][["call_id", "cluster"]]
    labels = accepted.merge(notes, on="call_id", how="inner").rename(columns={"cluster": "reason"})
    if len(labels) < len(accepted):
        raise InvalidCuration(
            f"{len(accepted) - len(labels)} note(s) affectée(s) absente(s) du fichier de notes "
            "(attendu : le fichier donné à motifs discover)"
        )
    return published, labels[list(WEAK_LABEL_COLUMNS)]


def write_published(taxonomy: Taxonomy, labels: pd.DataFrame, taxonomy_path: Path, labels_path: Path) -> None:
    taxonomy_path.parent.mkdir(parents=True, exist_ok=True)
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(taxonomy_path, "w") as handle:
        handle.write(PUBLISHED_HEADER.format(ref=taxonomy.ref) + dump_taxonomy(taxonomy))
    with atomic_file(labels_path, "w") as handle:
        labels.to_csv(handle, index=False, lineterminator="\n")
