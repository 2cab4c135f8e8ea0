"""Monitoring settings: defaults from YAML, a user file merged over them, readable errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.monitoring import InvalidMonitoringConfig, default_config, load_config


def test_defaults_hold_the_documented_thresholds() -> None:
    config = default_config()
    assert (config.autre.target, config.autre.rise_points, config.autre.baseline_periods) == (0.10, 0.05, 4)
    assert config.emerging.grading.weak.min_size <= config.emerging.grading.strong.min_size


def test_user_file_changes_only_what_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "suivi.yaml"
    path.write_text(
        "autre:\n  target: 0.08\n  site_targets: {Lyon: 0.12}\nvolume:\n  measure: count\n", encoding="utf-8"
    )
    config = load_config(path)
    assert config.autre.target == 0.08 and config.autre.site_targets == {"Lyon": 0.12}
    assert config.volume.measure == "count"
    assert config.autre.rise_points == default_config().autre.rise_points


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("autre:\n  target: 1.5\n", "autre.target : valeur trop grande"),
        ("autre:\n  cible: 0.1\n", "autre.cible : clé inconnue"),
        ("volume:\n  measure: volume\n", "volume.measure : valeur non autorisée"),
        ("- 1\n- 2\n", "attendu un dictionnaire YAML"),
        ("autre: [\n", "YAML invalide"),
    ],
)
def test_bad_files_give_one_readable_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "suivi.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidMonitoringConfig, match=expected):
        load_config(path)


def test_to_confirm_alarm_threshold_is_configurable_and_can_be_turned_off(tmp_path: Path) -> None:
    assert default_config().health.max_to_confirm_share == 0.5
    path = tmp_path / "suivi.yaml"
    path.write_text("health:\n  max_to_confirm_share: null\n", encoding="utf-8")
    assert load_config(path).health.max_to_confirm_share is None
    path.write_text("health:\n  max_to_confirm_share: 1.5\n", encoding="utf-8")
    with pytest.raises(InvalidMonitoringConfig, match=r"health\.max_to_confirm_share : valeur trop grande"):
        load_config(path)
