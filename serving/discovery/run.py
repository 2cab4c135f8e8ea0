"""`motifs discover` as a library call: read and redact the notes, discover, write the draft and the assignments.

The only module of `serving.discovery` that touches disk. Both outputs are written crash-safe (`pipeline.files`):
the draft taxonomy (YAML of our schema, no release date, read back by `taxonomy.load_taxonomy(path)`) and the
assignments CSV `call_id,cluster,confidence` (cluster = the reason code of the draft, « autre » for notes that fit
nowhere; confidence = cosine similarity to that candidate's centroid, to the nearest one for « autre »).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.files import atomic_file
from serving.discovery.config import DiscoveryConfig, load_config
from serving.discovery.discover import Discovery, discover_reasons
from serving.discovery.draft import HEADER, candidate_codes, draft_taxonomy
from serving.discovery.errors import InvalidDiscoveryConfig
from serving.discovery.notes import NotesRead, read_notes
from taxonomy import Taxonomy
from taxonomy.schema import CODE_EXPECTED, CODE_PATTERN
from taxonomy.yaml_io import dump_taxonomy

ASSIGNMENT_COLUMNS = ("call_id", "cluster", "confidence")


@dataclass(frozen=True)
class DiscoverOptions:
    data: Path
    out: Path
    assignments: Path | None = None
    taxonomy_id: str = "decouverte"
    min_size: int | None = None
    max_reasons: int | None = None
    seed: int | None = None
    config: Path | None = None
    text_col: str | None = None
    id_col: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class DiscoverOutcome:
    notes: NotesRead
    discovery: Discovery
    taxonomy: Taxonomy
    codes: dict[int, str]
    draft_path: Path
    assignments_path: Path | None


def settings_for(options: DiscoverOptions) -> DiscoveryConfig:
    """The configuration (defaults, then `--config`, then the command's options)."""
    if not re.match(CODE_PATTERN, options.taxonomy_id or ""):
        raise InvalidDiscoveryConfig(f"--id : identifiant de base invalide (attendu : {CODE_EXPECTED})")
    overrides: dict[str, Any] = {}
    if options.seed is not None:
        overrides["seed"] = options.seed
    if options.min_size is not None:
        overrides["assignment"] = {"min_size": options.min_size}
    config = load_config(options.config)
    if options.max_reasons is not None:
        low = min(config.clustering.min_reasons, options.max_reasons)
        overrides["clustering"] = {"max_reasons": options.max_reasons, "min_reasons": low}
    return config.with_overrides(overrides) if overrides else config


def write_draft_file(taxonomy: Taxonomy, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w") as handle:
        handle.write(HEADER.format(ref=taxonomy.ref) + dump_taxonomy(taxonomy))
    return path


def write_assignments(path: Path, ids: list[str], discovery: Discovery, codes: dict[int, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ASSIGNMENT_COLUMNS)
        for call_id, label, confidence in zip(ids, discovery.labels, discovery.confidence, strict=True):
            writer.writerow((call_id, codes[int(label)], f"{max(0.0, float(confidence)):.4f}"))
    return path


def run_discovery(options: DiscoverOptions) -> DiscoverOutcome:
    """Read, redact, discover, write (see the module docstring)."""
    config = settings_for(options)
    notes = read_notes(
        options.data,
        text_col=options.text_col,
        id_col=options.id_col,
        encoding=options.encoding,
        delimiter=options.delimiter,
    )
    discovery = discover_reasons(notes.texts, config)
    taxonomy = draft_taxonomy(discovery, taxonomy_id=options.taxonomy_id)
    codes = candidate_codes(discovery)
    draft_path = write_draft_file(taxonomy, Path(options.out))
    assignments_path = None
    if options.assignments is not None:
        assignments_path = write_assignments(Path(options.assignments), notes.ids, discovery, codes)
    return DiscoverOutcome(
        notes=notes,
        discovery=discovery,
        taxonomy=taxonomy,
        codes=codes,
        draft_path=draft_path,
        assignments_path=assignments_path,
    )
