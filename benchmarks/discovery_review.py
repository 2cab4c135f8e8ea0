"""Curating a discovery draft in the review UI (/revue/decouverte): how long a page and a step take on a large draft.

Run from the repository root:

    PYTHONPATH=. python benchmarks/discovery_review.py [--rows 100000] [--baseline-rows 10000] [--no-split]

A draft folder as `motifs discover --revue` writes it is built without running the discovery (189 s on 100 k notes,
measured in benchmarks/discover.py): the demo corpus's notes (`training.demo`), 35 candidates in 5 domains named like
discover names them, each note assigned to one candidate (or « autre », 3 %) with a random similarity. Then, in
process through FastAPI's TestClient (open mode, SQLite store), one request each: the drafts list, the draft page,
the page of the largest candidate, and the steps rename, merge (2 candidates), move (20 notes), discard, split
(2 parts; re-clusters the candidate's notes with the default settings) and publish — on the baseline size and on the
large one, in the same run. Each step rewrites the draft and the assignments (and publish the weak labels): its cost
grows with the number of notes, which is what is measured.

Writes its section to `benchmarks/results/discovery_review.md`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, section_header

from serving.api import Settings, create_app
from serving.discovery.draft import HEADER
from serving.discovery.workspace import write_notes
from taxonomy import AUTRE, Taxonomy
from taxonomy.yaml_io import dump_taxonomy
from tests.api_doubles import make_resources

NAME = "bench"
CANDIDATES = 35


def build_workspace(folder: Path, texts: list[str], ids: list[str], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    words = sorted({w for text in texts[:2000] for w in re.findall(r"[a-zé]{5,}", text.lower())})
    reasons = []
    for number in range(CANDIDATES):
        keywords = [words[(number * 7 + i) % len(words)] for i in range(8)]
        reasons.append(
            {
                "code": f"motif_{number + 1:02d}",
                "label": ", ".join(keywords[:3]).capitalize(),
                "domain": f"domaine_{number % 5 + 1}",
                "definition": "Inclut : les appels dont la note parle de "
                + ", ".join(f"« {w} »" for w in keywords)
                + ". Motif candidat proposé automatiquement à partir de 100 notes non étiquetées : définition à "
                "reprendre par un analyste.",
                "examples": [text[:500] for text in texts[number * 5 : number * 5 + 5]],
            }
        )
    reasons.append({"code": AUTRE, "label": "Autre motif", "definition": "Inclut : les appels hors de la base."})
    draft = Taxonomy.model_validate(
        {
            "taxonomy": "decouverte",
            "version": "1.0.0",
            "label": "Motifs découverts (banc d'essai)",
            "domains": [{"code": f"domaine_{i}", "label": f"Domaine {i}"} for i in range(1, 6)],
            "reasons": reasons,
        }
    )
    codes = [r["code"] for r in reasons[:-1]]
    weights = np.linspace(2.0, 0.5, len(codes))
    clusters = rng.choice(codes, size=len(ids), p=weights / weights.sum())
    clusters[rng.random(len(ids)) < 0.03] = AUTRE
    folder.mkdir(parents=True)
    (folder / "brouillon.yaml").write_text(HEADER.format(ref=draft.ref) + dump_taxonomy(draft), encoding="utf-8")
    pd.DataFrame(
        {"call_id": ids, "cluster": clusters, "confidence": [f"{c:.4f}" for c in rng.uniform(0.25, 0.9, len(ids))]}
    ).to_csv(folder / "affectations.csv", index=False, lineterminator="\n")
    write_notes(folder / "notes.csv", ids, texts)


def measure(rows: int, data: Path, split: bool) -> dict[str, float]:
    frame = pd.read_csv(data, dtype=str, nrows=rows, usecols=["call_id", "text"], keep_default_na=False)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "decouverte" / NAME
        build_workspace(folder, frame["text"].tolist(), frame["call_id"].tolist())
        results["notes du motif scindé"] = float((pd.read_csv(folder / "affectations.csv").cluster == "motif_07").sum())
        url = f"sqlite:///{root / 'api.db'}"
        settings = Settings(
            database_url=url,
            taxonomy_dir=root / "taxonomie",
            discovery_dir=root / "decouverte",
            reviewer="Banc",
            allowed_hosts=["testserver"],
        )
        app = create_app(settings, loader=lambda s: make_resources(s.database_url))
        base = f"/revue/decouverte/{NAME}"
        with TestClient(app, base_url="http://testserver") as client:

            def timed(label: str, call: Callable[[], object]) -> object:
                started = time.perf_counter()
                response = call()
                results[label] = (time.perf_counter() - started) * 1000
                status = getattr(response, "status_code", 0)
                assert status in (200, 303), (label, status, getattr(response, "text", "")[:2000])
                return response

            def token() -> str:
                match = re.search(r'name="etat" value="([0-9a-f]+)"', client.get(f"{base}/motifs/{AUTRE}").text)
                assert match
                return match[1]

            def post(what: str, path: str, /, **fields: object) -> None:
                data = {"etat": token(), "reviewer": "Banc", **fields}  # the form's token, read before the clock
                timed(what, lambda: client.post(path, data=data, follow_redirects=False))

            timed("liste des brouillons", lambda: client.get("/revue/decouverte"))
            timed("page du brouillon", lambda: client.get(base))
            timed("page du plus grand motif (1re vue : lit notes.csv)", lambda: client.get(f"{base}/motifs/motif_01"))
            timed("page du plus grand motif (2e vue)", lambda: client.get(f"{base}/motifs/motif_01"))
            page = client.get(f"{base}/motifs/motif_03").text
            moved = re.findall(r'name="call_id" value="([^"]+)"', page)[:20]
            post(
                "renommer", f"{base}/motifs/motif_01/renommer", label="Motif renommé", code="motif_renomme",
                definition="Inclut : les appels renommés.",
            )  # fmt: skip
            post("fusionner (2 motifs)", f"{base}/fusionner", codes=["motif_02", "motif_04"], into="motif_02")
            post("déplacer (20 notes)", f"{base}/motifs/motif_03/deplacer", call_id=moved, to="motif_05")
            post("écarter", f"{base}/motifs/motif_06/ecarter")
            if split:
                with threadpool_limits(1):
                    post("scinder (2 parties)", f"{base}/motifs/motif_07/scinder", parts="2")
            post("publier", f"{base}/publier", id="banc_essai")
    return results


def main() -> None:
    from training.demo import DemoSettings, write_demo_calls

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--no-split", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo.csv"
        write_demo_calls(data, DemoSettings(rows=args.rows))
        runs = {size: measure(size, data, not args.no_split) for size in (args.baseline_rows, args.rows)}
    lines = [
        section_header(
            "Curation d'un brouillon de découverte dans les pages de revue (`benchmarks/discovery_review.py`)"
        ),
        f"Charge de la machine au départ de la mesure : {load:.1f} (2 cœurs partagés). Une requête de chaque, en ms.\n",
        f"| requête | {args.baseline_rows} notes | {args.rows} notes |",
        "|---|---|---|",
    ]
    small, large = runs[args.baseline_rows], runs[args.rows]
    for label in large:
        if label.startswith("notes du"):
            continue
        lines.append(f"| {label} | {small[label]:.0f} | {large[label]:.0f} |")
    lines.append("")
    lines.append(
        f"Motif scindé : {small['notes du motif scindé']:.0f} / {large['notes du motif scindé']:.0f} notes "
        "(re-regroupées à chaque scission : spaCy chargé, lemmes, représentation, KMeans)."
    )
    text = "\n".join(lines) + "\n"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "discovery_review.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
