"""Speed of the reason model, stage by stage, and accuracy vs speed of the feature/lemmatizer variants.

Targets (issue 4): API p50 ≤ 10 ms per 60-word note including redaction; batch ≥ 1,500 notes/s on 2 cores with
redaction. Redaction is not part of this branch yet: the numbers below are WITHOUT it.

Notes of 60 words are cut from the AN written questions (real French prose), or from the wikit test set when the AN
file is absent. Variants are trained on wikit (closed-set accuracy on its test set, same split as
benchmarks/classifier.py) so accuracy and speed are recorded side by side.

    PYTHONPATH=. python benchmarks/classifier_speed.py [--processes 2]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.classifier import humanise, load_an, load_wikit  # noqa: E402
from pipeline import nlp  # noqa: E402
from pipeline.features import FrenchAnalyser, NgramTfidf  # noqa: E402
from pipeline.model import ReasonModel  # noqa: E402
from pipeline.text import FrenchNormaliser  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "classifier_speed.md"

VARIANTS: dict[str, dict[str, Any]] = {
    "default: char n-grams + static vectors, lookup lemmas": {},
    "char n-grams only": {"features": {"vectors": {"weight": 0.0}}},
    "static vectors only": {"features": {"char": {"weight": 0.0}}},
    "+ lemma word n-grams (weight 0.5)": {"features": {"lemma": {"weight": 0.5}}},
    "spaCy statistical lemmatizer (tok2vec + morphologizer)": {"preprocessing": {"lemmatizer": "spacy"}},
}


def sixty_word_notes(n: int = 1000) -> list[str]:
    an = load_an()
    if an is not None:
        texts = list(an[0].text) + list(an[1].text)
    else:
        wikit = load_wikit()
        if wikit is None:
            raise SystemExit("no dataset available")
        texts = [" ".join(wikit[1].text)]
    words = " ".join(texts).split()
    notes = [" ".join(words[i : i + 60]) for i in range(0, len(words) - 60, 60)]
    return notes[:n]


def rate(function: Callable[[], object], n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return n / best


def p50_ms(model: ReasonModel, notes: Sequence[str]) -> float:
    timings = []
    for note in notes:
        start = time.perf_counter()
        model.suggest([note])
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


_WORKER_MODEL: ReasonModel | None = None


def _init_worker(model: ReasonModel) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model
    model.suggest(["échauffement"])


def _suggest_chunk(chunk: list[str]) -> int:
    assert _WORKER_MODEL is not None
    return len(_WORKER_MODEL.suggest(chunk))


def parallel_rate(model: ReasonModel, notes: list[str], processes: int) -> float:
    chunks = [notes[i : i + 250] for i in range(0, len(notes), 250)]
    with ProcessPoolExecutor(processes, initializer=_init_worker, initargs=(model,)) as pool:
        list(pool.map(_suggest_chunk, chunks[:processes]))  # warm-up
        start = time.perf_counter()
        done = sum(pool.map(_suggest_chunk, chunks))
        return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    wikit = load_wikit()
    if wikit is None:
        print("wikit_nlu_covid absent: skipped")
        return
    train, test = wikit
    reason_texts = {code: [humanise(code)] for code in sorted(set(train.label))}
    notes = sixty_word_notes()
    lines = [
        f"## Classifier speed — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f} — {len(notes)} notes of 60 words, WITHOUT redaction",
        "",
        "### Stages (one process)",
        "",
        "| stage | notes/s |",
        "|---|---|",
    ]
    normaliser = FrenchNormaliser().fit(notes)
    normalised = normaliser.transform(notes)
    lookup = FrenchAnalyser().fit(normalised)
    docs = lookup.transform(normalised)
    char = NgramTfidf(kind="char").fit(lookup.transform(normaliser.transform(list(train.text))))
    stages = {
        "normalise (NFKC, apostrophes, abbreviations)": lambda: normaliser.transform(notes),
        "tokenizer + lookup lemmas (default)": lambda: lookup.transform(normalised),
        "spaCy tok2vec + morphologizer + lemmatizer": lambda: (
            FrenchAnalyser(lemmatizer="spacy").fit(normalised).transform(normalised)
        ),
        "char n-gram TF-IDF, per-word cache (default)": lambda: char.transform(docs),
        "char n-gram TF-IDF, scikit-learn transform": lambda: char.vectorizer_.transform(char._documents(docs)),
    }
    nlp.load_nlp()
    for name, function in stages.items():
        function()  # warm caches
        lines.append(f"| {name} | {rate(function, len(notes)):,.0f} |")
    lines += [
        "",
        "### Variants: accuracy (wikit closed set) and speed (60-word notes)",
        "",
        "| variant | wikit accuracy | top-3 | batch notes/s (1 process) | p50 one note (ms) |",
        "|---|---|---|---|---|",
    ]
    default_model: ReasonModel | None = None
    for name, config in VARIANTS.items():
        model = ReasonModel(config=config).fit(list(train.text), list(train.label), reason_texts=reason_texts)
        model.max_prob_weight_ = 1.0  # as chosen by training.fit on wikit: no exemplar similarity at prediction
        proba = model.predict_proba(list(test.text))
        truth = test.label.to_numpy()
        accuracy = float((model.classes_[proba.argmax(axis=1)] == truth).mean())
        top3 = np.argsort(-proba, axis=1)[:, :3]
        top3_accuracy = float(np.mean([t in model.classes_[r] for t, r in zip(truth, top3, strict=True)]))
        model.suggest(notes[:50])
        batch = rate(functools.partial(model.suggest, notes), len(notes), repeat=2)
        latency = p50_ms(model, notes[:200])
        lines.append(f"| {name} | {accuracy:.3f} | {top3_accuracy:.3f} | {batch:,.0f} | {latency:.1f} |")
        print(lines[-1], flush=True)
        if default_model is None:
            default_model = model
    assert default_model is not None
    if args.processes > 1:
        lines += [
            "",
            f"Default model, {args.processes} processes: "
            f"{parallel_rate(default_model, notes * 3, args.processes):,.0f} notes/s.",
        ]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
