"""Reason discovery (`motifs discover`) on unlabelled notes: quality against known labels, and scale.

Run from the repository root:

    PYTHONPATH=. python benchmarks/discover.py [--seeds 0 1 2] [--scale-rows 100000] [--only wikit,an,scale]

- **wikit_nlu_covid**, train + test (1,243 notes, 22 intents), labels hidden: the full `run_discovery` path (file →
  redaction → draft YAML + assignments CSV); the draft is read back with `taxonomy.load_taxonomy(path)` (validates);
  number of proposed reasons (target 15–35); NMI and ARI of the assignments (« autre » counted as one more cluster)
  against the intents, for each seed; baseline in the same run: KMeans with the oracle k = 22 on word (1–2-gram) +
  character (2–5-gram, within words) TF-IDF, same seeds. Target: NMI ≥ 0.70 and ≥ baseline + 0.05.
- **an_qe16_2022q3** (1,308 written questions, title + question, 172 `rubrique` values): NMI / ARI against the
  rubriques, one seed, with the same baseline at k = 172 (oracle) and k = 35 (2 restarts instead of 10: slow).
- **scale**: the demo corpus generator (`training.demo`) writes N notes; `run_discovery` runs in a child process
  (its peak RSS is the child's `VmHWM`) on N and on N/10 notes: time, peak memory, and their ratio (bounded
  memory: the clustered sample is capped, the rest is assigned chunk by chunk). NMI against the demo reasons too.

Writes its section to `benchmarks/results/discover.md`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, RESULTS_DIR, section_header, shared_datasets

from serving.discovery import DiscoverOptions, run_discovery
from taxonomy import load_taxonomy

WIKIT = "wikit_nlu_covid"
AN = "an_qe16_2022q3"


def baseline_labels(texts: list[str], k: int, seed: int, n_init: int = 10) -> np.ndarray:
    """KMeans with a given k on word + character TF-IDF (the issue's baseline)."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    ).fit_transform(texts)
    with threadpool_limits(1):
        return np.asarray(KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(normalize(features)))


def discover_file(
    frame: pd.DataFrame, seed: int, workdir: Path, name: str, config: Path | None = None
) -> dict[str, Any]:
    """`run_discovery` on `frame` (columns call_id, text): outcome figures, the assignments aligned on `frame`."""
    data = workdir / f"{name}.csv"
    frame[["call_id", "text"]].to_csv(data, index=False)
    started = time.perf_counter()
    outcome = run_discovery(
        DiscoverOptions(
            data=data,
            out=workdir / f"{name}-{seed}.yaml",
            assignments=workdir / f"{name}-{seed}.csv",
            seed=seed,
            taxonomy_id=name.replace("-", "_"),
            config=config,
        )
    )
    seconds = time.perf_counter() - started
    draft = load_taxonomy(outcome.draft_path)  # raises when the draft does not validate
    assigned = pd.read_csv(outcome.assignments_path, dtype={"call_id": str})
    clusters = frame[["call_id"]].merge(assigned, on="call_id", how="left")["cluster"].fillna("(absente)")
    return {
        "seconds": seconds,
        "reasons": len(outcome.discovery.candidates),
        "domains": len(outcome.discovery.domains),
        "coverage": outcome.discovery.quality.coverage,
        "silhouette": outcome.discovery.quality.silhouette,
        "valid": draft.ref,
        "clusters": clusters.to_numpy(),
    }


def score(truth: Any, labels: Any) -> tuple[float, float]:
    return float(normalized_mutual_info_score(truth, labels)), float(adjusted_rand_score(truth, labels))


SPACY_VARIANT = "representation:\n  lemmatizer: spacy\n"


def run_labelled(
    name: str,
    frame: pd.DataFrame,
    seeds: list[int],
    oracle_k: int,
    extra_k: list[int],
    *,
    spacy_variant: bool,
    baseline_n_init: int = 10,
) -> list[str]:
    lines = [
        f"### {name} — {len(frame)} notes, {frame.label.nunique()} étiquettes (cachées)\n",
        "| méthode | graine | motifs | domaines | couverture | NMI | ARI | temps (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ours, base, spacy_scores = [], [], []
    variants: list[tuple[str, Path | None]] = [("défauts", None)]
    with tempfile.TemporaryDirectory() as tmp:
        if spacy_variant:
            variant = Path(tmp) / "spacy.yaml"
            variant.write_text(SPACY_VARIANT, encoding="utf-8")
            variants.append(("lemmatiseur spacy", variant))
        for (variant_name, config), seed in itertools.product(variants, seeds):
            result = discover_file(frame, seed, Path(tmp), name, config)
            nmi, ari = score(frame.label, result["clusters"])
            if config is None:
                ours.append((nmi, ari, result["reasons"]))
            else:
                spacy_scores.append(nmi)
            lines.append(
                f"| motifs discover, {variant_name} (brouillon {result['valid']} valide) | {seed} | "
                f"{result['reasons']} | "
                f"{result['domains']} | {result['coverage']:.1%} | **{nmi:.3f}** | {ari:.3f} | "
                f"{result['seconds']:.1f} |"
            )
            print(lines[-1], flush=True)
    texts = list(frame.text)
    for k in [oracle_k, *extra_k]:
        for seed in seeds:
            started = time.perf_counter()
            labels = baseline_labels(texts, k, seed, baseline_n_init)
            nmi, ari = score(frame.label, labels)
            if k == oracle_k:
                base.append(nmi)
            lines.append(
                f"| KMeans k={k} (n_init {baseline_n_init}), TF-IDF mots+caractères | {seed} | {k} | — | 100 % | "
                f"{nmi:.3f} | {ari:.3f} | {time.perf_counter() - started:.1f} |"
            )
            print(lines[-1], flush=True)
    mean_ours = float(np.mean([o[0] for o in ours]))
    mean_base = float(np.mean(base))
    lines += [
        "",
        f"Moyenne sur {len(seeds)} graines : NMI motifs discover **{mean_ours:.3f}** (ARI "
        f"{np.mean([o[1] for o in ours]):.3f}, {min(o[2] for o in ours)}–{max(o[2] for o in ours)} motifs) ; "
        f"KMeans k={oracle_k} **{mean_base:.3f}** ; écart {mean_ours - mean_base:+.3f}"
        + (f" ; avec le lemmatiseur spacy : NMI {np.mean(spacy_scores):.3f}." if spacy_scores else "."),
        "",
    ]
    return lines


def load_wikit(root: Path) -> pd.DataFrame | None:
    folder = root / WIKIT
    if not folder.exists():
        return None
    frame = pd.concat(
        [pd.read_csv(folder / "training_dataset.csv"), pd.read_csv(folder / "test_dataset.csv")], ignore_index=True
    )
    ids = [f"w{i}" for i in range(len(frame))]
    return pd.DataFrame({"call_id": ids, "text": frame.utterance, "label": frame.intent})


def load_an(root: Path) -> pd.DataFrame | None:
    path = root / AN / "data.csv"
    if not path.exists():
        return None
    frame = pd.read_csv(path, sep="|", encoding="cp1252", dtype=str)
    text = frame["titre"].str.strip() + ". " + frame["question"].str.strip()
    return pd.DataFrame({"call_id": "q" + frame["id"], "text": text, "label": frame["rubrique"]})


# ------------------------------------------------------------------------------------------------ scale
def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not `ru_maxrss`: Linux carries it over `exec` from the forking parent, so a
    child started by a parent that once held 2 GB would report 2 GB whatever it did."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


def scale_child(rows: int, data: Path, workdir: Path) -> None:
    """Runs in a child process: discovery on the first `rows` notes of `data`; prints one JSON line."""
    frame = pd.read_csv(data, dtype=str, nrows=rows)
    path = workdir / f"notes-{rows}.csv"
    frame[["call_id", "text"]].to_csv(path, index=False)
    del frame
    started = time.perf_counter()
    outcome = run_discovery(
        DiscoverOptions(data=path, out=workdir / f"draft-{rows}.yaml", assignments=workdir / f"assign-{rows}.csv")
    )
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "peak_mb": peak_mb,
                "reasons": len(outcome.discovery.candidates),
                "coverage": outcome.discovery.quality.coverage,
                "sample": outcome.discovery.quality.sample_size,
            }
        )
    )


