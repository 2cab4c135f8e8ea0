"""Champion or challenger: the decision rule, as a pure function.

The new model takes the alias `champion` only when it beats the current champion on the **same** evaluation set:
the champion is re-scored on the new evaluation notes (its old logged metric was measured on other notes), in the
new model's label space — a note whose label the new model knows must get that code; a label neither knows is
« autre » for both. When the label sets differ (another taxonomy version, a reason added), the champion is thus
scored on codes it may not know: a model trained on the current taxonomy is expected to win, which is the point
of retraining after a taxonomy change. Metric: macro-F1; a tie keeps the champion. A champion that cannot be
loaded (tampered, missing) is not replaced automatically: the new model stays challenger and the reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class PromotionDecision:
    alias: str
    new_score: float
    champion_version: str | None = None
    champion_score: float | None = None
    reason: str = ""

    @property
    def promoted(self) -> bool:
        return self.alias == CHAMPION


def decide_promotion(
    new_score: float,
    *,
    champion_version: str | None,
    champion_score: float | None,
    champion_error: str | None = None,
    taxonomy_changed: bool = False,
    metric: str = "macro_f1",
) -> PromotionDecision:
    """`champion` when there is no champion yet or the new score is strictly higher, else `challenger`."""
    if champion_version is None:
        return PromotionDecision(CHAMPION, new_score, reason="premier modèle enregistré : il devient champion")
    if champion_error is not None or champion_score is None:
        return PromotionDecision(
            CHALLENGER,
            new_score,
            champion_version,
            None,
            f"le champion (version {champion_version}) n'a pas pu être réévalué ({champion_error or 'erreur'}) : "
            "promotion manuelle nécessaire",
        )
    note = " (taxonomie différente de celle du champion)" if taxonomy_changed else ""
    if new_score > champion_score:
        return PromotionDecision(
            CHAMPION,
            new_score,
            champion_version,
            champion_score,
            f"{metric} {new_score:.4f} > {champion_score:.4f} du champion (version {champion_version}) "
            f"sur le même jeu d'évaluation{note} : il devient champion",
        )
    return PromotionDecision(
        CHALLENGER,
        new_score,
        champion_version,
        champion_score,
        f"{metric} {new_score:.4f} ≤ {champion_score:.4f} du champion (version {champion_version}) "
        f"sur le même jeu d'évaluation{note} : il reste challenger",
    )
