"""Emerging-reason detection on a simulated 12-week stream built from wikit_nlu_covid (train + test, 22 intents).

Run from the repository root:

    PYTHONPATH=. /work/venv/bin/python benchmarks/emerging_wikit.py [--seeds 0 1 2 3 4] [--classifier module:factory]

For each seed, a quarter of the intents (6 of 22) are left out of the "taxonomy": the classifier is trained on the
other intents' training rows only, and those training rows (with the intents' labels) are the taxonomy examples that
novelty is measured against. The stream: the known intents' test rows spread uniformly over weeks 1–12, the held-out
intents' rows (train + test) spread uniformly over weeks 7–12, random days/hours within the week, 3 sites, 2 channels.
The seed decides which intents are held out and the order of the stream.

Classifier: a stand-in for `pipeline.model.ReasonModel` (not merged yet) — TF-IDF of words (1–2-grams) and characters
(2–5-grams, within word boundaries) + logistic regression; a call is « autre » when its top probability is below a
threshold chosen on a validation third of the training rows (the 10th percentile of their top probabilities, i.e. ≈ 10 %
of known calls filed « autre »). Swap it with `--classifier module:factory`, where `factory()` returns an object with
`fit(texts, labels)` and `predict_proba(texts) -> (classes, probabilities)`.

Definitions (stated again in the result section):
- a **signal** is a cluster graded weak or strong (for the KMeans baseline: every cluster of ≥ 5 calls);
- a held-out intent is **surfaced** when, in its first week (7) or the next (8), a signal has that intent as its
  majority and purity ≥ 0.8 (share of the cluster's calls of that intent);
- a **false emerging alert in weeks 1–6** is any signal in weeks 1–6 (no intent is new then);
- **identical ids on a rerun**: rerunning on the same rows in a shuffled order, from an empty registry, and again
  from the registry saved by the first run, gives the same (id, set of call ids) for every cluster of every week.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classifiers import load_factory
from _common import RESULTS_DIR, section_header, shared_datasets

from serving.monitoring import Lemmatizer, MonitoringConfig, MonitoringReport, load_config, run_monitoring
from serving.monitoring.text import make_lemmatizer

DATASET = "wikit_nlu_covid"
WEEKS = 12
APPEAR_WEEK = 7
HELD_OUT_SHARE = 0.25
PURITY = 0.8
BASELINE_MIN_SIZE = 5
START = pd.Timestamp("2024-01-01")  # a Monday
SITES = ("Lille", "Lyon", "Nantes")
CHANNELS = ("téléphone", "courriel")


def label_text(intent: str) -> str:
    """`covid---j-ai-une-question-sur-les-masques` → `j ai une question sur les masques` (the reason's label)."""
    return intent.removeprefix("covid---").replace("-", " ").strip()


@dataclass
class Stream:
    frame: pd.DataFrame  # monitoring input + truth columns `intent`, `week`
    held_out: list[str]
    known_reasons: dict[str, list[str]]
    threshold: float
    held_autre_rate: float
    known_autre_rate: float


def build_stream(
    train: pd.DataFrame, test: pd.DataFrame, seed: int, factory: Any, *, decisions: bool = False
) -> Stream:
    rng = np.random.default_rng(seed)
    intents = sorted(train["intent"].unique())
    n_held = int(np.ceil(HELD_OUT_SHARE * len(intents)))
    held = sorted(rng.choice(intents, size=n_held, replace=False).tolist())
    known = [intent for intent in intents if intent not in held]

    known_train = train[train["intent"].isin(known)]
    model = factory().fit(
        known_train["utterance"].tolist(),
        known_train["intent"].tolist(),
        seed=seed,
        reason_texts={intent: [label_text(intent)] for intent in known},
    )

    known_rows = test[test["intent"].isin(known)].assign(week=lambda d: rng.integers(1, WEEKS + 1, len(d)))
    held_rows = pd.concat([train[train["intent"].isin(held)], test[test["intent"].isin(held)]])
    held_rows = held_rows.assign(week=rng.integers(APPEAR_WEEK, WEEKS + 1, len(held_rows)))
    rows = pd.concat([known_rows, held_rows], ignore_index=True)
    rows = rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)
    offsets = pd.to_timedelta(rng.integers(0, 5, len(rows)), unit="D") + pd.to_timedelta(
        rng.integers(8 * 3600, 18 * 3600, len(rows)), unit="s"
    )
    codes, confidence, autre = model.predict(rows["utterance"].str.strip().tolist())
    frame = pd.DataFrame(
        {
            "call_id": [f"s{seed}-{i:05d}" for i in range(len(rows))],
            "timestamp": START + pd.to_timedelta((rows["week"] - 1) * 7, unit="D") + offsets,
            "site": rng.choice(SITES, len(rows)),
            "channel": rng.choice(CHANNELS, len(rows)),
            "text": rows["utterance"].str.strip(),
            "code": codes,
            "confidence": confidence,
            "autre": autre,
            "intent": rows["intent"],
            "week": rows["week"],
        }
    )
    if decisions and getattr(model, "decisions", None) is not None:
        # The model's three outcomes as the store keeps them (« à confirmer » is doubt, not « autre »).
        frame.insert(frame.columns.get_loc("autre") + 1, "decision", model.decisions)
    known_reasons = {
        intent: [label_text(intent), *known_train.loc[known_train["intent"] == intent, "utterance"].str.strip()]
        for intent in known
    }
    is_held = frame["intent"].isin(held)
    return Stream(
        frame=frame,
        held_out=held,
        known_reasons=known_reasons,
        threshold=model.threshold,
        held_autre_rate=float(frame.loc[is_held, "autre"].mean()),
        known_autre_rate=float(frame.loc[~is_held, "autre"].mean()),
    )


