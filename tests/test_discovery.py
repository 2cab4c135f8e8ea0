"""`motifs discover`: draft taxonomy that validates, assignments file, determinism, redaction, clean French errors.

Fixture: 60 short French notes on 4 themes (passports, income tax, vehicle registration, family allowances) with a
name and two phone numbers planted, and small settings (`tests/data/discovery/small.yaml`) so that it runs in seconds.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from motifs.cli.main import build_app, main
from taxonomy import AUTRE, is_draft, load_taxonomy

DATA = Path(__file__).parent / "data" / "discovery"
NOTES = DATA / "notes.csv"
SMALL = DATA / "small.yaml"
PLANTED = ("06 12 34 56 78", "01 45 67 89 10", "Dupont", "Jean", "Martin")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    """The console script itself (domain errors become one line and exit code 2 in `main`)."""
    monkeypatch.setattr(sys, "argv", ["motifs", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def discover(tmp: Path, *extra: str | Path) -> tuple[Path, Path, str]:
    draft, assignments = tmp / "brouillon.yaml", tmp / "affectations.csv"
    args = ["discover", "--data", NOTES, "--out", draft, "--assignments", assignments, "--config", SMALL, *extra]
    result = CliRunner().invoke(build_app(), [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return draft, assignments, result.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    return discover(tmp_path_factory.mktemp("discover"))


def test_draft_validates_with_our_schema_and_is_a_draft(outputs: tuple[Path, Path, str]) -> None:
    draft_path, _, _ = outputs
    taxonomy = load_taxonomy(draft_path)
    assert is_draft(taxonomy)
    assert taxonomy.version == "1.0.0" and taxonomy.id == "decouverte"
    candidates = [r for r in taxonomy.reasons if r.code != AUTRE]
    assert 3 <= len(candidates) <= 6, [r.code for r in candidates]
    assert taxonomy.reasons[-1].code == AUTRE
    assert 1 <= len(taxonomy.domains) <= 3
    for reason in candidates:
        assert reason.definition.startswith("Inclut : ")
        assert reason.examples, reason.code
        assert reason.domain in {d.code for d in taxonomy.domains}


def test_candidates_recover_the_fixture_themes(outputs: tuple[Path, Path, str]) -> None:
    _, assignments_path, _ = outputs
    notes = pd.read_csv(NOTES, dtype=str)
    merged = notes.merge(pd.read_csv(assignments_path, dtype=str), on="call_id")
    # Each candidate is (almost) one theme: the themes are split, not mixed.
    for _, group in merged[merged.cluster != AUTRE].groupby("cluster"):
        assert Counter(group.theme).most_common(1)[0][1] / len(group) >= 0.8, group.theme.tolist()
    assert adjusted_rand_score(merged.theme, merged.cluster) > 0.4


def test_assignments_have_one_row_per_note_with_a_draft_code_and_a_confidence(
    outputs: tuple[Path, Path, str],
) -> None:
    draft_path, assignments_path, _ = outputs
    with assignments_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["call_id", "cluster", "confidence"]
    ids = pd.read_csv(NOTES, dtype=str).call_id.tolist()
    assert [row[0] for row in rows[1:]] == ids
    codes = set(load_taxonomy(draft_path).codes)
    assert {row[1] for row in rows[1:]} <= codes
    assert all(0.0 <= float(row[2]) <= 1.0 for row in rows[1:])


def test_coverage_and_quality_are_printed(outputs: tuple[Path, Path, str]) -> None:
    _, _, stdout = outputs
    assert "Couverture : " in stdout and "notes sur 60" in stdout
    assert "silhouette" in stdout and "k essayés : 2–6" in stdout


def test_planted_personal_data_never_reaches_the_draft_nor_the_assignments(outputs: tuple[Path, Path, str]) -> None:
    draft_path, assignments_path, stdout = outputs
    notes = NOTES.read_text(encoding="utf-8")
    assert all(value in notes for value in PLANTED)  # the fixture does hold them
    for text in (draft_path.read_text(encoding="utf-8"), assignments_path.read_text(encoding="utf-8"), stdout):
        for value in PLANTED:
            assert value not in text


def test_same_seed_gives_identical_files(outputs: tuple[Path, Path, str], tmp_path: Path) -> None:
    draft_path, assignments_path, _ = outputs
    again_draft, again_assignments, _ = discover(tmp_path)
    assert again_draft.read_bytes() == draft_path.read_bytes()
    assert again_assignments.read_bytes() == assignments_path.read_bytes()


def test_max_reasons_and_min_size_bound_the_candidates(tmp_path: Path) -> None:
    draft_path, assignments_path, _ = discover(tmp_path, "--max-reasons", "3", "--min-size", "10", "--seed", "4")
    taxonomy = load_taxonomy(draft_path)
    assert len(taxonomy.codes) - 1 <= 3
    sizes = Counter(pd.read_csv(assignments_path, dtype=str).cluster)
    assert all(size >= 10 for code, size in sizes.items() if code != AUTRE), sizes


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(build_app(), ["discover", "--help"])
    assert result.exit_code == 0
    assert "Exemple :" in result.output


def _csv(path: Path, rows: list[list[str]], header: tuple[str, ...] = ("call_id", "commentaire")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing_file", "introuvable"),
        ("no_text_column", "aucune colonne de notes reconnue"),
        ("named_column_absent", "colonne « remarque » absente"),
        ("only_empty_notes", "aucune note utilisable"),
        ("too_few_notes", "attendu : au moins"),
        ("bad_id", "--id : identifiant de base invalide"),
        ("bad_config", "réglages de découverte invalides"),
    ],
)
def test_bad_inputs_give_one_french_line_and_exit_2(
    case: str,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "Jean Dupont 06 12 34 56 78"
    data: Path = NOTES
    extra: list[str | Path] = ["--config", SMALL]
    if case == "missing_file":
        data = tmp_path / "absent.csv"
    elif case == "no_text_column":
        data = _csv(tmp_path / "x.csv", [["1", secret]], header=("call_id", "zzz"))
    elif case == "named_column_absent":
        extra += ["--text-col", "remarque"]
    elif case == "only_empty_notes":
        data = _csv(tmp_path / "x.csv", [["1", ""], ["2", "  "]])
    elif case == "too_few_notes":
        data = _csv(tmp_path / "x.csv", [["1", secret], ["2", "passeport perdu"]])
    elif case == "bad_id":
        extra += ["--id", "Pas Valide"]
    elif case == "bad_config":
        config = tmp_path / "bad.yaml"
        config.write_text("clustering:\n  max_reasons: 1\n", encoding="utf-8")
        extra = ["--config", config]
    result = run_main(monkeypatch, capsys, "discover", "--data", data, "--out", tmp_path / "d.yaml", *extra)
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur : "), result.err
    assert expected in lines[0]
    assert "Traceback" not in result.err and "Dupont" not in result.err and "06 12" not in result.err
    assert not (tmp_path / "d.yaml").exists()


def test_notes_reading_sets_aside_empty_and_repeated_rows_by_number(tmp_path: Path) -> None:
    from serving.discovery import read_notes

    path = _csv(
        tmp_path / "x.csv",
        [["1", "passeport perdu"], ["2", " "], ["1", "carte grise"], ["3", "Appeler Jean Dupont au 06 12 34 56 78"]],
        header=("ID_APPEL", "Observation"),
    )
    notes = read_notes(path)
    assert notes.ids == ["1", "3"] and notes.text_column == "Observation" and notes.id_column == "ID_APPEL"
    assert notes.skipped == {"empty_text": [2], "duplicate_id": [3]}
    assert "06 12" not in notes.texts[1] and "Dupont" not in notes.texts[1]
    assert "identifiant en double" in "\n".join(notes.summary())


def test_embedder_follows_the_estimator_contract() -> None:
    from sklearn.exceptions import NotFittedError

    from serving.discovery.embedding import NoteEmbedder

    docs = [("passeport", "perdu"), ("carte", "grise"), ("impôt", "revenu"), ("passeport", "expirer")]
    embedder = NoteEmbedder(svd_components=2, vector_weight=0.0)
    with pytest.raises(NotFittedError):
        embedder.transform(docs)
    with pytest.raises(TypeError):
        embedder.fit("passeport perdu")  # type: ignore[arg-type]
    vectors = embedder.fit(docs).transform(docs)
    assert vectors.shape[0] == 4 and abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-5
    assert float(vectors[0] @ vectors[3]) > float(vectors[0] @ vectors[1])  # shared lemma → closer


def test_smoothing_adds_the_nearest_other_rows_in_blocks_or_not() -> None:
    import numpy as np

    from serving.discovery.clustering import smooth

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    once = smooth(vectors, vectors, 3, same=True)
    blocks = smooth(vectors, vectors, 3, same=True, block=7)
    np.testing.assert_allclose(once, blocks, rtol=1e-6)
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -np.inf)
    nearest = np.argsort(-similarities[0])[:3]  # the row itself is never its own neighbour
    expected = vectors[0] + vectors[nearest].mean(axis=0)
    np.testing.assert_allclose(once[0], expected / np.linalg.norm(expected), rtol=1e-5)
    assert smooth(vectors, vectors, 0, same=True) is vectors


def test_consensus_partition_keeps_well_separated_groups_together() -> None:
    import numpy as np

    from serving.discovery.clustering import choose_partition
    from serving.discovery.config import load_config

    rng = np.random.default_rng(1)
    centres = np.eye(8)[:4] * 5
    vectors = np.vstack([centre + rng.normal(scale=0.3, size=(30, 8)) for centre in centres]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    truth = np.repeat(np.arange(4), 30)
    settings = load_config(SMALL).clustering
    assert settings.consensus
    partition = choose_partition(vectors, settings, seed=0)
    assert partition.k == 4
    assert adjusted_rand_score(truth, partition.labels) == 1.0
    assert np.allclose(np.linalg.norm(partition.centroids, axis=1), 1.0, atol=1e-5)
