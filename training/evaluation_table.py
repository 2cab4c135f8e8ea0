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
    summary.add_row("Notes évaluées", str(report.n))
    summary.add_row("Exactitude (accuracy)", _pct(report.accuracy))
    summary.add_row("F1 macro", f"{report.macro_f1:.3f}")
    summary.add_row("Bon motif parmi les 3 premiers (top-3)", _pct(report.top3_accuracy))
    summary.add_row("Part de « autre » prédite", _pct(report.autre_rate))
    if report.selective_accuracy is not None:
        summary.add_row("Exactitude hors « autre » (suggestions retenues)", _pct(report.selective_accuracy))
    if report.n_unknown:
        summary.add_row("Notes de motifs inconnus du modèle", str(report.n_unknown))
        summary.add_row("F1 de « autre » (ensemble ouvert)", "—" if report.open_f1 is None else f"{report.open_f1:.3f}")
        summary.add_row("Exactitude sur les motifs connus", _pct(report.known_accuracy))
    summary.add_row("Erreur de calibration (ECE, 15 intervalles)", f"{report.ece:.3f}")
    if report.threshold is not None:
        summary.add_row("Seuil d'abstention", f"{report.threshold:.3f}")
    if report.taxonomy_ref:
        summary.add_row("Taxonomie", report.taxonomy_ref)
    if report.model_version:
        summary.add_row("Version du modèle", report.model_version)

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
