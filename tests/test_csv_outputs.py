"""CSV outputs are opened in spreadsheets: a text cell starting like a formula (=, +, -, @, tab, CR) comes out as text
(leading « ' »), NUL bytes are dropped, numbers stay numbers; files are readable by others (0644), drafts included."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.tables import FORMULA_PREFIXES, TableWriter, spreadsheet_safe_cell
from serving.batch.records import QUARANTINE_COLUMNS
from serving.batch.sinks import QuarantineWriter
from taxonomy import load_taxonomy
from taxonomy.export import export_taxonomy

CELLS = {
    '=HYPERLINK("http://x","clic")': '\'=HYPERLINK("http://x","clic")',
    "+33 6 12": "'+33 6 12",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tcmd": "'\tcmd",
    "pas\x00de NUL": "pasde NUL",
    "=\x00nul puis formule": "'=nul puis formule",
    "note ordinaire = 2": "note ordinaire = 2",
}


def read_rows(path: Path, **kwargs: str) -> list[dict[str, str]]:
    with path.open(encoding=kwargs.pop("encoding", "utf-8"), newline="") as handle:
        return list(csv.DictReader(handle, **kwargs))  # type: ignore[arg-type]


def test_a_formula_cell_comes_out_neutralised_and_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"call_id": list(range(len(CELLS))), "redacted_text": list(CELLS), "confidence": [-0.5] * len(CELLS)}
    )
    path = tmp_path / "sortie.csv"
    with TableWriter(path) as writer:
        writer.write(frame)
    rows = read_rows(path)
    assert [row["redacted_text"] for row in rows] == list(CELLS.values())
    assert {row["confidence"] for row in rows} == {"-0.5"}
    assert b"\x00" not in path.read_bytes()
    assert spreadsheet_safe_cell("\rcmd") == "'\rcmd"  # (a lone CR inside a CSV field does not survive pandas' writer)
    # Typed formats keep the exact value.
    with TableWriter(tmp_path / "sortie.jsonl") as writer:
        writer.write(frame)
    assert pd.read_json(tmp_path / "sortie.jsonl", lines=True)["redacted_text"].tolist() == list(CELLS)


def test_the_quarantine_file_is_neutralised_too(tmp_path: Path) -> None:
    path = tmp_path / "quarantaine.csv"
    row = {"file": "appels.csv", "row": 3, "call_id": "=cmd|' /C calc'!A0", "error_code": "empty_text", "error": "x"}
    with QuarantineWriter(path) as writer:
        writer.add(pd.DataFrame([{**row, "redacted_text": "@SUM(1)"}], columns=list(QUARANTINE_COLUMNS)))
        writer.commit()
    (stored,) = read_rows(path)
    assert (stored["call_id"], stored["redacted_text"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1)")


def test_the_taxonomy_export_neutralises_labels(tmp_path: Path) -> None:
    taxonomy = load_taxonomy()
    first = taxonomy.reasons[0]
    tampered = taxonomy.model_copy(
        update={"reasons": (first.model_copy(update={"label": "=1+1 libellé"}), *taxonomy.reasons[1:])}
    )
    path = export_taxonomy(tampered, tmp_path / "motifs.csv")
    labels = {row["code"]: row["label"] for row in read_rows(path, encoding="utf-8-sig", delimiter=";")}
    assert labels[first.code] == "'=1+1 libellé"


@given(st.text())
def test_neutralising_never_leaves_a_formula_start_nor_a_nul(value: str) -> None:
    safe = spreadsheet_safe_cell(value)
    assert isinstance(safe, str) and "\x00" not in safe
    assert not safe.startswith(FORMULA_PREFIXES)
    assert safe.removeprefix("'") == value.replace("\x00", "") or safe == value.replace("\x00", "")


def test_taxonomy_drafts_are_written_0644(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from taxonomy.drafts import add_reason, write_draft

    monkeypatch.setenv("MOTIFS_TAXONOMY_DIR", str(tmp_path / "taxonomy"))
    draft = add_reason(
        load_taxonomy(),
        code="aide_chauffage_exceptionnelle",
        label="Aide exceptionnelle au chauffage",
        domain="information",
        definition="Inclut : questions sur la nouvelle aide exceptionnelle au chauffage.",
    )
    path = write_draft(draft)
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
