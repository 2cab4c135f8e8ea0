"""Benchmark of the three outcomes (issue 10): « autre » means outside the base, doubt is « à confirmer ».

For each data set, the product (`training.fit.fit_model`, gates calibrated on cross-fitted training notes only) is
evaluated on notes it never saw, with baselines in the same run:
- « règle précédente » : the same model where every note that is not auto-coded (« sûr ») goes to « autre » — what
  filing doubt as « autre » gives (the rule before issue 10 chose its threshold for the precision of auto-coding);
- « TF-IDF + LR, seuil conforme sur 20 % » : word+char TF-IDF logistic regression whose novelty gate (1 − max
  probability) is calibrated by split conformal on 20 % of the training notes set aside (no cross-fitting).

Data sets (from ../shared/datasets or $MOTIFS_SHARED_DATASETS; skipped cleanly when absent):
- `faq`: `covid19_faq_admin` (12 publishing bodies, no dates), random stratified 80/20 splits (`--seeds` of them);
- `wikit` closed set: 22 intents, 15 training examples each, 913 test notes (all of known intents);
- `an`: MPs' written questions, train July–August 2022, test September, rubriques seen ≥ 3 times in training;
- `open`: wikit with 25 % of the intents removed from training (5 seeds); their test notes must go to « autre »;
- `demo`: the demo corpus (30,000 calls, seed 42), trained like `motifs demo` (6,000 ordinary calls of every week);
  the planted reform must go to « autre », ordinary calls must not.

    PYTHONPATH=. python benchmarks/three_outcomes.py [--datasets wikit an open demo] [--seeds 5] [--no-before]

With dates (AN), the product calibrates its set on later periods scored by models of earlier ones. The product
serves the mean of its cross-fitting folds' models (`decision.probabilities: fold_mean.v1`); « avant » is the same
fit served by one model refitted on all notes (`full.v1`, as before issue 10's third slice), in the same run.

Writes benchmarks/results/three_outcomes.md (git-ignored) and prints it.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import RESULTS_DIR, section_header, shared_datasets  # noqa: E402
from pipeline.tables import inspect_table, iter_table  # noqa: E402
from taxonomy import AUTRE  # noqa: E402
from training.conformal import gate_threshold  # noqa: E402
from training.evaluate import evaluate  # noqa: E402
from training.fit import fit_model  # noqa: E402
from training.split import holdout_classes, stratified_split  # noqa: E402

ALPHA = 0.05


def humanise(label: str) -> str:
    return re.sub(r"[-_]+", " ", label.replace("covid---", "")).strip()


# ---------------------------------------------------------------- data sets
def load_wikit() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    folder = shared_datasets() / "wikit_nlu_covid"
    if not folder.exists():
        return None
    rename = {"utterance": "text", "intent": "label"}
    train = pd.read_csv(folder / "training_dataset.csv").rename(columns=rename)
    test = pd.read_csv(folder / "test_dataset.csv").rename(columns=rename)
    return train, test


def load_faq(seed: int) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """`covid19_faq_admin`: 1,059 FAQ questions, label = publishing body (12), no dates: a random stratified 80/20
    split per seed, as `motifs train` does on undated notes."""
    path = shared_datasets() / "covid19_faq_admin" / "faq-questions.json"
    if not path.exists():
        return None
    items = pd.read_json(path)
    frame = pd.DataFrame({"text": items["q"].astype(str), "label": items["s"].astype(str)})
    split = stratified_split(np.asarray(frame.label, dtype=object), test_size=0.2, random_state=seed)
    return frame.iloc[split.train].reset_index(drop=True), frame.iloc[split.test].reset_index(drop=True)


def load_an() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    path = shared_datasets() / "an_qe16_2022q3" / "data.csv"
    if not path.exists():
        return None
    frame = pd.concat([chunk.frame for chunk in iter_table(inspect_table(path))], ignore_index=True)
    frame["text"] = frame["titre"].str.strip() + ". " + frame["question"].str.strip()
    frame["label"] = frame["rubrique"]
    frame["when"] = pd.to_datetime(frame["date"], dayfirst=True, errors="coerce")
    train = frame[frame["when"].dt.month.isin([7, 8])]
    test = frame[frame["when"].dt.month == 9]
    counts = train["label"].value_counts()
    seen = counts[counts >= 3].index
    return train[train["label"].isin(seen)].reset_index(drop=True), test[test["label"].isin(seen)].reset_index(
        drop=True
    )


# ---------------------------------------------------------------- runs
def product_row(name: str, model: object, test: pd.DataFrame, fit_seconds: float) -> dict[str, object]:
    report = evaluate(model, list(test.text), list(test.label))  # type: ignore[arg-type]
    previous_autre = 1.0 - report.confident_rate  # « règle précédente »: doubt filed as « autre »
    return {
        "système": name,
        "« autre »": report.autre_rate,
        "faux « autre »": report.false_autre_rate,
        "exactitude produit": report.accuracy,
        "top-1 forcé": report.forced_accuracy,
        "top-3": report.top3_accuracy,
        "sûrs": report.confident_rate,
        "exactitude des sûrs": report.confident_accuracy,
        "à confirmer": report.to_confirm_rate,
        "couverture ensemble": report.set_coverage,
        "taille ensemble": report.mean_set_size,
        "F1 ouvert": report.open_f1,
        "exactitude connus": report.known_accuracy,
        "« autre » règle précédente": previous_autre,
        "apprentissage (s)": fit_seconds,
    }


def tfidf_split_conformal(train: pd.DataFrame, test: pd.DataFrame, seed: int = 0) -> dict[str, object]:
    """Baseline: TF-IDF + LR, novelty gate (1 − max probability) by split conformal on 20 % of training notes."""
    labels = np.asarray(train.label, dtype=object)
    split = stratified_split(labels, test_size=0.2, random_state=seed)
    word = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
    char = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5))
    texts = list(train.text)

    def features(batch: list[str], fit: bool = False) -> sparse.csr_matrix:
        if fit:
            return sparse.hstack([word.fit_transform(batch), char.fit_transform(batch)]).tocsr()
        return sparse.hstack([word.transform(batch), char.transform(batch)]).tocsr()

    started = time.perf_counter()
    fit_texts = [texts[i] for i in split.train]
    model = LogisticRegression(C=10, max_iter=3000).fit(features(fit_texts, fit=True), labels[split.train])
    calibration = 1.0 - model.predict_proba(features([texts[i] for i in split.test])).max(axis=1)
    gate = gate_threshold(calibration, ALPHA)
    proba = model.predict_proba(features(list(test.text)))
    seconds = time.perf_counter() - started
    truth = np.asarray(test.label, dtype=object)
    known = np.isin(truth, model.classes_)
    top1 = model.classes_[proba.argmax(axis=1)]
    autre = (1.0 - proba.max(axis=1)) > gate.threshold
    right = np.where(known, ~autre & (top1 == truth), autre)
    top3 = np.argsort(-proba, axis=1)[:, :3]
    return {
        "système": "TF-IDF + LR, seuil conforme sur 20 %",
        "« autre »": float(autre.mean()),
        "faux « autre »": float(autre[known].mean()) if known.any() else None,
        "exactitude produit": float(right.mean()),
        "top-1 forcé": float((top1 == truth).mean()),
        "top-3": float(np.mean([t in model.classes_[row] for t, row in zip(truth, top3, strict=True)])),
        "F1 ouvert": float(f1_score(~known, autre)) if (~known).any() else None,
        "exactitude connus": float(right[known].mean()) if (~known).any() else None,
        "apprentissage (s)": seconds,
    }


# As on main before issue 10's third slice: probabilities served by one model refitted on all the notes, with the
# gates calibrated on the folds' models (the product now serves the mean of the folds' models).
BEFORE = {"decision": {"probabilities": "full.v1"}}


def run_closed(
    name: str, train: pd.DataFrame, test: pd.DataFrame, reason_texts: dict, times: list | None, before: bool
) -> list:
    systems: list[tuple[str, dict | None]] = [("motifs (trois décisions)", None)]
    if before:
        systems.append(("motifs, modèle complet (avant)", BEFORE))
    rows = []
    for system, config in systems:
        started = time.perf_counter()
        model = fit_model(list(train.text), list(train.label), reason_texts, config, times=times)
        row = product_row(system, model, test, time.perf_counter() - started)
        gates = model.abstention_
        low, high = gates["novelty"]["rate_interval"]
        members = gates["prediction_set"]
        row["calibration"] = (
            f"{system} : seuil nouveauté {gates['novelty']['threshold']:.3f} (faux « autre » attendu {100 * low:.1f}–"
            f"{100 * high:.1f} %), ensemble : score {members['score']['name']} ≤ {members['threshold']:.3f} "
            f"(calibré sur {members['calibrated_on']}), sûr si p ≥ {gates['confident']['threshold']:.3f}, "
            f"poids {gates['max_prob_weight']}"
        )
        rows.append(row)
    rows.append(tfidf_split_conformal(train, test))
    for row in rows:
        row["jeu"] = name
    return rows


def run_open(train: pd.DataFrame, test: pd.DataFrame, seeds: int) -> list:
    rows = []
    for seed in range(seeds):
        known, _unknown = holdout_classes(np.asarray(train.label, dtype=object), fraction=0.25, random_state=seed)
        part = train[train.label.isin(known)]
        reason_texts = {label: [humanise(label)] for label in known}
        started = time.perf_counter()
        model = fit_model(list(part.text), list(part.label), reason_texts, {"random_state": seed})
        row = product_row("motifs (trois décisions)", model, test, time.perf_counter() - started)
        baseline = tfidf_split_conformal(part, test, seed)
        row["seed"] = baseline["seed"] = seed
        rows += [row, baseline]
    return rows


def run_demo() -> list:
    from training.demo import DemoSettings, write_demo_calls

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        write_demo_calls(path, DemoSettings(rows=30_000, seed=42))
        corpus = pd.read_csv(path)
    ordinary = corpus[(corpus.scenario == "normal") & (corpus.reason != AUTRE)]
    sample = ordinary.sample(n=6_000, random_state=0)
    started = time.perf_counter()
    model = fit_model(list(sample.text), list(sample.reason), None, None)
    seconds = time.perf_counter() - started
    scored = corpus.drop(index=sample.index)  # never trained on
    decisions = np.asarray([p.decision for p in model.suggest(list(scored.text))], dtype=object)
    autre = decisions == "autre"
    is_normal = (scored.scenario == "normal").to_numpy()
    weekly = pd.DataFrame({"week": scored.week, "scenario": scored.scenario, "autre": autre})
    normal = weekly[weekly.scenario == "normal"].groupby("week")["autre"].mean()
    quiet = weekly[weekly.week <= 8].groupby("week")["autre"].mean()
    reform = weekly[weekly.scenario == "emergent_reforme"]["autre"].mean()
    return [
        {
            "jeu": "demo",
            "réforme en « autre »": float(reform),
            "appels ordinaires en « autre » (max par semaine)": float(normal.max()),
            "appels ordinaires en « autre » (moyenne)": float(weekly[weekly.scenario == "normal"]["autre"].mean()),
            "tous appels, semaines 1–8 (max par semaine)": float(quiet.max()),
            "vrais « autre » en « autre »": float(weekly[weekly.scenario == "autre_vrai"]["autre"].mean()),
            "à confirmer (ordinaires)": float(np.mean(decisions[is_normal] == "to_confirm")),
            "apprentissage (s)": seconds,
        }
    ]


def table(rows: list[dict], columns: list[str]) -> str:
    def cell(value: object) -> str:
        if value is None:
            return "—"
        if isinstance(value, float):
            return f"{value:.3f}" if value < 10 else f"{value:.0f}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


MAIN = ["jeu", "système", "« autre »", "faux « autre »", "exactitude produit", "top-1 forcé", "top-3", "sûrs"]
MAIN += ["exactitude des sûrs", "à confirmer", "couverture ensemble", "taille ensemble", "« autre » règle précédente"]
MAIN += ["apprentissage (s)"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["wikit", "an", "faq", "open", "demo"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--no-before", dest="before", action="store_false", help="sans la ligne « avant »")
    args = parser.parse_args()
    parts = [section_header("Trois décisions : « sûr », « à confirmer », « autre » (hors base)")]
    wikit = load_wikit()
    closed: list[dict] = []
    if "wikit" in args.datasets:
        if wikit is None:
            parts.append("wikit_nlu_covid absent : ignoré.")
        else:
            train, test = wikit
            texts = {label: [humanise(label)] for label in train.label.unique()}
            closed += run_closed("wikit (fermé)", train, test, texts, None, args.before)
    if "an" in args.datasets:
        an = load_an()
        if an is None:
            parts.append("an_qe16_2022q3 absent : ignoré.")
        else:
            train, test = an
            texts = {label: [label] for label in train.label.unique()}
            closed += run_closed("AN juil.–août → sept.", train, test, texts, list(train["when"]), args.before)
    if "faq" in args.datasets:
        for seed in range(args.seeds):
            faq = load_faq(seed)
            if faq is None:
                parts.append("covid19_faq_admin absent : ignoré.")
                break
            train, test = faq
            texts = {label: [label] for label in train.label.unique()}
            closed += run_closed(f"FAQ (découpe {seed})", train, test, texts, None, args.before)
        faq_rows = [row for row in closed if str(row["jeu"]).startswith("FAQ")]
        for system in dict.fromkeys(row["système"] for row in faq_rows):
            mine = [row for row in faq_rows if row["système"] == system]
            mean = {
                key: float(np.mean([row[key] for row in mine]))
                for key in MAIN
                if all(isinstance(row.get(key), float | int) for row in mine)
            }
            closed.append({**mean, "jeu": f"FAQ (moyenne de {len(mine)} découpes)", "système": system})
    if closed:
        parts += [table(closed, MAIN)]
        parts += [f"- {row['jeu']}, {row['calibration']}" for row in closed if "calibration" in row]
    if "open" in args.datasets and wikit is not None:
        rows = run_open(*wikit, seeds=args.seeds)
        columns = ["seed", "système", "F1 ouvert", "exactitude connus", "« autre »", "faux « autre »"]
        columns += ["exactitude produit", "« autre » règle précédente"]
        parts.append("### wikit ouvert (25 % des intentions inconnues à l'entraînement)\n\n" + table(rows, columns))
        for name in ("motifs (trois décisions)", "TF-IDF + LR, seuil conforme sur 20 %"):
            mine = [r for r in rows if r["système"] == name]
            parts.append(
                f"- {name} : F1 ouvert moyen {np.mean([r['F1 ouvert'] for r in mine]):.3f}, exactitude sur les "
                f"connus {np.mean([r['exactitude connus'] for r in mine]):.3f}, faux « autre » "
                f"{np.mean([r['faux « autre »'] for r in mine]):.3f}"
            )
    if "demo" in args.datasets:
        rows = run_demo()
        parts.append(
            "### Corpus de démonstration (30 000 appels, modèle de `motifs demo`)\n\n" + table(rows, list(rows[0]))
        )
    text = "\n\n".join(parts) + "\n"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "three_outcomes.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