@dataclass
class Signal:
    week: int
    size: int
    majority: str
    purity: float
    parent: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass
class Outcome:
    signals: list[Signal] = field(default_factory=list)
    clusters: int = 0

    def score(self, held_out: Sequence[str]) -> dict[str, float]:
        held = set(held_out)
        good = [s for s in self.signals if s.majority in held and s.purity >= PURITY]
        surfaced_1w = {s.majority for s in good if APPEAR_WEEK <= s.week <= APPEAR_WEEK + 1}
        surfaced_any = {s.majority for s in good}
        early = [s for s in self.signals if s.week < APPEAR_WEEK]
        late_false = [s for s in self.signals if s.week >= APPEAR_WEEK and s not in good]
        return {
            "surfaced_1w": len(surfaced_1w) / len(held),
            "surfaced_any": len(surfaced_any) / len(held),
            "false_1_6": float(len(early)),
            "false_7_12": float(len(late_false)),
            "signals": float(len(self.signals)),
        }


def _majority(call_ids: Sequence[str], truth: dict[str, str]) -> tuple[str, float]:
    votes = Counter(truth[call_id] for call_id in call_ids)
    intent, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
    return intent, count / len(call_ids)


def outcome_of(report: MonitoringReport, truth: dict[str, str], week_of: dict[str, int]) -> Outcome:
    outcome = Outcome()
    for period in report.periods:
        for cluster in period.clusters:
            outcome.clusters += 1
            if cluster.signal == "none":
                continue
            majority, purity = _majority(cluster.call_ids, truth)
            outcome.signals.append(
                Signal(week_of[period.period], cluster.size, majority, purity, cluster.parent_code, cluster.keywords)
            )
    return outcome


def kmeans_baseline(frame: pd.DataFrame, low_confidence: float, seed: int, window: int) -> Outcome:
    """Plain KMeans on TF-IDF of the « autre »/low-confidence calls of the same window of weeks as ours (the week
    and the one before); k = round(sqrt(n / 2)); every cluster of ≥ 5 calls is a signal (no novelty, no growth)."""
    outcome = Outcome()
    truth = dict(zip(frame["call_id"], frame["intent"], strict=True))
    ordered = frame.sort_values("call_id")
    for week in range(1, WEEKS + 1):
        rows = ordered[ordered["week"].between(week - window + 1, week)]
        pool = rows[rows["autre"] | (rows["confidence"] < low_confidence)]
        if len(pool) < 2 * BASELINE_MIN_SIZE:
            continue
        k = max(2, round(np.sqrt(len(pool) / 2)))
        vectors = TfidfVectorizer(sublinear_tf=True).fit_transform(pool["text"])
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
        ids = pool["call_id"].to_numpy()
        for label in range(k):
            members = ids[labels == label]
            outcome.clusters += 1
            if len(members) >= BASELINE_MIN_SIZE:
                majority, purity = _majority(members, truth)
                outcome.signals.append(Signal(int(week), len(members), majority, purity))
    return outcome


