"""From unlabelled notes to a classifier: discover → curate (merge, rename, discard, move) → publish → train on the
weak labels → suggestions. Plus the curation steps' guards (reserved « autre », unknown codes, stale files)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from motifs.cli.main import build_app
from pipeline.artifact import load_model
from serving.discovery import curation
from serving.discovery.errors import InvalidCuration
from taxonomy import AUTRE, is_draft, load_taxonomy

DATA = Path(__file__).parent / "data" / "discovery"
NOTES = DATA / "notes.csv"


def invoke(*args: str | Path) -> str:
    result = CliRunner().invoke(build_app(), [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def discovered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("discovered")
    draft, assignments = root / "brouillon.yaml", root / "affectations.csv"
    invoke("discover", "--data", NOTES, "--out", draft, "--assignments", assignments, "--config", DATA / "small.yaml")
    return draft, assignments


def _copy(discovered: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    draft, assignments = tmp_path / "brouillon.yaml", tmp_path / "affectations.csv"
    shutil.copy(discovered[0], draft)
    shutil.copy(discovered[1], assignments)
    return draft, assignments


def candidates_by_theme(assignments: Path) -> dict[str, list[str]]:
    """Fixture theme → the candidate codes whose notes are mostly of that theme (largest first)."""
    merged = pd.read_csv(NOTES, dtype=str).merge(pd.read_csv(assignments, dtype=str), on="call_id")
    themes: dict[str, list[tuple[int, str]]] = {}
    for code, group in merged[merged.cluster != AUTRE].groupby("cluster"):
        theme = Counter(group.theme).most_common(1)[0][0]
        themes.setdefault(theme, []).append((len(group), str(code)))
    return {theme: [code for _, code in sorted(found, reverse=True)] for theme, found in themes.items()}


@pytest.mark.slow
def test_discover_curate_publish_train_suggest(discovered: tuple[Path, Path], tmp_path: Path) -> None:
    draft, assignments = _copy(discovered, tmp_path)
    themes = candidates_by_theme(assignments)
    split = [theme for theme, codes in themes.items() if len(codes) >= 2]
    assert split, themes  # seed 0 splits at least one theme in two: the analyst merges it back
    theme = split[0]
    target, *others = themes[theme]
    invoke("curate", "merge", target, *others, "--into", target, "--draft", draft, "--assignments", assignments)
    invoke(
        "curate", "rename", target, "--code", f"theme_{theme}", "--label", f"Thème {theme}",
        "--draft", draft, "--assignments", assignments,
    )  # fmt: skip
    discarded_theme = next(t for t in sorted(themes) if t != theme)
    for code in themes[discarded_theme]:
        invoke("curate", "discard", code, "--draft", draft, "--assignments", assignments)
    kept_themes = [t for t in sorted(themes) if t not in (theme, discarded_theme)]
    # The analyst moves one note by call_id: it follows, with confidence 1 (an analyst's decision).
    current = pd.read_csv(assignments, dtype=str)
    note = current[current.cluster == themes[kept_themes[0]][0]].call_id.iloc[0]
    invoke("curate", "move", "--ids", note, "--to", f"theme_{theme}", "--draft", draft, "--assignments", assignments)

    curated = load_taxonomy(draft)
    assert is_draft(curated) and f"theme_{theme}" in curated and curated.get(f"theme_{theme}").label == f"Thème {theme}"
    assert not any(code in curated for code in [*others, *themes[discarded_theme]])
    rows = pd.read_csv(assignments, dtype=str)
    assert set(rows.cluster) <= set(curated.codes)
    assert rows.set_index("call_id").loc[note, "cluster"] == f"theme_{theme}"
    notes = pd.read_csv(NOTES, dtype=str).merge(rows, on="call_id")
    assert (notes[notes.theme == discarded_theme].cluster == AUTRE).all()

    published, labels = tmp_path / "publiee.yaml", tmp_path / "etiquettes.csv"
    out = invoke(
        "curate", "publish", "--draft", draft, "--assignments", assignments, "--data", NOTES,
        "--id", "accueil_test", "--out", published, "--labels", labels,
    )  # fmt: skip
    assert "accueil_test@1.0.0" in out
    base = load_taxonomy(published)
    assert not is_draft(base) and base.ref == "accueil_test@1.0.0" and base.codes == curated.codes
    weak = pd.read_csv(labels, dtype=str)
    assert list(weak.columns) == ["call_id", "text", "reason"]
    assert AUTRE not in set(weak.reason) and len(weak) == int((rows.cluster != AUTRE).sum())
    assert "06 12 34 56 78" not in labels.read_text(encoding="utf-8")

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    model_dir = tmp_path / "modele"
    invoke(
        "train", "--data", labels, "--taxonomy", published, "--out", model_dir, "--tracking-uri", uri,
        "--config", Path(__file__).parent / "data" / "training" / "rapide.yaml",
    )  # fmt: skip
    model = load_model(model_dir)
    assert model.taxonomy_ref == "accueil_test@1.0.0"
    probes = {
        "passeport": "mon passeport est expiré, je dois le renouveler",
        "impots": "erreur sur mon avis d'impôt sur le revenu",
        "allocations": "les allocations familiales ne sont pas versées",
        "carte_grise": "je n'ai pas reçu ma carte grise",
    }
    for probe_theme in kept_themes:
        expected = themes[probe_theme][0]
        suggestion = model.suggest([probes[probe_theme]], k=3)[0]
        assert expected in [s.code for s in suggestion.top_k], (probe_theme, suggestion)
    merged_suggestion = model.suggest([probes[theme]], k=3)[0]
    assert f"theme_{theme}" in [s.code for s in merged_suggestion.top_k]


def test_curation_guards(discovered: tuple[Path, Path], tmp_path: Path) -> None:
    draft, assignments = _copy(discovered, tmp_path)
    state = curation.read_state(draft, assignments)
    some = next(code for code in state[0].codes if code != AUTRE)
    with pytest.raises(InvalidCuration, match="« autre » est réservé"):
        curation.discard(*state, AUTRE)
    with pytest.raises(InvalidCuration, match="absent du brouillon"):
        curation.merge(*state, ["inconnu"], into=some)
    with pytest.raises(InvalidCuration, match="déjà utilisé"):
        curation.rename(*state, some, new_code=AUTRE)
    with pytest.raises(InvalidCuration, match="absent"):
        curation.move(*state, ["pas_un_id"], to=some)
    # An assignments file from another draft is refused, not silently mixed.
    rows = pd.read_csv(assignments, dtype=str)
    rows.loc[0, "cluster"] = "code_etranger"
    rows.to_csv(assignments, index=False)
    with pytest.raises(InvalidCuration, match="absent"):
        curation.read_state(draft, assignments)


def test_split_reclusters_one_candidate_into_new_codes_of_the_same_domain(
    discovered: tuple[Path, Path], tmp_path: Path
) -> None:
    draft, assignments = _copy(discovered, tmp_path)
    before = load_taxonomy(draft)
    rows = pd.read_csv(assignments, dtype=str)
    code = Counter(rows[rows.cluster != AUTRE].cluster).most_common(1)[0][0]
    members = set(rows[rows.cluster == code].call_id)
    out = invoke(
        "curate", "split", code, "--parts", "2", "--data", NOTES, "--config", DATA / "small.yaml",
        "--draft", draft, "--assignments", assignments,
    )  # fmt: skip
    after = load_taxonomy(draft)
    new = sorted(set(after.codes) - set(before.codes))
    assert code not in after and len(new) == 2, out
    assert {after.get(c).domain for c in new} == {before.get(code).domain}
    rows = pd.read_csv(assignments, dtype=str)
    assert set(rows[rows.call_id.isin(members)].cluster) <= {*new, AUTRE}
    assert set(rows[~rows.call_id.isin(members)].cluster) <= set(before.codes) - {code}
