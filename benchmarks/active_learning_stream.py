"""Issue 13: a simulated weekly stream on wikit_nlu_covid — does the « à confirmer » queue teach more per label than
random feedback?

Per seed: model A is fitted (`training.fit.fit_model`, the three gates calibrated as `motifs train` does) on 3 notes
per intent of wikit's training file. wikit's test file is split in two halves: one half is held out for evaluation;
the other half and the rest of the training file make the stream, shuffled and cut into 4 weeks. Each week, each
strategy's current model suggests a reason for every call of the week, then as many labels as 20 % of the week's
calls come back (5 % of them wrong clicks: another suggested reason), and the strategy refits on A's notes plus every
label received so far:

- (a) static: model A, never refitted;
- (b) random feedback: the labelled calls are a uniform draw of the week's calls;
- (c) active-learning queue: the labelled calls are the representatives of `serving.review.queue.rank_queue` over
  the week's « à confirmer » calls (TF-IDF vectors `note_vectors`, default similarity) in queue order; when the queue
  is shorter than the budget, the other calls of the week follow by decreasing uncertainty (same function);
- (d) reported, no target: uncertainty alone — the same queue without grouping (similarity 1: only exact
  duplicates are one group), to see what diversity × volume adds.

Accuracy: top-1 reason right on the held-out half (`top-1`), and the product accuracy (right reason and not sent to
« autre », `exactitude`). Target: (c) ≥ (b) + 3 pts at 4 weeks. Prints a Markdown section for docs/BENCHMARKS.md,
writes it and a PNG chart (when matplotlib is installed) under benchmarks/results/ and docs/.

    PYTHONPATH=. nice python benchmarks/active_learning_stream.py [--seeds 0 1 2] [--weeks 4]   # ≈ 2 min a seed
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import REPO_ROOT, RESULTS_DIR, section_header, shared_datasets
from serving.review.queue import DEFAULT_SIMILARITY, QueueCandidate, note_vectors, rank_queue, uncertainty
from training.fit import fit_model

DATASET = "wikit_nlu_covid"
TEXT, LABEL = "utterance", "intent"
CONFIRM_SHARE, WRONG_CLICKS = 0.20, 0.05
STRATEGIES = ("statique", "retours au hasard", "file active", "incertitude seule")
ABLATION = "incertitude seule"  # reported, no target: the queue without grouping (similarity 1: duplicates only)


def load() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    folder = shared_datasets() / DATASET
    if not (folder / "training_dataset.csv").exists():
        return None
    return pd.read_csv(folder / "training_dataset.csv"), pd.read_csv(folder / "test_dataset.csv")


def evaluate(model: Any, texts: Sequence[str], labels: Sequence[str]) -> tuple[float, float]:
    """(top-1 accuracy, product accuracy: right reason and not « autre »)."""
    predictions = model.suggest(list(texts), k=3)
    top1 = [p.top_k[0].code if p.top_k else "" for p in predictions]
    forced = float(np.mean([t == y for t, y in zip(top1, labels, strict=True)]))
    product = float(
        np.mean([t == y and p.decision != "autre" for t, y, p in zip(top1, labels, predictions, strict=True)])
    )
    return forced, product


def pick_random(n: int, budget: int, rng: random.Random) -> list[int]:
    return rng.sample(range(n), min(budget, n))


def pick_queue(
    texts: Sequence[str], predictions: Sequence[Any], budget: int, similarity: float = DEFAULT_SIMILARITY
) -> tuple[list[int], int]:
    """The queue's representatives over the « à confirmer » calls, then the rest by decreasing uncertainty; and how
    many came from the queue itself."""
    doubt = [uncertainty([s.confidence for s in p.top_k], len(p.prediction_set)) for p in predictions]
    waiting = [i for i, p in enumerate(predictions) if p.decision == "to_confirm"]
    candidates = [
        QueueCandidate(
            str(i), texts[i], tuple(s.confidence for s in predictions[i].top_k), tuple(predictions[i].prediction_set)
        )
        for i in waiting
    ]
    vectors = note_vectors([c.text for c in candidates])
    entries = rank_queue(candidates, vectors, similarity=similarity) if candidates else []
    picked = [waiting[e.index] for e in entries][:budget]
    from_queue = len(picked)
    if len(picked) < budget:
        taken = set(picked)
        rest = sorted((i for i in range(len(texts)) if i not in taken), key=lambda i: (-doubt[i], i))
        picked += rest[: budget - len(picked)]
    return picked, from_queue


def labels_from_agents(
    picked: Sequence[int],
    labels: Sequence[str],
    predictions: Sequence[Any],
    all_labels: Sequence[str],
    rng: random.Random,
) -> list[str]:
    """The right intent, or for WRONG_CLICKS of them another suggested one (any other when none was suggested)."""
    chosen = []
    for i in picked:
        label = labels[i]
        if rng.random() < WRONG_CLICKS:
            others = [s.code for s in predictions[i].top_k if s.code not in (label, "autre")]
            label = rng.choice(others or [c for c in all_labels if c != label])
        chosen.append(label)
    return chosen


def run_seed(train: pd.DataFrame, test: pd.DataFrame, seed: int, weeks: int, per_intent: int) -> dict[str, Any]:
    few = train.groupby(LABEL, group_keys=False).sample(n=per_intent, random_state=seed)
    rest = train.drop(few.index)
    test = test.sample(frac=1.0, random_state=seed)
    held_out, streamed = test.iloc[: len(test) // 2], test.iloc[len(test) // 2 :]
    stream = pd.concat([rest, streamed]).sample(frac=1.0, random_state=seed + 1)
    week_frames = np.array_split(np.arange(len(stream)), weeks)
    all_labels = sorted(train[LABEL].unique())
    eval_texts, eval_labels = list(held_out[TEXT].astype(str)), list(held_out[LABEL])
    base_texts, base_labels = list(few[TEXT].astype(str)), list(few[LABEL])

    started = time.perf_counter()
    model_a = fit_model(base_texts, base_labels)
    a_scores = evaluate(model_a, eval_texts, eval_labels)
    curves: dict[str, list[tuple[float, float]]] = {name: [a_scores] for name in STRATEGIES}
    models = {"retours au hasard": model_a, "file active": model_a, ABLATION: model_a}
    learned: dict[str, tuple[list[str], list[str]]] = {name: ([], []) for name in models}
    label_counts: list[int] = []
    queue_counts: list[int] = []  # labels of (c) that were queue representatives (the rest: uncertainty fill)
    for week, rows in enumerate(week_frames, start=1):
        frame = stream.iloc[rows]
        texts, labels = list(frame[TEXT].astype(str)), list(frame[LABEL])
        budget = round(CONFIRM_SHARE * len(texts))
        label_counts.append(budget)
        for name in models:
            rng = random.Random(seed * 1000 + week)  # same clicks' luck for both strategies
            predictions = models[name].suggest(texts, k=3)
            if name == "retours au hasard":
                picked = pick_random(len(texts), budget, random.Random(seed * 7 + week))
            elif name == ABLATION:
                picked, _ = pick_queue(texts, predictions, budget, similarity=1.0)
            else:
                picked, from_queue = pick_queue(texts, predictions, budget)
                queue_counts.append(from_queue)
            got = labels_from_agents(picked, labels, predictions, all_labels, rng)
            learned[name][0].extend(texts[i] for i in picked)
            learned[name][1].extend(got)
            models[name] = fit_model(base_texts + learned[name][0], base_labels + learned[name][1])
            curves[name].append(evaluate(models[name], eval_texts, eval_labels))
        curves["statique"].append(a_scores)
        print(
            f"seed {seed} week {week}: " + ", ".join(f"{name} {curves[name][-1][0]:.3f}" for name in STRATEGIES),
            file=sys.stderr,
        )
    return {
        "seed": seed,
        "curves": curves,
        "labels_per_week": label_counts,
        "from_queue": queue_counts,
        "stream": len(stream),
        "held_out": len(held_out),
        "few": len(few),
        "seconds": time.perf_counter() - started,
    }


def _chart(mean: dict[str, list[float]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    for name, marker in zip(STRATEGIES, ("s", "o", "^", "x"), strict=True):
        ax.plot(range(len(mean[name])), [100 * v for v in mean[name]], marker=marker, label=name)
    ax.set_xticks(range(len(mean[STRATEGIES[0]])))
    ax.set_xlabel("semaine")
    ax.set_ylabel("top-1 sur la moitié tenue à l'écart (%)")
    ax.set_title("wikit : flux hebdomadaire, 20 % des appels étiquetés")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def report(results: list[dict[str, Any]], weeks: int, load_note: str) -> str:
    mean = {
        name: [statistics.mean(r["curves"][name][w][0] for r in results) for w in range(weeks + 1)]
        for name in STRATEGIES
    }
    product = {
        name: [statistics.mean(r["curves"][name][w][1] for r in results) for w in range(weeks + 1)]
        for name in STRATEGIES
    }
    first = results[0]
    lines = [
        section_header("Active learning — simulated weekly stream, wikit (`benchmarks/active_learning_stream.py`)"),
        f"Seeds {', '.join(str(r['seed']) for r in results)}; A fitted on {first['few']} notes (3 per intent); stream "
        f"of {first['stream']} calls in {weeks} weeks, labels per week {first['labels_per_week']} (20 %, 5 % wrong "
        f"clicks); evaluation on {first['held_out']} held-out test notes. {load_note}",
        "",
        "Top-1 accuracy (mean over seeds; product accuracy — right and not « autre » — in brackets):",
        "",
        "| semaine | " + " | ".join(STRATEGIES) + " | (c) − (b) |",
        "|---|" + "---|" * (len(STRATEGIES) + 1),
    ]
    for w in range(weeks + 1):
        cells = [f"{100 * mean[n][w]:.1f} % ({100 * product[n][w]:.1f})" for n in STRATEGIES]
        gap = 100 * (mean["file active"][w] - mean["retours au hasard"][w])
        lines.append(f"| {w} | " + " | ".join(cells) + f" | {gap:+.1f} pts |")
    gaps = [100 * (r["curves"]["file active"][weeks][0] - r["curves"]["retours au hasard"][weeks][0]) for r in results]
    final_gap = 100 * (mean["file active"][weeks] - mean["retours au hasard"][weeks])
    queue_share = [f"{r['seed']}: {r['from_queue']}" for r in results]
    verdict = "met" if final_gap >= 3.0 else "**missed**"
    lines += [
        "",
        f"Target (c) ≥ (b) + 3 pts at week {weeks}: {final_gap:+.1f} pts (per seed: "
        f"{', '.join(f'{g:+.1f}' for g in gaps)}) — {verdict}. Run time {sum(r['seconds'] for r in results):.0f} s.",
        "",
        "Labels of (c) that were queue representatives (« à confirmer » calls), per week — the rest of the 20 % "
        f"came from the uncertainty fill: {'; '.join(queue_share)}.",
    ]
    chart = REPO_ROOT / "docs" / "active_learning_stream.png"
    if _chart(mean, chart):
        lines += ["", f"![Flux hebdomadaire wikit]({chart.name})"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--per-intent", type=int, default=3)
    args = parser.parse_args(argv)
    data = load()
    if data is None:
        print(f"{DATASET} absent de {shared_datasets()} : benchmark sauté.")
        return 0
    train, test = data
    load_note = f"Load before: {os.getloadavg()[0]:.2f}."
    results = [run_seed(train, test, seed, args.weeks, args.per_intent) for seed in args.seeds]
    load_note += f" Load after: {os.getloadavg()[0]:.2f}."
    text = report(results, args.weeks, load_note)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "active_learning_stream.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
