"""`motifs curate …`: thin over `serving.discovery.curation` (relire le brouillon de motifs discover, puis publier)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape

from serving.discovery import curation
from serving.discovery.config import load_config
from serving.discovery.errors import InvalidCuration
from serving.discovery.notes import read_notes
from taxonomy import AUTRE, Taxonomy

app = typer.Typer(
    name="curate",
    help=(
        "Relire le brouillon proposé par motifs discover : renommer, fusionner, scinder, écarter des motifs, "
        "déplacer des notes, puis publier la base (version 1.0.0) et ses étiquettes faibles pour motifs train.\n\n"
        "Exemple : motifs curate merge masque_porter masque_ffp --into masque_porter --draft brouillon.yaml "
        "--assignments affectations.csv"
    ),
    no_args_is_help=True,
    add_completion=False,
)
_console = Console(highlight=False, soft_wrap=True)

DraftOption = Annotated[Path, typer.Option("--draft", help="Brouillon écrit par motifs discover (modifié sur place).")]
AssignmentsOption = Annotated[
    Path, typer.Option("--assignments", help="Affectations écrites par motifs discover (modifiées sur place).")
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="curate")


def _sizes(assignments: pd.DataFrame) -> Counter[str]:
    return Counter(assignments["cluster"])


def _done(draft: Taxonomy, assignments: pd.DataFrame, draft_path: Path, assignments_path: Path, what: str) -> None:
    curation.write_state(draft, assignments, draft_path, assignments_path)
    sizes = _sizes(assignments)
    _console.print(
        f"{what} — {len(draft.codes) - 1} motifs candidats, {sizes.get(AUTRE, 0)} note(s) « autre » sur "
        f"{len(assignments)} ; écrits : {draft_path}, {assignments_path}"
    )


@app.command("rename")
def rename(
    code: Annotated[str, typer.Argument(help="Code du motif candidat.")],
    draft: DraftOption,
    assignments: AssignmentsOption,
    label: Annotated[str | None, typer.Option("--label", help="Nouveau libellé.")] = None,
    definition: Annotated[
        str | None, typer.Option("--definition", help="Nouvelle définition (« Inclut : … »).")
    ] = None,
    new_code: Annotated[str | None, typer.Option("--code", help="Nouveau code (les notes suivent).")] = None,
) -> None:
    """Renomme un motif candidat : libellé, définition et/ou code.

    Exemple : motifs curate rename masque_porter --code masques --label "Masques" --draft brouillon.yaml
    --assignments affectations.csv
    """
    state = curation.read_state(draft, assignments)
    result = curation.rename(*state, code, label=label, definition=definition, new_code=new_code)
    _done(*result, draft, assignments, f"Renommé : {code}" + (f" → {new_code}" if new_code else ""))


@app.command("merge")
def merge(
    codes: Annotated[list[str], typer.Argument(help="Codes des motifs à fusionner.")],
    into: Annotated[str, typer.Option("--into", help="Code du motif qui reste (un des codes, ou un autre motif).")],
    draft: DraftOption,
    assignments: AssignmentsOption,
) -> None:
    """Fusionne des motifs candidats : leurs notes et leurs exemples passent au motif --into.

    Exemple : motifs curate merge gel_hydroalcoolique gel_desinfectant --into gel_hydroalcoolique
    --draft brouillon.yaml --assignments affectations.csv
    """
    state = curation.read_state(draft, assignments)
    result = curation.merge(*state, codes, into=into)
    _done(*result, draft, assignments, f"Fusionné dans {into} : {', '.join(c for c in codes if c != into)}")


@app.command("split")
def split(
    code: Annotated[str, typer.Argument(help="Code du motif candidat à scinder.")],
    draft: DraftOption,
    assignments: AssignmentsOption,
    data: Annotated[Path, typer.Option("--data", help="Le fichier de notes donné à motifs discover.")],
    parts: Annotated[int, typer.Option("--parts", min=2, max=20, help="Nombre de motifs à la place.")] = 2,
    config: Annotated[
        Path | None, typer.Option("--config", help="Réglages de découverte (ceux de motifs discover).")
    ] = None,
    text_col: Annotated[str | None, typer.Option("--text-col", help="Colonne des notes (devinée sinon).")] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="Colonne identifiant (devinée sinon).")] = None,
) -> None:
    """Scinde un motif candidat : ses notes sont regroupées à nouveau en --parts motifs, nommés comme par discover.

    Exemple : motifs curate split contact_cas --parts 2 --data notes.csv --draft brouillon.yaml
    --assignments affectations.csv
    """
    state = curation.read_state(draft, assignments)
    notes = read_notes(data, text_col=text_col, id_col=id_col)
    result = curation.split(*state, code, parts=parts, ids=notes.ids, texts=notes.texts, config=load_config(config))
    new = sorted(set(result[0].codes) - set(state[0].codes))
    _done(*result, draft, assignments, f"Scindé : {code} → {', '.join(new)}")


@app.command("discard")
def discard(
    code: Annotated[str, typer.Argument(help="Code du motif candidat à écarter.")],
    draft: DraftOption,
    assignments: AssignmentsOption,
) -> None:
    """Écarte un motif candidat : ses notes restent « autre ».

    Exemple : motifs curate discard tester_aider --draft brouillon.yaml --assignments affectations.csv
    """
    state = curation.read_state(draft, assignments)
    result = curation.discard(*state, code)
    _done(*result, draft, assignments, f"Écarté : {code}")


@app.command("move")
def move(
    to: Annotated[str, typer.Option("--to", help="Motif d'arrivée (ou autre).")],
    draft: DraftOption,
    assignments: AssignmentsOption,
    ids: Annotated[str | None, typer.Option("--ids", help="call_id séparés par des virgules.")] = None,
    ids_file: Annotated[Path | None, typer.Option("--ids-file", help="Fichier texte : un call_id par ligne.")] = None,
) -> None:
    """Déplace des notes (par call_id) vers un autre motif candidat, ou vers « autre ».

    Exemple : motifs curate move --ids A012,A047 --to passeport_perdu --draft brouillon.yaml
    --assignments affectations.csv
    """
    wanted = [part for part in (ids or "").split(",")]
    if ids_file is not None:
        try:
            wanted += ids_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidCuration(f"{ids_file.name} : fichier de call_id illisible ({exc.strerror})") from None
    state = curation.read_state(draft, assignments)
    result = curation.move(*state, wanted, to=to)
    moved = len({w.strip() for w in wanted if w.strip()})
    _done(*result, draft, assignments, f"Déplacé(s) vers {to} : {moved} note(s)")


@app.command("publish")
def publish(
    draft: Annotated[Path, typer.Option("--draft", help="Brouillon relu.")],
    assignments: Annotated[Path, typer.Option("--assignments", help="Affectations relues.")],
    data: Annotated[Path, typer.Option("--data", help="Le fichier de notes donné à motifs discover.")],
    taxonomy_id: Annotated[str, typer.Option("--id", help="Identifiant de la nouvelle base (minuscules, _).")],
    out: Annotated[Path, typer.Option("--out", help="Base publiée écrite (YAML, version 1.0.0).")],
    labels: Annotated[Path, typer.Option("--labels", help="Étiquettes faibles écrites : call_id,text,reason.")],
    label: Annotated[str | None, typer.Option("--label", help="Libellé de la base.")] = None,
    text_col: Annotated[str | None, typer.Option("--text-col", help="Colonne des notes (devinée sinon).")] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="Colonne identifiant (devinée sinon).")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Encodage du CSV (deviné sinon).")] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="Séparateur du CSV (deviné sinon).")] = None,
) -> None:
    """Publie le brouillon relu comme version 1.0.0 d'une nouvelle base, datée d'aujourd'hui, et écrit les notes
    des motifs acceptés (anonymisées) comme étiquettes faibles pour motifs train.

    Exemple : motifs curate publish --draft brouillon.yaml --assignments affectations.csv --data notes.csv
    --id accueil_mairie --out accueil_mairie.yaml --labels etiquettes.csv

    Puis : motifs train --data etiquettes.csv --taxonomy accueil_mairie.yaml --out modele
    """
    state = curation.read_state(draft, assignments)
    notes = read_notes(data, text_col=text_col, id_col=id_col, encoding=encoding, delimiter=delimiter)
    taxonomy, weak = curation.publish(
        *state, taxonomy_id=taxonomy_id, ids=notes.ids, texts=notes.texts, released=date.today(), label=label
    )
    curation.write_published(taxonomy, weak, out, labels)
    counts = Counter(weak["reason"])
    _console.print(f"Publié : {taxonomy.ref} ({len(taxonomy.codes) - 1} motifs + « autre ») → {out}")
    _console.print(
        f"Étiquettes faibles : {len(weak)} notes → {labels} ("
        + escape(", ".join(f"{code} {n}" for code, n in counts.most_common(8)))
        + (" …" if len(counts) > 8 else "")
        + ")"
    )
    _console.print(f"Entraîner : motifs train --data {labels} --taxonomy {out} --out <dossier du modèle>")
