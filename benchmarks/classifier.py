"""Benchmark of the reason classifier against TF-IDF + logistic regression, TF-IDF SVM and fastText, same run.

Datasets (from ../shared/datasets, or $MOTIFS_SHARED_DATASETS; skipped cleanly when absent):
- wikit_nlu_covid: 22 intents × 15 training examples (few-shot), 913 test notes.
  * closed set: accuracy, top-3, macro-F1, training time, prediction time per note;
  (the open set — 25 % of intents held out — is measured with the three outcomes in benchmarks/three_outcomes.py;
  this script's own open-set part used the precision-target abstention that the three outcomes replaced).
- an_qe16_2022q3: written questions of MPs, `rubrique` labels with ≥ 15 questions, earlier weeks train / later weeks
  test (long texts, drift). No target.

Labels are not a motifs taxonomy: intent names, humanised ("covid---je-suis-positif" → "je suis positif"), are given
as `reason_texts` (label information available at training time, as the taxonomy's labels would be).

Writes a Markdown section to benchmarks/results/classifier.md (git-ignored) and prints it.

    PYTHONPATH=. python benchmarks/classifier.py [--datasets wikit an]
    PYTHONPATH=. python benchmarks/classifier.py --datasets --calls motifs-data/demo/calls.csv --date-col started_at
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.model import AUTRE  # noqa: E402
from pipeline.tables import inspect_table, iter_table  # noqa: E402
from training.fit import fit_model  # noqa: E402
from training.split import time_split  # noqa: E402

DATASETS = Path(os.environ.get("MOTIFS_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
RESULTS = ROOT / "benchmarks" / "results" / "classifier.md"


# ---------------------------------------------------------------- models under comparison
@dataclass
class Fitted:
    classes: np.ndarray
    proba: Callable[[Sequence[str]], np.ndarray]  # scores per class (probabilities where the model has them)
    predict: Callable[[Sequence[str]], np.ndarray]  # codes, « autre » where the model abstains


def fit_ours(texts: list[str], labels: list[str], reason_texts: dict[str, list[str]], config: dict | None) -> Fitted:
    model = fit_model(texts, labels, reason_texts, config)
    return Fitted(model.classes_, model.predict_proba, model.predict)


def fit_tfidf_lr(texts: list[str], labels: list[str], *_: object) -> Fitted:
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
    model = LogisticRegression(C=10, max_iter=5000).fit(vectorizer.fit_transform(texts), labels)

    def proba(batch: Sequence[str]) -> np.ndarray:
        return model.predict_proba(vectorizer.transform(batch))

    return Fitted(model.classes_, proba, lambda batch: model.classes_[proba(batch).argmax(axis=1)])


def fit_tfidf_svm(texts: list[str], labels: list[str], *_: object) -> Fitted:
    word = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
    char = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5))
    X = sparse.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    model = LinearSVC(C=1.0).fit(X, labels)

    def scores(batch: Sequence[str]) -> np.ndarray:
        return model.decision_function(sparse.hstack([word.transform(batch), char.transform(batch)]).tocsr())

    return Fitted(model.classes_, scores, lambda batch: model.classes_[scores(batch).argmax(axis=1)])


def fit_fasttext(texts: list[str], labels: list[str], *_: object) -> Fitted:
    import fasttext  # type: ignore[import-not-found,unused-ignore]

    def clean(text: str) -> str:
        return " ".join(text.lower().split())

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        for text, label in zip(texts, labels, strict=True):
            handle.write(f"__label__{label.replace(' ', '_')} {clean(text)}\n")
        path = handle.name
    try:
        model = fasttext.train_supervised(path, epoch=50, lr=0.5, wordNgrams=2, minn=2, maxn=5, dim=50, verbose=0)
    finally:
        os.unlink(path)
    classes = np.array(sorted(set(labels)))
    index = {code.replace(" ", "_"): i for i, code in enumerate(classes)}

    def proba(batch: Sequence[str]) -> np.ndarray:
        # model.predict(list, k) repeats the top probability for every label with numpy 2 (fasttext-wheel 0.9.2):
        # the low-level per-text call returns the right (probability, label) pairs.
        out = np.zeros((len(batch), len(classes)))
        for row, text in enumerate(batch):
            for value, name in model.f.predict(clean(text) + "\n", len(classes), 0.0, "strict"):
                out[row, index[name.removeprefix("__label__")]] = value
        return out

    return Fitted(classes, proba, lambda batch: classes[proba(batch).argmax(axis=1)])


MODELS: dict[str, Callable[..., Fitted]] = {
    "motifs (ours)": fit_ours,
    "TF-IDF word + LogisticRegression": fit_tfidf_lr,
    "TF-IDF word+char + LinearSVC": fit_tfidf_svm,
    "fastText": fit_fasttext,
}


# ---------------------------------------------------------------- metrics
def topk_accuracy(scores: np.ndarray, classes: np.ndarray, truth: np.ndarray, k: int) -> float:
    top = np.argsort(-scores, axis=1)[:, :k]
    return float(np.mean([t in classes[row] for t, row in zip(truth, top, strict=True)]))


def expected_calibration_error(scores: np.ndarray, classes: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-1 probability (10 equal-width bins); NaN for models without probabilities."""
    if scores.min() < 0 or not np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return float("nan")
    confidence = scores.max(axis=1)
    correct = classes[scores.argmax(axis=1)] == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)


