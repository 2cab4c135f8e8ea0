"""The registry of emerging clusters: stable ids across reruns and periods, so an analyst's decision sticks.

Each period, the clusters found get their ids in two steps:
1. rerun: a cluster with exactly the calls an entry had for this same period (a fingerprint of the sorted call ids is
   kept per period) takes that entry's id — rerunning a period, from the saved registry, gives the same ids;
2. otherwise clusters are matched to the entries first seen no later than this period (whatever their `parent_code`:
   a theme first seen inside a reason may later be filed « autre » and keeps its id) by a similarity = the larger of
   the cosine similarity of lemma profiles and the share of the smaller cluster's calls found in the other (the
   last calls recorded for the entry; consecutive windows overlap). Pairs are taken greedily from the most similar
   down, one-to-one, while similarity ≥ `match_similarity`.
Unmatched clusters get new ids `E0001`, `E0002`… in the order they are presented (the caller sorts them
deterministically).

Splits and merges are recorded, not renumbered silently (`lineage_overlap`): a new entry holding at least that share
of the last calls of entries seen before (overlap as above) is a part split off from them (`parent_ids`), and takes
their decision when they all had the same one (the analyst decided on the theme, not on one of its parts); an entry
not seen this period whose last calls are mostly in a cluster matched to another id was merged into it
(`merged_into`). A matched entry's profile moves towards the new cluster's (`update_weight`) only the first time a
period is seen, so a rerun leaves it as it was. The registry is plain data (JSON), meant to be stored in the database;
`status` carries the analyst's decision (open, dismissed, created, attached).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serving.monitoring.errors import InvalidRegistry
from serving.monitoring.representation import merge_profiles, profile_similarity

STATUSES = ("open", "dismissed", "created", "attached")
FORMAT_VERSION = 1


def fingerprint(call_ids: Sequence[str]) -> str:
    """A short hash of a set of call ids (order does not matter)."""
    return hashlib.sha1("\n".join(sorted(call_ids)).encode("utf-8")).hexdigest()[:16]


def overlap(left: Sequence[str], right: Sequence[str]) -> float:
    """|left ∩ right| / min(|left|, |right|) (0 when either is empty)."""
    if not left or not right:
        return 0.0
    return len(set(left) & set(right)) / min(len(set(left)), len(set(right)))


@dataclass
class RegistryEntry:
    id: str
    parent_code: str | None  # as last seen
    first_seen: str
    profile: dict[str, float]
    history: dict[str, int] = field(default_factory=dict)  # period label → cluster size, in period order
    keywords: list[str] = field(default_factory=list)
    status: str = "open"
    fingerprints: dict[str, str] = field(default_factory=dict)  # period label → fingerprint of its calls
    last_calls: list[str] = field(default_factory=list)  # call ids of the last period it was seen in
    parent_ids: list[str] = field(default_factory=list)  # split off from these entries (first period)
    merged_into: str | None = None  # stopped as its own item: its calls went into this entry's cluster

    @property
    def last_seen(self) -> str:
        return next(reversed(self.history)) if self.history else self.first_seen

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent_code": self.parent_code,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "status": self.status,
            "keywords": list(self.keywords),
            "history": dict(self.history),
            "profile": dict(self.profile),
            "fingerprints": dict(self.fingerprints),
            "last_calls": list(self.last_calls),
            "parent_ids": list(self.parent_ids),
            "merged_into": self.merged_into,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegistryEntry:
        status = data.get("status", "open")
        if status not in STATUSES:
            raise InvalidRegistry(
                f"entrée {data.get('id')} : statut « {status} » inconnu (attendu : {', '.join(STATUSES)})"
            )
        return cls(
            id=str(data["id"]),
            parent_code=data.get("parent_code"),
            first_seen=str(data["first_seen"]),
            profile={str(k): float(v) for k, v in data["profile"].items()},
            history={str(k): int(v) for k, v in data.get("history", {}).items()},
            keywords=[str(k) for k in data.get("keywords", [])],
            status=status,
            fingerprints={str(k): str(v) for k, v in data.get("fingerprints", {}).items()},
            last_calls=[str(c) for c in data.get("last_calls", [])],
            parent_ids=[str(c) for c in data.get("parent_ids", [])],
            merged_into=data.get("merged_into"),
        )


@dataclass
class ClusterRegistry:
    """Cluster id → profile, first seen, per-period sizes, analyst status. Mutable; copy with `copy()`."""

    entries: dict[str, RegistryEntry] = field(default_factory=dict)
    next_number: int = 1

    def copy(self) -> ClusterRegistry:
        return ClusterRegistry.from_dict(self.to_dict())

    def match(
        self,
        *,
        period: str,
        profiles: list[dict[str, float]],
        members: list[Sequence[str]],
        parent_codes: list[str | None],
        sizes: list[int],
        keywords: list[list[str]],
        match_similarity: float,
        update_weight: float,
        profile_terms: int,
        prefix: str = "E",
        lineage_overlap: float | None = None,
    ) -> list[str]:
        """Ids for the clusters of one period (see the module docstring); records them in the registry.

        `prefix` keeps kinds of items apart: clusters are `E…`, themes crossing reasons `T…` (`themes.py`); an item
        is only matched to entries of its own prefix."""
        ids: list[str | None] = [None] * len(profiles)
        taken: set[str] = set()
        own = [entry for entry in self.entries.values() if entry.id.startswith(prefix)]
        previous = {entry.fingerprints[period]: entry.id for entry in own if period in entry.fingerprints}
        prints = [fingerprint(calls) for calls in members]
        for index, key in enumerate(prints):
            if key in previous and previous[key] not in taken:
                ids[index] = previous[key]
                taken.add(previous[key])
        candidates = [entry for entry in own if entry.first_seen <= period and entry.id not in taken]
        pairs = sorted(
            (
                (
                    -max(profile_similarity(found, entry.profile), overlap(members[index], entry.last_calls)),
                    entry.id,
                    index,
                )
                for index, found in enumerate(profiles)
                if ids[index] is None
                for entry in candidates
            ),
        )
        for negative, matched_id, index in pairs:
            if -negative < match_similarity:
                break
            if ids[index] is None and matched_id not in taken:
                ids[index] = matched_id
                taken.add(matched_id)
        before = {entry.id: list(entry.last_calls) for entry in own if entry.first_seen < period}
        for index, found in enumerate(profiles):
            entry_id = ids[index] or f"{prefix}{self.next_number:04d}"
            new = ids[index] is None
            if new:
                self.next_number += 1
                self.entries[entry_id] = RegistryEntry(
                    id=entry_id, parent_code=parent_codes[index], first_seen=period, profile=dict(found)
                )
                ids[index] = entry_id
            entry = self.entries[entry_id]
            if period not in entry.history and entry.history:
                entry.profile = merge_profiles(entry.profile, found, weight=update_weight, top=profile_terms)
            entry.history[period] = sizes[index]
            entry.history = dict(sorted(entry.history.items()))  # labels sort chronologically (zero-padded)
            entry.fingerprints[period] = prints[index]
            entry.fingerprints = dict(sorted(entry.fingerprints.items()))
            if period >= entry.last_seen:
                entry.last_calls = sorted(members[index])
            entry.keywords = list(keywords[index])
            entry.parent_code = parent_codes[index]
            if new and lineage_overlap is not None:
                self._record_split(entry, members[index], before, lineage_overlap)
        if lineage_overlap is not None:
            self._record_merges(period, ids, members, before, lineage_overlap)
        return [entry_id for entry_id in ids if entry_id is not None]

    def _record_split(
        self, entry: RegistryEntry, members: Sequence[str], before: dict[str, list[str]], threshold: float
    ) -> None:
        """A new entry that holds many of the last calls of older entries was split off from them."""
        entry.parent_ids = sorted(
            other for other, calls in before.items() if other != entry.id and overlap(members, calls) >= threshold
        )
        decisions = {self.entries[other].status for other in entry.parent_ids}
        if len(decisions) == 1 and decisions != {"open"}:
            entry.status = decisions.pop()  # the decision follows the theme into its parts

    def _record_merges(
        self,
        period: str,
        ids: Sequence[str | None],
        members: Sequence[Sequence[str]],
        before: dict[str, list[str]],
        threshold: float,
    ) -> None:
        """Entries not seen this period whose last calls are mostly in a cluster of another id merged into it."""
        seen = {entry_id for entry_id in ids if entry_id is not None}
        for other, calls in before.items():
            entry = self.entries[other]
            if other in seen or period in entry.history or not calls or entry.last_seen > period:
                continue
            hosts = [
                (len(set(calls) & set(cluster)), entry_id)
                for entry_id, cluster in zip(ids, members, strict=True)
                if entry_id is not None and len(set(calls) & set(cluster)) >= threshold * len(set(calls))
            ]
            if hosts:
                entry.merged_into = max(hosts)[1]

    def set_status(self, cluster_id: str, status: str) -> None:
        """Record an analyst's decision on a cluster (open, dismissed, created, attached)."""
        if status not in STATUSES:
            raise InvalidRegistry(f"statut « {status} » inconnu (attendu : {', '.join(STATUSES)})")
        if cluster_id not in self.entries:
            raise InvalidRegistry(f"cluster {cluster_id} absent du registre")
        self.entries[cluster_id].status = status

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "next_number": self.next_number,
            "entries": [self.entries[key].to_dict() for key in sorted(self.entries)],
        }

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterRegistry:
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise InvalidRegistry(
                f"registre de clusters : format {data.get('format') if isinstance(data, dict) else '?'} "
                f"non pris en charge (attendu : {FORMAT_VERSION})"
            )
        try:
            entries = [RegistryEntry.from_dict(item) for item in data["entries"]]
            return cls(entries={entry.id: entry for entry in entries}, next_number=int(data["next_number"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRegistry(f"registre de clusters incomplet ou mal typé ({type(exc).__name__})") from None

    @classmethod
    def from_json(cls, path: str | Path) -> ClusterRegistry:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidRegistry(f"{Path(path).name} : registre illisible ({type(exc).__name__})") from None
