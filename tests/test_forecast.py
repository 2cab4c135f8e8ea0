"""Volume forecasts: reasons add up to the total, calendar effects, clear French errors, output formats, CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app, main
from serving.forecast import (
    TOTAL,
    InvalidForecastOptions,
    InvalidVolumes,
    SeriesTooShort,
    Volumes,
    forecast_volumes,
    prepare_volumes,
    read_volumes,
    write_forecast,
)
from serving.forecast.calendar import PUBLIC_HOLIDAY, SCHOOL_HOLIDAY, daily_calendar
from serving.forecast.reconcile import reconcile
from serving.forecast.selection import SeriesForecast

WEEKDAY_SHAPE = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.4, 0.1])


def daily_volumes(days: int = 420, *, seed: int = 0) -> pd.DataFrame:
    """Long table date × reason: a weekday shape, one growing reason, one small sparse reason."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    shape = WEEKDAY_SHAPE[dates.weekday]
    means = {
        "attestation": 80 * shape,
        "rdv_prise": (30 + np.arange(days) / 20) * shape,
        "reclamation": 0.3 * shape,
    }
    rows = [
        (day.date().isoformat(), code, int(n))
        for code, mean in means.items()
        for day, n in zip(dates, rng.poisson(mean), strict=True)
    ]
    return pd.DataFrame(rows, columns=["date", "motif", "appels"])


def test_reasons_add_up_to_the_total_and_bounds_hold() -> None:
    volumes = prepare_volumes(daily_volumes(), time_col="date", count_col="appels", by_col="motif", period="day")
    result = forecast_volumes(volumes, 14)
    table = result.table
    assert set(table["reason"]) == {TOTAL, "attestation", "rdv_prise", "reclamation"}
    assert list(table.columns) == ["date", "reason", "forecast", "lo80", "hi80", "lo95", "hi95"]
    total = table[table["reason"] == TOTAL].set_index("date")["forecast"]
    parts = table[table["reason"] != TOTAL].groupby("date")["forecast"].sum()
    np.testing.assert_allclose(parts.loc[total.index].to_numpy(), total.to_numpy(), atol=0.05)
    assert (table["lo95"] <= table["lo80"]).all() and (table["lo80"] <= table["forecast"]).all()
    assert (table["forecast"] <= table["hi80"]).all() and (table["hi80"] <= table["hi95"]).all()
    assert (table["lo95"] >= 0).all()
    # the sparse reason skips the contest; the weekday shape survives in the forecast of the big one
    assert result.methods["reclamation"] == "naive"
    attestation = table[table["reason"] == "attestation"].set_index("date")["forecast"]
    weekdays = pd.to_datetime(pd.Series(attestation.index)).dt.weekday.to_numpy()
    assert attestation.to_numpy()[weekdays == 0].mean() > 5 * attestation.to_numpy()[weekdays == 6].mean()


def test_reconciliation_shares_the_gap_by_uncertainty_and_stays_non_negative() -> None:
    def series(name: str, values: list[float], spread: float) -> SeriesForecast:
        point = np.array(values)
        bounds = {
            0.8: (point - 1.2816 * spread, point + 1.2816 * spread),
            0.95: (point - 3 * spread, point + 3 * spread),
        }
        return SeriesForecast(name, "naive", point, bounds)

    # equal uncertainty: OLS — every series moves by the same (100 − 91) / 3 = 3
    total, reasons = reconcile(
        series(TOTAL, [100.0, 10.0], 2.0), [series("a", [60.0, 0.5], 2.0), series("b", [31.0, 30.0], 2.0)]
    )
    np.testing.assert_allclose(total.forecast, reasons[0].forecast + reasons[1].forecast)
    assert reasons[0].forecast[0] - 60 == pytest.approx(3.0) and total.forecast[0] == pytest.approx(97.0)
    assert reasons[0].forecast[1] == 0.0  # 0.5 − 6.83 clipped to 0; the total follows
    assert total.forecast[1] == pytest.approx(reasons[1].forecast[1])

    # the uncertain reason absorbs most of the gap: σ² shares 1 (total), 1 (a), 16 (b) of 18
    total, reasons = reconcile(series(TOTAL, [100.0], 1.0), [series("a", [60.0], 1.0), series("b", [22.0], 4.0)])
    assert reasons[0].forecast[0] == pytest.approx(60 + 18 / 18) and reasons[1].forecast[0] == pytest.approx(22 + 16)
    assert total.forecast[0] == pytest.approx(99.0)
    low, high = reasons[1].bounds[0.8]
    assert high[0] - low[0] == pytest.approx(2 * 1.2816 * 4.0)  # bounds move with their forecast


