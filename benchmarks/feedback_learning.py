"""Issue 13: agents' choices teach the model — `motifs train --with-feedback` on wikit_nlu_covid.

Three models, in the same run, all trained by `training.run.train_and_register` (what `motifs train` runs) with
the from-data taxonomy of wikit, evaluated on the 913 notes of wikit's test file:
- A: trained on 3 notes per intent (66 notes) of wikit's training file;
- A + feedback: the other 264 training notes are qualified through the API (`TestClient`: POST /v1/suggestions
  with a call_id, served by model A, then POST /v1/feedback with the right code) into a fresh SQLite store, read
  back as `motifs train` does (`motifs.cli.train_cmd.read_feedback_notes`), and the same 3-per-intent file is
  trained on `--with-feedback`;
- full: trained on the whole labelled training file (330 notes).

Targets: A + feedback ≥ A + 0.10 accuracy and ≥ 0.95 × full. `motifs train` holds out 20 % of what it reads for
its own evaluation (stratified on a file, the freshest feedback with --with-feedback): the training sizes are in the
table. Prints a Markdown section for docs/BENCHMARKS.md and writes it under benchmarks/results/.

    PYTHONPATH=. python benchmarks/feedback_learning.py [--per-intent 3] [--seed 0]   # ≈ 3 min
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from benchmarks._common import RESULTS_DIR, section_header, shared_datasets
from motifs.cli.train_cmd import quiet_mlflow, read_feedback_notes
from pipeline.mlflow_model import resolve_model
from serving.api.main import create_app
from serving.api.resources import Resources, redactor_for
from serving.api.settings import Settings
from serving.store import Database
from taxonomy import codes_for_labels, taxonomy_from_labels
from training.run import TrainResult, evaluate_file, train_and_register

DATASET = "wikit_nlu_covid"
TEXT, LABEL = "utterance", "intent"


def load() -> tuple[pd.DataFrame, Path] | None:
    folder = shared_datasets() / DATASET
    if not (folder / "training_dataset.csv").exists():
        return None
    return pd.read_csv(folder / "training_dataset.csv"), folder / "test_dataset.csv"


def few_per_intent(train: pd.DataFrame, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    few = train.groupby(LABEL, group_keys=False).sample(n=n, random_state=seed)
    return few, train.drop(few.index).sample(frac=1.0, random_state=seed)  # the rest, in a random order


def train(data: Path, out: Path, uri: str, **kwargs: Any) -> TrainResult:
    return train_and_register(data, f"from-data:{DATASET.split('_')[0]}", TEXT, LABEL, None, out, uri, **kwargs)


def qualify_through_api(model_dir: Path, labels: list[str], rest: pd.DataFrame, store_url: str) -> dict[str, int]:
    """Each remaining note: a suggestion from model A (stored redacted), then the agent's feedback with the right
    code. Returns counts of what the API answered."""
    model = resolve_model(model_dir)
    taxonomy = taxonomy_from_labels(labels, taxonomy_id=DATASET.split("_")[0], version="1.0.0")
    code_of = codes_for_labels(labels)

    def loader(settings: Settings) -> Resources:
        return Resources(
            model=model,
            redactor=redactor_for(model),
            taxonomy=taxonomy,
            database=Database.open(settings.database_url),
            executor=ThreadPoolExecutor(1, "bench-model"),
        )

    counts = {"suggestions": 0, "feedback": 0, "right_first": 0, "to_confirm": 0}
    app = create_app(Settings(database_url=store_url), loader=loader)  # type: ignore[call-arg]
    with TestClient(app, base_url="http://127.0.0.1") as client:  # the API checks the Host header
        for i, (text, label) in enumerate(zip(rest[TEXT], rest[LABEL], strict=True)):
            call_id = f"wikit-{i:04d}"
            answer = client.post("/v1/suggestions", json={"text": str(text), "call_id": call_id})
            answer.raise_for_status()
            body = answer.json()
            suggested = [s["code"] for s in body["suggestions"]]
            counts["suggestions"] += 1
            counts["right_first"] += bool(suggested) and suggested[0] == code_of[label]
            counts["to_confirm"] += body["decision"] == "to_confirm"
            feedback = {"call_id": call_id, "suggested_codes": suggested, "chosen_code": code_of[label]}
            client.post("/v1/feedback", json=feedback).raise_for_status()
            counts["feedback"] += 1
    return counts


def run(per_intent: int, seed: int) -> str:
    loaded = load()
    if loaded is None:
        return f"{DATASET} absent de {shared_datasets()} : benchmark ignoré."
    full, test_path = loaded
    few, rest = few_per_intent(full, per_intent, seed)
    labels = sorted(full[LABEL].unique())
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="motifs-feedback-") as tmp:
        root = Path(tmp)
        # The models of this run are trusted by a list of its own, never the developer's ./motifs-data one.
        os.environ["MOTIFS_TRUSTED_MODELS"] = str(root / "trusted-models.jsonl")
        uri = f"sqlite:///{root / 'mlflow.db'}"
        store = f"sqlite:///{root / 'motifs.db'}"
        few_path, full_path = root / "few.csv", root / "full.csv"
        few.to_csv(few_path, index=False)
        full.to_csv(full_path, index=False)

        def measure(name: str, result: TrainResult, seconds: float) -> None:
            report = evaluate_file(result.model_dir, test_path, text_col=TEXT, label_col=LABEL)
            rows.append(
                {
                    "modèle": name,
                    "notes apprises": result.split_sizes["train"],
                    "exactitude": report.accuracy,
                    "top-1": report.forced_accuracy,
                    "F1 macro": report.macro_f1,
                    "secondes": seconds,
                }
            )
            print(f"{name}: accuracy {report.accuracy:.3f}", file=sys.stderr)

        started = time.perf_counter()
        model_a = train(few_path, root / "a", uri)
        measure(f"A ({per_intent} notes par intention)", model_a, time.perf_counter() - started)

        started = time.perf_counter()
        counts = qualify_through_api(model_a.model_dir, labels, rest, store)
        api_seconds = time.perf_counter() - started
        started = time.perf_counter()
        notes = read_feedback_notes(store, None)
        with_feedback = train(few_path, root / "b", uri, feedback=notes)
        measure("A + retours des agents (--with-feedback)", with_feedback, time.perf_counter() - started)

        started = time.perf_counter()
        measure("fichier complet", train(full_path, root / "full", uri), time.perf_counter() - started)

    a, b, f = (row["exactitude"] for row in rows)
    fb = with_feedback.feedback
    assert fb is not None
    lines = [
        section_header("Apprentissage par les retours des agents (issue 13, wikit)"),
        f"`PYTHONPATH=. python benchmarks/feedback_learning.py --per-intent {per_intent} --seed {seed}` — "
        f"{len(few)} notes étiquetées ({per_intent} par intention), {counts['feedback']} autres notes du fichier "
        f"d'entraînement qualifiées par l'API (suggestion du modèle A puis retour avec le bon code, "
        f"{api_seconds:.0f} s ; A avait le bon motif en tête pour {counts['right_first']}, "
        f"{counts['to_confirm']} « à confirmer »), évaluation sur les {len(pd.read_csv(test_path))} notes du "
        f"fichier de test de wikit.",
        "",
        f"Retours lus : {fb.read} choix, {fb.used} exemples ; évaluation interne de `motifs train` : les "
        f"{with_feedback.split_sizes['evaluation']} retours les plus récents "
        f"(macro-F1 {with_feedback.report.macro_f1:.3f}, décision champion/challenger : "
        f"{with_feedback.promotion.alias}).",
        "",
        "| modèle | notes apprises | exactitude | top-1 forcé | F1 macro | entraînement (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['modèle']} | {row['notes apprises']} | {row['exactitude']:.3f} | {row['top-1']:.3f} | "
            f"{row['F1 macro']:.3f} | {row['secondes']:.0f} |"
        )
    gain_ok, ratio_ok = b >= a + 0.10, b >= 0.95 * f
    lines += [
        "",
        f"- ≥ A + 0,10 : {b:.3f} contre {a + 0.10:.3f} — **{'atteint' if gain_ok else 'manqué'}** (+{b - a:.3f})",
        f"- ≥ 0,95 × complet : {b:.3f} contre {0.95 * f:.3f} — **{'atteint' if ratio_ok else 'manqué'}** "
        f"({b / f:.3f} × complet)",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-intent", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    quiet_mlflow()
    logging.getLogger("motifs").setLevel(logging.WARNING)
    text = run(args.per_intent, args.seed)
    print(text)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "feedback_learning.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
