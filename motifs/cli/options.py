"""The one set of input options of every command that reads a data file (train, evaluate, reclassify, emerging,
report, redact, taxonomy from-data): same names, same help, same defaults — detection unless told.

Column options take the file's column name. Left out, the column is found by its usual names (`call_columns.yaml`:
`text`/`note`/`commentaire`…, `timestamp`/`date`…); `site` and `channel` are optional everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

TextCol = Annotated[
    str | None, typer.Option("--text-col", help="Colonne du texte de la note (sinon : text, note, commentaire…).")
]
LabelCol = Annotated[
    str | None,
    typer.Option("--label-col", help="Colonne du motif attribué : code, libellé ou alias de la base (sinon : reason)."),
]
IdCol = Annotated[str | None, typer.Option("--id-col", help="Colonne de l'identifiant d'appel (sinon : call_id, id…).")]
TimeCol = Annotated[
    str | None,
    typer.Option("--time-col", help="Colonne de date (ISO 8601 ou jj/mm/aaaa ; sinon : timestamp, date, horodatage…)."),
]
SiteCol = Annotated[
    str | None, typer.Option("--site-col", help="Colonne du site (facultative ; 64 caractères au plus).")
]
ChannelCol = Annotated[
    str | None, typer.Option("--channel-col", help="Colonne du canal (facultative ; 32 caractères au plus).")
]
CallsDate = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Export sans colonne de date : la date de tous ses appels (AAAA-MM-JJ), p. ex. le jour de l'extraction.",
    ),
]
RowIds = Annotated[
    bool,
    typer.Option(
        "--row-ids",
        help="Export sans identifiant d'appel : chaque ligne prend FICHIER:LIGNE (stable tant qu'on ne fait "
        "qu'ajouter des lignes à la fin du fichier).",
    ),
]
Encoding = Annotated[
    str | None, typer.Option("--encoding", help="Encodage des CSV (deviné sinon : UTF-8, sinon cp1252).")
]
Delimiter = Annotated[str | None, typer.Option("--delimiter", help="Séparateur des CSV (deviné sinon : , ; | tab).")]
UnknownLabels = Annotated[
    str,
    typer.Option(
        "--unknown-labels",
        help="Étiquettes qui ne nomment aucun motif de la base : refuse (défaut, la commande s'arrête et les liste) "
        "ou autre (comptées comme « autre »).",
    ),
]


def parse_calls_date(value: str | None) -> date | None:
    """The `--date` option as a date; a French error naming the expected form otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"« {value} » n'est pas une date AAAA-MM-JJ", param_hint="--date") from None


def column_mapping(
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    time_col: str | None = None,
    site_col: str | None = None,
    channel_col: str | None = None,
    label_col: str | None = None,
) -> dict[str, str]:
    """Contract column → file column for the options given (the others are detected)."""
    given = {
        "call_id": id_col,
        "text": text_col,
        "timestamp": time_col,
        "site": site_col,
        "channel": channel_col,
        "reason": label_col,
    }
    return {contract: name for contract, name in given.items() if name}


CallsTaxonomy = Annotated[
    str | None,
    typer.Option(
        "--taxonomy",
        help="Base de motifs des codes (ID@VERSION ou chemin .yaml) ; défaut : celle qui a noté les appels, "
        "enregistrée par motifs train / reclassify (jamais la nationale à sa place).",
    ),
]
