"""Forecast accuracy on real daily call volumes: the chosen method per origin vs naive baselines, same run.

Dataset: `../shared/datasets/call_volume_daily_2013_2016` (or $MOTIFS_SHARED_DATASETS; skipped cleanly when
absent), daily calls of one contact centre, 2013-01-01 → 2016-02-29. Protocol: 4 rolling origins, the last four
28-day windows of the series; at each origin `forecast_volumes` sees the history only (it runs its own inner
cross-validation to choose a method), then the 28 days are scored. Reported: MAE of the forecast and of the
baselines (mean of the last 4 same weekdays, seasonal naive = same weekday last week, same day last year = 364 days
before), 80 % and 95 % interval coverage, time per origin.

    PYTHONPATH=. python benchmarks/forecast.py [--series 50] [--no-compare] [--write]

`--write` appends the section to docs/BENCHMARKS.md; `--series N` also times N synthetic daily series (scale);
statsforecast's AutoETS / AutoTheta / MSTL run on the same origins when the package is installed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import REPO_ROOT, section_header, shared_datasets
from serving.forecast import Volumes, forecast_volumes, read_volumes

HORIZON = 28
ORIGINS = 4
DATASET = "call_volume_daily_2013_2016"


def baselines(history: pd.Series, future: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    same_weekday = {day: history[history.index.weekday == day.weekday()].iloc[-4:].mean() for day in future}
    last_week = history.iloc[-7:].to_numpy()
    return {
        "moyenne des 4 mêmes jours de semaine": np.array([same_weekday[d] for d in future]),
        "saisonnier naïf (semaine précédente)": np.resize(last_week, len(future)),
        "même jour l'an dernier (364 j)": history.reindex(future - pd.Timedelta(days=364)).to_numpy(),
    }


def statsforecast_rows(series: pd.Series) -> list[str]:
    """The same origins with statsforecast's models on log1p(calls), when the package is installed (not a dependency:
    measured to choose the library, docs/FORECAST.md)."""
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import MSTL, AutoETS, AutoTheta
    except ImportError:
        return ["statsforecast absent : comparaison ignorée (pip install statsforecast pour la refaire)."]
    frame = pd.DataFrame({"unique_id": "appels", "ds": series.index, "y": np.log1p(series.to_numpy())})
    models = {
        "statsforecast AutoETS (saison 7)": lambda: AutoETS(season_length=7),
        "statsforecast AutoTheta (saison 7)": lambda: AutoTheta(season_length=7),
        "statsforecast MSTL (7, 365) + AutoETS": lambda: MSTL(
            season_length=[7, 365], trend_forecaster=AutoETS(model="ZZN")
        ),
    }
    rows = []
    for name, make in models.items():
        errors, inside, started = [], [], time.perf_counter()
        for k in range(ORIGINS, 0, -1):
            origin = len(series) - k * HORIZON
            out = StatsForecast(models=[make()], freq="D").forecast(df=frame.iloc[:origin], h=HORIZON, level=[80])
            mean_col, low_col, high_col = (c for c in out.columns if c not in ("unique_id", "ds"))
            actual = series.to_numpy()[origin : origin + HORIZON]
            errors.append(float(np.mean(np.abs(actual - np.expm1(out[mean_col].to_numpy())))))
            low, high = np.expm1(out[low_col].to_numpy()), np.expm1(out[high_col].to_numpy())
            inside.append(float(np.mean((actual >= low) & (actual <= high))))
        per = ", ".join(f"{v:.0f}" for v in errors)
        rows.append(
            f"| {name} | {np.mean(errors):.0f} | {per} | couverture 80 % : {np.mean(inside):.2f} ; "
            f"{(time.perf_counter() - started) / ORIGINS:.1f} s par origine |"
        )
    return rows


def driver_rows(volumes: Volumes, reservations: Path) -> list[str]:
    """The same origins with the dataset's own regressors (from 2014, when they start): its holiday flags, then the
    reservations made two months ahead (known over the horizon), as `--driver-col` would pass them."""
    table = pd.read_csv(reservations, sep=";", encoding="utf-8-sig")
    table.index = pd.to_datetime(table["date"], format="%d-%m-%Y")
    counts = volumes.counts.loc["2014-01-01":]
    variants = {
        "drapeaux du jeu (special_day, christmas_break, summer_break)": table[
            ["special_day", "christmas_break", "summer_break"]
        ].astype(float),
        "réservations à 2 mois (log)": np.log1p(table[["reservations_2months_advance"]].astype(float)),
    }
    rows = []
    for name, drivers in variants.items():
        errors, inside, methods = [], [], []
        for k in range(ORIGINS, 0, -1):
            origin = len(counts) - k * HORIZON
            history = Volumes(counts=counts.iloc[:origin], period="day", drivers=drivers, by_reason=False)
            result = forecast_volumes(history, HORIZON)
            actual = counts["total"].to_numpy()[origin : origin + HORIZON]
            errors.append(float(np.mean(np.abs(actual - result.table["forecast"].to_numpy()))))
            low, high = result.table["lo80"].to_numpy(), result.table["hi80"].to_numpy()
            inside.append(float(np.mean((actual >= low) & (actual <= high))))
            methods.append(result.methods["total"])
        per = ", ".join(f"{v:.0f}" for v in errors)
        rows.append(
            f"| prévision + {name} | {np.mean(errors):.0f} | {per} | couverture 80 % : {np.mean(inside):.2f} ; "
            f"méthodes : {', '.join(methods)} |"
        )
    return rows


def scaling(n_series: int) -> str:
    """Time and peak memory of `forecast_volumes` on `n_series` synthetic daily reasons over two years."""
    import tracemalloc

    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=730, freq="D")
    shape = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.4, 0.1])[days.weekday]
    season = 1 + 0.3 * np.sin(2 * np.pi * days.dayofyear.to_numpy() / 365.25)
    counts = pd.DataFrame(
        {f"motif_{i:04d}": rng.poisson(rng.uniform(1, 60) * shape * season) for i in range(n_series)}, index=days
    ).astype(float)
    tracemalloc.start()
    started = time.perf_counter()
    forecast_volumes(Volumes(counts=counts, period="day"), HORIZON)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return (
        f"Échelle : {n_series} motifs synthétiques × 730 jours + total, horizon {HORIZON} j : {seconds:.0f} s "
        f"({seconds / (n_series + 1):.2f} s par série), pic de mémoire Python (tracemalloc) {peak:.0f} Mo."
    )


def run(path: Path, *, compare: bool = True, n_series: int = 0, reservations: Path | None = None) -> str:
    volumes = read_volumes(path, time_col="date", count_col="calls", period="day")
    series = volumes.counts["total"]
    errors: dict[str, list[float]] = {}
    coverage: dict[str, list[float]] = {"80": [], "95": []}
    methods, seconds = [], []
    for k in range(ORIGINS, 0, -1):
        origin = len(series) - k * HORIZON
        history = volumes.counts.iloc[:origin]
        actual = series.iloc[origin : origin + HORIZON]
        started = time.perf_counter()
        result = forecast_volumes(Volumes(counts=history, period="day", by_reason=False), HORIZON)
        seconds.append(time.perf_counter() - started)
        table = result.table
        methods.append(result.methods["total"])
        forecasts = {"prévision (méthode choisie)": table["forecast"].to_numpy()}
        forecasts |= baselines(history["total"], pd.DatetimeIndex(actual.index))
        for name, values in forecasts.items():
            errors.setdefault(name, []).append(float(np.mean(np.abs(actual.to_numpy() - values))))
        for level in coverage:
            inside = (actual.to_numpy() >= table[f"lo{level}"].to_numpy()) & (
                actual.to_numpy() <= table[f"hi{level}"].to_numpy()
            )
            coverage[level].append(float(inside.mean()))
    best_naive = min(np.mean(v) for name, v in errors.items() if not name.startswith("prévision"))
    lines = [
        section_header("Prévision des volumes (motifs forecast)"),
        f"Données : `{DATASET}` ({len(series)} jours, {series.index[0].date()} → {series.index[-1].date()}), "
        f"{ORIGINS} origines glissantes, horizon {HORIZON} jours, fenêtres de test = les {ORIGINS} dernières "
        "périodes de 28 jours. `PYTHONPATH=. python benchmarks/forecast.py`.\n",
        "| méthode | MAE moyenne | MAE par origine | rapport au meilleur naïf |",
        "| --- | ---: | --- | ---: |",
    ]
    for name, values in errors.items():
        per = ", ".join(f"{v:.0f}" for v in values)
        lines.append(f"| {name} | {np.mean(values):.0f} | {per} | {np.mean(values) / best_naive:.2f} |")
    lines += ["", "Variantes, mêmes origines :", ""]
    lines += ["| méthode | MAE moyenne | MAE par origine | remarques |", "| --- | ---: | --- | --- |"]
    if reservations is not None and reservations.exists():
        lines += driver_rows(volumes, reservations)
    if compare:
        lines += statsforecast_rows(series)
    lines += [
        "",
        f"Méthode choisie à chaque origine (validation croisée interne) : {', '.join(methods)}.",
        f"Couverture de l'intervalle à 80 % : {np.mean(coverage['80']):.2f} (par origine : "
        f"{', '.join(f'{v:.2f}' for v in coverage['80'])}) ; à 95 % : {np.mean(coverage['95']):.2f}.",
        f"Temps par origine (choix de méthode compris) : {np.mean(seconds):.1f} s.",
        "",
    ]
    if n_series:
        lines += [scaling(n_series), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="append the section to docs/BENCHMARKS.md")
    parser.add_argument("--no-compare", action="store_true", help="skip the statsforecast comparison")
    parser.add_argument("--series", type=int, default=0, help="also time N synthetic daily series (scale)")
    args = parser.parse_args()
    path = shared_datasets() / DATASET / "case_data_calls.csv"
    if not path.exists():
        print(f"jeu de données absent : {path} — benchmark ignoré")
        return
    section = run(
        path,
        compare=not args.no_compare,
        n_series=args.series,
        reservations=path.with_name("case_data_reservations.csv"),
    )
    print(section)
    if args.write:
        with (REPO_ROOT / "docs" / "BENCHMARKS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)


if __name__ == "__main__":
    main()