def test_french_public_and_school_holidays() -> None:
    days = pd.DatetimeIndex(["2025-07-14", "2025-07-15", "2025-04-21", "2025-02-10", "2025-02-17", "2025-12-24"])
    calendar = daily_calendar(days, school=True)
    assert calendar[PUBLIC_HOLIDAY].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]  # 14 juillet, lundi de Pâques 2025
    # summer and Easter Monday 2025: all three zones; 10 Feb 2025: zone B only on winter holiday (B 8–24 Feb,
    # C from 15 Feb, A from 22 Feb); 17 Feb: B and C; Christmas Eve: all three
    assert calendar[SCHOOL_HOLIDAY].round(2).tolist() == [1.0, 1.0, 1.0, 0.33, 0.67, 1.0]


def test_weekly_period_sums_days_and_counts_holidays() -> None:
    frame = daily_volumes(140)
    volumes = prepare_volumes(frame, time_col="date", count_col="appels", by_col="motif", period="week")
    assert volumes.counts.index[0] == pd.Timestamp("2024-01-01") and (volumes.counts.index.weekday == 0).all()
    assert volumes.counts["attestation"].iloc[0] == frame[frame["motif"] == "attestation"]["appels"].iloc[:7].sum()
    result = forecast_volumes(volumes, 4)
    assert len(result.table) == 4 * 4


def test_driver_needs_its_future_values() -> None:
    frame = daily_volumes(120)[lambda f: f["motif"] == "attestation"].drop(columns="motif")
    frame["courrier"] = 0.0
    with pytest.raises(InvalidVolumes, match="facteur explicatif inconnu pour 7 période"):
        forecast_volumes(prepare_volumes(frame, count_col="appels", driver_cols=["courrier"]), 7)
    future = pd.DataFrame(
        {"date": pd.date_range("2024-04-30", periods=7).strftime("%Y-%m-%d"), "appels": "", "courrier": 1.0}
    )
    volumes = prepare_volumes(pd.concat([frame, future]), count_col="appels", driver_cols=["courrier"])
    assert len(volumes.counts) == 120 and len(volumes.drivers) == 127  # type: ignore[arg-type]
    assert len(forecast_volumes(volumes, 7).table) == 7


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"jour": ["2024-01-01"], "appels": [3]}), {}, "colonne\\(s\\) absente\\(s\\) : date, motif"),
        (
            pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "appels": [3, -2], "motif": ["a", "a"]}),
            {},
            "nombre d'appels négatif ligne\\(s\\) 2",
        ),
        (
            pd.DataFrame({"date": ["2024-01-01", "hier"], "appels": [3, 2], "motif": ["a", "a"]}),
            {},
            "date illisible ligne\\(s\\) 2",
        ),
        (
            pd.DataFrame({"date": ["2024-01-01"], "appels": ["beaucoup"], "motif": ["a"]}),
            {},
            "nombre d'appels illisible ligne\\(s\\) 1",
        ),
        (pd.DataFrame({"date": ["2024-01-01"], "appels": [1], "motif": ["a"]}), {"period": "month"}, "période"),
    ],
)
def test_bad_volumes_get_a_clear_french_error(frame: pd.DataFrame, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidVolumes, match=message):
        prepare_volumes(frame, count_col="appels", by_col="motif", **kwargs)  # type: ignore[arg-type]


