"""Lookup vs rule lemmas for `motifs emerging` (issue 17): speed and agreement with the current default.

Run from the repository root:

    PYTHONPATH=. .venv/bin/python benchmarks/lemmatizer_agreement.py [--notes 3000]

On three sets of notes — the demo corpus (`training.demo`, redacted with rules), wikit_nlu_covid and the AN written
questions (Windows-1252) from the shared datasets — `SpacyLemmatizer` (tok2vec + morphologizer + rule lemmatizer,
the default) and `LookupLemmatizer` (tokenizer + lookup table, no POS) on the same notes, one process each, timed:
- notes/s of each (the spaCy model is loaded before timing);
- lemma agreement: over all notes, the share of the rule lemmas (with multiplicity) that the lookup gives too, and
  the reverse; the mean per-note Jaccard of the lemma sets;
- the mean cosine of the two notes' static vectors (they differ when the kept words differ).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, section_header, shared_datasets

from pipeline.nlp import load_nlp, load_vectors_nlp, lookup_lemma
from pipeline.redaction import Redactor
from serving.monitoring import LookupLemmatizer, SpacyLemmatizer, Tokens, default_config
from training.demo import DemoSettings, generate_demo_calls


def _sets(notes: int, seed: int) -> dict[str, list[str]]:
    demo = pd.concat(list(generate_demo_calls(DemoSettings(rows=notes, seed=seed, weeks=16))), ignore_index=True)
    wikit = pd.read_csv(shared_datasets() / "wikit_nlu_covid" / "training_dataset.csv")
    an = pd.read_csv(shared_datasets() / "an_qe16_2022q3" / "data.csv", sep="|", encoding="cp1252")
    return {
        "démo (rédigées)": Redactor(use_ner="off").transform(demo["text"].astype(str).tolist()),
        "wikit_nlu_covid": wikit["utterance"].astype(str).sample(n=min(notes, len(wikit)), random_state=seed).tolist(),
        "AN questions écrites": an["question"].astype(str).sample(n=min(notes, len(an)), random_state=seed).tolist(),
    }


def _agreement(rule: list[Tokens], lookup: list[Tokens]) -> dict[str, float]:
    common = rule_total = lookup_total = 0
    jaccard, cosine = [], []
    for a, b in zip(rule, lookup, strict=True):
        left, right = Counter(a.lemmas), Counter(b.lemmas)
        common += sum((left & right).values())
        rule_total += sum(left.values())
        lookup_total += sum(right.values())
        union = set(left) | set(right)
        jaccard.append(len(set(left) & set(right)) / len(union) if union else 1.0)
        assert a.vector is not None and b.vector is not None
        norms = float(np.linalg.norm(a.vector) * np.linalg.norm(b.vector))
        if norms:
            cosine.append(float(a.vector @ b.vector) / norms)
    return {
        "rule_in_lookup": common / max(rule_total, 1),
        "lookup_in_rule": common / max(lookup_total, 1),
        "jaccard": float(np.mean(jaccard)),
        "vector_cosine": float(np.mean(cosine)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=3000, help="notes per set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS_DIR / "lemmatizer_agreement.md"))
    args = parser.parse_args()
    stops = default_config().emerging.representation.extra_stop_words
    load_nlp(), load_vectors_nlp(), lookup_lemma("appels")  # loaded before timing
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    lines = [
        section_header("Lemmes : table de correspondance vs règles spaCy (`benchmarks/lemmatizer_agreement.py`)"),
        f"_{uptime}_\n",
        "| notes | n | spaCy règles (notes/s) | lookup (notes/s) | × | lemmes règles retrouvés | lemmes lookup "
        "retrouvés | Jaccard moyen par note | cosinus des vecteurs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, texts in _sets(args.notes, args.seed).items():
        started = time.perf_counter()
        rule = SpacyLemmatizer(extra_stop_words=stops)(texts)
        rule_s = time.perf_counter() - started
        started = time.perf_counter()
        lookup = LookupLemmatizer(extra_stop_words=stops)(texts)
        lookup_s = time.perf_counter() - started
        a = _agreement(rule, lookup)
        lines.append(
            f"| {name} | {len(texts)} | {len(texts) / rule_s:,.0f} | {len(texts) / lookup_s:,.0f} | "
            f"{rule_s / lookup_s:.1f} | {a['rule_in_lookup']:.1%} | {a['lookup_in_rule']:.1%} | {a['jaccard']:.3f} | "
            f"{a['vector_cosine']:.3f} |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
