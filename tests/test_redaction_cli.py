"""`motifs redact` and `redact_table` on CSV, Parquet and JSON Lines; only counts are ever printed."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app
from pipeline.errors import MissingColumn, RedactionInputError, UnsupportedFormat
from pipeline.redaction import Redactor, redact_table

PERSONAL = ["Dupont", "06 12 34 56 78", "jean.dupont@example.org", "12 rue des Lilas"]
ROWS = [
    {"call_id": "c1", "note": "Mme Dupont au 06 12 34 56 78, pas reçu le RSA", "site": "lyon"},
    {"call_id": "c2", "note": "écrire à jean.dupont@example.org pour l'attestation", "site": "lyon"},
    {"call_id": "c3", "note": "nouvelle adresse 12 rue des Lilas 69003 Lyon", "site": "paris"},
    {"call_id": "c4", "note": "demande d'information sur la prime d'activité", "site": "paris"},
]


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    frame = pd.DataFrame(rows)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(path, index=False, sep=";", encoding="cp1252")


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize(("source", "target"), [("csv", "parquet"), ("parquet", "jsonl"), ("jsonl", "csv")])
def test_cli_redacts_each_format_and_prints_counts_only(tmp_path: Path, source: str, target: str) -> None:
    src, out = tmp_path / f"appels.{source}", tmp_path / f"sortie.{target}"
    _write(src, ROWS)
    result = CliRunner().invoke(build_app(), ["redact", "--in", str(src), "--out", str(out), "--text-col", "note"])
    assert result.exit_code == 0, result.output
    frame = _read(out)
    assert list(frame.columns) == ["call_id", "note", "site"]
    assert frame["call_id"].tolist() == ["c1", "c2", "c3", "c4"] and frame["site"].tolist()[0] == "lyon"
    assert frame["note"].tolist() == [
        "Mme <NOM> au <TEL>, pas reçu le RSA",
        "écrire à <EMAIL> pour l'attestation",
        "nouvelle adresse <ADRESSE>",
        "demande d'information sur la prime d'activité",
    ]
    assert "4 lignes occultées" in result.output
    for kind in ("NOM", "TEL", "EMAIL", "ADRESSE"):
        assert kind in result.output
    for value in PERSONAL:
        assert value not in result.output


def test_cli_errors_are_one_line_without_text(tmp_path: Path) -> None:
    src = tmp_path / "appels.csv"
    _write(src, ROWS)
    result = CliRunner().invoke(build_app(), ["redact", "--in", str(src), "--out", str(tmp_path / "o.csv")])
    # the default text column is « text »: the file has « note »; the error names columns, never values
    assert result.exit_code != 0
    assert isinstance(result.exception, MissingColumn)
    assert "text" in str(result.exception) and "note" in str(result.exception)
    assert all(value not in str(result.exception) for value in PERSONAL)


def test_cli_types_option(tmp_path: Path) -> None:
    src, out = tmp_path / "appels.jsonl", tmp_path / "o.jsonl"
    _write(src, ROWS)
    args = ["redact", "--in", str(src), "--out", str(out), "--text-col", "note", "--types", "tel,email"]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert _read(out)["note"].tolist()[0] == "Mme Dupont au <TEL>, pas reçu le RSA"


def test_redact_table_reports_malformed_and_undecodable_rows(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    with src.open("wb") as handle:
        handle.write(b"call_id;text\n")
        handle.write("1;Mme Dupont au 06 12 34 56 78\n".encode("cp1252"))
        handle.write(b"2;octet \x81 illisible chez M. Martin\n")  # 0x81 is undefined in Windows-1252
        handle.write("3;trop;de;champs\n".encode("cp1252"))
    out = tmp_path / "out.parquet"
    summary = redact_table(src, out, chunk_rows=1)
    frame = pd.read_parquet(out)
    assert frame["text"].tolist() == ["Mme <NOM> au <TEL>", "octet \ufffd illisible chez M. <NOM>"]
    assert summary.rows == 2 and summary.rejected_rows == [3] and summary.undecodable_rows == 1
    assert summary.counts == {"NOM": 2, "TEL": 1}
    assert summary.guesses  # encoding and delimiter were guessed and said so


def test_redact_table_with_two_workers_keeps_order(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"call_id": str(k), "text": f"Mme Dupont n° {k} au 06 12 34 56 {k % 90 + 10}"} for k in range(40)]
    _write(src, rows)
    summary = redact_table(src, out, workers=2, chunk_rows=15)
    frame = _read(out)
    assert frame["call_id"].tolist() == [str(k) for k in range(40)]
    assert frame["text"].tolist() == [f"Mme <NOM> n° {k} au <TEL>" for k in range(40)]
    assert summary.counts == {"NOM": 40, "TEL": 40}


def test_redact_table_refuses_bad_arguments(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write(src, ROWS)
    with pytest.raises(RedactionInputError):
        redact_table(src, src, text_columns=["note"])
    with pytest.raises(UnsupportedFormat):
        redact_table(src, tmp_path / "out.xlsx", text_columns=["note"])
    with pytest.raises(MissingColumn):
        redact_table(src, tmp_path / "out.csv", text_columns=[])


def test_nothing_personal_reaches_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(src, ROWS)
    with caplog.at_level(logging.DEBUG):
        redact_table(src, out, text_columns=["note"], redactor=Redactor())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert all(value not in logged for value in PERSONAL)
    written = out.read_text(encoding="utf-8")
    assert all(value not in written for value in PERSONAL)
    assert next(csv.reader(written.splitlines())) == ["call_id", "note", "site"]


def test_jsonl_output_is_valid_json(tmp_path: Path) -> None:
    src, out = tmp_path / "in.parquet", tmp_path / "out.jsonl"
    _write(src, ROWS)
    redact_table(src, out, text_columns=["note"])
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["call_id"] for r in records] == ["c1", "c2", "c3", "c4"]