def fingerprint(report: MonitoringReport) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted(
        (period.period, cluster.id, tuple(sorted(cluster.call_ids)))
        for period in report.periods
        for cluster in period.clusters
    )


def run_seed(
    train: pd.DataFrame,
    test: pd.DataFrame,
    seed: int,
    *,
    factory: Any,
    config: MonitoringConfig,
    lemmatizer: Lemmatizer,
    verbose: bool,
    dump: list[dict[str, Any]] | None = None,
    low_confidence_factor: float | None = None,
    decisions: bool = False,
) -> dict[str, Any]:
    stream = build_stream(train, test, seed, factory, decisions=decisions)
    frame = stream.frame
    settings = config
    if low_confidence_factor is not None:
        low_confidence = min(1.0, stream.threshold * low_confidence_factor)
        settings = config.with_overrides({"emerging": {"low_confidence": low_confidence}})
    low_confidence = settings.emerging.low_confidence
    inputs = frame.drop(columns=["intent", "week"])
    started = time.perf_counter()
    first = run_monitoring(inputs, config=settings, known_reasons=stream.known_reasons, lemmatizer=lemmatizer)
    seconds = time.perf_counter() - started
    shuffled = inputs.sample(frac=1.0, random_state=seed + 100)
    second = run_monitoring(shuffled, config=settings, known_reasons=stream.known_reasons, lemmatizer=lemmatizer)
    third = run_monitoring(
        inputs, config=settings, known_reasons=stream.known_reasons, lemmatizer=lemmatizer, registry=first.registry
    )
    reference = fingerprint(first.report)
    stable = reference == fingerprint(second.report) == fingerprint(third.report)

    truth = dict(zip(frame["call_id"], frame["intent"], strict=True))
    labels = sorted({period.period for period in first.report.periods})
    week_of = {label: index + 1 for index, label in enumerate(labels)}
    ours = outcome_of(first.report, truth, week_of)
    hdbscan_settings = settings.with_overrides({"emerging": {"clustering": {"algorithm": "hdbscan"}}})
    hdbscan = run_monitoring(inputs, config=hdbscan_settings, known_reasons=stream.known_reasons, lemmatizer=lemmatizer)
    ours_hdbscan = outcome_of(hdbscan.report, truth, week_of)
    baseline = kmeans_baseline(frame, low_confidence, seed, config.emerging.window_periods)
    if dump is not None:
        dump.extend(_cluster_rows(seed, stream, first.report, truth, week_of))
    if verbose:
        _print_details(seed, stream, first.report, truth, week_of)
    return {
        "seed": seed,
        "held_out": stream.held_out,
        "threshold": stream.threshold,
        "low_confidence": low_confidence,
        "held_autre_rate": stream.held_autre_rate,
        "known_autre_rate": stream.known_autre_rate,
        "ours": ours.score(stream.held_out),
        "baseline": baseline.score(stream.held_out),
        "hdbscan": ours_hdbscan.score(stream.held_out),
        "stable": stable,
        "seconds": seconds,
        "clusters": ours.clusters,
    }


def _cluster_rows(
    seed: int, stream: Stream, report: MonitoringReport, truth: dict[str, str], week_of: dict[str, int]
) -> list[dict[str, Any]]:
    rows = []
    for period in report.periods:
        for cluster in period.clusters:
            majority, purity = _majority(cluster.call_ids, truth)
            rows.append(
                {
                    "seed": seed,
                    "week": week_of[period.period],
                    "id": cluster.id,
                    "signal": cluster.signal,
                    "size": cluster.size,
                    "period_size": cluster.period_size,
                    "novelty": cluster.novelty,
                    "growth": cluster.growth,
                    "cohesion": cluster.cohesion,
                    "purity": purity,
                    "held": majority in stream.held_out,
                    "majority": label_text(majority),
                    "parent": cluster.parent_code is not None,
                    "gradable": week_of[period.period] >= 3 and cluster.period_size >= 2,
                }
            )
    return rows


