"""Demand monitoring on the demo corpus: are its injected events flagged in the week they start?

Run from the repository root:

    PYTHONPATH=. /work/venv/bin/python benchmarks/emerging_demo.py [--rows 30000] [--seed 42]
        [--classifier stand-in|reason-model|module:factory] [--train-rows 6000] [--train-on ordinary|before]

The demo corpus (`training.demo`, 16 weeks) injects: a new reason in no taxonomy (`emergent_reforme`, from week 9,
70 % filed « autre », 15 % `paiement_montant`, 15 % `situation_ressources`), an outage that multiplies
`numerique_connexion` by 4 in week 12 (`pic_connexion`), a sub-theme filed correctly under `attestation` from week 10
(`sous_theme_attestation`, Pass Sport), and 4 % true « autre » calls every week. The notes are redacted with
`pipeline.redaction`, a classifier is trained (the agent-filed reason as label, the national taxonomy's labels and
examples as reason texts), every call is reclassified, then `run_monitoring` runs with the default configuration.

Training set (`--train-on`): `ordinary` (default) = ordinary calls of all 16 weeks, never an event's call — a model
that knows both phrasing families of the corpus but none of its events, to measure the monitoring itself; `before` =
calls of weeks 1–8 only — the corpus switches to phrasings never seen in training from week 11 (its classifier
hold-out), which a model trained on weeks 1–8 sends largely to « autre »: a real health alarm.

Flagged = for the new reason and the sub-theme, a cluster graded weak or strong whose majority scenario is the event
with purity ≥ 0.8 (any pool: « autre » or sub-theme); for the outage, a `volume_spike` alert on
`numerique_connexion`. A false emerging signal is a signal whose majority is ordinary calls (`normal`) or true
« autre » calls.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classifiers import load_factory
from _common import RESULTS_DIR, section_header

from pipeline.redaction import Redactor
from serving.monitoring import MonitoringReport, known_reasons, load_config, reason_labels, run_monitoring
from taxonomy import AUTRE, load_taxonomy
from training.demo import DemoSettings, generate_demo_calls

EVENTS = {"emergent_reforme": 9, "sous_theme_attestation": 10}
SPIKE = ("pic_connexion", "numerique_connexion", 12)
TRAIN_WEEKS = 8
PURITY = 0.8


def _sample(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    if len(frame) <= rows:
        return frame
    keys = frame["call_id"].map(lambda value: hashlib.sha1(str(value).encode()).hexdigest())
    return frame.loc[keys.sort_values().index[:rows]]


def _majority(call_ids: tuple[str, ...], truth: dict[str, str]) -> tuple[str, float]:
    votes = Counter(truth[call_id] for call_id in call_ids)
    scenario, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
    return scenario, count / len(call_ids)


def evaluate(report: MonitoringReport, frame: pd.DataFrame, calls: pd.DataFrame) -> dict[str, Any]:
    """Which events are flagged when; false emerging signals (majority of ordinary or true « autre » calls) and the
    emerging alerts raised for them (sub-theme alerts folded into a drift alert are not raised)."""
    truth = dict(zip(frame["call_id"], frame["scenario"], strict=True))
    week_of = {period.period: index + 1 for index, period in enumerate(report.periods)}
    flagged: dict[str, list[tuple[int, str, str, int, str | None]]] = {event: [] for event in (*EVENTS, SPIKE[0])}
    false_signals: Counter[int] = Counter()
    false_alerts: Counter[int] = Counter()
    # Per event: its calls in flagged clusters, by cluster id (a call flagged in two weeks under one id counts once).
    event_calls: dict[str, dict[str, set[str]]] = {event: {} for event in (*EVENTS, SPIKE[0])}
    top_of_queue: dict[int, list[str]] = {}
    # Precision of the queue: flagged items (weak/strong, one per period and id) whose majority is an injected event.
    items: list[tuple[str, bool]] = []
    for period in report.periods:
        week = week_of[period.period]
        alerted = {alert.scope.get("cluster") for alert in period.alerts if alert.kind.startswith("emerging")}
        for cluster in period.clusters:
            if cluster.signal == "none":
                continue
            scenario, purity = _majority(cluster.call_ids, truth)
            items.append((cluster.id, scenario in flagged))
            if scenario in flagged and purity >= PURITY:
                flagged[scenario].append((week, cluster.id, cluster.signal, cluster.size, cluster.parent_code))
                own = {call_id for call_id in cluster.call_ids if truth[call_id] == scenario}
                event_calls[scenario].setdefault(cluster.id, set()).update(own)
            elif scenario in ("normal", "autre_vrai"):
                false_signals[week] += 1
                false_alerts[week] += cluster.id in alerted
        # The queue's head: the majority scenario of the first 3 flagged items of the week (clusters come sorted).
        top_of_queue[week] = [
            _majority(cluster.call_ids, truth)[0] for cluster in period.clusters if cluster.signal != "none"
        ][:3]
    # The outage: a volume spike, in its week, on a code whose calls that week are ≥ 30 % outage calls.
    scenario_of = calls.assign(
        scenario=calls["call_id"].map(truth),
        week=frame.set_index("call_id")["week"].reindex(calls["call_id"]).to_numpy(),
    )
    spikes = []
    for alert in report.alerts:
        if alert.kind != "volume_spike" or set(alert.scope) != {"code"}:
            continue
        week = week_of[alert.period]
        rows = scenario_of[(scenario_of["week"] == week) & (scenario_of["code"] == alert.scope["code"])]
        outage_share = float((rows["scenario"] == SPIKE[0]).mean()) if len(rows) else 0.0
        if outage_share >= 0.3:
            spikes.append((week, alert.scope["code"], alert.severity, alert.details.get("ratio"), outage_share))
    kinds = Counter((week_of[alert.period], alert.kind) for alert in report.alerts)
    return {
        "flagged": flagged,
        "false_signals": false_signals,
        "false_alerts": false_alerts,
        "spikes": spikes,
        "kinds": kinds,
        "one_id": {
            event: (
                max(len(calls) for calls in by_id.values()) / len(set().union(*by_id.values())),
                len(by_id),
            )
            for event, by_id in event_calls.items()
            if by_id
        },
        "top_of_queue": top_of_queue,
        "precision": (sum(ok for _, ok in items), len(items)),
        "precision_ids": (
            len({item_id for item_id, ok in items if ok}),
            len({item_id for item_id, _ in items}),
        ),
        "themes": sorted({cluster.id for p in report.periods for cluster in p.clusters if cluster.kind == "theme"}),
    }


def markdown(result: dict[str, Any], report: MonitoringReport, meta: dict[str, Any]) -> str:
    flagged, spikes = result["flagged"], result["spikes"]
    lines = [
        section_header(
            f"Suivi de la demande — corpus de démonstration (classifieur {meta['classifier']}, "
            f"entraînement {meta['train_on']})"
        ),
        f"{meta['rows']} appels sur 16 semaines (graine {meta['seed']}), notes anonymisées par `pipeline.redaction`, "
        f"classifieur entraîné sur {meta['train_rows']} appels "
        + (
            f"des semaines 1–{TRAIN_WEEKS}"
            if meta["train_on"] == "before"
            else "ordinaires des 16 semaines (aucun appel des événements)"
        )
        + ", configuration de suivi par défaut. Un événement est « signalé » par un cluster faible ou fort dont le "
        f"scénario majoritaire est l'événement (pureté ≥ {PURITY}) ; la panne (`{SPIKE[0]}`, qui multiplie "
        f"`{SPIKE[1]}` par 4) aussi, ou par une alerte `volume_spike` sur un motif dont ≥ 30 % des appels de la "
        "semaine sont des appels de la panne (le motif où le classifieur les range). Faux signal : cluster faible "
        "ou fort dont la majorité est faite d'appels ordinaires ou de vrais « autre » ; « alertés » : ceux qui ont "
        "levé une alerte (les sous-thèmes regroupés dans une alerte de dérive `text_drift` n'en lèvent pas).",
        "",
        "| événement | semaine de début | première semaine signalée | signalé la semaine de début | détail |",
        "|---|---|---|---|---|",
    ]
    for event, start in (*EVENTS.items(), (SPIKE[0], SPIKE[2])):
        hits = flagged[event]
        first = min((hit[0] for hit in hits), default=None)
        detail = "; ".join(
            f"S{w} {cid} {signal} ({size} appels{', dans ' + parent if parent else ''})"
            for w, cid, signal, size, parent in hits[:4]
        )
        if event == SPIKE[0]:
            first = min([*(hit[0] for hit in hits), *(week for week, *_ in spikes)], default=None)
            parts = [detail] if detail else []
            parts += [
                f"S{w} volume_spike {code} {severity} ×{ratio:.1f} ({share:.0%} d'appels de la panne)"
                for w, code, severity, ratio, share in spikes
                if ratio
            ]
            detail = "; ".join(parts)
        lines.append(f"| {event} | {start} | {first or '—'} | {'oui' if first == start else 'NON'} | {detail or '—'} |")
    total_false = sum(result["false_signals"].values())
    lines += [
        "",
        f"Faux signaux sur les 16 semaines (clusters faibles ou forts faits d'appels ordinaires) : **{total_false}**. "
        "Identité : part des appels signalés d'un événement réunis sous son identifiant le plus fréquent — "
        + "; ".join(
            f"{event} {share:.0%} ({count} identifiant(s))" for event, (share, count) in result["one_id"].items()
        )
        + ".",
        "",
        "Précision de la file (vérité terrain : colonne `scenario`) : "
        f"{result['precision'][0]} des {result['precision'][1]} éléments signalés (faibles ou forts, un par semaine "
        "et par identifiant) ont pour majorité un événement injecté"
        + (f" ({result['precision'][0] / result['precision'][1]:.0%})" if result["precision"][1] else "")
        + f" ; par identifiant : {result['precision_ids'][0]} sur {result['precision_ids'][1]}. "
        f"Thèmes transversaux (`T…`) apparus : {', '.join(result['themes']) or 'aucun'}.",
        "",
        "| semaine | appels | part « autre » | alertes (type : nombre) | faux signaux émergents (alertés) "
        "| tête de file (3 premiers signaux) |",
        "|---|---|---|---|---|---|",
    ]
    for index, period in enumerate(report.periods, start=1):
        kinds = ", ".join(
            f"{kind} : {count}" for (week, kind), count in sorted(result["kinds"].items()) if week == index
        )
        lines.append(
            f"| {index} | {period.n_calls} | {period.autre_share:.1%} | {kinds or '—'} "
            f"| {result['false_signals'].get(index, 0)} ({result['false_alerts'].get(index, 0)}) "
            f"| {', '.join(result['top_of_queue'].get(index, [])) or '—'} |"
        )
    lines += [
        "",
        f"Durées indicatives (machine partagée) : génération + anonymisation {meta['prepare_s']:.0f} s, "
        f"entraînement {meta['train_s']:.0f} s, reclassification {meta['predict_s']:.0f} s, "
        f"suivi {meta['monitor_s']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--classifier", default="stand-in", help="stand-in (TF-IDF + LR), reason-model, module:factory")
    parser.add_argument("--train-rows", type=int, default=6_000)
    parser.add_argument("--train-on", choices=("ordinary", "before"), default="ordinary")
    parser.add_argument("--config", default=None, help="monitoring YAML merged over the defaults")
    parser.add_argument("--out", default=str(RESULTS_DIR / "emerging_demo.md"))
    parser.add_argument("--json", default=None, help="also write the monitoring report (JSON)")
    parser.add_argument(
        "--calls-cache",
        default=None,
        help="pickle of the scored calls: written on the first run, read on the next ones (skips training; "
        "only for comparing monitoring settings on the same predictions)",
    )
    args = parser.parse_args()

    cache = Path(args.calls_cache) if args.calls_cache else None
    if cache is not None and cache.exists():
        cached = pd.read_pickle(cache)
        return _monitor_and_write(args, cached["frame"], cached["calls"], cached["meta"])

    started = time.perf_counter()
    frame = pd.concat(list(generate_demo_calls(DemoSettings(rows=args.rows, seed=args.seed))), ignore_index=True)
    frame["call_id"] = frame["call_id"].astype(str)
    frame["text"] = Redactor().transform(frame["text"].astype(str).tolist())
    prepare_s = time.perf_counter() - started

    taxonomy = load_taxonomy()
    texts = known_reasons(taxonomy)
    if args.train_on == "before":
        eligible = frame[(frame["week"] <= TRAIN_WEEKS) & (frame["reason"] != AUTRE)]
    else:
        eligible = frame[(frame["scenario"] == "normal") & (frame["reason"] != AUTRE)]
    train = _sample(eligible, args.train_rows)
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        model = load_factory(args.classifier)().fit(
            train["text"].tolist(), train["reason"].tolist(), seed=args.seed, reason_texts=texts
        )
        train_s = time.perf_counter() - started
        started = time.perf_counter()
        codes, confidence, autre = model.predict(frame["text"].tolist())
        predict_s = time.perf_counter() - started
        calls = frame[["call_id", "timestamp", "site", "channel", "text"]].assign(
            code=codes, confidence=confidence, autre=autre
        )
    meta = {
        "classifier": args.classifier,
        "train_on": args.train_on,
        "rows": len(frame),
        "seed": args.seed,
        "train_rows": len(train),
        "prepare_s": prepare_s,
        "train_s": train_s,
        "predict_s": predict_s,
    }
    if cache is not None:
        pd.to_pickle({"frame": frame, "calls": calls, "meta": meta}, cache)
    return _monitor_and_write(args, frame, calls, meta)


def _monitor_and_write(args: argparse.Namespace, frame: pd.DataFrame, calls: pd.DataFrame, meta: dict[str, Any]) -> int:
    taxonomy = load_taxonomy()
    texts, labels = known_reasons(taxonomy), reason_labels(taxonomy)
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        run = run_monitoring(calls, config=load_config(args.config), known_reasons=texts, reason_labels=labels)
    meta = {**meta, "monitor_s": time.perf_counter() - started}
    if args.json:
        run.report.to_json(args.json)
    result = evaluate(run.report, frame, calls)
    text = markdown(result, run.report, meta)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
