"""The four packages are layers: taxonomy ← pipeline ← training / serving. No import runs upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"motifs", "taxonomy", "pipeline", "training", "serving"}
ALLOWED = {
    "taxonomy": {"taxonomy"},
    "pipeline": {"pipeline", "taxonomy"},
    "training": {"training", "pipeline", "taxonomy"},
    "serving": {"serving", "pipeline", "taxonomy"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python file"
    violations = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) - ALLOWED[package])
        for path in files
        if _imported_packages(path) - ALLOWED[package]
    }
    assert violations == {}


def test_detects_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from training.fit import fit\nimport serving.api\n", encoding="utf-8")
    assert _imported_packages(bad) == {"training", "serving"}