def _print_details(
    seed: int, stream: Stream, report: MonitoringReport, truth: dict[str, str], week_of: dict[str, int]
) -> None:
    print(f"--- seed {seed} held out: {[label_text(h) for h in stream.held_out]} threshold {stream.threshold:.3f}")
    for period in report.periods:
        print(f"week {week_of[period.period]:2d} autre {period.autre_share:.2f} n={period.n_calls}")
        for cluster in period.clusters:
            majority, purity = _majority(cluster.call_ids, truth)
            flag = "HELD" if majority in stream.held_out else "    "
            print(
                f"   {cluster.id} {cluster.signal:6s} {flag} size={cluster.size:3d} nov={cluster.novelty:.2f} "
                f"growth={cluster.growth:4.1f} pur={purity:.2f} "
                f"parent={label_text(cluster.parent_code or 'autre')[:20]:20s}"
                f" maj={label_text(majority)[:30]:30s} kw={','.join(cluster.keywords[:5])}"
            )


CLASSIFIERS = {
    "stand-in": "TF-IDF mots + caractères + régression logistique (substitut de `ReasonModel`) ; seuil « autre » = "
    "10e centile des probabilités maximales sur un tiers de validation (colonne « seuil »)",
    "reason-model": "`ReasonModel` entraîné par `training.fit.fit_model` (abstention calibrée sur des motifs inconnus "
    "simulés ; colonne « seuil » = son seuil de nouveauté)",
}


