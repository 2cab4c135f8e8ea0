"""Entry point of the `motifs` console script.

Each command group lives in its own module, listed in `motifs.cli.commands` and imported only when used, so that
`motifs --version` and `motifs --help` answer at once (measured by `benchmarks/cli_startup.py`). Domain errors
from any layer become one readable French line on stderr and exit code 2 — never a traceback, never the caller's
free text.
"""

from __future__ import annotations

import sys

import typer

from motifs import __version__
from motifs.cli import commands


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"motifs {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """A fresh root app with every command group attached."""
    app = typer.Typer(
        name="motifs",
        help=(
            "Qualification des motifs d'appel : base de motifs versionnée, classifieur, suggestions, "
            "reclassification, suivi de « autre » et des motifs émergents.\n\n"
            "Exemple : motifs demo"
        ),
        no_args_is_help=True,
        add_completion=False,
        cls=commands.LazyGroup,
        pretty_exceptions_show_locals=False,  # locals may hold callers' free text (personal data)
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Affiche la version et quitte."
        ),
    ) -> None:
        """Qualification des motifs d'appel.

        Exemple : motifs --version
        """

    commands.register(app)
    return app


def main() -> None:
    app = build_app()
    try:
        app()
    except Exception as exc:
        from motifs.cli.errors import DOMAIN_ERRORS, print_error  # the layers' errors: imported only on failure

        if not isinstance(exc, DOMAIN_ERRORS):
            raise
        print_error(exc)
        sys.exit(2)