def test_too_short_series_and_bad_horizon_are_refused() -> None:
    short = prepare_volumes(daily_volumes(20), count_col="appels", by_col="motif")
    with pytest.raises(SeriesTooShort, match="historique de 20 période\\(s\\) \\(day\\) : trop court"):
        forecast_volumes(short, 7)
    volumes = prepare_volumes(daily_volumes(60), count_col="appels", by_col="motif")
    with pytest.raises(InvalidForecastOptions, match="horizon 400"):
        forecast_volumes(volumes, 400)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".jsonl"])
def test_output_formats_round_trip(tmp_path: Path, suffix: str) -> None:
    table = pd.DataFrame(
        {
            "date": [dt.date(2025, 1, 6)],
            "reason": ["a"],
            "forecast": [3.5],
            "lo80": [1.0],
            "hi80": [5.0],
            "lo95": [0.0],
            "hi95": [7.0],
        }
    )
    path = write_forecast(table, tmp_path / f"prev{suffix}")
    if suffix == ".csv":
        back = pd.read_csv(path)
    elif suffix == ".parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_json(path, lines=suffix == ".jsonl", dtype={"date": str})
    assert back["date"].astype(str).tolist() == ["2025-01-06"] and back["hi95"].tolist() == [7.0]
    with pytest.raises(InvalidForecastOptions, match=r"extension « \.xlsx »"):
        write_forecast(table, tmp_path / "prev.xlsx")


