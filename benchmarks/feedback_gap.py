"""Issue 13, follow-up: where does `--with-feedback` lose against the same notes given as a file? (wikit)

`benchmarks/feedback_learning.py` measured A + agents' feedback at +0.093 over A, the full labelled file at +0.100.
This script takes one difference between the two paths at a time, on the same draw of 3 notes per intent, and
reports the accuracy on wikit's 913 test notes of each variant (all fitted by `training.fit.fit_model` with the
configuration, taxonomy texts and redactor `motifs train` uses; variant `api` also goes through
`train_and_register` to check that the direct fit reproduces it exactly):

- `api`       — the benchmark's A + feedback: 66 file notes + 264 notes qualified through the API and read back from
                the store (`read_feedback_notes`), the 53 most recent choices held out (277 notes learnt);
- `raw`       — the same 277 notes, the same order, with the raw text of each note instead of the stored one
                (isolates redaction in the API and the store round trip);
- `file-order`— the same 277 raw notes in the order of the labelled file (isolates row order: calibration folds);
- `strat-out` — 66 file notes + the 264 others minus a *stratified* draw of 53 (isolates which notes the holdout
                takes: the freshest choices are not balanced across intents, a stratified file split is);
- `full`      — the full labelled file as `motifs train` reads it: stratified 20 % held out (264 learnt); with
                `--full-splits`, also for other values of `training.split.random_state` (its own noise);
- `all-330`   — every labelled note learnt (no holdout): the ceiling of the data, not of the protocol.

    PYTHONPATH=. python benchmarks/feedback_gap.py [--seeds 0 1 2 3 4] [--full-splits 0 1 2 3 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import RESULTS_DIR, section_header
from benchmarks.feedback_learning import DATASET, LABEL, TEXT, few_per_intent, load, qualify_through_api, train
from motifs.cli.feedback_notes import read_feedback_notes
from motifs.cli.train_cmd import quiet_mlflow
from pipeline.redaction import Redactor
from training.evaluate import evaluate
from training.feedback import prepare_feedback, split_recent
from training.fit import fit_model
from training.run import evaluate_file, label_space, load_config, reason_texts
from training.split import stratified_split

VARIANTS = ("api", "raw", "file-order", "strat-out", "full", "all-330")


class Fitter:
    """`fit_model` exactly as `train_and_register` calls it (config, taxonomy texts, redactor), then the test file."""

    def __init__(self, full: pd.DataFrame, test: pd.DataFrame) -> None:
        self.space = label_space(f"from-data:{DATASET.split('_')[0]}", list(full[LABEL]), data_name="wikit.csv")
        config = load_config(None)
        self.model_config = {key: value for key, value in config.items() if key != "training"}
        self.settings = config["training"]
        self.signal = reason_texts(self.space.taxonomy)
        self.test_texts = [str(t) for t in test[TEXT]]
        self.test_codes = [self.space.code_of(str(label)) for label in test[LABEL]]

    def accuracy(self, texts: Sequence[str], labels: Sequence[str]) -> float:
        codes = [self.space.code_of(str(label)) for label in labels]
        model = fit_model(list(texts), codes, self.signal, self.model_config, redactor=Redactor())
        return float(evaluate(model, self.test_texts, self.test_codes).accuracy)


def run_seed(full: pd.DataFrame, test_path: Path, fitter: Fitter, seed: int, shuffles: int) -> dict[str, Any]:
    few, rest = few_per_intent(full, 3, seed)
    labels = sorted(full[LABEL].unique())
    out: dict[str, Any] = {"seed": seed}
    with tempfile.TemporaryDirectory(prefix="motifs-gap-") as tmp:
        root = Path(tmp)
        os.environ["MOTIFS_TRUSTED_MODELS"] = str(root / "trusted-models.jsonl")
        uri, store = f"sqlite:///{root / 'mlflow.db'}", f"sqlite:///{root / 'motifs.db'}"
        few_path = root / "few.csv"
        few.to_csv(few_path, index=False)
        model_a = train(few_path, root / "a", uri)
        qualify_through_api(model_a.model_dir, labels, rest, store)
        notes = read_feedback_notes(store, None)
        with_feedback = train(few_path, root / "b", uri, feedback=notes)
        out["api (train_and_register)"] = evaluate_file(
            with_feedback.model_dir, test_path, text_col=TEXT, label_col=LABEL
        ).report.accuracy

    # The feedback as `train_and_register` sees it: oldest first, the most recent 20 % held out.
    examples = prepare_feedback(notes, fitter.space.taxonomy)
    raw_of = {f"wikit-{i:04d}": str(text) for i, text in enumerate(rest[TEXT])}
    index_of = {f"wikit-{i:04d}": index for i, index in enumerate(rest.index)}
    order = [note.call_id for note in sorted(notes, key=lambda n: n.given_at)]
    assert len(order) == len(examples) == len(rest), (len(order), len(examples), len(rest))
    older, recent = split_recent(len(examples), float(fitter.settings["split"]["evaluation_fraction"]))
    code_to_label = {code: label for label, code in fitter.space.label_codes.items()}
    # The file's rows as train_and_register orders them with feedback: its own split's train part, then its
    # evaluation part (both join the training when the freshest feedback is the holdout).
    few_codes = [fitter.space.code_of(str(label)) for label in few[LABEL]]
    fraction, split_seed = (
        float(fitter.settings["split"]["evaluation_fraction"]),
        int(fitter.settings["split"]["random_state"]),
    )
    few_split = stratified_split(few_codes, test_size=fraction, random_state=split_seed)
    few_rows = few.iloc[[int(i) for i in (*few_split.train, *few_split.test)]]
    file_texts, file_labels = [str(t) for t in few_rows[TEXT]], [str(label) for label in few_rows[LABEL]]
    stored = [examples.texts[i] for i in older]
    stored_labels = [code_to_label[examples.codes[i]] for i in older]
    out["changed_by_store"] = sum(examples.texts[i] != raw_of[order[i]] for i in range(len(order)))
    redactor = Redactor()
    out["changed_by_redaction_twice"] = sum(
        redactor.redact(examples.texts[i]) != redactor.redact(raw_of[order[i]]) for i in range(len(order))
    )

    out["api"] = fitter.accuracy(file_texts + stored, file_labels + stored_labels)
    raw = [raw_of[order[i]] for i in older]
    out["raw"] = fitter.accuracy(file_texts + raw, file_labels + stored_labels)
    shuffled = []
    for shuffle in range(shuffles):
        order_rng = np.random.default_rng(1000 * seed + shuffle)
        rows = order_rng.permutation(len(file_texts) + len(raw))
        texts, labels_ = file_texts + raw, file_labels + stored_labels
        shuffled.append(fitter.accuracy([texts[i] for i in rows], [labels_[i] for i in rows]))
    out["shuffled_all"] = shuffled
    kept = set(few.index) | {index_of[order[i]] for i in older}
    in_file = full.loc[sorted(kept)]
    out["file-order"] = fitter.accuracy([str(t) for t in in_file[TEXT]], [str(x) for x in in_file[LABEL]])
    strat = rest.drop(balanced_holdout(rest, len(recent), seed))
    out["strat-out"] = fitter.accuracy(
        file_texts + [str(t) for t in strat[TEXT]], file_labels + [str(x) for x in strat[LABEL]]
    )
    out["n"] = {"api": len(file_texts) + len(stored), "strat-out": len(file_texts) + len(strat)}
    print(f"seed {seed}: {out}", file=sys.stderr)
    return out


def balanced_holdout(rest: pd.DataFrame, size: int, seed: int) -> list[Any]:
    """`size` rows of `rest` (index labels), spread over the intents as evenly as possible: each intent gives
    ⌊size / intents⌋ notes, the remainder one more each from intents drawn at random."""
    rng = np.random.default_rng(seed)
    groups = {label: list(rows) for label, rows in rest.groupby(LABEL).groups.items()}
    intents = sorted(groups)
    base, extra = divmod(size, len(intents))
    more = set(rng.choice(len(intents), size=extra, replace=False).tolist())
    out: list[Any] = []
    for position, label in enumerate(intents):
        rows = groups[label]
        take = min(len(rows), base + (position in more))
        out.extend(rows[i] for i in rng.permutation(len(rows))[:take])
    return out


def full_file(full: pd.DataFrame, fitter: Fitter, split_seed: int) -> float:
    """The full labelled file as `motifs train` trains it: stratified split with `random_state = split_seed`."""
    codes = [fitter.space.code_of(str(label)) for label in full[LABEL]]
    split = stratified_split(
        codes, test_size=float(fitter.settings["split"]["evaluation_fraction"]), random_state=split_seed
    )
    rows = full.iloc[[int(i) for i in split.train]]
    return fitter.accuracy([str(t) for t in rows[TEXT]], [str(x) for x in rows[LABEL]])


def run(seeds: Sequence[int], full_splits: Sequence[int], shuffles: int) -> str:
    loaded = load()
    if loaded is None:
        return f"{DATASET} absent : benchmark ignoré."
    full, test_path = loaded
    test = pd.read_csv(test_path)
    fitter = Fitter(full, test)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    results = [run_seed(full, test_path, fitter, seed, shuffles) for seed in seeds]
    fulls = {s: full_file(full, fitter, s) for s in full_splits}
    all_330 = fitter.accuracy([str(t) for t in full[TEXT]], [str(x) for x in full[LABEL]])
    seconds = time.perf_counter() - started
    variants = ("api", "raw", "file-order", "shuffled", "strat-out")
    for r in results:
        r["shuffled"] = statistics.fmean(r["shuffled_all"]) if r["shuffled_all"] else float("nan")
    lines = [
        section_header("Where --with-feedback loses against the same notes as a file (issue 13, wikit)"),
        f"`PYTHONPATH=. python benchmarks/feedback_gap.py --seeds {' '.join(map(str, seeds))} --full-splits "
        f"{' '.join(map(str, full_splits))} --shuffles {shuffles}` — load {load_before:.1f} → "
        f"{os.getloadavg()[0]:.1f}, {seconds:.0f} s. Accuracy (product) on wikit's {len(test)} test notes.",
        "",
        "| draw | api via train_and_register | api | raw | file-order | shuffled (mean; min–max) | strat-out "
        "| notes stored ≠ raw | ≠ after redaction |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        low, high = (min(r["shuffled_all"]), max(r["shuffled_all"])) if r["shuffled_all"] else (0.0, 0.0)
        lines.append(
            f"| {r['seed']} | {r['api (train_and_register)']:.3f} | {r['api']:.3f} | {r['raw']:.3f} | "
            f"{r['file-order']:.3f} | {r['shuffled']:.3f} ({low:.3f}–{high:.3f}) | {r['strat-out']:.3f} | "
            f"{r['changed_by_store']} | {r['changed_by_redaction_twice']} |"
        )
    means = {v: statistics.fmean(r[v] for r in results) for v in variants}
    spread = {v: statistics.stdev(r[v] for r in results) if len(results) > 1 else 0.0 for v in variants}
    lines.append("| mean | | " + " | ".join(f"{means[v]:.3f}" for v in variants) + " | | |")
    lines.append("| s.d. over draws | | " + " | ".join(f"{spread[v]:.3f}" for v in variants) + " | | |")
    lines += [
        "",
        "Full labelled file, stratified 20 % held out (264 learnt), by `training.split.random_state`: "
        + ", ".join(f"{s}: {a:.3f}" for s, a in fulls.items())
        + (f" — mean {statistics.fmean(fulls.values()):.3f}" if fulls else "")
        + (f", s.d. {statistics.stdev(fulls.values()):.3f}" if len(fulls) > 1 else ""),
        f"All 330 labelled notes learnt (no holdout): {all_330:.3f}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--full-splits", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--shuffles", type=int, default=3, help="random row orders of the `raw` notes per draw")
    args = parser.parse_args()
    quiet_mlflow()
    logging.getLogger("motifs").setLevel(logging.WARNING)
    text = run(args.seeds, args.full_splits, args.shuffles)
    print(text)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "feedback_gap.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
