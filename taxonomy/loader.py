"""Finding and loading taxonomy versions and site extensions, shipped or from any path.

Shipped data lives in `taxonomy/data/<taxonomy id>/v<version>.yaml` and `taxonomy/data/sites/<site>.yaml`.
A reference is `None` (latest national version), `"1.1.0"`, `"national@1.1.0"`, `"national"` (its latest
version), optionally followed by a site (`"national@1.1.0+metropole_lyon"`, `…+metropole_lyon@1.0.0`), or a path.
Parsed files are cached by path and modification time: taxonomies are immutable, so sharing them is safe.

Versions are also looked for in a **local taxonomy folder** laid out the same way (`<folder>/<taxonomy id>/
v<version>.yaml`): the drafts the review workflow writes, or a service's own versions. The folder is the one given
(`taxonomy_dir=`), else the environment variable `MOTIFS_TAXONOMY_DIR`, else `./motifs-data/taxonomy`. A version
shipped with motifs wins over a local file of the same number (`validate_paths` reports the clash). A version without
a `released:` date is a **draft**: it is loaded when named (`"1.2.0"`, `"national@1.2.0"`, its path) but never as
"the latest version" (`None`, `"national"`), so a draft under review never replaces the published taxonomy.
A local folder continues the shipped lineage: when the first version of a folder declares a crosswalk from a version
the folder does not hold, the lineage is completed from the other folders (`load_lineage`, `validate_paths`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from taxonomy.errors import InvalidTaxonomyRef, TaxonomyNotFound, TaxonomyValidationError, ValidationIssue
from taxonomy.schema import CODE_PATTERN, SiteExtension, Taxonomy
from taxonomy.validation import SourceMap, check_lineage, check_site
from taxonomy.versions import SEMVER_PATTERN, sort_versions, version_key
from taxonomy.yaml_io import display_name, read_yaml, validate_model

DATA_DIR = Path(__file__).resolve().parent / "data"
NATIONAL = "national"
TAXONOMY_DIR_ENV = "MOTIFS_TAXONOMY_DIR"
LOCAL_DATA_DIR = Path("motifs-data")  # the working folder of every command (models, database, taxonomy drafts…)
DEFAULT_TAXONOMY_DIR = LOCAL_DATA_DIR / "taxonomy"
_CODE = CODE_PATTERN.strip("^$")
_REF = re.compile(
    rf"^(?:(?P<version_only>{SEMVER_PATTERN})|(?P<id>{_CODE})(?:@(?P<version>{SEMVER_PATTERN}))?)"
    rf"(?:\+(?P<site>{_CODE})(?:@(?P<site_version>{SEMVER_PATTERN}))?)?$"
)
_VERSION_FILE = re.compile(rf"^v(?P<version>{SEMVER_PATTERN})\.ya?ml$")


@dataclass(frozen=True)
class TaxonomyRef:
    id: str
    version: str | None
    site: str | None = None
    site_version: str | None = None


def parse_ref(ref: str) -> TaxonomyRef:
    """`"1.1.0"`, `"national@1.1.0"`, `"national"`, each optionally `+site[@version]`."""
    match = _REF.match(ref.strip())
    if match is None:
        raise InvalidTaxonomyRef(
            f"référence « {ref[:60]} » invalide (attendu : 1.1.0, national@1.1.0, national@1.1.0+site ou un "
            "chemin de fichier .yaml)"
        )
    return TaxonomyRef(
        id=match["id"] or NATIONAL,
        version=match["version_only"] or match["version"],
        site=match["site"],
        site_version=match["site_version"],
    )


def _is_path(ref: str | Path) -> bool:
    return isinstance(ref, Path) or "/" in ref or "\\" in ref or ref.lower().endswith((".yaml", ".yml"))


# --- files


def read_taxonomy_file(path: str | Path) -> tuple[Taxonomy, SourceMap]:
    """One taxonomy version from a YAML file, validated on its own (no lineage check)."""
    path = Path(path)
    stat = _stat(path)
    return _read_taxonomy_cached(str(path.resolve()), stat[0], stat[1], display_name(path))


def read_site_file(path: str | Path) -> tuple[SiteExtension, SourceMap]:
    """One site extension from a YAML file (schema only: its checks need the national versions)."""
    path = Path(path)
    stat = _stat(path)
    return _read_site_cached(str(path.resolve()), stat[0], stat[1], display_name(path))


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        raise TaxonomyNotFound(f"{path} : fichier introuvable (attendu : un fichier YAML de base de motifs)") from None
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=64)
def _read_taxonomy_cached(path: str, mtime: int, size: int, name: str) -> tuple[Taxonomy, SourceMap]:
    parsed = read_yaml(Path(path))
    if "site" in parsed.data:
        issue = ValidationIssue(name, "fichier d'extension de site, pas une base de motifs", "taxonomy: <identifiant>")
        raise TaxonomyValidationError([issue])
    taxonomy = validate_model(Taxonomy, parsed.data, parsed.source)
    taxonomy._origin = Path(path).parent
    return taxonomy, parsed.source


@lru_cache(maxsize=64)
def _read_site_cached(path: str, mtime: int, size: int, name: str) -> tuple[SiteExtension, SourceMap]:
    parsed = read_yaml(Path(path))
    extension = validate_model(SiteExtension, parsed.data, parsed.source)
    extension._source = parsed.source
    extension._origin = Path(path).parent
    return extension, parsed.source


# --- shipped and local versions


def local_taxonomy_dir(explicit: str | Path | None = None) -> Path:
    """The local taxonomy folder: `explicit`, else `$MOTIFS_TAXONOMY_DIR`, else `./motifs-data/taxonomy`."""
    if explicit is not None and str(explicit):
        return Path(explicit)
    from_env = os.environ.get(TAXONOMY_DIR_ENV, "")
    return Path(from_env) if from_env else DEFAULT_TAXONOMY_DIR


def _version_files(directory: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            match = _VERSION_FILE.match(path.name)
            if match:
                files[match["version"]] = path
    return files


def version_files(taxonomy_id: str = NATIONAL, *, taxonomy_dir: str | Path | None = None) -> dict[str, Path]:
    """Version → file of a taxonomy, shipped and local (a shipped version wins over a local file of the same number)."""
    files = _version_files(DATA_DIR / taxonomy_id)
    local = local_taxonomy_dir(taxonomy_dir) / taxonomy_id
    if local.resolve() != (DATA_DIR / taxonomy_id).resolve():
        for version, path in _version_files(local).items():
            files.setdefault(version, path)
    return files


def list_versions(
    taxonomy_id: str = NATIONAL, *, directory: Path | None = None, taxonomy_dir: str | Path | None = None
) -> list[str]:
    """Versions available for a taxonomy, oldest first (from the `v<version>.yaml` file names): those of
    `directory` only when given, else the shipped and local ones (drafts included)."""
    if directory is not None:
        return sort_versions(list(_version_files(directory)))
    return sort_versions(list(version_files(taxonomy_id, taxonomy_dir=taxonomy_dir)))


def is_draft(taxonomy: Taxonomy) -> bool:
    """A version without a `released:` date: under review, never taken as the latest version."""
    return taxonomy.released is None


def latest_version(taxonomy_id: str = NATIONAL, *, taxonomy_dir: str | Path | None = None) -> str:
    """The newest published (dated) version; the newest version when none is dated. Shipped versions are always
    dated; a local file that does not load is skipped here (`validate_paths` reports it)."""
    files = version_files(taxonomy_id, taxonomy_dir=taxonomy_dir)
    if not files:
        raise TaxonomyNotFound(
            f"base de motifs « {taxonomy_id} » introuvable (attendu : {NATIONAL} ou un chemin .yaml)"
        )
    ordered = sort_versions(list(files))
    shipped = DATA_DIR.resolve()
    for version in reversed(ordered):
        path = files[version]
        if path.resolve().is_relative_to(shipped):
            return version
        try:
            if not is_draft(read_taxonomy_file(path)[0]):
                return version
        except TaxonomyValidationError:
            continue
    return ordered[-1]


def list_sites(*, directory: Path | None = None) -> list[str]:
    directory = directory or DATA_DIR / "sites"
    return sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []


def load_taxonomy(ref: str | Path | None = None, *, taxonomy_dir: str | Path | None = None) -> Taxonomy:
    """A validated taxonomy: the latest published national version by default, or the one `ref` names (see module
    doc), looked for in the shipped data and in the local taxonomy folder (`taxonomy_dir`)."""
    if ref is not None and _is_path(ref):
        return read_taxonomy_file(ref)[0]
    parsed = parse_ref(str(ref)) if ref is not None else TaxonomyRef(NATIONAL, None)
    files = version_files(parsed.id, taxonomy_dir=taxonomy_dir)
    if not files:
        raise TaxonomyNotFound(
            f"base de motifs « {parsed.id} » introuvable dans {display_name(DATA_DIR)} ni "
            f"{display_name(local_taxonomy_dir(taxonomy_dir))} (attendu : {NATIONAL}, une base enregistrée par "
            f"motifs train, ou un chemin .yaml ; {TAXONOMY_DIR_ENV} désigne le dossier local)"
        )
    version = parsed.version or latest_version(parsed.id, taxonomy_dir=taxonomy_dir)
    if version not in files:
        raise TaxonomyNotFound(
            f"version {version} de « {parsed.id} » introuvable (attendu : {', '.join(sort_versions(list(files)))})"
            f", cherchée dans {display_name(DATA_DIR)} et {display_name(local_taxonomy_dir(taxonomy_dir))}"
        )
    taxonomy = read_taxonomy_file(files[version])[0]
    if parsed.site is None:
        return taxonomy
    extension = load_site(parsed.site)
    if parsed.site_version is not None and parsed.site_version != extension.version:
        raise TaxonomyNotFound(
            f"extension {parsed.site}@{parsed.site_version} introuvable (version disponible : {extension.version})"
        )
    return taxonomy.with_site(extension)


def load_site(ref: str | Path) -> SiteExtension:
    """A site extension by shipped site id (`metropole_lyon`) or path (checked when applied with `with_site`)."""
    if _is_path(ref):
        return read_site_file(ref)[0]
    path = DATA_DIR / "sites" / f"{ref}.yaml"
    if not path.exists():
        raise TaxonomyNotFound(
            f"extension de site « {str(ref)[:64]} » introuvable (attendu : {', '.join(list_sites())})"
        )
    return read_site_file(path)[0]


def load_lineage(
    taxonomy_id: str = NATIONAL, *, directory: Path | None = None, taxonomy_dir: str | Path | None = None
) -> tuple[Taxonomy, ...]:
    """Every version of a taxonomy, oldest first, with crosswalks checked between them: the versions of `directory`
    (completed backwards from the shipped and local ones when its first version continues an earlier one), else the
    shipped and local versions."""
    if directory is None:
        paths = list(version_files(taxonomy_id, taxonomy_dir=taxonomy_dir).values())
        where = f"{display_name(DATA_DIR / taxonomy_id)} ni {display_name(local_taxonomy_dir(taxonomy_dir))}"
    else:
        paths = list(_version_files(directory).values())
        where = display_name(directory)
    entries = [read_taxonomy_file(path) for path in paths]
    entries = [entry for entry in entries if entry[0].id == taxonomy_id]
    if not entries:
        raise TaxonomyNotFound(f"aucune version de « {taxonomy_id} » dans {where}")
    if directory is not None:
        entries = complete_lineage(entries, taxonomy_id, taxonomy_dir=taxonomy_dir)
    issues = check_lineage(entries)
    if issues:
        raise TaxonomyValidationError(issues)
    return tuple(sort_versions_of([entry[0] for entry in entries]))


def complete_lineage(
    entries: Sequence[tuple[Taxonomy, SourceMap]], taxonomy_id: str, *, taxonomy_dir: str | Path | None = None
) -> list[tuple[Taxonomy, SourceMap]]:
    """`entries` (versions of one taxonomy from one folder) preceded by the earlier versions their first version
    continues, taken from the shipped and local versions: a folder of drafts continues the published lineage."""
    entries = sorted(entries, key=lambda entry: version_key(entry[0].version))
    available = version_files(taxonomy_id, taxonomy_dir=taxonomy_dir)
    held = {entry[0].version for entry in entries}
    while entries and entries[0][0].crosswalk is not None:
        previous = entries[0][0].crosswalk.from_version
        if previous in held or previous not in available:
            break
        try:
            found = read_taxonomy_file(available[previous])
        except TaxonomyValidationError:
            break
        if found[0].id != taxonomy_id:
            break
        entries.insert(0, found)
        held.add(previous)
    return entries


def sort_versions_of(taxonomies: Sequence[Taxonomy]) -> list[Taxonomy]:
    order = {version: rank for rank, version in enumerate(sort_versions([t.version for t in taxonomies]))}
    return sorted(taxonomies, key=lambda t: order[t.version])


# --- validating files


@dataclass(frozen=True)
class ValidationReport:
    """What `validate_paths` looked at and every issue it found."""

    files: tuple[str, ...]
    taxonomies: tuple[str, ...]
    sites: tuple[str, ...]
    issues: tuple[ValidationIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues


def _yaml_files(paths: Sequence[Path], issues: list[ValidationIssue]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in {".yaml", ".yml"})
        elif path.exists():
            files.append(path)
        else:
            issues.append(ValidationIssue(display_name(path), "fichier ou dossier introuvable", "un chemin existant"))
    return list(dict.fromkeys(files))


def validate_paths(
    paths: Sequence[str | Path] | None = None, *, taxonomy_dir: str | Path | None = None
) -> ValidationReport:
    """Check taxonomy files, the lineage of each folder, and site extensions; never stops at the first issue.

    Default: every shipped national version and site extension, and the local taxonomy folder when it exists (its
    drafts). A folder is searched recursively; versions of the same taxonomy in the same folder form a lineage,
    completed backwards from the shipped and local versions when it continues one (a draft `v1.2.0.yaml` alone is
    checked against the published 1.1.0 it follows); a site file is checked against `../<taxonomy>/` next to it
    when that folder exists, else against the shipped versions.
    """
    issues: list[ValidationIssue] = []
    local = local_taxonomy_dir(taxonomy_dir)
    if paths:
        requested = [Path(p) for p in paths]
    else:
        requested = [DATA_DIR] + ([local] if local.is_dir() and local.resolve() != DATA_DIR.resolve() else [])
    files = _yaml_files(requested, issues)
    taxonomies: list[tuple[Taxonomy, SourceMap, Path]] = []
    sites: list[tuple[SiteExtension, SourceMap, Path]] = []
    for path in files:
        try:
            data: Any = read_yaml(path).data
            if "site" in data:
                extension, source = read_site_file(path)
                sites.append((extension, source, path))
            else:
                taxonomy, source = read_taxonomy_file(path)
                taxonomies.append((taxonomy, source, path))
        except TaxonomyValidationError as exc:
            issues.extend(exc.issues)

    lineages: dict[tuple[Path, str], list[tuple[Taxonomy, SourceMap]]] = {}
    shipped = DATA_DIR.resolve()
    for taxonomy, source, path in taxonomies:
        lineages.setdefault((path.resolve().parent, taxonomy.id), []).append((taxonomy, source))
        if not path.resolve().is_relative_to(shipped) and taxonomy.version in _version_files(DATA_DIR / taxonomy.id):
            issues.append(
                ValidationIssue(
                    source.file,
                    f"version {taxonomy.version} déjà livrée avec motifs (la version livrée est celle utilisée)",
                    "un numéro de version qui suit la dernière version publiée",
                    line=source.line("version"),
                )
            )
    for (_, taxonomy_id), entries in lineages.items():
        issues.extend(check_lineage(complete_lineage(entries, taxonomy_id, taxonomy_dir=taxonomy_dir)))

    for extension, source, path in sites:
        issues.extend(_check_site_file(extension, source, path))

    return ValidationReport(
        files=tuple(display_name(p) for p in files),
        taxonomies=tuple(t.ref for t, _, _ in taxonomies),
        sites=tuple(s.ref for s, _, _ in sites),
        issues=tuple(issues),
    )


def _check_site_file(extension: SiteExtension, source: SourceMap, path: Path) -> list[ValidationIssue]:
    directory = path.resolve().parent.parent / extension.extends.taxonomy
    if not directory.is_dir():
        directory = DATA_DIR / extension.extends.taxonomy
    files = _version_files(directory)
    issues: list[ValidationIssue] = []
    nationals: list[Taxonomy] = []
    for index, version in enumerate(extension.extends.versions):
        if version not in files:
            issues.append(
                ValidationIssue(
                    source.file,
                    f"étend {extension.extends.taxonomy}@{version}, version introuvable",
                    f"une version publiée : {', '.join(sort_versions(list(files))) or 'aucune'}",
                    line=source.line("extends", "versions", index),
                )
            )
            continue
        try:
            nationals.append(read_taxonomy_file(files[version])[0])
        except TaxonomyValidationError:
            issues.append(
                ValidationIssue(
                    source.file,
                    f"étend {extension.extends.taxonomy}@{version}, version invalide",
                    "une version nationale valide",
                    line=source.line("extends"),
                )
            )
    return issues + check_site(extension, nationals, source)
