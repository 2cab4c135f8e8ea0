"""Champion or challenger: the decision rule, as a pure function.

Like is compared with like. Models are registered under one name per taxonomy id (`registered_name_for`:
`motifs-reasons` for the national base, `motifs-reasons-<id>` for another), so a model on another base never takes
a champion it was not measured against. Within one name, the new model takes the alias `champion` only when it beats
the current champion on the **same** evaluation set and the **same** taxonomy version: the champion is re-scored
on the new evaluation notes (its old logged metric was measured on other notes). A champion on another version of
the base is not compared automatically (its codes differ: a score would say more about the label sets than about
the models): the new model stays challenger and the reason says so — promoting it is a decision for a person.
Metric: macro-F1; a tie keeps the champion. A champion that cannot be loaded (tampered, missing) is not replaced
automatically either: the new model stays challenger and the reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAMPION = "champion"
CHALLENGER = "challenger"
NATIONAL = "national"


def registered_name_for(base_name: str, taxonomy_id: str | None) -> str:
    """`motifs-reasons` for the national base (or an unknown one), `motifs-reasons-an_qe16` for base `an_qe16`."""
    if not taxonomy_id or taxonomy_id == NATIONAL:
        return base_name
    return f"{base_name}-{taxonomy_id}"


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
    if taxonomy_changed and champion_error is None:
        return PromotionDecision(
            CHALLENGER,
            new_score,
            champion_version,
            None,
            f"le champion (version {champion_version}) est sur une autre version de la base de motifs : pas de "
            "comparaison à l'identique, promotion manuelle nécessaire (alias champion dans MLflow)",
        )
    if champion_error is not None or champion_score is None:
        return PromotionDecision(
            CHALLENGER,
            new_score,
            champion_version,
            None,
            f"le champion (version {champion_version}) n'a pas pu être réévalué ({champion_error or 'erreur'}) : "
            "promotion manuelle nécessaire",
        )
    if new_score > champion_score:
        return PromotionDecision(
            CHAMPION,
            new_score,
            champion_version,
            champion_score,
            f"{metric} {new_score:.4f} > {champion_score:.4f} du champion (version {champion_version}) "
            f"sur le même jeu d'évaluation : il devient champion",
        )
    return PromotionDecision(
        CHALLENGER,
        new_score,
        champion_version,
        champion_score,
        f"{metric} {new_score:.4f} ≤ {champion_score:.4f} du champion (version {champion_version}) "
        f"sur le même jeu d'évaluation : il reste challenger",
    )
