"""Terminal rendering of an `EvaluationReport` with rich (French headings). Presentation only."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table

from training.evaluate import EvaluationReport


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def render_evaluation(report: EvaluationReport, *, title: str = "Évaluation du modèle") -> RenderableType:
    """Summary table, per-class table and coverage table."""
    summary = Table(title=title, show_header=True, header_style="bold")
    summary.add_column("Indicateur")
    summary.add_column("Valeur", justify="right")
    summary.add_column("Ce que cela mesure", style="dim")
    summary.add_row("Notes évaluées", str(report.n), "")
    summary.add_row(
        "Exactitude (accuracy)",
        _pct(report.accuracy),
        "bon motif en tête (sûr ou à confirmer), ou « autre » pour un motif hors base",
    )
    summary.add_row(
        "Exactitude forcée (top-1)", _pct(report.forced_accuracy), "premier motif juste, quelle que soit la décision"
    )
    summary.add_row("F1 macro", f"{report.macro_f1:.3f}", "moyenne des F1 par motif")
    summary.add_row("Bon motif parmi les 3 premiers (top-3)", _pct(report.top3_accuracy), "")
    summary.add_row("Sûrs (qualifiés automatiquement)", _pct(report.confident_rate), "décision « sûr »")
    summary.add_row("Exactitude des sûrs", _pct(report.confident_accuracy), "visée : 90 % par défaut")
    summary.add_row("À confirmer", _pct(report.to_confirm_rate), "le modèle hésite : l'agent choisit dans l'ensemble")
    summary.add_row(
        "Ensemble contenant le bon motif", _pct(report.set_coverage), "motifs connus ; promis : 90 % par défaut"
    )
    summary.add_row("Taille moyenne de l'ensemble", f"{report.mean_set_size:.2f}", "nombre de codes proposés")
    summary.add_row("Part de « autre » (hors base)", _pct(report.autre_rate), "notes jugées hors de la base")
    summary.add_row(
        "Motifs connus envoyés en « autre »", _pct(report.false_autre_rate), "faux « autre » ; promis : ≤ α (5 %)"
    )
    if report.n_unknown:
        summary.add_row("Notes de motifs inconnus du modèle", str(report.n_unknown), "")
        summary.add_row(
            "F1 de « autre » (ensemble ouvert)",
            "—" if report.open_f1 is None else f"{report.open_f1:.3f}",
            "« autre » prédit contre motif réellement inconnu",
        )
        summary.add_row("Exactitude sur les motifs connus", _pct(report.known_accuracy), "« autre » compté faux")
    summary.add_row("Erreur de calibration (ECE, 15 intervalles)", f"{report.ece:.3f}", "probabilité ≠ fréquence")
    if report.threshold is not None:
        summary.add_row("Seuil de nouveauté (« autre »)", f"{report.threshold:.3f}", "au-dessus : hors base")
    if report.taxonomy_ref:
        summary.add_row("Taxonomie", report.taxonomy_ref, "")
    if report.model_version:
        summary.add_row("Version du modèle", report.model_version, "")

    per_class = Table(title="Par motif", header_style="bold")
    per_class.add_column("Motif")
    for name in ("Précision", "Rappel", "F1", "Effectif"):
        per_class.add_column(name, justify="right")
    for row in sorted(report.per_class, key=lambda c: (-c.support, c.code)):
        per_class.add_row(row.code, f"{row.precision:.2f}", f"{row.recall:.2f}", f"{row.f1:.2f}", str(row.support))

    coverage = Table(title="Couverture et exactitude (notes les plus sûres d'abord)", header_style="bold")
    for name in ("Couverture", "Notes gardées", "Probabilité min.", "Exactitude"):
        coverage.add_column(name, justify="right")
    for point in report.coverage_curve:
        coverage.add_row(_pct(point.coverage), str(point.kept), f"{point.min_confidence:.3f}", _pct(point.accuracy))
    return Group(summary, per_class, coverage)
