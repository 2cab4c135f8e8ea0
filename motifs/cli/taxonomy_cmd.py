"""`motifs taxonomy …`: validate, show, diff, migrate, export the base of reasons, or build one from a dataset.

Each command parses its options, calls the `taxonomy` library (and `pipeline.tables` to read data files) and prints
the result with rich. Data files are read in chunks; their free text is never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from pipeline.code_files import migrate_code_file
from pipeline.errors import PipelineError
from taxonomy import (
    AUTRE,
    MigrationStatus,
    Taxonomy,
    codes_for_labels,
    diff_taxonomies,
    export_taxonomy,
    load_site,
    load_taxonomy,
    plan_migration,
    validate_paths,
)
from taxonomy.export import export_records

app = typer.Typer(
    name="taxonomy",
    help=(
        "Base de motifs versionnée : valider, afficher, comparer deux versions, migrer des codes, exporter.\n\n"
        "Exemple : motifs taxonomy show 1.1.0"
    ),
    no_args_is_help=True,
    add_completion=False,
)

_err = Console(stderr=True, highlight=False, soft_wrap=True)

SiteOption = Annotated[str | None, typer.Option("--site", help="Extension de site à ajouter (identifiant ou chemin).")]
EncodingOption = Annotated[str | None, typer.Option("--encoding", help="Encodage du CSV (deviné sinon).")]
DelimiterOption = Annotated[str | None, typer.Option("--delimiter", help="Séparateur du CSV (deviné sinon).")]


def _stdout() -> Console:
    """A terminal keeps its width; piped or captured output is wide so that codes and tree lines are never cut."""
    console = Console(highlight=False, soft_wrap=True)
    return console if console.is_terminal else Console(highlight=False, soft_wrap=True, width=200)


def _fail(message: str) -> typer.Exit:
    _err.print(f"[bold red]Erreur :[/] {escape(message)}")
    return typer.Exit(2)


def _load(ref: str | None, site: str | None) -> Taxonomy:
    taxonomy = load_taxonomy(ref)
    return taxonomy.with_site(load_site(site)) if site else taxonomy


# --- validate


@app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Fichiers ou dossiers YAML (défaut : toutes les versions et extensions livrées)."),
    ] = None,
) -> None:
    """Vérifie la base de motifs : schéma, cohérence, lignée des versions et tables de correspondance, sites.

    Toutes les erreurs sont listées, une par ligne (fichier, ligne, code, problème, attendu).

    Exemple : motifs taxonomy validate taxonomy/data
    """
    _out = _stdout()
    report = validate_paths(paths or None)
    if report.issues:
        for issue in report.issues:
            _err.print(f"[bold red]Erreur :[/] {escape(str(issue))}")
        count = len(report.issues)
        _err.print(f"{count} erreur{'s' if count > 1 else ''} dans {len(report.files)} fichier(s) vérifié(s).")
        raise typer.Exit(2)
    versions = ", ".join(report.taxonomies) or "aucune"
    sites = ", ".join(report.sites) or "aucune"
    _out.print(f"[green]✓[/] Base de motifs valide — versions : {versions} ; extensions de site : {sites}.")


# --- show


def _reason_line(taxonomy: Taxonomy, code: str) -> str:
    reason = taxonomy.get(code)
    label = escape(reason.label)
    if not reason.is_active:
        targets = ", ".join(reason.replaced_by) or "aucun successeur"
        return f"[dim]{code} — {label} (retiré → {targets})[/]"
    if reason.is_local:
        return f"[magenta]{code}[/] — {label} [dim](site {reason.site})[/]"
    return f"[cyan]{code}[/] — {label}"


@app.command("show")
def show(
    ref: Annotated[
        str | None, typer.Argument(help="Version : 1.1.0, national@1.1.0 ou chemin .yaml (défaut : la dernière).")
    ] = None,
    site: SiteOption = None,
    active_only: Annotated[bool, typer.Option("--active-only", help="Masque les motifs retirés.")] = False,
) -> None:
    """Affiche la base de motifs en arbre, par domaine (motifs locaux sous leur parent national).

    Exemple : motifs taxonomy show 1.1.0 --site metropole_lyon
    """
    _out = _stdout()
    taxonomy = _load(ref, site)
    root = Tree(
        f"[bold]{escape(taxonomy.label)}[/] — {taxonomy.ref} ({len(taxonomy.active_codes)} motifs actifs)",
        guide_style="dim",
    )
    children: dict[str, list[str]] = {}
    for reason in taxonomy.reasons:
        if reason.parent is not None:
            children.setdefault(reason.parent, []).append(reason.code)

    def add(node: Tree, code: str) -> None:
        if active_only and not taxonomy.get(code).is_active:
            return
        branch = node.add(_reason_line(taxonomy, code))
        for child in children.get(code, []):
            add(branch, child)

    for domain in taxonomy.domains:
        national = [r.code for r in taxonomy.reasons_in(domain.code) if r.parent is None]
        branch = root.add(f"[bold]{escape(domain.label)}[/] [dim]({domain.code})[/]")
        for code in national:
            add(branch, code)
    if AUTRE in taxonomy:
        add(root, AUTRE)
    _out.print(root, crop=False)


# --- diff

_FIELD_LABELS = {"label": "libellé", "definition": "définition", "domain": "domaine", "status": "statut"}


@app.command("diff")
def diff(
    source: Annotated[str, typer.Argument(help="Version de départ (ex. 1.0.0).")],
    target: Annotated[str, typer.Argument(help="Version d'arrivée, égale ou plus récente (ex. 1.1.0).")],
) -> None:
    """Compare deux versions : changements déclarés (renommage, fusion, scission, création, retrait) et
    libellés, définitions, domaines modifiés.

    Exemple : motifs taxonomy diff 1.0.0 1.1.0
    """
    _out = _stdout()
    result = diff_taxonomies(source, target)
    _out.print(f"[bold]De {result.source_ref} à {result.target_ref}[/]")
    if result.is_empty:
        _out.print("Aucun changement.")
        return
    if result.changes:
        _out.print("[bold]Table de correspondance[/]")
        for item in result.changes:
            change = item.change
            sources = " + ".join(change.from_codes) or "∅"
            targets = " | ".join(change.to_codes) or "∅"
            note = f" [dim]— {escape(change.note)}[/]" if change.note else ""
            _out.print(f"  {item.version} {change.kind.label} : {sources} → {targets}{note}")
    if result.edits or result.domain_edits:
        _out.print("[bold]Modifications des motifs communs aux deux versions[/]")
        for edit in result.edits:
            name = _FIELD_LABELS.get(edit.field, edit.field)
            if edit.field == "definition":
                _out.print(f"  {edit.code} : {name} modifiée")
            else:
                _out.print(f"  {edit.code} : {name} « {escape(edit.before)} » → « {escape(edit.after)} »")
        for edit in result.domain_edits:
            _out.print(f"  domaine {edit.code} : libellé « {escape(edit.before)} » → « {escape(edit.after)} »")


# --- migrate


@app.command("migrate")
def migrate(
    source: Annotated[str, typer.Option("--from", help="Version des codes stockés (ex. 1.0.0).")],
    target: Annotated[str, typer.Option("--to", help="Version cible (ex. 1.1.0).")],
    in_path: Annotated[Path, typer.Option("--in", help="Fichier CSV, Parquet ou JSON Lines avec des codes.")],
    out_path: Annotated[Path, typer.Option("--out", help="Fichier écrit (format choisi par l'extension).")],
    code_col: Annotated[str, typer.Option("--code-col", help="Colonne des codes à migrer.")] = "reason",
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Migre des codes stockés d'une version à une autre, via la chaîne des tables de correspondance.

    Renommages et fusions sont mappés automatiquement ; une scission est marquée « à requalifier » avec ses
    codes candidats (jamais devinée). Ajoute les colonnes <code>_migrated, migration et migration_candidates.

    Exemple : motifs taxonomy migrate --from 1.0.0 --to 1.1.0 --in appels.csv --out appels-1.1.0.csv
    """
    _out = _stdout()
    plan = plan_migration(source, target)
    try:
        result = migrate_code_file(plan, in_path, out_path, code_col=code_col, encoding=encoding, delimiter=delimiter)
    except PipelineError as exc:
        raise _fail(str(exc)) from None
    for guess in result.guesses:
        _out.print(f"[dim]{in_path.name} : {escape(guess)}[/]")
    _out.print(f"[bold]Migration {plan.source.ref} → {plan.target.ref}[/] : {result.rows} lignes")
    status_table = Table(show_header=True, title_justify="left")
    status_table.add_column("statut")
    status_table.add_column("lignes", justify="right")
    for status in MigrationStatus:
        status_table.add_row(status.value, str(result.per_status[status]))
    _out.print(status_table)
    if result.per_change:
        change_table = Table(title="Par changement", title_justify="left")
        change_table.add_column("changement")
        change_table.add_column("lignes", justify="right")
        for change, count in sorted(result.per_change.items()):
            change_table.add_row(escape(change), str(count))
        _out.print(change_table)
    for code, candidates in sorted(result.requalify_candidates.items()):
        shown = ", ".join(candidates) or "tous les motifs actifs"
        _out.print(f"À requalifier : {code} → candidats {shown}")
    if result.unknown:
        listed = ", ".join(f"{code} ({count})" for code, count in result.unknown.most_common(10))
        _out.print(f"[yellow]Codes inconnus de {plan.source.ref} :[/] {listed}")
    if result.malformed_rows:
        rows = ", ".join(map(str, result.malformed_rows[:10]))
        more = "…" if len(result.malformed_rows) > 10 else ""
        _out.print(f"[yellow]{len(result.malformed_rows)} ligne(s) mal formée(s) non migrée(s)[/] (n° {rows}{more})")
    if plan.new_codes:
        _out.print(
            f"Nouveaux motifs en {plan.target.version} : {', '.join(plan.new_codes)} — des appels classés "
            "« autre » pourraient y correspondre."
        )
    _out.print(f"Écrit : {out_path}")


