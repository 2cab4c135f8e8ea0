"""Draft versions: adding new reasons to the next minor version of a taxonomy before it is published.

A draft is an ordinary version file without a `released:` date, in the local taxonomy folder
(`<folder>/<taxonomy id>/v<version>.yaml`, see `taxonomy.loader`): it is the latest *published* version with a minor
bump, every reason kept as it is, and a crosswalk from that version whose changes declare each new reason
(`kind: new`). Adding a second reason before publication amends the same draft. Publishing = giving the file a
`released:` date (and, for the national base, proposing it upstream); until then `load_taxonomy()` keeps returning
the published version, and the draft is only loaded when named (`1.2.0`, `national@1.2.0`, its path).

Splitting an existing reason (1 → n) changes what existing codes mean: it is a manual edit of the draft (a `split`
change, the old code `deprecated` with `replaced_by`), never done automatically.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from taxonomy.errors import InvalidDraft, TaxonomyNotFound, TaxonomyValidationError
from taxonomy.loader import (
    NATIONAL,
    is_draft,
    latest_version,
    local_taxonomy_dir,
    read_taxonomy_file,
    version_files,
)
from taxonomy.schema import AUTRE, CODE_EXPECTED, CODE_PATTERN, Taxonomy
from taxonomy.versions import version_key
from taxonomy.yaml_io import dump_taxonomy

_CODE = re.compile(CODE_PATTERN)
MAX_EXAMPLES = 8
HEADER = (
    "# Brouillon de la base de motifs {ref}, écrit par la revue des motifs émergents (motifs review).\n"
    "# Pas de « released: » tant qu'il n'est pas publié : motifs continue d'utiliser la dernière version publiée,\n"
    "# sauf quand on le nomme (motifs train --taxonomy {version}). Vérifier : motifs taxonomy validate\n"
)


def next_minor(version: str) -> str:
    major, minor, _ = version_key(version)
    return f"{major}.{minor + 1}.0"


def current_draft(taxonomy_id: str = NATIONAL, *, taxonomy_dir: str | Path | None = None) -> Taxonomy | None:
    """The draft following the latest published version, when one exists (in the local folder)."""
    published = latest_version(taxonomy_id, taxonomy_dir=taxonomy_dir)
    files = version_files(taxonomy_id, taxonomy_dir=taxonomy_dir)
    newer = [v for v in files if version_key(v) > version_key(published)]
    for version in sorted(newer, key=version_key):
        taxonomy = read_taxonomy_file(files[version])[0]
        if not is_draft(taxonomy):
            continue
        if taxonomy.crosswalk is None or taxonomy.crosswalk.from_version != published:
            raise InvalidDraft(
                f"brouillon {taxonomy.ref} : il ne suit pas la dernière version publiée {published} "
                f"(attendu : crosswalk.from: {published}) — le mettre à jour ou le déplacer"
            )
        return taxonomy
    return None


def check_new_reason(taxonomy: Taxonomy, *, code: str, label: str, domain: str, definition: str) -> list[str]:
    """French problems with a reason to add to `taxonomy` (never quoting the label or the definition)."""
    problems: list[str] = []
    if not _CODE.match(code or ""):
        problems.append(f"code invalide (attendu : {CODE_EXPECTED})")
    elif code == AUTRE or code in taxonomy:
        problems.append(
            f"code « {code} » déjà utilisé dans {taxonomy.ref} (attendu : un code nouveau, jamais réutilisé)"
        )
    if not label.strip():
        problems.append("libellé vide")
    elif len(label.strip()) > 200:
        problems.append("libellé trop long (200 caractères au plus)")
    if not definition.strip():
        problems.append("définition vide")
    elif len(definition.strip()) > 2000:
        problems.append("définition trop longue (2 000 caractères au plus)")
    domains = [d.code for d in taxonomy.domains]
    if domain not in domains:
        shown = domain if _CODE.match(domain or "") else "(valeur invalide)"
        problems.append(f"domaine « {shown} » inconnu (attendu : un de {', '.join(domains)})")
    return problems


def add_reason(
    base: Taxonomy,
    *,
    code: str,
    label: str,
    domain: str,
    definition: str,
    examples: Sequence[str] = (),
    note: str | None = None,
    draft: Taxonomy | None = None,
) -> Taxonomy:
    """The draft holding a new reason: `draft` amended when given, else a new draft — `base` (a published version)
    with a minor bump, no release date, and a crosswalk from `base` declaring the reason `new`. `examples` (already
    redacted notes) become the reason's examples: the classifier trains on them (label, definition, examples)."""
    if base.site is not None:
        raise InvalidDraft(f"{base.ref} est étendue d'un site : un brouillon part de la base nationale seule")
    target = draft if draft is not None else base
    if draft is not None and (draft.crosswalk is None or draft.crosswalk.from_version != base.version):
        raise InvalidDraft(f"brouillon {draft.ref} : il ne suit pas {base.ref}")
    problems = check_new_reason(target, code=code, label=label, domain=domain, definition=definition)
    if problems:
        raise InvalidDraft("; ".join(problems))
    data: dict[str, Any] = target.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
    if draft is None:
        data["version"] = next_minor(base.version)
        data.pop("released", None)
        data["crosswalk"] = {"from": base.version, "changes": []}
    change: dict[str, Any] = {"kind": "new", "to": [code]}
    if note:
        change["note"] = note[:2000]
    data["crosswalk"].setdefault("changes", []).append(change)
    reason: dict[str, Any] = {
        "code": code,
        "label": label.strip(),
        "domain": domain,
        "definition": definition.strip(),
    }
    kept = _examples(examples)
    if kept:
        reason["examples"] = kept
    data["reasons"] = _insert_in_domain(list(data["reasons"]), reason)
    try:
        return Taxonomy.model_validate(data)
    except TaxonomyValidationError as exc:
        raise InvalidDraft(f"brouillon invalide : {exc}") from None
    except ValueError as exc:  # pydantic: a field out of its limits
        raise InvalidDraft(
            f"brouillon invalide ({type(exc).__name__}) : vérifier le libellé et la définition"
        ) from None


