"""What changed between two versions: the crosswalk entries on the way, and edited labels, definitions, domains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taxonomy.crosswalk import plan_migration
from taxonomy.schema import CrosswalkChange, Taxonomy


@dataclass(frozen=True)
class VersionedChange:
    version: str
    change: CrosswalkChange


@dataclass(frozen=True)
class FieldChange:
    """A code present in both versions whose `field` (label, definition, domain, status) differs."""

    code: str
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class TaxonomyDiff:
    source_ref: str
    target_ref: str
    changes: tuple[VersionedChange, ...]
    edits: tuple[FieldChange, ...]
    domain_edits: tuple[FieldChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.changes or self.edits or self.domain_edits)


_FIELDS = ("label", "definition", "domain", "status")


def diff_taxonomies(
    source: Taxonomy | str, target: Taxonomy | str, *, lineage: Sequence[Taxonomy] | None = None
) -> TaxonomyDiff:
    """Crosswalk changes from `source` to `target` (a later or equal version) and field edits of shared codes."""
    plan = plan_migration(source, target, lineage=lineage)
    old, new = plan.source, plan.target
    changes = tuple(
        VersionedChange(step.version, change)
        for step in plan.steps
        if step.crosswalk is not None
        for change in step.crosswalk.changes
    )
    edits = []
    for code in old.codes:
        if code not in new:
            continue
        before, after = old.get(code), new.get(code)
        for name in _FIELDS:
            was, now = getattr(before, name), getattr(after, name)
            if was != now:
                edits.append(FieldChange(code, name, str(was or ""), str(now or "")))
    domain_edits = []
    new_domains = {domain.code: domain for domain in new.domains}
    for domain in old.domains:
        other = new_domains.get(domain.code)
        if other is not None and other.label != domain.label:
            domain_edits.append(FieldChange(domain.code, "label", domain.label, other.label))
    return TaxonomyDiff(old.ref, new.ref, changes, tuple(edits), tuple(domain_edits))