# --- export


@app.command("export")
def export(
    ref: Annotated[str, typer.Argument(help="Version : 1.1.0, national@1.1.0 ou chemin .yaml.")],
    out: Annotated[Path, typer.Option("--out", help="Fichier .csv (UTF-8, « ; ») ou .json.")],
    site: SiteOption = None,
    delimiter: Annotated[str, typer.Option("--delimiter", help="Séparateur du CSV.")] = ";",
) -> None:
    """Exporte la base de motifs pour les outils des agents (code, libellé, domaine, définition, aide en ligne…).

    Exemple : motifs taxonomy export 1.1.0 --site metropole_lyon --out motifs.csv
    """
    _out = _stdout()
    taxonomy = _load(ref, site)
    path = export_taxonomy(taxonomy, out, delimiter=delimiter)
    _out.print(f"Exporté : {len(export_records(taxonomy))} motifs de {taxonomy.ref} → {path}")


# --- from-data


@app.command("from-data")
def from_data(
    data: Annotated[Path, typer.Option("--data", help="Jeu de données étiqueté (CSV, Parquet, JSON Lines).")],
    label_col: Annotated[str, typer.Option("--label-col", help="Colonne des étiquettes.")],
    taxonomy_id: Annotated[str, typer.Option("--id", help="Identifiant de la base créée (minuscules, chiffres, _).")],
    out: Annotated[Path, typer.Option("--out", help="Fichier YAML écrit.")],
    version: Annotated[str, typer.Option("--version", help="Version de la base créée.")] = "1.0.0",
    text_col: Annotated[
        str | None, typer.Option("--text-col", help="Colonne de texte : exemples par motif, anonymisés.")
    ] = None,
    time_col: Annotated[
        str | None,
        typer.Option(
            "--time-col",
            help="Colonne de date : exemples pris avant la date de coupure de motifs train (jamais dans la "
            "période d'évaluation).",
        ),
    ] = None,
    examples: Annotated[
        int, typer.Option("--examples", min=0, max=5, help="Nombre d'exemples par motif (avec --text-col).")
    ] = 3,
    min_count: Annotated[
        int,
        typer.Option(
            "--min-count", min=1, help="Étiquettes de moins de N lignes regroupées (alias) au lieu d'un motif."
        ),
    ] = 1,
    fold_into: Annotated[
        str,
        typer.Option("--fold-into", help="Où regrouper les étiquettes rares : autre, ou l'étiquette d'un motif gardé."),
    ] = AUTRE,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Construit une base de motifs à partir des étiquettes d'un jeu de données (codes dérivés des étiquettes,
    libellés gardés tels quels, « autre » ajouté), pour entraîner le pipeline sur vos propres données.

    Les exemples (--text-col) sont anonymisés et pris dans la seule partie apprentissage (avant la coupure de date
    avec --time-col). Les étiquettes rares (--min-count) deviennent des alias de « autre » ou d'un motif
    (--fold-into) : motifs train les reconnaît toujours.

    Exemple : motifs taxonomy from-data --data corpus.csv --label-col label --id corpus --out corpus.yaml

    Exemple : motifs taxonomy from-data --data export.csv --label-col rubrique --text-col question --time-col date
    --min-count 3 --id an_qe16 --out an_qe16.yaml
    """
    from training.taxonomy_from_file import taxonomy_from_file

    _out = _stdout()
    result = taxonomy_from_file(
        data,
        out,
        label_col=label_col,
        taxonomy_id=taxonomy_id,
        version=version,
        text_col=text_col,
        time_col=time_col,
        examples=examples if text_col else 0,
        min_count=min_count,
        fold_into=fold_into,
        encoding=encoding,
        delimiter=delimiter,
    )
    taxonomy = result.taxonomy
    for guess in result.guesses:
        _out.print(escape(guess))
    table = Table(title=f"{taxonomy.ref} : {len(taxonomy.active_codes)} motifs", title_justify="left")
    table.add_column("code")
    table.add_column("libellé")
    table.add_column("lignes", justify="right")
    codes = codes_for_labels([label for label in result.counts if label not in result.folded])
    for label, count in result.counts.most_common():
        if label not in result.folded:
            table.add_row(codes[label], escape(label), str(count))
    _out.print(table)
    if result.folded:
        rows = sum(result.counts[label] for label in result.folded)
        _out.print(
            f"{len(result.folded)} étiquette(s) de moins de {min_count} ligne(s) ({rows} ligne(s)) regroupée(s) "
            f"dans « {escape(result.fold_into)} » (alias)"
        )
    if text_col:
        _out.print(f"{result.examples_written} exemple(s) anonymisé(s) : {result.examples_from}")
    _out.print(f"Écrit : {out}")
