"""Issue 13: agents' choices teach the model — `motifs train --with-feedback` on wikit_nlu_covid.

Three models, in the same run, all trained by `training.run.train_and_register` (what `motifs train` runs) with
the from-data taxonomy of wikit, evaluated on the 913 notes of wikit's test file:
- A: trained on 3 notes per intent (66 notes) of wikit's training file;
- A + feedback: the other 264 training notes are qualified through the API (`TestClient`: POST /v1/suggestions
  with a call_id, served by model A, then POST /v1/feedback with the right code) into a fresh SQLite store, read
  back as `motifs train` does (`motifs.cli.feedback_notes.read_feedback_notes`), and the same 3-per-intent file is
  trained on `--with-feedback`;
- full: trained on the whole labelled training file (330 notes; its stratified 20 % split seeded by the draw).
- A + noisy feedback (reported, no target): the same, with 5 % wrong clicks (another suggested code).

Targets: A + feedback ≥ A + 0.10 accuracy and ≥ 0.95 × full. `motifs train` holds out 20 % of what it reads for
its own evaluation (stratified on a file, the freshest feedback with --with-feedback): the training sizes are in the
table. Prints a Markdown section for docs/BENCHMARKS.md and writes it under benchmarks/results/.

    PYTHONPATH=. python benchmarks/feedback_learning.py [--per-intent 3] [--seeds 0 1 2 3 4]   # ≈ 1.5 min a seed
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from benchmarks._common import RESULTS_DIR, section_header, shared_datasets
from motifs.cli.feedback_notes import read_feedback_notes
from motifs.cli.train_cmd import quiet_mlflow
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


def train(data: Path, out: Path, uri: str, config: Path | None = None, **kwargs: Any) -> TrainResult:
    return train_and_register(data, f"from-data:{DATASET.split('_')[0]}", TEXT, LABEL, config, out, uri, **kwargs)


def split_config(folder: Path, seed: int) -> Path:
    """A `--config` whose only change is the file split's seed: the full file is held out differently in each draw,
    so its accuracy has the same draw-to-draw noise as A's and A + feedback's (one split for every draw compared
    one number against a mean)."""
    path = folder / f"split-{seed}.yaml"
    path.write_text(f"training:\n  split:\n    random_state: {seed}\n", encoding="utf-8")
    return path


def qualify_through_api(
    model_dir: Path, labels: list[str], rest: pd.DataFrame, store_url: str, *, wrong_clicks: float = 0.0, seed: int = 0
) -> dict[str, int]:
    """Each remaining note: a suggestion from model A (stored redacted), then the agent's feedback with the right
    code — or, for a `wrong_clicks` share of the notes, another suggested code (the slip of a hurried agent; any
    other code when A suggested only the right one). Returns counts of what the API answered."""
    rng = random.Random(seed)
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
    app = create_app(Settings(database_url=store_url), loader=loader)
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
            chosen = code_of[label]
            if rng.random() < wrong_clicks:
                others = [c for c in suggested if c != chosen] or [c for c in code_of.values() if c != chosen]
                chosen = rng.choice(others)
                counts["wrong"] = counts.get("wrong", 0) + 1
            feedback = {"call_id": call_id, "suggested_codes": suggested, "chosen_code": chosen}
            client.post("/v1/feedback", json=feedback).raise_for_status()
            counts["feedback"] += 1
    return counts


def run_seed(full: pd.DataFrame, test_path: Path, per_intent: int, seed: int) -> dict[str, Any]:
    """The three models of one draw of the 3-per-intent file; accuracy etc. on wikit's test file."""
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
            report = evaluate_file(result.model_dir, test_path, text_col=TEXT, label_col=LABEL).report
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
            print(f"seed {seed} — {name}: accuracy {report.accuracy:.3f}", file=sys.stderr)

        started = time.perf_counter()
        model_a = train(few_path, root / "a", uri)
        measure(f"A ({per_intent} notes par intention)", model_a, time.perf_counter() - started)

        started = time.perf_counter()
        counts = qualify_through_api(model_a.model_dir, labels, rest, store)
        counts["api_seconds"] = round(time.perf_counter() - started)
        started = time.perf_counter()
        notes = read_feedback_notes(store, None)
        with_feedback = train(few_path, root / "b", uri, feedback=notes)
        measure("A + retours des agents (--with-feedback)", with_feedback, time.perf_counter() - started)

        started = time.perf_counter()
        full_model = train(full_path, root / "full", uri, split_config(root, seed))
        measure("fichier complet", full_model, time.perf_counter() - started)

        noisy_store = f"sqlite:///{root / 'motifs-noisy.db'}"
        noisy = qualify_through_api(model_a.model_dir, labels, rest, noisy_store, wrong_clicks=0.05, seed=seed)
        counts["wrong"] = noisy.get("wrong", 0)
        started = time.perf_counter()
        noisy_model = train(few_path, root / "c", uri, feedback=read_feedback_notes(noisy_store, None))
        measure("A + retours avec 5 % de mauvais clics", noisy_model, time.perf_counter() - started)
    assert with_feedback.feedback is not None
    return {
        "seed": seed,
        "rows": rows,
        "counts": counts,
        "few": len(few),
        "read": with_feedback.feedback.read,
        "used": with_feedback.feedback.used,
        "holdout": with_feedback.split_sizes["evaluation"],
        "holdout_f1": with_feedback.report.macro_f1,
        "alias": with_feedback.promotion.alias,
    }


