"""`motifs taxonomy from-data` on a raw export: redacted examples, training part only, rare labels folded."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import taxonomy as tx
from motifs.cli.main import build_app
from training.taxonomy_from_file import taxonomy_from_file

# Made-up personal data planted in the notes; none of it may reach the taxonomy file.
PLANTED = ("Zorglubette Quimper", "06 12 34 56 78", "zorglubette.quimper@exemple.fr")


def _export(path: Path) -> Path:
    """An export like the AN one: cp1252, « | », raw labels with accents, jj/mm/aaaa dates, a rare label."""
    rows = ["id|date|rubrique|question"]
    n = 0
    for week, day in enumerate(("05/07/2022", "12/07/2022", "19/07/2022", "26/07/2022", "02/08/2022")):
        for label, note in (
            ("énergie et carburants", "Prix de l'électricité, Mme Zorglubette Quimper au 06 12 34 56 78"),
            ("professions de santé", "Pénurie de médecins, écrire à zorglubette.quimper@exemple.fr"),
        ):
            n += 1
            text = note if week < 4 else f"PERIODE EVALUATION {n}"
            rows.append(f"{n}|{day}|{label}|{text}")
    rows.append(f"{n + 1}|05/07/2022|mines et carrières|Carrière de granit")
    path.write_text("\n".join(rows) + "\n", encoding="cp1252")
    return path


def test_examples_are_redacted_and_from_the_training_part(tmp_path: Path) -> None:
    data = _export(tmp_path / "export.csv")
    out = tmp_path / "base.yaml"
    result = taxonomy_from_file(
        data, out, label_col="rubrique", taxonomy_id="essai", text_col="question", time_col="date", min_count=2
    )
    text = out.read_text(encoding="utf-8")
    for needle in PLANTED:
        assert needle.lower() not in text.lower(), f"« {needle} » copied into the taxonomy"
    assert "<TEL>" in text or "<EMAIL>" in text  # redacted, not dropped
    assert "PERIODE EVALUATION" not in text  # the latest week is the evaluation part of motifs train
    assert result.folded == ("mines et carrières",)
    base = tx.load_taxonomy(out)
    assert base.get("energie_et_carburants").label == "énergie et carburants"  # human-readable labels kept
    assert base.get("autre").aliases == ("mines et carrières",)
    assert tx.map_labels(base, ["Mines et Carrieres"]).codes == {"Mines et Carrieres": "autre"}


def test_cli_from_data_says_what_it_folded(tmp_path: Path) -> None:
    data = _export(tmp_path / "export.csv")
    out = tmp_path / "base.yaml"
    args = ["taxonomy", "from-data", "--data", str(data), "--label-col", "rubrique", "--text-col", "question"]
    args += ["--time-col", "date", "--min-count", "2", "--fold-into", "énergie et carburants"]
    args += ["--id", "essai", "--out", str(out)]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert "1 étiquette(s) de moins de 2 ligne(s)" in result.output and "anonymisé" in result.output
    assert tx.load_taxonomy(out).get("energie_et_carburants").aliases == ("mines et carrières",)
