"""GET /v1/forecast — calls expected per day or week, for one reason or in total, computed from the store.

The model is not used: the counts are the stored predictions of the model version that scored the most calls over
the last two years (complete days up to yesterday, complete weeks up to last Sunday). One series per request, not
reconciled with the others (that needs every reason: `motifs forecast`). Computed in the thread pool (a plain `def`
route): a few seconds at most.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from serving.api.dependencies import ResourcesDep
from serving.api.forecast_schemas import ForecastOut, ForecastPointOut
from serving.api.schemas import ErrorOut, ValidationErrorOut
from serving.forecast import ForecastError, SeriesTooShort, UnknownSeries, forecast_one
from serving.forecast.store import last_complete_day, volumes_from_store
from serving.forecast.volumes import Period
from taxonomy.schema import CODE_PATTERN

router = APIRouter(prefix="/v1", tags=["prévisions"])
HISTORY_DAYS = 730  # two years: yearly seasonality, bounded cost


@router.get(
    "/forecast",
    summary="Prévision du nombre d'appels",
    description=(
        "Appels attendus par jour ou par semaine pour un motif (ou au total), avec intervalles à 80 % et 95 %, "
        "d'après les appels enregistrés en base (deux dernières années). Jours fériés et vacances scolaires pris en "
        "compte ; méthode choisie par validation croisée."
    ),
    response_model=ForecastOut,
    responses={
        404: {"model": ErrorOut, "description": "Aucun appel de ce motif, ou aucune prédiction en base."},
        409: {"model": ErrorOut, "description": "Historique trop court pour prévoir."},
        422: {"model": ValidationErrorOut, "description": "Paramètre invalide."},
        503: {"model": ErrorOut, "description": "Service en cours de démarrage."},
    },
)
def get_forecast(
    resources: ResourcesDep,
    reason: str | None = Query(
        default=None, pattern=CODE_PATTERN, description="Code du motif ; absent : total des appels."
    ),
    horizon: int = Query(default=28, ge=1, le=90, description="Nombre de périodes à prévoir."),
    period: str = Query(default="day", pattern="^(day|week)$", description="day ou week."),
    site: str | None = Query(default=None, max_length=64, description="Limiter aux appels d'un site."),
) -> ForecastOut | JSONResponse:
    period_name: Period = "week" if period == "week" else "day"
    end = last_complete_day(period_name)
    try:
        volumes = volumes_from_store(
            resources.database,
            period=period_name,
            start=end - dt.timedelta(days=HISTORY_DAYS - 1),
            end=end,
            site=site,
        )
        result = forecast_one(volumes, reason, horizon)
    except (UnknownSeries, SeriesTooShort) as exc:
        return JSONResponse(status_code=409 if isinstance(exc, SeriesTooShort) else 404, content={"detail": str(exc)})
    except ForecastError as exc:
        return JSONResponse(status_code=404, content={"detail": str(exc)})
    points = [ForecastPointOut(**row) for row in result.table.to_dict(orient="records")]
    name = reason or "total"
    return ForecastOut(
        reason=reason,
        period=result.period,
        history_end=result.history_end.date() if result.history_end is not None else end,
        model_version=volumes.model_version or "inconnue",
        method=result.methods[name],
        points=points,
        notes=result.notes,
    )
