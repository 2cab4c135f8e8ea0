"""Redaction benchmark: accuracy on the annotated corpus, over-redaction on real texts, throughput, classifier impact.

    PYTHONPATH=. python benchmarks/redaction_bench.py [--quick]

Writes a Markdown section (date, machine) to benchmarks/results/redaction.md and prints it. Variants compared in the
same run: NER off (rules and name lists only), NER gated (spaCy NER only on notes holding an unexplained capitalised
word), NER always. Public datasets come from ../shared/datasets (or $MOTIFS_SHARED_DATASETS); the parts needing
them are skipped when they are absent. Scores follow the matching rules of `pipeline.redaction.evaluation`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.redaction import PII_TYPES, Redactor  # noqa: E402
from pipeline.redaction.evaluation import GoldNote, read_gold, score, wrongly_redacted_on_clean_texts  # noqa: E402

CORPUS = REPO / "tests" / "data" / "redaction" / "corpus.jsonl"
RESULTS = REPO / "benchmarks" / "results" / "redaction.md"
VARIANTS = ("off", "gated", "always")
TARGETS = {"NIR": 0.99, "IBAN": 0.99, "TEL": 0.99, "EMAIL": 0.99, "CARTE": 0.99, "NOM": 0.90, "DATE_NAISSANCE": 0.95}


def shared_datasets() -> Path:
    default = REPO.parent / "shared" / "datasets"
    return Path(os.environ.get("MOTIFS_SHARED_DATASETS", default))


# ----------------------------------------------------------------------------------------------- data
def clean_texts() -> dict[str, list[str]]:
    """Real French texts without personal data: Wikit NLU utterances, COVID FAQ questions of public bodies."""
    base = shared_datasets()
    found: dict[str, list[str]] = {}
    wikit = base / "wikit_nlu_covid"
    if wikit.is_dir():
        found["wikit_nlu_covid"] = [
            row["utterance"]
            for name in ("training_dataset.csv", "test_dataset.csv")
            for row in csv.DictReader((wikit / name).open(encoding="utf-8"))
        ]
    faq = base / "covid19_faq_admin" / "faq-questions.json"
    if faq.is_file():
        found["covid19_faq_admin"] = [item["q"] for item in json.loads(faq.read_text(encoding="utf-8"))]
    return found


def deputy_questions() -> list[tuple[str, str]]:
    """(question start, deputy's name without civility) from the Assemblée nationale written questions."""
    path = shared_datasets() / "an_qe16_2022q3" / "data.csv"
    if not path.is_file():
        return []
    pairs = []
    with path.open(encoding="cp1252", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="|"):
            name = re.sub(r"\s*\(.*\)$", "", re.sub(r"^(M\.|Mme)\s+", "", row["nom"].strip()))
            text = row["question"][:300]
            if name and name in text:
                pairs.append((text, name))
    return pairs


def notes_of_words(texts: Sequence[str], words: int, count: int) -> list[str]:
    """`count` notes of exactly `words` words, made by joining the given texts in turn (60-word agents' notes)."""
    notes: list[str] = []
    pool = [t.split() for t in texts if t.strip()]
    k = 0
    while len(notes) < count:
        current: list[str] = []
        while len(current) < words:
            current.extend(pool[k % len(pool)])
            k += 1
        notes.append(" ".join(current[:words]))
    return notes


# ----------------------------------------------------------------------------------------------- measures
def accuracy_table(notes_by_split: dict[str, list[GoldNote]]) -> tuple[str, dict[str, dict[str, object]]]:
    lines = [
        "| split | NER | " + " | ".join(PII_TYPES) + " | all types | wrongly redacted words |",
        "|---|---|" + "---|" * (len(PII_TYPES) + 2),
    ]
    summary: dict[str, dict[str, object]] = {}
    for split, notes in notes_by_split.items():
        for variant in VARIANTS:
            redactor = Redactor(use_ner=variant)
            scores = score(notes, redactor.find_spans_many([n.text for n in notes]))
            cells = []
            for kind in PII_TYPES:
                recall, precision = scores.recall(kind), scores.precision(kind)
                cells.append(f"{_fmt(recall)} / {_fmt(precision)} (n={scores.gold[kind]})")
            wrong = scores.wrongly_redacted_share()
            lines.append(
                f"| {split} | {variant} | " + " | ".join(cells) + f" | {_fmt(scores.total_recall())} | "
                f"{wrong:.2%} ({scores.wrongly_redacted_words}/{scores.other_words}) |"
            )
            summary[f"{split}/{variant}"] = {
                "recall": {k: scores.recall(k) for k in PII_TYPES},
                "typed_recall": {k: scores.typed_recall(k) for k in PII_TYPES},
                "precision": {k: scores.precision(k) for k in PII_TYPES},
                "wrong": wrong,
                "misses": scores.misses,
            }
    return "\n".join(lines), summary


def over_redaction_table() -> str:
    datasets = clean_texts()
    if not datasets:
        return "_Datasets absent: over-redaction on real texts skipped._"
    lines = ["| texts | NER | notes | words | words redacted | share |", "|---|---|---|---|---|---|"]
    for name, texts in datasets.items():
        for variant in VARIANTS:
            spans = Redactor(use_ner=variant).find_spans_many(texts)
            redacted, total = wrongly_redacted_on_clean_texts(texts, spans)
            lines.append(f"| {name} | {variant} | {len(texts)} | {total} | {redacted} | {redacted / total:.3%} |")
    return "\n".join(lines)


def deputy_table() -> str:
    pairs = deputy_questions()
    if not pairs:
        return "_Dataset absent: name recall on Assemblée nationale questions skipped._"
    lines = ["| NER | questions | deputy's name fully redacted |", "|---|---|---|"]
    texts = [t for t, _ in pairs]
    for variant in VARIANTS:
        found = 0
        for (text, name), spans in zip(pairs, Redactor(use_ner=variant).find_spans_many(texts), strict=True):
            start = text.index(name)
            covered = {k for s in spans for k in range(s.start, s.end)}
            found += all(k in covered for k in range(start, start + len(name)) if text[k].isalnum())
        lines.append(f"| {variant} | {len(pairs)} | {found / len(pairs):.1%} |")
    return "\n".join(lines)


def _redact_chunk(args: tuple[str, list[str]]) -> int:
    variant, texts = args
    return len(Redactor(use_ner=variant).transform(texts))


def _warm(variant: str) -> None:
    Redactor(use_ner=variant).transform(["Mme Dupont appelle au 06 12 34 56 78."])
    if variant != "off":
        from pipeline import nlp

        nlp.load_nlp()


def throughput(texts: list[str], variant: str, *, workers: int = 1, repeat: int = 3) -> float:
    """Notes per second of wall-clock time (best of `repeat`), redaction only."""
    if workers == 1:
        return _single(texts, variant, repeat, time.perf_counter)
    return _pooled(texts, variant, workers, repeat)


def cpu_throughput(texts: list[str], variant: str, repeat: int = 3) -> float:
    """Notes per second of this process's CPU time: what a quiet core would do, roughly, on a busy machine."""
    return _single(texts, variant, repeat, time.process_time)


def _single(texts: list[str], variant: str, repeat: int, clock: Callable[[], float]) -> float:
    redactor = Redactor(use_ner=variant)
    _warm(variant)
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        redactor.transform(texts)
        best = min(best, clock() - start)
    return len(texts) / best


def _pooled(texts: list[str], variant: str, workers: int, repeat: int) -> float:
    chunks = [texts[k : k + 256] for k in range(0, len(texts), 256)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm, initargs=(variant,)) as pool:
        list(pool.map(_redact_chunk, [(variant, chunks[0])] * workers))  # warm every worker
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            list(pool.map(_redact_chunk, [(variant, c) for c in chunks]))
            best = min(best, time.perf_counter() - start)
    return len(texts) / best


def ner_only_throughput(texts: list[str]) -> float:
    from pipeline import nlp

    nlp.load_nlp()
    start = time.perf_counter()
    for _ in nlp.run(texts, nlp.ENTITIES):
        pass
    return len(texts) / (time.perf_counter() - start)


def per_note_latency(texts: list[str], variant: str) -> tuple[float, float, float]:
    """Wall-clock p50 and p99, and CPU p50, in milliseconds of `redact(text)` one note at a time (the API's path)."""
    redactor = Redactor(use_ner=variant)
    _warm(variant)
    wall, cpu = [], []
    for text in texts:
        start, start_cpu = time.perf_counter(), time.process_time()
        redactor.redact(text)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    wall.sort()
    return statistics.median(wall), wall[int(0.99 * (len(wall) - 1))], statistics.median(cpu)


def gate_rate(texts: list[str]) -> float:
    """Share of notes on which the gated mode runs spaCy's NER (first pass)."""
    engine = Redactor(use_ner="gated")._engine()
    return sum(engine.names.needs_ner(t, engine.rule_candidates(t)) for t in texts) / len(texts)


def phone_comparison(notes: list[GoldNote]) -> str:
    """Regex + run classification (ours) against Google's phonenumbers matcher, on the corpus's phone numbers."""
    import phonenumbers

    gold = [(n, g) for n in notes for g in n.spans if g.type == "TEL"]
    texts = [n.text for n in notes]

    def recall_of(find: Callable[[str], list[tuple[int, int]]]) -> tuple[float, float]:
        start = time.perf_counter()
        found_by_text = {n.id: find(n.text) for n in notes}
        elapsed = time.perf_counter() - start
        hits = 0
        for note, span in gold:
            covered = {k for a, b in found_by_text[note.id] for k in range(a, b)}
            hits += all(k in covered for k in range(span.start, span.end) if note.text[k].isalnum())
        return hits / len(gold), len(texts) / elapsed

    ours = Redactor(types=["TEL"])
    ours_recall, ours_speed = recall_of(lambda t: [(s.start, s.end) for s in ours.find_spans(t)])

    def matcher(text: str) -> list[tuple[int, int]]:
        return [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "FR")]

    lib_recall, lib_speed = recall_of(matcher)
    return "\n".join(
        [
            "| phone detector | recall on the corpus's phone numbers | notes/s (all corpus notes) |",
            "|---|---|---|",
            f"| ours (runs of digit groups + spoken numbers) | {ours_recall:.3f} (n={len(gold)}) | {ours_speed:,.0f} |",
            f"| phonenumbers.PhoneNumberMatcher(FR) | {lib_recall:.3f} (n={len(gold)}) | {lib_speed:,.0f} |",
        ]
    )


