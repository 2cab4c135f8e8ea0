"""Every command of the `motifs` console script has help text with an example."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from motifs.cli.main import build_app


def _all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(build_app())
    paths: list[list[str]] = [[]]

    def walk(cmd: click.Command, prefix: list[str]) -> None:
        # Typer ≥ 0.20 ships its own copy of click: its groups are not `click.Group`, test the shape instead.
        if callable(getattr(cmd, "list_commands", None)):
            ctx = cmd.make_context("motifs", [], resilient_parsing=True)
            for name in cmd.list_commands(ctx):  # type: ignore[attr-defined]
                sub = cmd.get_command(ctx, name)  # type: ignore[attr-defined]
                paths.append([*prefix, name])
                walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_every_listed_command_loads_under_its_name() -> None:
    """The lazy registry (`motifs.cli.commands.COMMANDS`) and the modules agree."""
    from motifs.cli.commands import COMMANDS, load_command

    for name in COMMANDS:
        assert load_command(name).name == name


@pytest.mark.parametrize("path", _all_command_paths(), ids=lambda p: " ".join(p) or "motifs")
def test_help_shows_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(build_app(), [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Exemple" in result.output, f"`motifs {' '.join(path)} --help` has no example"


def test_version() -> None:
    result = CliRunner().invoke(build_app(), ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("motifs ")


def test_help_paragraphs_are_reflowed_for_the_terminal() -> None:
    """Docstrings are wrapped at 120 columns in the source; the terminal wraps them again, so a paragraph must reach
    it as one line (`motifs report --help` read ragged before)."""
    from motifs.cli.commands import load_command

    report = load_command("report")
    assert report.help and "\n\n" in report.help
    assert all("\n" not in paragraph for paragraph in report.help.split("\n\n"))
    assert "réseau, aucun script, imprimable. Depuis la base, le rapport lit" in report.help
