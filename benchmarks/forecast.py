"""Forecast accuracy on real daily call volumes: the chosen method per origin vs naive baselines, same run.

Dataset: `../shared/datasets/call_volume_daily_2013_2016` (or $MOTIFS_SHARED_DATASETS; skipped cleanly when
absent), daily calls of one contact centre, 2013-01-01 → 2016-02-29. Protocol: 4 rolling origins, the last four
28-day windows of the series; at each origin `forecast_volumes` sees the history only (it runs its own inner
cross-validation to choose a method), then the 28 days are scored. Reported: MAE of the forecast and of the
baselines (mean of the last 4 same weekdays, seasonal naive = same weekday last week, same day last year = 364 days
before), 80 % and 95 % interval coverage, time per origin.

    PYTHONPATH=. python benchmarks/forecast.py [--write]     # --write appends the section to docs/BENCHMARKS.md
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


def run(path: Path) -> str:
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
    lines += [
        "",
        f"Méthode choisie à chaque origine (validation croisée interne) : {', '.join(methods)}.",
        f"Couverture de l'intervalle à 80 % : {np.mean(coverage['80']):.2f} (par origine : "
        f"{', '.join(f'{v:.2f}' for v in coverage['80'])}) ; à 95 % : {np.mean(coverage['95']):.2f}.",
        f"Temps par origine (choix de méthode compris) : {np.mean(seconds):.1f} s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="append the section to docs/BENCHMARKS.md")
    args = parser.parse_args()
    path = shared_datasets() / DATASET / "case_data_calls.csv"
    if not path.exists():
        print(f"jeu de données absent : {path} — benchmark ignoré")
        return
    section = run(path)
    print(section)
    if args.write:
        with (REPO_ROOT / "docs" / "BENCHMARKS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)


if __name__ == "__main__":
    main()