def _examples(examples: Sequence[str]) -> list[str]:
    kept: list[str] = []
    for text in examples:
        cleaned = " ".join(str(text).split())[:500].strip()
        if cleaned and cleaned not in kept:
            kept.append(cleaned)
    return kept[:MAX_EXAMPLES]


def _insert_in_domain(reasons: list[dict[str, Any]], reason: dict[str, Any]) -> list[dict[str, Any]]:
    """After the last reason of its domain (else before « autre », which stays last)."""
    same = [i for i, r in enumerate(reasons) if r.get("domain") == reason["domain"]]
    if same:
        position = same[-1] + 1
    else:
        position = next((i for i, r in enumerate(reasons) if r.get("code") == AUTRE), len(reasons))
    return [*reasons[:position], reason, *reasons[position:]]


DRAFT_MODE = 0o644


def draft_path(taxonomy: Taxonomy, *, taxonomy_dir: str | Path | None = None) -> Path:
    return local_taxonomy_dir(taxonomy_dir) / taxonomy.id / f"v{taxonomy.version}.yaml"


def write_draft(taxonomy: Taxonomy, *, taxonomy_dir: str | Path | None = None) -> Path:
    """Write a draft to `<local folder>/<id>/v<version>.yaml` atomically (temporary file, then rename)."""
    if not is_draft(taxonomy):
        raise InvalidDraft(f"{taxonomy.ref} a une date de publication : ce n'est pas un brouillon")
    path = draft_path(taxonomy, taxonomy_dir=taxonomy_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER.format(ref=taxonomy.ref, version=taxonomy.version) + dump_taxonomy(taxonomy)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a draft is no secret and is read by the other tools and colleagues: 0644.
        os.fchmod(handle, DRAFT_MODE)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_draft(taxonomy_id: str = NATIONAL, *, taxonomy_dir: str | Path | None = None) -> Taxonomy:
    draft = current_draft(taxonomy_id, taxonomy_dir=taxonomy_dir)
    if draft is None:
        raise TaxonomyNotFound(f"aucun brouillon de « {taxonomy_id} » dans {local_taxonomy_dir(taxonomy_dir)}")
    return draft
