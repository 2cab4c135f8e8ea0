"""Response of `GET /v1/forecast`, apart from `schemas.py`: the forecast is the analysts' side, not the agents'."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class ForecastPointOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date = Field(description="Début de la période (jour, ou lundi de la semaine).")
    forecast: float = Field(ge=0, description="Nombre d'appels prévu.")
    lo80: float = Field(ge=0)
    hi80: float = Field(ge=0)
    lo95: float = Field(ge=0)
    hi95: float = Field(ge=0)


class ForecastOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(description="Code du motif prévu ; null pour le total des appels.")
    period: str = Field(examples=["day"])
    history_end: dt.date = Field(description="Dernière période de l'historique lu en base.")
    model_version: str = Field(description="Version du modèle dont les prédictions sont comptées.")
    method: str = Field(description="Méthode retenue par validation croisée (naive, ar_calendar, last_year…).")
    points: list[ForecastPointOut]
    notes: list[str] = Field(description="Remarques en français (calendrier scolaire non couvert…).")