def run(per_intent: int, seeds: Sequence[int]) -> str:
    loaded = load()
    if loaded is None:
        return f"{DATASET} absent de {shared_datasets()} : benchmark ignoré."
    full, test_path = loaded
    results = [run_seed(full, test_path, per_intent, seed) for seed in seeds]
    first = results[0]
    lines = [
        section_header("Apprentissage par les retours des agents (issue 13, wikit)"),
        f"`PYTHONPATH=. python benchmarks/feedback_learning.py --per-intent {per_intent} --seeds "
        f"{' '.join(map(str, seeds))}` — par tirage : {first['few']} notes étiquetées ({per_intent} par intention), "
        f"{first['counts']['feedback']} autres notes du fichier d'entraînement qualifiées par l'API (suggestion du "
        "modèle A avec call_id, puis retour avec le bon code, dans un stockage SQLite neuf), évaluation sur les "
        f"{len(pd.read_csv(test_path))} notes du fichier de test de wikit. « notes apprises » : ce que `motifs train` "
        "garde pour l'apprentissage après son propre jeu d'évaluation (20 % : stratifié sur un fichier — au moins une "
        "note par intention, d'où 2 par intention pour A —, les retours les plus récents avec --with-feedback).",
        "",
        "| tirage | modèle | notes apprises | exactitude | top-1 forcé | F1 macro | entraînement (s) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for row in result["rows"]:
            lines.append(
                f"| {result['seed']} | {row['modèle']} | {row['notes apprises']} | {row['exactitude']:.3f} | "
                f"{row['top-1']:.3f} | {row['F1 macro']:.3f} | {row['secondes']:.0f} |"
            )
    means = [statistics.fmean(r["rows"][i]["exactitude"] for r in results) for i in range(3)]
    a, b, f = means
    noisy_mean = statistics.fmean(r["rows"][3]["exactitude"] for r in results)
    lines.append(f"| moyenne | A / A + retours / complet | | {a:.3f} / {b:.3f} / {f:.3f} | | | |")
    lines.append(f"| moyenne | A + retours avec 5 % de mauvais clics | | {noisy_mean:.3f} | | | |")
    lines += ["", "Par tirage (API et `motifs train --with-feedback`) :", ""]
    for result in results:
        counts = result["counts"]
        lines.append(
            f"- tirage {result['seed']} : {counts['suggestions']} suggestions + retours en {counts['api_seconds']} s "
            f"(A avait le bon motif en tête pour {counts['right_first']}, {counts['to_confirm']} « à confirmer » ; "
            f"{counts['wrong']} mauvais clics dans le tirage bruité) ; "
            f"{result['read']} choix lus, {result['used']} exemples ; évaluation interne sur les {result['holdout']} "
            f"retours les plus récents : F1 macro {result['holdout_f1']:.3f}, alias {result['alias']}"
        )
    gain_ok, ratio_ok = b >= a + 0.10, b >= 0.95 * f
    lines += [
        "",
        f"- moyenne ≥ A + 0,10 : {b:.3f} contre {a + 0.10:.3f} — **{'atteint' if gain_ok else 'manqué'}** "
        f"(+{b - a:.3f} ; le fichier complet lui-même : +{f - a:.3f})",
        f"- moyenne ≥ 0,95 × complet : {b:.3f} contre {0.95 * f:.3f} — **{'atteint' if ratio_ok else 'manqué'}** "
        f"({b / f:.3f} × complet)",
        "- par tirage, gain sur A de A + retours / du fichier complet : "
        + ", ".join(
            f"{r['seed']} : +{r['rows'][1]['exactitude'] - r['rows'][0]['exactitude']:.3f} / "
            f"+{r['rows'][2]['exactitude'] - r['rows'][0]['exactitude']:.3f}"
            for r in results
        )
        + f" — charge {os.getloadavg()[0]:.1f} en fin de mesure",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-intent", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    quiet_mlflow()
    logging.getLogger("motifs").setLevel(logging.WARNING)
    text = run(args.per_intent, args.seeds)
    print(text)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "feedback_learning.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
