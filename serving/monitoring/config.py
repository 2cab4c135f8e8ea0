"""Monitoring settings: the defaults live in `defaults.yaml`; a user file is merged over them and validated here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from serving.monitoring.errors import InvalidMonitoringConfig

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AutreConfig(_Section):
    target: float = Field(ge=0.0, le=1.0)
    site_targets: dict[str, float] = Field(default_factory=dict)
    rise_points: float = Field(gt=0.0, le=1.0)
    min_z: float = Field(ge=0.0)
    baseline_periods: int = Field(ge=1, le=52)
    min_calls: int = Field(ge=1)
    dimensions: tuple[Literal["site", "channel"], ...]


class HealthConfig(_Section):
    dimension: Literal["site", "channel"]
    min_groups: int = Field(ge=2)
    min_fraction: float = Field(gt=0.0, le=1.0)
    rise_points: float = Field(gt=0.0, le=1.0)
    max_share: float = Field(gt=0.0, le=1.0)
    max_new_themes: int = Field(ge=0)
    max_to_confirm_share: float | None = Field(gt=0.0, le=1.0)  # None (null in YAML): no « modèle à vérifier » alarm


class VolumeConfig(_Section):
    measure: Literal["share", "count"]
    baseline_periods: int = Field(ge=1, le=52)
    min_baseline_periods: int = Field(ge=1)
    min_count: int = Field(ge=1)
    min_delta: int = Field(ge=0)
    min_ratio: float = Field(gt=1.0)
    min_z: float = Field(gt=0.0)
    strong_z: float = Field(gt=0.0)
    strong_ratio: float = Field(gt=1.0)
    drops: bool
    dimensions: tuple[Literal["site", "channel"], ...]
    expected: Literal["baseline", "forecast"] = "baseline"  # forecast: judged against the forecast band


class RepresentationConfig(_Section):
    lemmatizer: Literal["spacy", "lookup", "simple"]
    svd_components: int = Field(ge=2, le=1000)
    svd_fit_notes: int = Field(default=20_000, ge=100)  # the SVD is fitted on at most this many notes, applied to all
    char_ngrams: bool
    vector_weight: float = Field(ge=0.0, le=10.0)
    seed: int
    extra_stop_words: tuple[str, ...] = ()


class ClusteringConfig(_Section):
    algorithm: Literal["hdbscan", "agglomerative"]
    min_cluster_size: int = Field(ge=2)
    min_samples: int = Field(ge=1)
    distance_threshold: float = Field(gt=0.0, le=2.0)
    merge_similarity: float | None = Field(default=None, gt=0.0, le=1.0)
    max_pool: int | None = Field(default=None, ge=100)


class RegistryConfig(_Section):
    match_similarity: float = Field(gt=0.0, le=1.0)
    update_weight: float = Field(gt=0.0, le=1.0)
    profile_terms: int = Field(ge=5, le=1000)
    lineage_overlap: float | None = Field(default=None, gt=0.0, le=1.0)


class GradeBounds(_Section):
    min_size: int = Field(ge=1)
    min_share: float = Field(ge=0.0, le=1.0)
    min_novelty: float = Field(ge=0.0, le=1.0)
    min_growth: float = Field(ge=0.0)


class GradingConfig(_Section):
    weak: GradeBounds
    strong: GradeBounds


class SubthemeConfig(_Section):
    enabled: bool
    unusual_quantile: float = Field(gt=0.0, lt=1.0)
    min_references: int = Field(ge=2)
    max_calls_per_reason: int = Field(ge=10)
    parent_share: float = Field(gt=0.0, le=1.0)
    min_share: float = Field(ge=0.0, le=1.0)
    doubt_confidence: float | None = Field(default=None, gt=0.0, le=1.0)
    doubt_quantile: float = Field(default=0.25, gt=0.0, lt=1.0)


class DriftConfig(_Section):
    min_reasons: int = Field(ge=2)
    min_fraction: float = Field(gt=0.0, le=1.0)
    rebaseline: bool = True
    new_themes_since_change: bool = True
    candidate_max_autre: float | None = Field(ge=0.0, le=1.0)
    candidate_reason_calls: int = Field(ge=1)


class ThemesConfig(_Section):
    """Themes that cross reasons (`themes.py`)."""

    enabled: bool
    min_support: int = Field(ge=1)
    min_share: float = Field(ge=0.0, le=1.0)
    min_ratio: float = Field(ge=1.0)
    min_z: float = Field(ge=0.0)
    max_terms: int = Field(ge=1, le=500)
    min_terms: int = Field(ge=1, le=50)
    cooccurrence: float = Field(gt=0.0, le=1.0)
    min_reasons: int = Field(ge=2)
    min_reason_calls: int = Field(ge=1)
    max_reason_share: float = Field(gt=0.0, le=1.0)
    max_reason_fraction: float = Field(gt=0.0, le=1.0)
    fold_share: float = Field(gt=0.0, le=1.0)
    max_calls_per_period: int = Field(ge=10)


class EmergingConfig(_Section):
    low_confidence: float = Field(ge=0.0, le=1.0)
    max_candidates: int = Field(ge=10)
    min_history_periods: int = Field(ge=0)
    window_periods: int = Field(ge=1, le=12)
    min_period_calls: int = Field(ge=1)
    growth_periods: int = Field(ge=1, le=52)
    growth_similarity_quantile: float = Field(ge=0.0, le=1.0)
    reference_calls_per_code: int = Field(ge=0)
    keywords: int = Field(ge=1, le=50)
    examples: int = Field(ge=1, le=20)
    representation: RepresentationConfig
    clustering: ClusteringConfig
    registry: RegistryConfig
    grading: GradingConfig
    subthemes: SubthemeConfig
    drift: DriftConfig
    themes: ThemesConfig


class MonitoringConfig(_Section):
    """Every threshold of « autre » monitoring, volume alerts and emerging reasons (see `defaults.yaml`)."""

    version: Literal[1]
    autre: AutreConfig
    health: HealthConfig
    volume: VolumeConfig
    emerging: EmergingConfig

    def with_overrides(self, overrides: Mapping[str, Any]) -> MonitoringConfig:
        """A copy with `overrides` (same nested shape as the YAML) merged over these values."""
        return _validate(_merge(self.model_dump(mode="python"), overrides), "surcharges")


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and key != "site_targets":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(data: Mapping[str, Any], source: str) -> MonitoringConfig:
    try:
        return MonitoringConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(racine)'} : {_french_reason(error['type'])}"
            for error in exc.errors()[:5]
        )
        raise InvalidMonitoringConfig(f"configuration de suivi invalide ({source}) : {problems}") from None


def _french_reason(error_type: str) -> str:
    reasons = {
        "extra_forbidden": "clé inconnue",
        "missing": "valeur manquante",
        "literal_error": "valeur non autorisée",
        "greater_than": "valeur trop petite",
        "greater_than_equal": "valeur trop petite",
        "less_than": "valeur trop grande",
        "less_than_equal": "valeur trop grande",
    }
    return reasons.get(error_type, f"valeur invalide ({error_type})")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidMonitoringConfig(f"{path.name} : fichier de configuration illisible ({exc.strerror})") from None
    except yaml.YAMLError:
        raise InvalidMonitoringConfig(f"{path.name} : YAML invalide (attendu : un document YAML)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidMonitoringConfig(f"{path.name} : attendu un dictionnaire YAML, reçu {type(data).__name__}")
    return data


def default_config() -> MonitoringConfig:
    """The shipped defaults (`serving/monitoring/defaults.yaml`)."""
    return _validate(_read_yaml(DEFAULTS_PATH), DEFAULTS_PATH.name)


def load_config(path: str | Path | None = None) -> MonitoringConfig:
    """The defaults, with the YAML file at `path` merged over them (only the values it sets change)."""
    config = default_config()
    if path is None:
        return config
    path = Path(path)
    return _validate(_merge(config.model_dump(mode="python"), _read_yaml(path)), path.name)