def markdown(results: list[dict[str, Any]], config: MonitoringConfig, classifier: str) -> str:
    grading = config.emerging.grading
    described = CLASSIFIERS.get(classifier, f"`{classifier}`")
    lines = [
        section_header(f"Motifs émergents — flux simulé wikit_nlu_covid (12 semaines), classifieur {classifier}"),
        "Flux : les lignes de test des intentions connues réparties sur les semaines 1–12, toutes les lignes "
        "(train + test) de 6 intentions sur 22 retenues hors taxonomie réparties sur les semaines 7–12. Classifieur : "
        f"{described}, entraîné sur les lignes d'entraînement des intentions connues. Regroupés chaque semaine avec "
        "la précédente : les appels « autre » ou de "
        f"confiance < {results[0]['low_confidence']:.2f}, et les appels confiants inhabituels pour leur motif "
        "(configuration par défaut de `serving/monitoring/defaults.yaml`).",
        "",
        "Définitions :",
        f"- **signal** : cluster classé faible ou fort (faible : taille ≥ {grading.weak.min_size}, nouveauté ≥ "
        f"{grading.weak.min_novelty}, croissance ≥ {grading.weak.min_growth} ; fort : taille ≥ "
        f"{grading.strong.min_size}, nouveauté ≥ {grading.strong.min_novelty}, croissance ≥ "
        f"{grading.strong.min_growth}) ; pour la référence KMeans, tout cluster d'au moins {BASELINE_MIN_SIZE} "
        "appels ;",
        f"- **intention révélée** : un signal de la semaine {APPEAR_WEEK} ou {APPEAR_WEEK + 1} dont l'intention "
        f"majoritaire est l'intention retenue et de pureté ≥ {PURITY} ;",
        "- **fausse alerte S1–6** : tout signal des semaines 1 à 6 (aucune intention n'y est nouvelle) ;",
        "- **fausses alertes S7–12** : signaux des semaines 7 à 12 qui ne révèlent pas une intention retenue "
        "(majorité connue ou pureté < 0,8) ;",
        "- **ids identiques** : même (id, ensemble d'appels) pour chaque cluster de chaque semaine en relançant sur "
        "les mêmes lignes mélangées (registre vide), puis avec le registre sauvegardé par le premier passage.",
        "",
        "| graine | seuil | « autre » connues / retenues | révélées ≤ 1 sem. (nous) | révélées S7–12 (nous) "
        "| fausses S1–6 (nous) | fausses S7–12 (nous) | ids identiques | révélées ≤ 1 sem. (KMeans) "
        "| fausses S1–6 (KMeans) | fausses S7–12 (KMeans) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        o, b = r["ours"], r["baseline"]
        lines.append(
            f"| {r['seed']} | {r['threshold']:.2f} | {r['known_autre_rate']:.0%} / {r['held_autre_rate']:.0%} "
            f"| {o['surfaced_1w']:.0%} | {o['surfaced_any']:.0%} | {o['false_1_6']:.0f} | {o['false_7_12']:.0f} "
            f"| {'oui' if r['stable'] else 'NON'} | {b['surfaced_1w']:.0%} | {b['false_1_6']:.0f} "
            f"| {b['false_7_12']:.0f} |"
        )

    def mean(side: str, key: str) -> float:
        return float(np.mean([r[side][key] for r in results]))

    lines.append(
        f"| **moyenne** | | | **{mean('ours', 'surfaced_1w'):.0%}** | {mean('ours', 'surfaced_any'):.0%} "
        f"| **{mean('ours', 'false_1_6'):.1f}** | {mean('ours', 'false_7_12'):.1f} "
        f"| {sum(r['stable'] for r in results)}/{len(results)} | {mean('baseline', 'surfaced_1w'):.0%} "
        f"| {mean('baseline', 'false_1_6'):.1f} | {mean('baseline', 'false_7_12'):.1f} |"
    )
    met = (
        mean("ours", "surfaced_1w") >= 0.8
        and max(r["ours"]["false_1_6"] for r in results) <= 1
        and all(r["stable"] for r in results)
    )
    lines += [
        "",
        "Cibles : ≥ 80 % des intentions retenues révélées en une semaine, ≤ 1 fausse alerte S1–6 (par graine), ids "
        f"identiques à la relance — **{'atteintes' if met else 'NON atteintes'}**.",
        "",
        "Même méthode avec HDBSCAN (min_cluster_size 5, min_samples 3) au lieu du regroupement agglomératif : "
        f"révélées ≤ 1 sem. {mean('hdbscan', 'surfaced_1w'):.0%}, "
        f"révélées S7–12 {mean('hdbscan', 'surfaced_any'):.0%}, "
        f"fausses S1–6 {mean('hdbscan', 'false_1_6'):.1f}, fausses S7–12 {mean('hdbscan', 'false_7_12'):.1f} "
        "(moyennes sur les graines).",
        "",
        "Intentions retenues par graine : "
        + " ; ".join(f"{r['seed']} : " + ", ".join(label_text(h) for h in r["held_out"]) for r in results),
        "",
        f"Durée d'une analyse des 12 semaines (indicative, machine partagée) : "
        f"{np.mean([r['seconds'] for r in results]):.1f} s en moyenne (lemmes spaCy en cache entre graines).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--classifier", default="stand-in", help="stand-in (TF-IDF + LR), reason-model, or module:factory"
    )
    parser.add_argument("--config", default=None, help="monitoring YAML merged over the defaults")
    parser.add_argument("--verbose", action="store_true", help="print every cluster of every week")
    parser.add_argument("--out", default=str(RESULTS_DIR / "emerging.md"))
    parser.add_argument(
        "--low-confidence-factor",
        type=float,
        default=None,
        help="low-confidence band = this × the « autre » threshold (default: the configuration's low_confidence)",
    )
    parser.add_argument("--dump", default=None, help="CSV of every cluster found (for threshold studies)")
    parser.add_argument(
        "--decisions",
        action="store_true",
        help="pass the classifier's three outcomes (confident / to_confirm / autre) as the store does, when it has "
        "them (reason-model); without it every call not « autre » counts as auto-coded",
    )
    args = parser.parse_args()

    folder = shared_datasets() / DATASET
    if not (folder / "training_dataset.csv").exists():
        print(f"jeu de données absent : {folder} — benchmark ignoré")
        return 0
    train = pd.read_csv(folder / "training_dataset.csv")
    test = pd.read_csv(folder / "test_dataset.csv")
    config = load_config(args.config)
    words = config.emerging.representation
    lemmatizer = make_lemmatizer(words.lemmatizer, extra_stop_words=words.extra_stop_words)  # the configured one
    factory = load_factory(args.classifier)
    dump: list[dict[str, Any]] = []
    with threadpool_limits(limits=1):  # BLAS threads fight over 2 shared cores: one thread is several times faster
        results = [
            run_seed(
                train,
                test,
                seed,
                factory=factory,
                config=config,
                lemmatizer=lemmatizer,
                verbose=args.verbose,
                dump=dump,
                low_confidence_factor=args.low_confidence_factor,
                decisions=args.decisions,
            )
            for seed in args.seeds
        ]
    if args.dump:
        pd.DataFrame(dump).to_csv(args.dump, index=False)
    text = markdown(results, config, args.classifier)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