def open_metrics(predicted: np.ndarray, truth: np.ndarray, known: set[str]) -> tuple[float, float]:
    """(F1 of « autre » on notes of held-out reasons, accuracy on notes of known reasons — abstaining is wrong)."""
    is_unknown = ~np.isin(truth, list(known))
    said_autre = predicted == AUTRE
    tp = float((said_autre & is_unknown).sum())
    precision = tp / max(said_autre.sum(), 1)
    recall = tp / max(is_unknown.sum(), 1)
    f1 = 0.0 if tp == 0 else 2 * precision * recall / (precision + recall)
    known_accuracy = float((predicted[~is_unknown] == truth[~is_unknown]).mean())
    return f1, known_accuracy


def best_maxprob_on_test(scores: np.ndarray, classes: np.ndarray, truth: np.ndarray, known: set[str]) -> tuple:
    """Max-probability threshold baseline with the threshold that maximises open F1 ON TEST (optimistic)."""
    top = classes[scores.argmax(axis=1)]
    best = (0.0, 0.0, 0.0)
    for threshold in np.unique(scores.max(axis=1)):
        predicted = np.where(scores.max(axis=1) < threshold, AUTRE, top)
        f1, known_accuracy = open_metrics(predicted, truth, known)
        if f1 > best[0]:
            best = (f1, known_accuracy, float(threshold))
    return best


def single_note_latency_ms(fitted: Fitted, notes: Sequence[str], n: int = 200) -> float:
    timings = []
    for note in list(notes)[:n]:
        start = time.perf_counter()
        fitted.predict([note])
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


# ---------------------------------------------------------------- datasets
def humanise(intent: str) -> str:
    return intent.replace("covid---", "covid ").replace("-", " ").strip()


def load_wikit() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    folder = DATASETS / "wikit_nlu_covid"
    if not folder.exists():
        return None
    train = pd.read_csv(folder / "training_dataset.csv")
    test = pd.read_csv(folder / "test_dataset.csv")
    rename = {"utterance": "text", "intent": "label"}
    return train.rename(columns=rename), test.rename(columns=rename)


