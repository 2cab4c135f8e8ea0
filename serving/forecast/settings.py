"""Forecast settings: `defaults.yaml` beside this file, optionally merged with a user's YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from serving.forecast.errors import InvalidForecastOptions

DEFAULTS = Path(__file__).with_name("defaults.yaml")


class PerPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: int = Field(ge=0)
    week: int = Field(ge=0)


class ForecastSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: tuple[float, float]
    cv_origins: PerPeriod
    cv_horizon: PerPeriod
    min_history: PerPeriod
    min_model_history: PerPeriod
    sparse_zero_share: float = Field(ge=0, le=1)
    sparse_mean: float = Field(ge=0)
    fourier_terms: PerPeriod
    methods: tuple[str, ...]

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] < value[1] < 1:
            raise ValueError("deux niveaux croissants entre 0 et 1 (p. ex. [0.80, 0.95])")
        return value

    @field_validator("methods")
    @classmethod
    def _methods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from serving.forecast.methods import METHODS

        unknown = [name for name in value if name not in METHODS]
        if unknown or "naive" not in value:
            raise ValueError(f"méthodes connues : {', '.join(METHODS)} (naive obligatoire, c'est le repli)")
        return value


def load_settings(path: str | Path | None = None) -> ForecastSettings:
    data: dict[str, Any] = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    if path is not None:
        try:
            extra = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidForecastOptions(f"réglages {Path(path).name} illisibles ({type(exc).__name__})") from None
        if not isinstance(extra, dict):
            raise InvalidForecastOptions(f"réglages {Path(path).name} : attendu un dictionnaire YAML")
        data.update(extra)
    try:
        return ForecastSettings.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise InvalidForecastOptions(f"réglages de prévision invalides : {fields}") from None