def test_cli_writes_reconciled_forecasts(tmp_path: Path) -> None:
    source = tmp_path / "volumes.csv"
    daily_volumes(200).to_csv(source, sep=";", index=False)
    out = tmp_path / "prev.json"
    result = CliRunner().invoke(
        build_app(),
        [
            "forecast",
            "--volumes",
            str(source),
            "--count-col",
            "appels",
            "--by-col",
            "motif",
            "--horizon",
            "7",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) == 4 * 7 and {"date", "reason", "forecast", "lo80", "hi80", "lo95", "hi95"} <= set(rows[0])
    assert "écrites dans" in result.output


def test_cli_bad_input_is_one_french_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "volumes.csv"
    source.write_text("date,calls\n2024-01-01,12\n2024-01-02,-4\n", encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["motifs", "forecast", "--volumes", str(source), "--out", str(tmp_path / "p.csv")])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error == "Erreur : colonne calls : nombre d'appels négatif ligne(s) 2 (attendu : un entier ≥ 0)"
    assert not (tmp_path / "p.csv").exists()


def test_read_volumes_reads_semicolon_bom_day_first(tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    lines = ["date;calls;weekday"] + [
        f"{d.day}-{d.month}-{d.year};{100 + d.day};1" for d in pd.date_range("2016-01-01", periods=40)
    ]
    source.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    volumes = read_volumes(source)
    assert volumes.counts.index[0] == pd.Timestamp("2016-01-01") and volumes.counts.index[-1] == pd.Timestamp(
        "2016-02-09"
    )
    assert volumes.counts[TOTAL].iloc[31] == 101  # 1 February


def test_cli_from_the_store_counts_one_model_version(tmp_path: Path) -> None:
    from serving.store import Database, PredictionRecord, ScoredCode

    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    db = Database.open(url)
    frame = daily_volumes(150)
    records = []
    for row in frame.itertuples():
        day = dt.date.fromisoformat(row.date)
        for i in range(int(row.appels)):
            for version in ("m1", "m2") if row.motif == "attestation" and i == 0 else ("m1",):
                records.append(
                    PredictionRecord(
                        call_id=f"{row.date}-{row.motif}-{i}",
                        called_at=dt.datetime.combine(day, dt.time(8, i % 60), tzinfo=dt.UTC),
                        code=str(row.motif),
                        confidence=0.9,
                        autre=False,
                        top_k=(ScoredCode(str(row.motif), 0.9),),
                        model_version=version,
                        taxonomy_version="national@1.1.0",
                        source="batch",
                    )
                )
    db.predictions.add_many(records)
    db.close()
    out = tmp_path / "prev.csv"
    last = frame["date"].max()
    result = CliRunner().invoke(
        build_app(),
        ["forecast", "--database-url", url, "--to", last, "--horizon", "7", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert set(table["reason"]) == {TOTAL, "attestation", "rdv_prise", "reclamation"}
    assert table["date"].min() == (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    per_day = table[table["reason"] != TOTAL].groupby("date")["forecast"].sum()
    total = table[table["reason"] == TOTAL].set_index("date")["forecast"]
    np.testing.assert_allclose(per_day.loc[total.index], total, atol=0.05)
    # m1 scored every call, m2 one a day: the history is m1's counts, no call counted twice
    from serving.forecast.store import volumes_from_store

    db = Database.open(url)
    volumes = volumes_from_store(db, period="day", end=dt.date.fromisoformat(last))
    db.close()
    assert volumes.model_version == "m1"
    expected = frame.pivot_table(index="date", columns="motif", values="appels", aggfunc="sum")
    np.testing.assert_array_equal(volumes.counts["attestation"].to_numpy(), expected["attestation"].to_numpy())


def test_weekly_driver_is_summed_over_days_once_per_date() -> None:
    frame = daily_volumes(140)
    frame["courrier"] = pd.to_datetime(frame["date"]).dt.weekday.eq(0).astype(float)  # 1 every Monday, every reason
    volumes = prepare_volumes(frame, count_col="appels", by_col="motif", driver_cols=["courrier"], period="week")
    assert volumes.drivers is not None
    assert volumes.drivers["courrier"].tolist() == [1.0] * 20  # one Monday a week, not one per reason row


def test_a_method_failing_on_a_series_sits_out_and_bands_are_never_narrower_than_poisson(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from serving.forecast.methods import METHODS, MethodSpec

    def broken(y: np.ndarray, design: object, end: int, horizon: int) -> np.ndarray:
        raise np.linalg.LinAlgError("SVD did not converge")

    spec = METHODS["ar_calendar"]
    monkeypatch.setitem(METHODS, "ar_calendar", MethodSpec("ar_calendar", broken, spec.min_history))
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    counts = pd.DataFrame({"flat": np.full(200, 40.0), "busy": 80 * WEEKDAY_SHAPE[days.weekday]}, index=days)
    result = forecast_volumes(Volumes(counts=counts, period="day"), 7)
    assert all("ar_calendar" not in scores for scores in result.cv_mae.values())
    assert all("ar_calendar" not in method for method in result.methods.values())
    flat = result.table[result.table["reason"] == "flat"]
    # a perfectly flat history has zero CV error; the band still holds Poisson noise around ~40 calls
    assert (flat["hi95"] - flat["lo95"] >= 20).all()


def test_unfinished_first_and_last_weeks_are_left_out_and_said() -> None:
    frame = daily_volumes(150)
    frame = frame[frame["date"] >= "2024-01-03"]  # Wednesday 3 January 2024 → Wednesday 29 May 2024
    volumes = prepare_volumes(frame, count_col="appels", by_col="motif", period="week")
    assert volumes.counts.index[0] == pd.Timestamp("2024-01-08") and volumes.counts.index[-1] == pd.Timestamp(
        "2024-05-20"
    )
    result = forecast_volumes(volumes, 2)
    assert result.table["date"].min() == dt.date(2024, 5, 27)
    assert any(note.startswith("Première semaine incomplète (2024-01-03)") for note in result.notes)
    assert any("Dernière semaine incomplète (jusqu'au 2024-05-29)" in note for note in result.notes)