def classifier_impact(quick: bool) -> str:
    """TF-IDF + logistic regression with and without redaction first: accuracy and prediction throughput."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    base = shared_datasets() / "wikit_nlu_covid"
    if not base.is_dir():
        return "_Dataset absent: classifier impact skipped._"
    train = list(csv.DictReader((base / "training_dataset.csv").open(encoding="utf-8")))
    test = list(csv.DictReader((base / "test_dataset.csv").open(encoding="utf-8")))
    x_train, y_train = [r["utterance"] for r in train], [r["intent"] for r in train]
    x_test, y_test = [r["utterance"] for r in test], [r["intent"] for r in test]
    lines = [
        "| pipeline | accuracy (Wikit NLU test, 913 notes) | notes/s, 60-word notes |",
        "|---|---|---|",
    ]
    long_notes = notes_of_words(x_test, 60, 1000 if quick else 3000)
    for label, steps in (("TF-IDF + LR", []), ("Redactor(off) + TF-IDF + LR", [Redactor(use_ner="off")])):
        model = make_pipeline(*steps, TfidfVectorizer(sublinear_tf=True), LogisticRegression(max_iter=2000))
        model.fit(x_train, y_train)
        accuracy = sum(p == y for p, y in zip(model.predict(x_test), y_test, strict=True)) / len(y_test)
        start = time.perf_counter()
        model.predict(long_notes)
        speed = len(long_notes) / (time.perf_counter() - start)
        lines.append(f"| {label} | {accuracy:.3f} | {speed:,.0f} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- report
def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def machine() -> str:
    import psutil

    freq = psutil.cpu_freq()
    mhz = f", {freq.max or freq.current:.0f} MHz" if freq else ""
    return (
        f"{platform.node() or 'machine'}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} logical CPUs{mhz}, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )


def targets_check(summary: dict[str, dict[str, object]], split: str, variant: str) -> str:
    recall = summary[f"{split}/{variant}"]["recall"]
    assert isinstance(recall, dict)
    parts = []
    for kind, target in TARGETS.items():
        value = recall.get(kind)
        mark = "–" if value is None else ("ok" if value >= target else "**below**")
        parts.append(f"{kind} ≥ {target}: {_fmt(value)} {mark}")
    wrong = summary[f"{split}/{variant}"]["wrong"]
    assert isinstance(wrong, float)
    parts.append(f"wrongly redacted ≤ 2 %: {wrong:.2%} {'ok' if wrong <= 0.02 else '**above**'}")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer notes for the timings")
    args = parser.parse_args()
    notes = read_gold(CORPUS)
    by_split = {
        "dev": [n for n in notes if n.split == "dev"],
        "test (held out)": [n for n in notes if n.split == "test"],
        "all": notes,
    }
    accuracy, summary = accuracy_table(by_split)

    count = 1000 if args.quick else 4000
    pii_notes = notes_of_words([n.text for n in notes], 60, count)
    clean = clean_texts()
    clean_notes = notes_of_words(clean["covid19_faq_admin"], 60, count) if "covid19_faq_admin" in clean else []
    speed_lines = [
        "| notes (60 words) | NER | notes/s, 1 process (wall) | notes/s, 1 process (CPU time) "
        "| notes/s, 2 processes (wall) | one by one: p50 / p99 ms (wall), p50 ms (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for label, texts in (("corpus notes (dense personal data)", pii_notes), ("FAQ questions (none)", clean_notes)):
        if not texts:
            continue
        for variant in VARIANTS:
            subset = texts if variant == "off" else texts[: max(200, len(texts) // 4)]
            one = throughput(subset, variant)
            one_cpu = cpu_throughput(subset, variant)
            two = throughput(subset, variant, workers=2, repeat=2)
            p50, p99, p50_cpu = per_note_latency(subset[:500], variant)
            speed_lines.append(
                f"| {label} | {variant} | {one:,.0f} | {one_cpu:,.0f} | {two:,.0f} | "
                f"{p50:.2f} / {p99:.2f}, {p50_cpu:.2f} |"
            )
    ner_speed = ner_only_throughput(pii_notes[:500])
    speed_lines.append(f"| corpus notes | spaCy NER alone (`nlp.run(texts, ENTITIES)`) | {ner_speed:,.0f} | | | |")
    gates = [f"corpus notes {gate_rate(pii_notes[:1000]):.0%}"]
    gates += [f"{name} {gate_rate(texts):.0%}" for name, texts in clean.items()]
    speed_lines.append("\nShare of notes on which the gated mode runs NER (first pass): " + ", ".join(gates) + ".")

    section = "\n\n".join(
        [
            f"## Redaction ({datetime.now():%Y-%m-%d %H:%M})",
            f"Machine: {machine()}. Timings are noisy on a shared machine: rerun on a quiet one.",
            "### Accuracy on the annotated corpus (recall / precision per type)\n"
            "Recall: every letter and digit of the gold span is covered by a redacted span (any type). Precision: "
            "the redacted span overlaps a gold span of the same type. Wrongly redacted words: words outside every "
            "gold span that were redacted, over all words outside gold spans.\n\n" + accuracy,
            "Targets, held-out split, NER off: " + targets_check(summary, "test (held out)", "off"),
            "Targets, held-out split, NER gated: " + targets_check(summary, "test (held out)", "gated"),
            "Missed on the held-out split (NER off): "
            + (", ".join(f"{i} {t}" for i, t in summary["test (held out)/off"]["misses"]) or "none"),  # type: ignore[attr-defined]
            "### Over-redaction on real texts without personal data\n" + over_redaction_table(),
            "### Person names on real texts: deputies' names in Assemblée nationale written questions (first 300 "
            "characters)\n" + deputy_table(),
            "### Throughput\n" + "\n".join(speed_lines),
            "### Phone numbers: our detector against phonenumbers\n" + phone_comparison(notes),
            "### Impact on a simple classifier\n" + classifier_impact(args.quick),
        ]
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(section + "\n", encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
