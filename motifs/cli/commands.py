"""Registry of command groups, loaded lazily: `motifs --version` and `motifs --help` import no command module.

Each command lives in its own module (`motifs/cli/*_cmd.py`, with a `register(app)` function); importing one pulls in
its layer (training and MLflow, serving and FastAPI, spaCy…), which takes seconds. The root group lists the
commands from the table below — name, module, one-line help — and imports a module only when its command runs or
its own help is asked for. Add a command: one line here (keep sorted by name).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    module: str
    short_help: str


COMMANDS: dict[str, LazyCommand] = {
    "curate": LazyCommand("motifs.cli.curate_cmd", "Relecture d'un brouillon de motifs découverts."),
    "db": LazyCommand("motifs.cli.db_cmd", "Base de données des suggestions et des retours des agents."),
    "demo": LazyCommand("motifs.cli.demo_cmd", "Lance la chaîne complète sur le corpus de démonstration."),
    "demo-data": LazyCommand("motifs.cli.demo_data_cmd", "Écrit un corpus d'appels fictifs de démonstration."),
    "discover": LazyCommand("motifs.cli.discover_cmd", "Propose une base de motifs à partir de notes sans motifs."),
    "emerging": LazyCommand("motifs.cli.emerging_cmd", "Part de « autre », alertes et motifs émergents par période."),
    "evaluate": LazyCommand("motifs.cli.evaluate_cmd", "Évalue un modèle sur des appels étiquetés."),
    "forecast": LazyCommand("motifs.cli.forecast_cmd", "Prévoit les volumes d'appels, motif par motif et au total."),
    "learn": LazyCommand("motifs.cli.learn_cmd", "Réentraîne avec les choix des agents quand il y en a assez."),
    "models": LazyCommand("motifs.cli.models_cmd", "Modèles de confiance (empreinte approuvée avant chargement)."),
    "reclassify": LazyCommand("motifs.cli.reclassify_cmd", "Reclassifie des appels historiques par lots."),
    "redact": LazyCommand("motifs.cli.redact_cmd", "Anonymise les colonnes de texte libre d'un fichier."),
    "report": LazyCommand("motifs.cli.report_cmd", "Écrit un rapport HTML autonome pour un directeur de service."),
    "review": LazyCommand("motifs.cli.review_cmd", "Revue des motifs émergents (lister, examiner, décider)."),
    "serve": LazyCommand("motifs.cli.serve_cmd", "Sert l'API de suggestions, la page des agents et la revue."),
    "taxonomy": LazyCommand("motifs.cli.taxonomy_cmd", "Base de motifs : valider, afficher, comparer, migrer, créer."),
    "train": LazyCommand("motifs.cli.train_cmd", "Entraîne, évalue et enregistre le classifieur de motifs."),
    "users": LazyCommand("motifs.cli.users_cmd", "Utilisateurs de l'API et de la revue : ajouter, lister, révoquer."),
}


def load_command(name: str) -> Any:
    """The click command of `name`, built from its module (imported now)."""
    module = importlib.import_module(COMMANDS[name].module)
    holder = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
    if name == "taxonomy":
        holder.add_typer(module.app, name=name)
    else:
        module.register(holder)
    group = typer.main.get_command(holder)
    _reflow_help(group)
    commands = getattr(group, "commands", None)
    if isinstance(commands, dict) and name in commands:
        return commands[name]
    group.name = name  # a Typer with one command is that command
    return group


def _reflow_help(command: Any) -> None:
    """Joins the lines of each paragraph of the command's help (and its subcommands'): docstrings are wrapped at 120
    columns in the source, and the terminal wraps again, which left ragged lines in `--help`."""
    if isinstance(getattr(command, "help", None), str):
        paragraphs = command.help.split("\n\n")
        command.help = "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)
    for sub in (getattr(command, "commands", None) or {}).values():
        _reflow_help(sub)


class LazyGroup(TyperGroup):
    """The root group: commands from `COMMANDS`, imported on first use. While the root help is written, a command
    not loaded yet is shown by a stand-in holding its one-line help (no import)."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            if self._listing:
                return TyperCommand(cmd_name, help=COMMANDS[cmd_name].short_help)
            self.commands[cmd_name] = load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def register(app: typer.Typer) -> None:
    """Nothing to attach: the root group (`LazyGroup`) finds the commands in `COMMANDS`."""
