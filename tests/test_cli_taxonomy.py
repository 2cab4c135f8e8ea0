"""`motifs taxonomy …`: exit codes, one readable line per error, no traceback, nothing echoed from data cells."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from motifs.cli.main import build_app, main
from taxonomy import load_taxonomy

DATA = Path(__file__).parent / "data" / "taxonomy"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(build_app(), ["taxonomy", *map(str, args)])


def _error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Erreur :")]


def test_validate_passes_on_the_shipped_taxonomy() -> None:
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert "Base de motifs valide" in result.stdout
    assert "national@1.0.0, national@1.1.0" in result.stdout and "metropole_lyon@1.0.0" in result.stdout


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("broken/duplicate_code.yaml", 1),
        ("broken/yaml_syntax.yaml", 1),
        ("broken/schema_errors.yaml", 5),
        ("broken/several_errors.yaml", 5),
        ("lineage_unknown_code", 2),
        ("lineage_deleted_code", 1),
        ("lineage_bad_order", 1),
        ("sites/clash.yaml", 2),
        ("sites/deprecated_parent.yaml", 1),
    ],
)
def test_validate_prints_one_line_per_error_and_exits_2(path: str, count: int) -> None:
    result = run("validate", DATA / path)
    assert result.exit_code == 2
    lines = _error_lines(result)
    assert len(lines) == count, result.stderr
    assert f"{count} erreur" in result.stderr
    assert "Traceback" not in result.output
    assert all(Path(path).name in line or path.startswith("lineage") for line in lines)


def test_validate_collects_errors_across_several_paths() -> None:
    result = run(
        "validate", DATA / "broken" / "missing_autre.yaml", DATA / "lineage_ok", DATA / "sites" / "no_parent.yaml"
    )
    assert result.exit_code == 2
    assert len(_error_lines(result)) == 2


def test_show_prints_a_tree_by_domain_with_local_reasons_under_their_parent() -> None:
    result = run("show", "1.1.0", "--site", "metropole_lyon")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "national@1.1.0+metropole_lyon@1.0.0" in out
    assert "Paiements et versements (paiement)" in out
    assert (
        out.index("paiement_difficulte") < out.index("lyon_fonds_solidarite_logement") < out.index("lyon_fsl_energie")
    )
    assert "rdv_prise — Prise de rendez-vous (retiré → rdv_gestion)" in out
    assert "retiré" not in run("show", "1.1.0", "--active-only").stdout


def test_diff_shows_changes_and_edited_definitions() -> None:
    result = run("diff", "1.0.0", "1.1.0")
    assert result.exit_code == 0, result.output
    assert "1.1.0 scission : numerique_connexion → numerique_identifiants | numerique_franceconnect" in result.stdout
    assert "1.1.0 fusion : rdv_prise + rdv_modification → rdv_gestion" in result.stdout
    assert "dossier_courrier : définition modifiée" in result.stdout


def _calls_csv(path: Path) -> Path:
    rows = [
        ("c1", "pas de versement depuis 2 mois", "paiement_indu"),
        ("c2", "veut déplacer son rdv", "rdv_modification"),
        ("c3", "rdv pour dépôt", "rdv_prise"),
        ("c4", "mdp oublié", "numerique_connexion"),
        ("c5", "question éligibilité", "info_droits"),
        ("c6", "appel de Mme Jeanne Martin 06 12 34 56 78", "Jeanne Martin 06 12 34 56 78"),
        ("c7", "sans motif", ""),
    ]
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["call_id", "text", "motif"])
        writer.writerows(rows)
    return path


def test_migrate_maps_flags_and_counts_without_echoing_cells(tmp_path: Path) -> None:
    source = _calls_csv(tmp_path / "appels.csv")
    out = tmp_path / "appels-1.1.0.csv"
    result = run("migrate", "--from", "1.0.0", "--to", "1.1.0", "--in", source, "--out", out, "--code-col", "motif")
    assert result.exit_code == 0, result.output
    assert "séparateur deviné : « ; »" in result.stdout and "windows-1252" in result.stdout
    assert "Migration national@1.0.0 → national@1.1.0 : 7 lignes" in result.stdout
    for status, count in (("mappé", 3), ("inchangé", 1), ("à requalifier", 1), ("inconnu", 2)):
        assert any(line.split("│")[1:3] == [f" {status:<13} ", f" {count:>6} "] for line in result.stdout.splitlines())
    assert re.search(r"1\.1\.0 fusion : rdv_prise \+ rdv_modification → rdv_gestion +│ +2 │", result.stdout)
    assert "Jeanne" not in result.output and "(non conforme) (1)" in result.stdout and "(vide) (1)" in result.stdout
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["call_id", "text", "motif", "motif_migrated", "migration", "migration_candidates"]
    by_id = frame.set_index("call_id")
    assert by_id.loc["c1", "motif_migrated"] == "paiement_trop_percu" and by_id.loc["c1", "migration"] == "mappé"
    assert by_id.loc["c4", "migration"] == "à requalifier" and by_id.loc["c4", "motif_migrated"] == ""
    assert by_id.loc["c4", "migration_candidates"] == "numerique_identifiants|numerique_franceconnect"
    assert by_id.loc["c5", "migration"] == "inchangé"


def test_migrate_reads_and_writes_other_formats(tmp_path: Path) -> None:
    source = tmp_path / "appels.jsonl"
    source.write_text(
        "\n".join(json.dumps({"call_id": str(i), "reason": code}) for i, code in enumerate(["rdv_prise", "autre"])),
        encoding="utf-8",
    )
    out = tmp_path / "appels.parquet"
    result = run("migrate", "--from", "1.0.0", "--to", "1.1.0", "--in", source, "--out", out)
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out)["reason_migrated"].tolist() == ["rdv_gestion", "autre"]


def test_migrate_without_the_code_column_is_one_line(tmp_path: Path) -> None:
    source = _calls_csv(tmp_path / "appels.csv")
    result = run("migrate", "--from", "1.0.0", "--to", "1.1.0", "--in", source, "--out", tmp_path / "o.csv")
    assert result.exit_code == 2
    assert _error_lines(result) == [
        "Erreur : appels.csv : colonne « reason » absente (colonnes trouvées : call_id, text, motif)"
    ]


def test_export_and_from_data(tmp_path: Path) -> None:
    out = tmp_path / "motifs.json"
    result = run("export", "1.1.0", "--site", "metropole_lyon", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Exporté : 38 motifs de national@1.1.0+metropole_lyon@1.0.0" in result.stdout
    assert len(json.loads(out.read_text(encoding="utf-8"))["reasons"]) == 38

    dataset = tmp_path / "corpus.csv"
    pd.DataFrame(
        {"texte": ["colis pas arrivé", "rembourser svp", "colis perdu encore", "bonjour"],
         "etiquette": ["Colis perdu", "Remboursement", "Colis perdu", "Autre"]}
    ).to_csv(dataset, index=False)  # fmt: skip
    yaml_path = tmp_path / "corpus.yaml"
    result = run("from-data", "--data", dataset, "--label-col", "etiquette", "--id", "corpus", "--out", yaml_path,
                 "--text-col", "texte", "--examples", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "corpus@1.0.0 : 3 motifs" in result.stdout and "colis_perdu" in result.stdout
    taxonomy = load_taxonomy(yaml_path)
    # one example, from the training part of the split motifs train makes (test_taxonomy_from_file checks which)
    assert len(taxonomy.get("colis_perdu").examples) == 1
    assert taxonomy.get("colis_perdu").examples[0] in {"colis pas arrivé", "colis perdu encore"}
    assert run("validate", yaml_path).exit_code == 0


def test_domain_errors_through_the_console_script_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, expected in (
        (["taxonomy", "show", "9.9.9"], "Erreur : version 9.9.9 de « national » introuvable"),
        (["taxonomy", "migrate", "--from", "1.1.0", "--to", "1.0.0", "--in", "x.csv", "--out", "y.csv"],
         "Erreur : migration de 1.1.0 vers 1.0.0 : version cible antérieure"),
        (["taxonomy", "export", "1.1.0", "--out", "motifs.xlsx"], "Erreur : motifs.xlsx : extension « .xlsx »"),
    ):  # fmt: skip
        monkeypatch.setattr(sys, "argv", ["motifs", *argv])
        with pytest.raises(SystemExit) as caught:
            main()
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(expected), err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
