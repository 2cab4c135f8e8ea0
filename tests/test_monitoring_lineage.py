"""One theme, one id over time (issue 12): splits and merges are recorded in the registry, decisions follow the theme;
and the queue's measured precision from the analysts' decisions."""

from __future__ import annotations

from serving.monitoring import ClusterRegistry
from serving.review.precision import queue_precision
from serving.store import ReviewDecisionRecord


def _match(registry: ClusterRegistry, period: str, clusters: list[tuple[dict[str, float], list[str]]]) -> list[str]:
    return registry.match(
        period=period,
        profiles=[profile for profile, _ in clusters],
        members=[calls for _, calls in clusters],
        parent_codes=[None] * len(clusters),
        sizes=[len(calls) for _, calls in clusters],
        keywords=[[] for _ in clusters],
        match_similarity=0.5,
        update_weight=0.3,
        profile_terms=50,
        lineage_overlap=0.3,
    )


A = [f"a{i}" for i in range(10)]
B = [f"b{i}" for i in range(10)]


def test_a_split_keeps_the_id_on_one_part_and_records_the_parent_of_the_other() -> None:
    registry = ClusterRegistry()
    (first,) = _match(registry, "2024-W10", [({"chauffage": 1.0}, A)])
    registry.set_status(first, "dismissed")
    kept, split = _match(registry, "2024-W11", [({"x": 1.0}, A[:6] + B[:4]), ({"y": 1.0}, A[6:] + B[4:])])
    assert kept == first and split != first
    assert registry.entries[split].parent_ids == [first]
    # The analyst dismissed the theme: its split-off part is dismissed too (it would otherwise come back as new).
    assert registry.entries[split].status == "dismissed"
    assert registry.entries[first].merged_into is None


def test_an_unrelated_new_cluster_has_no_parent_and_stays_open() -> None:
    registry = ClusterRegistry()
    (first,) = _match(registry, "2024-W10", [({"chauffage": 1.0}, A)])
    registry.set_status(first, "created")
    _, other = _match(registry, "2024-W11", [({"chauffage": 1.0}, A), ({"velo": 1.0}, B)])
    assert registry.entries[other].parent_ids == [] and registry.entries[other].status == "open"


def test_a_merge_is_recorded_on_the_item_that_stops() -> None:
    registry = ClusterRegistry()
    left, right = _match(registry, "2024-W10", [({"chauffage": 1.0}, A), ({"fioul": 1.0}, B)])
    (merged,) = _match(registry, "2024-W11", [({"chauffage": 1.0}, A + B[:8])])
    assert merged == left
    assert registry.entries[right].merged_into == left and registry.entries[left].merged_into is None
    # Saved and read back, the relation stays; a rerun of the period changes nothing.
    again = ClusterRegistry.from_dict(registry.to_dict())
    assert again.entries[right].merged_into == left
    assert _match(again, "2024-W11", [({"chauffage": 1.0}, A + B[:8])]) == [left]
    assert again.to_dict() == registry.to_dict()


def test_without_lineage_nothing_is_recorded() -> None:
    registry = ClusterRegistry()
    registry.match(
        period="2024-W10",
        profiles=[{"a": 1.0}],
        members=[A],
        parent_codes=[None],
        sizes=[10],
        keywords=[[]],
        match_similarity=0.5,
        update_weight=0.3,
        profile_terms=50,
    )
    registry.match(
        period="2024-W11",
        profiles=[{"x": 1.0}, {"y": 1.0}],
        members=[A[:6] + B[:4], A[6:] + B[4:]],
        parent_codes=[None, None],
        sizes=[10, 10],
        keywords=[[], []],
        match_similarity=0.5,
        update_weight=0.3,
        profile_terms=50,
    )
    assert all(entry.parent_ids == [] for entry in registry.entries.values())


def _decision(cluster_id: str, action: str, number: int) -> ReviewDecisionRecord:
    target = None if action == "dismiss" else "solidarite_source"
    return ReviewDecisionRecord(
        scope="week", cluster_id=cluster_id, action=action, reviewer="analyste", target_code=target, id=number
    )


def test_queue_precision_from_the_decisions() -> None:
    none = queue_precision([])
    assert none.precision is None and none.sentence().endswith("pas encore de décisions.")
    measured = queue_precision(
        [
            _decision("E0001", "create", 1),
            _decision("E0002", "attach", 2),
            _decision("E0003", "dismiss", 3),
            _decision("T0004", "dismiss", 4),
        ]
    )
    assert (measured.confirmed, measured.dismissed) == (2, 2) and measured.precision == 0.5
    assert "50 %" in measured.sentence() and "2 écarté(s) sur 4 décidé(s)" in measured.sentence()