def load_calls(path: Path, text_col: str, label_col: str, date_col: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A labelled calls file (e.g. the demo corpus): earlier dates train, the last 30 % of dates test."""
    spec = inspect_table(path)
    frame = pd.concat([chunk.frame for chunk in iter_table(spec)], ignore_index=True)
    frame = frame.rename(columns={text_col: "text", label_col: "label"})
    frame = frame[frame.label.notna() & frame.text.notna()].reset_index(drop=True)
    split = time_split(list(frame[date_col]), test_fraction=0.3)
    return frame.iloc[split.train].reset_index(drop=True), frame.iloc[split.test].reset_index(drop=True)


def load_an(min_questions: int = 15) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    path = DATASETS / "an_qe16_2022q3" / "data.csv"
    if not path.exists():
        return None
    spec = inspect_table(path)
    frame = pd.concat([chunk.frame for chunk in iter_table(spec)], ignore_index=True)
    counts = frame["rubrique"].value_counts()
    frame = frame[frame["rubrique"].isin(counts[counts >= min_questions].index)].reset_index(drop=True)
    frame["text"] = frame["titre"].str.strip() + ". " + frame["question"].str.strip()
    frame["label"] = frame["rubrique"]
    split = time_split(list(frame["date"]), test_fraction=0.3)
    return frame.iloc[split.train].reset_index(drop=True), frame.iloc[split.test].reset_index(drop=True)


# ---------------------------------------------------------------- runs
def closed_set(name: str, train: pd.DataFrame, test: pd.DataFrame, reason_texts: dict, config: dict | None) -> list:
    rows = []
    texts, labels = list(train.text), list(train.label)
    truth = test.label.to_numpy()
    for model_name, fit in MODELS.items():
        start = time.perf_counter()
        fitted = fit(texts, labels, reason_texts, config)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        scores = fitted.proba(list(test.text))
        per_note_ms = (time.perf_counter() - start) * 1000 / len(test)
        top1 = fitted.classes[scores.argmax(axis=1)]
        row = {
            "model": model_name,
            "accuracy": float((top1 == truth).mean()),
            "top3": topk_accuracy(scores, fitted.classes, truth, 3),
            "macro_f1": float(f1_score(truth, top1, average="macro")),
            "ece": expected_calibration_error(scores, fitted.classes, truth),
            "fit_s": fit_seconds,
            "batch_ms_per_note": per_note_ms,
            "p50_single_ms": single_note_latency_ms(fitted, list(test.text)),
        }
        if model_name == "motifs (ours)":
            predicted = fitted.predict(list(test.text))
            row["autre_rate"] = float((predicted == AUTRE).mean())
            row["accuracy_kept"] = float((predicted[predicted != AUTRE] == truth[predicted != AUTRE]).mean())
        rows.append(row)
        print(name, row, flush=True)
    return rows


def machine() -> str:
    load = os.getloadavg()
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load[0]:.1f}"


def markdown(results: dict) -> str:
    lines = [f"## Classifier — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}", ""]
    for name, rows in results.get("closed", {}).items():
        lines += [
            f"### {name}: closed set",
            "",
            "| model | accuracy | top-3 | macro-F1 | ECE | fit (s) | batch ms/note | p50 one note (ms) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['model']} | {r['accuracy']:.3f} | {r['top3']:.3f} | {r['macro_f1']:.3f} | {r['ece']:.3f} | "
                f"{r['fit_s']:.1f} | "
                f"{r['batch_ms_per_note']:.2f} | {r['p50_single_ms']:.1f} |"
            )
        ours = rows[0]
        if "autre_rate" in ours:
            lines += [
                "",
                f"Ours with its three outcomes: « autre » (novelty) rate on test {ours['autre_rate']:.3f}, accuracy "
                f"of the other notes' top code {ours['accuracy_kept']:.3f} (details: benchmarks/three_outcomes.py).",
            ]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["wikit", "an"], choices=["wikit", "an"])
    parser.add_argument("--calls", type=Path, help="a labelled calls file (demo corpus): trained on earlier dates")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="reason")
    parser.add_argument("--date-col", default="date")
    args = parser.parse_args()
    results: dict = {"closed": {}}
    if "wikit" in args.datasets:
        wikit = load_wikit()
        if wikit is None:
            print(f"wikit_nlu_covid absent from {DATASETS}: skipped")
        else:
            train, test = wikit
            reason_texts = {code: [humanise(code)] for code in sorted(set(train.label))}
            config = {"abstention": {"expected_unknown_share": 0.25}}
            results["closed"]["wikit_nlu_covid"] = closed_set("wikit", train, test, reason_texts, config)
    if "an" in args.datasets:
        an = load_an()
        if an is None:
            print(f"an_qe16_2022q3 absent from {DATASETS}: skipped")
        else:
            train, test = an
            test = test[test.label.isin(set(train.label))].reset_index(drop=True)
            reason_texts = {code: [code] for code in sorted(set(train.label))}
            name = f"an_qe16_2022q3 ({train.label.nunique()} rubriques, {len(train)} train / {len(test)} test, by date)"
            results["closed"][name] = closed_set("an", train, test, reason_texts, None)
    if args.calls is not None:
        train, test = load_calls(args.calls, args.text_col, args.label_col, args.date_col)
        unseen = ~test.label.isin(set(train.label))
        name = (
            f"{args.calls.name} ({train.label.nunique()} reasons, {len(train)} train / {int((~unseen).sum())} test "
            f"by date; {int(unseen.sum())} test notes of reasons absent from training left out)"
        )
        results["closed"][name] = closed_set("calls", train, test[~unseen].reset_index(drop=True), {}, None)
    text = markdown(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
