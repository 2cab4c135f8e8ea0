"""Discovery drafts kept for the review UI: one folder per draft in the drafts folder (`MOTIFS_DISCOVERY_DIR`, else
`./motifs-data/decouverte`), written by `motifs discover --revue NOM` and curated from `/revue/decouverte`.

A service curates a draft over days, from several browsers: the draft must live on the server, beside the notes it
was made from. Each folder holds exactly what `motifs curate` works on, under fixed names, so the CLI can curate
the same draft (`--draft <dossier>/brouillon.yaml --assignments <dossier>/affectations.csv --data <dossier>/notes.csv`):

    brouillon.yaml      the draft taxonomy (no release date)          ← curation steps rewrite it
    affectations.csv    call_id,cluster,confidence                     ← curation steps rewrite it
    notes.csv           call_id,text — the notes, already redacted (never the raw export)
    reglages.yaml       the discovery settings used (a split re-clusters with the same ones)
    journal.jsonl       who did which step, when (action and codes only, never a note or a label)
    etiquettes.csv      after publication: the weak labels call_id,text,reason
    publication.json    after publication: the published ref and file; the draft is then read-only

Every step goes through `serving.discovery.curation` (the same functions as the CLI) under an exclusive lock of the
folder, and only if the form was made from the current state (`token`: a hash of the draft and the assignments),
so two analysts never overwrite each other's step and a stale form changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from pipeline.files import atomic_file
from serving.discovery import curation
from serving.discovery.config import DiscoveryConfig, load_config
from serving.discovery.errors import DraftAlreadyPublished, InvalidCuration, StaleDraft, UnknownDraft
from serving.discovery.run import DiscoverOptions, DiscoverOutcome, run_discovery, settings_for
from taxonomy import Taxonomy, local_taxonomy_dir
from taxonomy.errors import TaxonomyConflict
from taxonomy.local import registered_path

DRAFTS_DIR_ENV = "MOTIFS_DISCOVERY_DIR"
DEFAULT_DRAFTS_DIR = Path("motifs-data") / "decouverte"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
NAME_EXPECTED = "1 à 64 caractères : minuscules, chiffres, _ ou -"
DRAFT_FILE = "brouillon.yaml"
ASSIGNMENTS_FILE = "affectations.csv"
NOTES_FILE = "notes.csv"
SETTINGS_FILE = "reglages.yaml"
JOURNAL_FILE = "journal.jsonl"
LABELS_FILE = "etiquettes.csv"
PUBLICATION_FILE = "publication.json"

Step = Callable[[Taxonomy, pd.DataFrame], tuple[Taxonomy, pd.DataFrame]]


def drafts_dir(explicit: str | Path | None = None) -> Path:
    """The drafts folder: `explicit`, else `$MOTIFS_DISCOVERY_DIR`, else `./motifs-data/decouverte`."""
    if explicit is not None and str(explicit):
        return Path(explicit)
    from_env = os.environ.get(DRAFTS_DIR_ENV, "")
    return Path(from_env) if from_env else DEFAULT_DRAFTS_DIR


@dataclass(frozen=True)
class Workspace:
    name: str
    path: Path

    @property
    def draft_path(self) -> Path:
        return self.path / DRAFT_FILE

    @property
    def assignments_path(self) -> Path:
        return self.path / ASSIGNMENTS_FILE

    @property
    def notes_path(self) -> Path:
        return self.path / NOTES_FILE

    @property
    def settings_path(self) -> Path:
        return self.path / SETTINGS_FILE

    @property
    def labels_path(self) -> Path:
        return self.path / LABELS_FILE

    @property
    def publication_path(self) -> Path:
        return self.path / PUBLICATION_FILE


@dataclass(frozen=True)
class DraftState:
    """A draft as the pages show it: the taxonomy, its assignments, the redacted notes, and the state token."""

    workspace: Workspace
    draft: Taxonomy
    assignments: pd.DataFrame
    token: str
    publication: dict[str, str] | None

    def sizes(self) -> dict[str, int]:
        return {str(code): int(n) for code, n in self.assignments["cluster"].value_counts().items()}


def _checked_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise UnknownDraft(f"nom de brouillon invalide (attendu : {NAME_EXPECTED})")
    return name


def new_workspace(name: str, directory: str | Path | None = None) -> Workspace:
    """A folder for a new draft; refused when a draft of that name exists (it would lose an analyst's work)."""
    if not NAME_PATTERN.match(name or ""):
        raise InvalidCuration(f"--revue : nom de brouillon invalide (attendu : {NAME_EXPECTED})")
    path = drafts_dir(directory) / name
    if (path / DRAFT_FILE).exists():
        raise InvalidCuration(
            f"le brouillon « {name} » existe déjà dans {path.parent} (attendu : un autre nom, ou supprimer ce dossier)"
        )
    path.mkdir(parents=True, exist_ok=True)
    return Workspace(name, path)


def open_workspace(name: str, directory: str | Path | None = None) -> Workspace:
    path = drafts_dir(directory) / _checked_name(name)
    if not (path / DRAFT_FILE).is_file() or not (path / ASSIGNMENTS_FILE).is_file():
        raise UnknownDraft(f"brouillon « {name} » introuvable dans le dossier des brouillons de découverte")
    return Workspace(name, path)


def list_workspaces(directory: str | Path | None = None) -> list[Workspace]:
    folder = drafts_dir(directory)
    if not folder.is_dir():
        return []
    return [
        Workspace(path.name, path)
        for path in sorted(folder.iterdir())
        if NAME_PATTERN.match(path.name) and (path / DRAFT_FILE).is_file() and (path / ASSIGNMENTS_FILE).is_file()
    ]


def write_notes(path: Path, ids: list[str], texts: list[str]) -> Path:
    """The redacted notes, `call_id,text` (what `split` re-clusters and `publish` turns into weak labels)."""
    with atomic_file(path, "w") as handle:
        pd.DataFrame({"call_id": ids, "text": texts}).to_csv(handle, index=False, lineterminator="\n")
    return path


def write_settings(path: Path, config: DiscoveryConfig) -> Path:
    with atomic_file(path, "w") as handle:
        yaml.safe_dump(config.model_dump(mode="json"), handle, allow_unicode=True, sort_keys=False)
    return path


def read_notes(workspace: Workspace) -> tuple[Sequence[str], Sequence[str]]:
    """The draft's redacted notes (ids, texts), as `read_notes` gave them to discover. The file is written once by
    discover and only read afterwards: kept in memory while its size and date are unchanged (a candidate's page on a
    100 k-note draft otherwise re-reads it at every view, see docs/BENCHMARKS.md)."""
    try:
        stat = workspace.notes_path.stat()
    except OSError:
        raise InvalidCuration(f"{NOTES_FILE} du brouillon « {workspace.name} » absent") from None
    return _notes(str(workspace.notes_path), stat.st_mtime_ns, stat.st_size, workspace.name)


def note_texts(workspace: Workspace) -> Mapping[str, str]:
    """call_id → redacted text (the pages show a candidate's notes)."""
    try:
        stat = workspace.notes_path.stat()
    except OSError:
        raise InvalidCuration(f"{NOTES_FILE} du brouillon « {workspace.name} » absent") from None
    return _text_of(str(workspace.notes_path), stat.st_mtime_ns, stat.st_size, workspace.name)


@lru_cache(maxsize=2)
def _text_of(path: str, mtime_ns: int, size: int, name: str) -> Mapping[str, str]:
    return MappingProxyType(dict(zip(*_notes(path, mtime_ns, size, name), strict=True)))


@lru_cache(maxsize=2)
def _notes(path: str, mtime_ns: int, size: int, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        notes = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise InvalidCuration(f"{NOTES_FILE} du brouillon « {name} » illisible") from None
    if list(notes.columns) != ["call_id", "text"]:
        raise InvalidCuration(f"{NOTES_FILE} du brouillon « {name} » : colonnes attendues call_id,text")
    return tuple(notes["call_id"]), tuple(notes["text"])


def settings(workspace: Workspace) -> DiscoveryConfig:
    """The settings discover used (the defaults for a folder made by hand without them)."""
    return load_config(workspace.settings_path if workspace.settings_path.is_file() else None)


def state_token(workspace: Workspace) -> str:
    digest = hashlib.sha256()
    for path in (workspace.draft_path, workspace.assignments_path):
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def publication(workspace: Workspace) -> dict[str, str] | None:
    if not workspace.publication_path.is_file():
        return None
    data = json.loads(workspace.publication_path.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


def load_state(workspace: Workspace) -> DraftState:
    draft, assignments = curation.read_state(workspace.draft_path, workspace.assignments_path)
    return DraftState(workspace, draft, assignments, state_token(workspace), publication(workspace))


def journal(workspace: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    """The latest steps, newest first."""
    path = workspace.path / JOURNAL_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in reversed(lines[-limit:]) if line.strip()]


@contextlib.contextmanager
def _locked(workspace: Workspace) -> Iterator[None]:
    """One step at a time on a draft, across threads and processes (two analysts act in turn)."""
    try:
        import fcntl
    except ImportError:  # Windows: no POSIX lock; a single analyst at a time is assumed
        yield
        return
    with open(workspace.path / ".verrou", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _current(workspace: Workspace, token: str) -> DraftState:
    state = load_state(workspace)
    if state.publication is not None:
        raise DraftAlreadyPublished(
            f"brouillon déjà publié ({state.publication.get('taxonomy', '?')}) : il n'est plus modifiable"
        )
    if token != state.token:
        raise StaleDraft(
            "le brouillon a changé depuis l'affichage de cette page (autre onglet ou autre analyste) : rien n'a été "
            "modifié ; relire l'état actuel ci-dessous puis refaire l'action"
        )
    return state


def _record(workspace: Workspace, action: str, reviewer: str, codes: list[str]) -> None:
    entry: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": action,
        "reviewer": reviewer,
        "codes": codes,
    }
    with open(workspace.path / JOURNAL_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def apply_step(
    workspace: Workspace, token: str, step: Step, *, action: str, reviewer: str, codes: list[str]
) -> DraftState:
    """Run one curation step on the current state (refused when `token` is not it), write both files, journal it."""
    with _locked(workspace):
        state = _current(workspace, token)
        draft, assignments = step(state.draft, state.assignments)
        curation.write_state(draft, assignments, workspace.draft_path, workspace.assignments_path)
        _record(workspace, action, reviewer, codes)
    return load_state(workspace)


def split_step(workspace: Workspace, code: str, parts: int) -> Step:
    """`curation.split` with the draft's own notes and settings (as `motifs curate split --data --config`)."""

    def step(draft: Taxonomy, assignments: pd.DataFrame) -> tuple[Taxonomy, pd.DataFrame]:
        ids, texts = read_notes(workspace)
        return curation.split(draft, assignments, code, parts=parts, ids=ids, texts=texts, config=settings(workspace))

    return step


@dataclass(frozen=True)
class Published:
    taxonomy: Taxonomy
    taxonomy_path: Path
    labels_path: Path
    labels: int


def publish(
    workspace: Workspace,
    token: str,
    *,
    taxonomy_id: str,
    label: str | None,
    reviewer: str,
    released: date,
    taxonomy_dir: str | Path | None = None,
) -> Published:
    """`curation.publish` on the current state: the base goes to the local taxonomy folder
    (`<id>/v1.0.0.yaml`, so `motifs train --taxonomy <id>@1.0.0` finds it), the weak labels to the draft's folder;
    an existing base of that ref with another content is never overwritten."""
    with _locked(workspace):
        state = _current(workspace, token)
        ids, texts = read_notes(workspace)
        taxonomy, labels = curation.publish(
            state.draft,
            state.assignments,
            taxonomy_id=taxonomy_id,
            ids=ids,
            texts=texts,
            released=released,
            label=label or None,
        )
        try:
            registered_path(taxonomy, taxonomy_dir=taxonomy_dir)
        except TaxonomyConflict:
            raise InvalidCuration(
                f"la base {taxonomy.ref} existe déjà dans le dossier des bases avec un autre contenu "
                "(attendu : un autre identifiant)"
            ) from None
        path = local_taxonomy_dir(taxonomy_dir) / taxonomy.id / f"v{taxonomy.version}.yaml"
        curation.write_published(taxonomy, labels, path, workspace.labels_path)
        record = {
            "taxonomy": taxonomy.ref,
            "file": str(path),
            "labels": str(workspace.labels_path),
            "released": released.isoformat(),
            "reviewer": reviewer,
        }
        with atomic_file(workspace.publication_path, "w") as handle:
            json.dump(record, handle, ensure_ascii=False, indent=1)
        _record(workspace, "publish", reviewer, [taxonomy.ref])
    return Published(taxonomy, path, workspace.labels_path, len(labels))


def discover_into(name: str, options: DiscoverOptions, directory: str | Path | None = None) -> DiscoverOutcome:
    """`motifs discover --revue NOM`: discover into a new draft folder (draft, assignments, redacted notes, settings)
    for the review UI."""
    workspace = new_workspace(name, directory)
    options = replace(options, out=workspace.draft_path, assignments=workspace.assignments_path)
    outcome = run_discovery(options)
    write_notes(workspace.notes_path, outcome.notes.ids, outcome.notes.texts)
    write_settings(workspace.settings_path, settings_for(options))
    return outcome
