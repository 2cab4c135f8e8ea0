"""Migrating stored codes from one taxonomy version to a later one through the chain of crosswalks.

Rules, applied version after version (A → … → B):
- rename (1→1) and merge (n→1): the code is mapped automatically (« mappé »);
- split (1→n): flagged « à requalifier » with the candidate codes, never guessed;
- deprecated without successor: « à requalifier » with no candidate (any active code of B);
- a code no change names is kept (« inchangé »); a code absent from A is « inconnu »;
- a code already deprecated in A follows its `replaced_by` in A first (one successor: mapped, several: à requalifier);
- a site-local code stays as is when B carries the same site's code, else it migrates as its national parent
  (roll-up, then the national rules above).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from taxonomy.errors import MigrationError
from taxonomy.loader import load_lineage, load_taxonomy
from taxonomy.schema import ChangeKind, Taxonomy
from taxonomy.versions import version_key


class MigrationStatus(StrEnum):
    MAPPED = "mappé"
    UNCHANGED = "inchangé"
    REQUALIFY = "à requalifier"
    UNKNOWN = "inconnu"


@dataclass(frozen=True)
class AppliedChange:
    """One change a code went through: a crosswalk entry, a roll-up to the national parent, or a replaced_by."""

    version: str
    kind: str  # a ChangeKind value, "roll_up" or "replaced_by"
    from_codes: tuple[str, ...]
    to_codes: tuple[str, ...]

    def __str__(self) -> str:
        label = {
            "roll_up": "remontée au parent national",
            "replaced_by": "remplacement déjà en vigueur",
        }.get(self.kind) or ChangeKind(self.kind).label
        sources = " + ".join(self.from_codes) or "∅"
        targets = " | ".join(self.to_codes) or "∅"
        return f"{self.version} {label} : {sources} → {targets}"


@dataclass(frozen=True)
class CodeMigration:
    """What becomes of one stored code. `code` is set for mappé / inchangé; `candidates` for à requalifier."""

    source_code: str
    status: MigrationStatus
    code: str | None = None
    candidates: tuple[str, ...] = ()  # empty for « à requalifier » = any active code of the target
    changes: tuple[AppliedChange, ...] = ()


@dataclass(frozen=True)
class MigrationResult:
    """Migration of distinct codes between two versions; what batch reclassification reads."""

    source_ref: str
    target_ref: str
    versions: tuple[str, ...]  # source version, intermediate versions, target version
    by_code: Mapping[str, CodeMigration]
    new_codes: tuple[str, ...] = field(default=())  # codes created on the way: some « autre » calls may fit them

    def __getitem__(self, code: str) -> CodeMigration:
        return self.by_code[code]

    def codes_with(self, status: MigrationStatus) -> tuple[str, ...]:
        return tuple(code for code, item in self.by_code.items() if item.status is status)

    def counts(self, weights: Mapping[str, int] | None = None) -> dict[MigrationStatus, int]:
        """Number of codes (or of rows, with `weights` = rows per code) in each status, every status listed."""
        totals = dict.fromkeys(MigrationStatus, 0)
        for code, item in self.by_code.items():
            totals[item.status] += weights.get(code, 0) if weights is not None else 1
        return totals


class MigrationPlan:
    """The chain of versions between a source and a target; `migrate(code)` is memoised per code."""

    def __init__(self, source: Taxonomy, target: Taxonomy, steps: Sequence[Taxonomy]) -> None:
        self.source = source
        self.target = target
        self.steps = tuple(steps)  # versions after the source, up to the target, each holding its crosswalk
        self._moves = [_moves(step) for step in self.steps]
        self._cache: dict[str, CodeMigration] = {}

    @property
    def versions(self) -> tuple[str, ...]:
        return (self.source.version, *(step.version for step in self.steps))

    @property
    def new_codes(self) -> tuple[str, ...]:
        return tuple(
            code
            for step in self.steps
            if step.crosswalk is not None
            for change in step.crosswalk.changes
            if change.kind is ChangeKind.NEW
            for code in change.to_codes
        )

    def migrate(self, code: str) -> CodeMigration:
        if code not in self._cache:
            self._cache[code] = self._migrate(code)
        return self._cache[code]

    def apply(self, codes: Iterable[str]) -> MigrationResult:
        return MigrationResult(
            source_ref=self.source.ref,
            target_ref=self.target.ref,
            versions=self.versions,
            by_code={code: self.migrate(code) for code in dict.fromkeys(codes)},
            new_codes=self.new_codes,
        )

    def _migrate(self, code: str) -> CodeMigration:
        if code not in self.source:
            return CodeMigration(code, MigrationStatus.UNKNOWN)
        reason = self.source.get(code)
        applied: list[AppliedChange] = []
        if reason.is_local:
            if code in self.target and self.target.get(code).is_local and self.target.get(code).is_active:
                return CodeMigration(code, MigrationStatus.UNCHANGED, code=code)
            national = self.source.roll_up(code)
            applied.append(AppliedChange(self.source.version, "roll_up", (code,), (national,)))
            reason = self.source.get(national)
        candidates: tuple[str, ...] = (reason.code,)
        requalify = open_ended = False
        if not reason.is_active:
            candidates = self.source.successors(reason.code)
            applied.append(AppliedChange(self.source.version, "replaced_by", (reason.code,), candidates))
            requalify, open_ended = len(candidates) != 1, not candidates
        for step, moves in zip(self.steps, self._moves, strict=True):
            following: list[str] = []
            for candidate in candidates:
                if candidate not in moves:
                    following.append(candidate)
                    continue
                kind, from_codes, to_codes = moves[candidate]
                if to_codes != (candidate,):
                    applied.append(AppliedChange(step.version, kind.value, from_codes, to_codes))
                following.extend(to_codes)
                if kind in {ChangeKind.SPLIT, ChangeKind.DEPRECATED}:
                    requalify = True
                    open_ended = open_ended or not to_codes
            candidates = tuple(dict.fromkeys(following))
        if requalify or len(candidates) != 1:
            return CodeMigration(
                code, MigrationStatus.REQUALIFY, candidates=() if open_ended else candidates, changes=tuple(applied)
            )
        status = MigrationStatus.UNCHANGED if candidates[0] == code else MigrationStatus.MAPPED
        return CodeMigration(code, status, code=candidates[0], changes=tuple(applied))


def _moves(step: Taxonomy) -> dict[str, tuple[ChangeKind, tuple[str, ...], tuple[str, ...]]]:
    crosswalk = step.crosswalk
    if crosswalk is None:
        return {}
    return {
        code: (change.kind, change.from_codes, change.to_codes)
        for change in crosswalk.changes
        for code in change.from_codes
    }


def plan_migration(
    source: Taxonomy | str, target: Taxonomy | str, *, lineage: Sequence[Taxonomy] | None = None
) -> MigrationPlan:
    """Find the versions between `source` and `target` (from `lineage`, else the target's folder, else shipped)."""
    source = load_taxonomy(source) if isinstance(source, str) else source
    target = load_taxonomy(target) if isinstance(target, str) else target
    if source.id != target.id:
        raise MigrationError(
            f"migration de « {source.id} » vers « {target.id} » impossible (attendu : deux versions de la même base)"
        )
    if version_key(target.version) < version_key(source.version):
        raise MigrationError(
            f"migration de {source.version} vers {target.version} : version cible antérieure "
            "(attendu : une version cible égale ou plus récente)"
        )
    if target.version == source.version:
        return MigrationPlan(source, target, [])
    if target.crosswalk is not None and target.crosswalk.from_version == source.version:
        return MigrationPlan(source, target, [target])
    if lineage is None:
        lineage = load_lineage(target.id, directory=target.origin or source.origin)
    by_version = {t.version: t for t in lineage if t.id == target.id}
    steps: list[Taxonomy] = []
    version = target.version
    while version != source.version:
        step = by_version.get(version)
        if step is None or step.crosswalk is None:
            raise MigrationError(
                f"pas de chaîne de tables de correspondance de {source.version} à {target.version} "
                f"(version {version} introuvable ou sans crosswalk)"
            )
        steps.append(step)
        version = step.crosswalk.from_version
        if version_key(version) < version_key(source.version):
            raise MigrationError(f"la version {source.version} n'est pas dans la lignée de {target.version}")
    return MigrationPlan(source, target, list(reversed(steps)))


def migrate_codes(
    codes: Iterable[str],
    source: Taxonomy | str,
    target: Taxonomy | str,
    *,
    lineage: Sequence[Taxonomy] | None = None,
) -> MigrationResult:
    """Migrate each distinct code of `codes` from version `source` to version `target` (see module rules)."""
    return plan_migration(source, target, lineage=lineage).apply(codes)
