"""Volume alerts on known reasons: deviation from the baseline, its size, and robustness to small counts."""

from __future__ import annotations

import pytest

from serving.monitoring import default_config, prepare_calls, volume_alerts, volume_table
from tests._monitoring import calls

SETTINGS = default_config().volume  # share measure, 4 periods, ≥ 2 of them, ≥ 10 calls, Δ ≥ 5, ×1.5, z ≥ 3


def _alerts(blocks, settings=SETTINGS):  # type: ignore[no-untyped-def]
    table = volume_table(prepare_calls(calls(blocks)), "week", settings=settings)
    return table, volume_alerts(table, settings, reason_labels={"rdv_prise": "Prise de rendez-vous"})


def _weeks(weeks: range, per_code: dict[str, int]) -> list[tuple[int, str, str, int]]:
    return [(w, "Lille", code, n) for w in weeks for code, n in per_code.items()]


def test_steady_volumes_raise_nothing() -> None:
    _, alerts = _alerts(_weeks(range(6), {"rdv_prise": 20, "attestation": 80}))
    assert alerts == []


def test_spike_is_flagged_with_its_size() -> None:
    table, alerts = _alerts(
        [
            *_weeks(range(4), {"rdv_prise": 20, "attestation": 80}),
            (4, "Lille", "rdv_prise", 60),
            (4, "Lille", "attestation", 80),
        ]
    )
    row = table[(table["period"] == "2024-W14") & (table["code"] == "rdv_prise")].iloc[0]
    # Baseline share 80/400 = 20 % of this week's 140 calls → 28 expected; no spread between baseline weeks.
    assert row.expected == pytest.approx(28.0)
    assert row.ratio == pytest.approx(60 / 28)
    assert row.z == pytest.approx((60 - 28) / 28**0.5)
    spikes = [a for a in alerts if a.kind == "volume_spike"]
    assert [(a.scope, a.period) for a in spikes] == [({"code": "rdv_prise"}, "2024-W14")]
    assert spikes[0].severity == "critical"  # z ≈ 6.0 ≥ 6 and ×2.1 ≥ 2
    assert spikes[0].message.startswith(
        "Pic du motif rdv_prise (Prise de rendez-vous) : 60 appels contre 28,0 attendus (×2,1"
    )
    # attestation kept 80 calls but its share fell from 80 % to 57 %: expected 112, z ≈ -3.0, ratio 0.71 > 1/1.5.
    assert not [a for a in alerts if a.scope.get("code") == "attestation"]


def test_small_counts_never_alert() -> None:
    _, alerts = _alerts(
        [
            *_weeks(range(4), {"rdv_prise": 2, "attestation": 98}),
            (4, "Lille", "rdv_prise", 5),
            (4, "Lille", "attestation", 95),
        ]
    )
    assert alerts == []


def test_share_measure_ignores_a_busier_week_but_count_does_not() -> None:
    blocks = [
        *_weeks(range(4), {"rdv_prise": 20, "attestation": 80}),
        (4, "Lille", "rdv_prise", 40),
        (4, "Lille", "attestation", 160),
    ]
    assert _alerts(blocks)[1] == []
    counted = SETTINGS.model_copy(update={"measure": "count"})
    assert {a.scope["code"] for a in _alerts(blocks, counted)[1]} == {"rdv_prise", "attestation"}


def test_drop_and_not_enough_history() -> None:
    blocks = [
        *_weeks(range(4), {"rdv_prise": 40, "attestation": 60}),
        (4, "Lille", "rdv_prise", 5),
        (4, "Lille", "attestation", 95),
    ]
    _, alerts = _alerts(blocks)
    assert [(a.kind, a.scope["code"]) for a in alerts] == [
        ("volume_drop", "rdv_prise"),
        ("volume_spike", "attestation"),
    ]
    # With a single week of history nothing is flagged (min_baseline_periods = 2).
    _, short = _alerts(
        [
            (3, "Lille", "rdv_prise", 40),
            (3, "Lille", "attestation", 60),
            (4, "Lille", "rdv_prise", 5),
            (4, "Lille", "attestation", 95),
        ]
    )
    assert short == []


def test_a_reason_new_this_week_is_a_spike() -> None:
    _, alerts = _alerts(
        [*_weeks(range(4), {"attestation": 100}), (4, "Lille", "rdv_prise", 30), (4, "Lille", "attestation", 100)]
    )
    spike = next(a for a in alerts if a.scope["code"] == "rdv_prise")
    assert spike.kind == "volume_spike" and spike.baseline == 0.0 and spike.details["ratio"] is None
    assert "motif absent des périodes précédentes" in spike.message