def run_scale(rows: int) -> list[str]:
    from training.demo import DemoSettings, write_demo_calls

    lines = [
        f"### Passage à l'échelle — corpus de démonstration (`training.demo`), {rows} notes\n",
        "| notes | échantillon regroupé | motifs | couverture | NMI (motifs de la démo) | temps (s) | pic RSS (Mo) |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = workdir / "demo.csv"
        write_demo_calls(data, DemoSettings(rows=rows))
        truth = pd.read_csv(data, dtype=str, usecols=["call_id", "reason"])
        results = []
        for size in (rows // 10, rows):
            child = subprocess.run(
                [sys.executable, __file__, "--scale-child", str(size), str(data), str(workdir)],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO_ROOT,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            assigned = pd.read_csv(workdir / f"assign-{size}.csv", dtype={"call_id": str})
            merged = truth.merge(assigned, on="call_id")
            result["nmi"] = normalized_mutual_info_score(merged["reason"], merged["cluster"])
            results.append(result)
            lines.append(
                f"| {size} | {result['sample']} | {result['reasons']} | {result['coverage']:.1%} | "
                f"{result['nmi']:.3f} | {result['seconds']:.0f} | {result['peak_mb']:.0f} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        f"Pic mémoire {results[1]['rows']} / {results[0]['rows']} notes : "
        f"{results[1]['peak_mb'] / results[0]['peak_mb']:.2f} (plat ≈ 1).",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--scale-rows", type=int, default=100_000)
    parser.add_argument("--only", default="wikit,an,scale")
    parser.add_argument("--scale-child", nargs=3, metavar=("ROWS", "DATA", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(int(args.scale_child[0]), Path(args.scale_child[1]), Path(args.scale_child[2]))
        return
    only = set(args.only.split(","))
    root = shared_datasets()
    lines = [section_header("Découverte des motifs (`benchmarks/discover.py`)")]
    if "wikit" in only:
        wikit = load_wikit(root)
        if wikit is None:
            print(f"{WIKIT} absent from {root}: skipped")
        else:
            lines += run_labelled(WIKIT, wikit, args.seeds, oracle_k=22, extra_k=[], spacy_variant=True)
    if "an" in only:
        an = load_an(root)
        if an is None:
            print(f"{AN} absent from {root}: skipped")
        else:
            k = an.label.nunique()
            # n_init 2: 172 dense centroids over ~10⁵ TF-IDF columns of long questions take minutes per restart.
            lines += run_labelled(
                AN, an, args.seeds[:1], oracle_k=k, extra_k=[35], spacy_variant=False, baseline_n_init=2
            )
    if "scale" in only:
        lines += run_scale(args.scale_rows)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "discover.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
