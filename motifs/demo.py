"""The main job (`motifs demo`, run by `make demo`): the whole chain on the embedded demo corpus.

    1. demo corpus (training.demo: a new reason from week 9, an outage spike in week 12, a sub-theme from week 10)
    2. train the classifier on a sample of it (training.run.train_and_register: artifact + MLflow, alias champion)
    3. reclassify the whole history into the SQLite store (serving.batch; notes redacted before storage)
    4. « autre » share, alerts and emerging reasons from the store, run saved (serving.review.emerging)
    5. the HTML report (serving.reports), same cluster ids as the review UI
    6. did the monitoring flag the planted events in the week they start? (the corpus's `scenario` column)

Every file goes to one folder (`motifs-data/demo/` by default). Rerunning is cheap and changes nothing: the corpus
and the model are reused when `demo.json` says they were made with the same settings (same seed → same corpus, so
the same model, MLflow version and call ids), the reclassification skips calls already stored for that model, and the
monitoring reads the stored cluster registry (same cluster ids). Other settings → the folder's demo files are
replaced.

Why the default training sample is « ordinary calls of every week » and not « the first weeks »: the corpus switches
to phrasings never seen before from week 11 (its classifier hold-out, see training.demo), and a model trained on
weeks 1–8 sends about 78 % of those calls to « autre » — a real health alarm (`train_weeks` reproduces it). A model
that has seen both phrasing families but none of the planted events shows what the monitoring is for; the same choice
as `benchmarks/emerging_demo.py --train-on ordinary` (docs/MONITORING.md).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from motifs.errors import DemoJobError
from pipeline.files import atomic_file, file_sha256

DEFAULT_OUT_DIR = Path("motifs-data/demo")
CORPUS_FILE = "appels-demo.csv"
TRAINING_FILE = "entrainement.csv"
MODEL_DIR = "modele"
DATABASE_FILE = "motifs.db"
MLFLOW_FILE = "mlflow.db"
MLFLOW_ARTIFACTS = "mlartifacts"
REPORT_FILE = "rapport.html"
EMERGING_FILE = "emergents.json"
QUARANTINE_FILE = "quarantaine.csv"
STATE_FILE = "demo.json"
STATE_FORMAT = 1
# The corpus is labelled with the national taxonomy v1.0.0 (training.demo); v1.1.0 splits numerique_connexion, the
# reason of the outage spike, so the demo model is trained on the version the corpus speaks.
TAXONOMY = "national@1.0.0"
CONTRACT_COLUMNS = ("call_id", "text", "timestamp", "site", "channel", "reason")
AGENT_URL = "http://127.0.0.1:8000/"
REVIEW_URL = "http://127.0.0.1:8000/revue"
REVIEW_LINK = REVIEW_URL + "/{scope}/{id}"
PURITY = 0.8  # a cluster "is" a planted event when ≥ 80 % of its calls belong to it (benchmarks/emerging_demo.py)
OUTAGE_SHARE = 0.3  # a volume spike "is" the outage when ≥ 30 % of that reason's calls that week are outage calls


@dataclass(frozen=True)
class DemoJobSettings:
    out_dir: Path = DEFAULT_OUT_DIR
    rows: int = 30_000  # calls in the corpus (16 weeks): enough for the new reason to show in its first week
    train_rows: int = 6_000  # calls in the training sample
    seed: int = 42
    train_weeks: int | None = None  # None: ordinary calls of every week; N: any call of weeks 1..N
    database_url: str | None = None  # None: sqlite in out_dir

    def check(self) -> None:
        if self.rows < 2_000:
            raise DemoJobError(f"--rows {self.rows} (attendu : au moins 2000 appels, pour 16 semaines de suivi)")
        if self.train_rows < 200:
            raise DemoJobError(f"--train-rows {self.train_rows} (attendu : au moins 200 appels)")
        if self.seed < 0:
            raise DemoJobError(f"--seed {self.seed} (attendu : un entier positif ou nul)")
        if self.train_weeks is not None and not 2 <= self.train_weeks <= 16:
            raise DemoJobError(f"--train-weeks {self.train_weeks} (attendu : de 2 à 16)")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.out_dir / DATABASE_FILE}"

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{(self.out_dir / MLFLOW_FILE).resolve()}"

    def corpus_key(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, "rows": self.rows, "seed": self.seed}

    def model_key(self) -> dict[str, Any]:
        # `decisions`: a model trained before the three outcomes (confident / to_confirm / autre) is trained again.
        return {
            "train_rows": self.train_rows,
            "train_weeks": self.train_weeks,
            "taxonomy": TAXONOMY,
            "decisions": "three_outcomes.v1",
        }


class DemoProgress(Protocol):
    """What the job says while it runs (the CLI draws it with rich)."""

    def step(self, number: int, label: str) -> None: ...

    def total(self, rows: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def done(self, detail: str) -> None: ...


class _Silent:
    def step(self, number: int, label: str) -> None:
        pass

    def total(self, rows: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def done(self, detail: str) -> None:
        pass


@dataclass(frozen=True)
class EventCheck:
    """One planted event of the corpus and whether the monitoring flagged it."""

    scenario: str
    label: str
    start_week: int
    start_period: str
    first_flagged: str | None
    how: str  # what flagged it first ("cluster E0004 (fort)", "pic de volume sur …"), "" if nothing

    @property
    def on_time(self) -> bool:
        return self.first_flagged == self.start_period


@dataclass
class DemoOutcome:
    out_dir: Path
    corpus: Path
    corpus_rows: int
    corpus_reused: bool
    training_file: Path
    training_rows: int
    training_sample: str  # French description of the sample
    model_dir: Path
    model_version: str
    model_reused: bool
    accuracy: float
    macro_f1: float
    registered_version: str
    alias: str
    tracking_uri: str
    database: str
    stored_predictions: int  # predictions of this model in the store
    scored: int  # scored by this run (0 on a rerun)
    quarantined: int
    monitoring_run: int | None
    scope: str
    periods: int
    calls: int
    autre_share: float
    last_autre_share: float
    alerts: Counter[str]
    clusters: list[str]  # ids of the clusters graded weak or strong in some period
    report: Path
    report_run: int | None
    emerging_json: Path
    events: list[EventCheck]
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # French lines: what was reused or replaced

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


# --- state (what was made, with which settings) ---------------------------------------------------------------------


def _read_state(out_dir: Path) -> dict[str, Any]:
    try:
        state = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(out_dir: Path, state: dict[str, Any]) -> None:
    with atomic_file(out_dir / STATE_FILE, "w") as handle:
        handle.write(json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _sha256(path: Path) -> str | None:
    return file_sha256(path) if path.is_file() else None


def _remove(out_dir: Path, names: tuple[str, ...]) -> None:
    """Remove the demo's own files (only these names, only in `out_dir`)."""
    for name in names:
        path = out_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


_MODEL_FILES = (MODEL_DIR, MLFLOW_FILE, MLFLOW_ARTIFACTS, DATABASE_FILE, REPORT_FILE, EMERGING_FILE, QUARANTINE_FILE)
_CORPUS_FILES = (CORPUS_FILE, TRAINING_FILE, *_MODEL_FILES)


_OS_ERRORS_FR = {
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "chemin introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
}


def _os_reason(exc: OSError) -> str:
    return _OS_ERRORS_FR.get(exc.errno or 0, exc.strerror or "erreur système")


def _check_writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".ecriture-"):
            pass
    except OSError as exc:
        raise DemoJobError(
            f"{out_dir} : impossible d'écrire dans ce dossier ({_os_reason(exc)}) — attendu : un "
            "dossier accessible en écriture (option --out-dir)"
        ) from None


@contextmanager
def _os_errors() -> Iterator[None]:
    """A full disk or a file removed under our feet: one French line, not a traceback."""
    try:
        yield
    except OSError as exc:
        where = f"{Path(str(exc.filename)).name} : " if exc.filename else ""
        raise DemoJobError(
            f"{where}écriture ou lecture impossible ({_os_reason(exc)}) — vérifier la place libre "
            "et les droits du dossier, puis relancer (ce qui est fait est repris)"
        ) from None


# --- steps ---------------------------------------------------------------------------------------------------------


def _corpus(settings: DemoJobSettings, state: dict[str, Any], progress: DemoProgress) -> tuple[Path, int, bool]:
    from training.demo import DemoSettings, write_demo_calls

    path = settings.out_dir / CORPUS_FILE
    saved = state.get("corpus") or {}
    if saved.get("key") == settings.corpus_key() and saved.get("sha256") == _sha256(path):
        return path, int(saved["rows"]), True
    _remove(settings.out_dir, _CORPUS_FILES)
    state.clear()
    demo = DemoSettings(rows=settings.rows, seed=settings.seed)
    demo.check()
    partial = settings.out_dir / f".{CORPUS_FILE}.partiel.csv"
    progress.total(settings.rows)
    result = write_demo_calls(partial, demo, progress=progress.advance)
    os.replace(partial, path)
    state["corpus"] = {"key": settings.corpus_key(), "sha256": _sha256(path), "rows": result.rows}
    _write_state(settings.out_dir, state)
    return path, result.rows, False


def read_corpus(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _hash_order(call_ids: pd.Series) -> pd.Index:
    """A deterministic order of rows that does not depend on pandas' random generators."""
    keys = call_ids.map(lambda value: hashlib.sha1(str(value).encode()).hexdigest())
    return keys.sort_values(kind="stable").index


def training_sample(corpus: pd.DataFrame, settings: DemoJobSettings) -> tuple[pd.DataFrame, str]:
    """The calls the demo model learns from (contract columns, time order) and a French description of them."""
    weeks = corpus["week"].astype(int)
    filed = corpus["reason"] != "autre"  # « autre » is what the model abstains to, not a class it learns
    if settings.train_weeks is None:
        eligible = corpus[filed & (corpus["scenario"] == "normal")]
        what = "appels ordinaires des 16 semaines (aucun appel des événements injectés)"
    else:
        eligible = corpus[filed & (weeks <= settings.train_weeks)]
        what = f"appels des semaines 1 à {settings.train_weeks}"
    if len(eligible) > settings.train_rows:
        eligible = eligible.loc[_hash_order(eligible["call_id"])[: settings.train_rows]]
    sample = eligible.sort_values(["timestamp", "call_id"], kind="stable")[list(CONTRACT_COLUMNS)]
    return sample, f"{len(sample):,} {what}".replace(",", " ")


def _train(
    settings: DemoJobSettings, training_file: Path, state: dict[str, Any], progress: DemoProgress
) -> tuple[dict[str, Any], bool]:
    from pipeline.artifact import read_manifest
    from pipeline.trust import is_trusted

    model_dir = settings.out_dir / MODEL_DIR
    saved = state.get("model") or {}
    training_sha = _sha256(training_file)
    try:
        manifest = read_manifest(model_dir)
        current = manifest.sha256
    except Exception:  # missing or unreadable: train again
        current = None
    if (
        saved.get("key") == settings.model_key()
        and saved.get("training_sha256") == training_sha
        and saved.get("artifact_sha256") == current
        and current is not None
        and is_trusted(current)  # a model made before trusted records existed (or not by us) is retrained
        and (settings.out_dir / MLFLOW_FILE).is_file()
    ):
        return saved, True
    _remove(settings.out_dir, _MODEL_FILES)
    state.pop("model", None)
    progress.total(None)
    result = _train_and_register(training_file, model_dir, settings.tracking_uri)
    metrics = result.report.metrics()
    saved = {
        "key": settings.model_key(),
        "training_sha256": training_sha,
        "artifact_sha256": result.manifest.sha256,
        "model_version": result.manifest.model_version,
        "accuracy": float(metrics["accuracy"]),
        "macro_f1": float(metrics["macro_f1"]),
        "registered_version": str(result.publication.registered.version),
        "alias": result.promotion.alias,
    }
    state["model"] = saved
    _write_state(settings.out_dir, state)
    return saved, False


def _train_and_register(training_file: Path, model_dir: Path, tracking_uri: str) -> Any:
    import logging

    from training.run import train_and_register

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return train_and_register(training_file, TAXONOMY, "text", "reason", None, model_dir, tracking_uri)


class _BatchProgress:
    """serving.batch's progress hook onto the demo's."""

    def __init__(self, progress: DemoProgress) -> None:
        self.progress = progress

    def start(self, total_rows: int) -> None:
        self.progress.total(total_rows or None)

    def advance(self, rows: int) -> None:
        self.progress.advance(rows)

    def phase(self, label: str) -> None:
        pass


def _reclassify(settings: DemoJobSettings, corpus: Path, progress: DemoProgress) -> Any:
    from serving.batch import ReclassifyOptions, reclassify

    options = ReclassifyOptions(
        input=corpus,
        output=settings.database,
        model=str(settings.out_dir / MODEL_DIR),
        quarantine=settings.out_dir / QUARANTINE_FILE,
    )
    return reclassify(options, progress=_BatchProgress(progress))


def week_period(start: dt.date, week: int) -> str:
    """The monitoring's label (ISO week, `2026-W02`) of the corpus's week `week` (1-based)."""
    from serving.review.emerging import period_label

    return str(period_label(start + dt.timedelta(weeks=week - 1), "week"))


def check_events(report: Any, calls: pd.DataFrame, corpus: pd.DataFrame, start: dt.date) -> list[EventCheck]:
    """Were the corpus's planted events flagged, and when? (`report`: a MonitoringReport; `calls`: call_id, code and
    timestamp of the monitored calls; `corpus`: the demo corpus with its `scenario` and `week` columns.)"""
    truth = dict(zip(corpus["call_id"], corpus["scenario"], strict=True))
    week_of = dict(zip(corpus["call_id"], corpus["week"].astype(int), strict=True))
    names = ("emergent_reforme", "sous_theme_attestation", "pic_connexion")
    starts = {name: _start_week(corpus, name) for name in names}
    labels = {
        "emergent_reforme": "nouveau motif (réforme « solidarité à la source »)",
        "sous_theme_attestation": "sous-thème dans « attestation » (Pass Sport)",
        "pic_connexion": "pic d'appels (panne de l'espace personnel)",
    }
    hits: dict[str, list[tuple[str, str]]] = {name: [] for name in starts}
    for period in report.periods:
        for cluster in period.clusters:
            if cluster.signal == "none" or not cluster.call_ids:
                continue
            votes = Counter(truth.get(call_id, "") for call_id in cluster.call_ids)
            scenario, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
            if scenario in hits and count / len(cluster.call_ids) >= PURITY:
                grade = "fort" if cluster.signal == "strong" else "faible"
                hits[scenario].append((period.period, f"groupe émergent {cluster.id} ({grade}, {cluster.size} appels)"))
    frame = calls.assign(scenario=calls["call_id"].map(truth), week=calls["call_id"].map(week_of), period=None).dropna(
        subset=["week"]
    )
    period_of_week = {week: week_period(start, int(week)) for week in frame["week"].unique()}
    frame["period"] = frame["week"].map(period_of_week)
    for alert in report.alerts:
        if alert.kind != "volume_spike" or set(alert.scope) != {"code"}:
            continue
        rows = frame[(frame["period"] == alert.period) & (frame["code"] == alert.scope["code"])]
        if len(rows) and float((rows["scenario"] == "pic_connexion").mean()) >= OUTAGE_SHARE:
            ratio = alert.details.get("ratio")
            times = f" ×{ratio:.1f}".replace(".", ",") if isinstance(ratio, int | float) else ""
            hits["pic_connexion"].append((alert.period, f"pic de volume sur {alert.scope['code']}{times}"))
    checks = []
    for name, week in starts.items():
        found = sorted(hits[name])
        checks.append(
            EventCheck(
                scenario=name,
                label=labels[name],
                start_week=week,
                start_period=week_period(start, week),
                first_flagged=found[0][0] if found else None,
                how=found[0][1] if found else "",
            )
        )
    return checks


def _start_week(corpus: pd.DataFrame, scenario: str) -> int:
    weeks = corpus.loc[corpus["scenario"] == scenario, "week"].astype(int)
    return int(weeks.min()) if len(weeks) else 0


# --- the job -------------------------------------------------------------------------------------------------------


def run_demo(settings: DemoJobSettings, *, progress: DemoProgress | None = None) -> DemoOutcome:
    """Run the main job (see the module docstring); every step reuses what an earlier run already made."""
    settings.check()
    hook = progress or _Silent()
    out_dir = settings.out_dir
    _check_writable(out_dir)
    with _os_errors():
        return _run(settings, hook, out_dir)


def _timed(seconds: dict[str, float], name: str) -> Callable[[], None]:
    started = time.perf_counter()

    def stop() -> None:
        seconds[name] = time.perf_counter() - started

    return stop


def _run(settings: DemoJobSettings, hook: DemoProgress, out_dir: Path) -> DemoOutcome:
    from motifs import __version__
    from serving.monitoring import load_config
    from serving.monitoring.text import make_lemmatizer
    from serving.reports import ReportRequest, ReportSources, run_report
    from serving.review.emerging import run_emerging
    from serving.store import Database
    from training.demo.generator import DEFAULT_START
    from training.demo.schedule import DEFAULT_WEEKS

    seconds: dict[str, float] = {}
    notes: list[str] = []
    state = _read_state(out_dir)
    if state and (state.get("corpus") or {}).get("key") != settings.corpus_key():
        notes.append("Réglages différents de la démonstration précédente : ses fichiers sont remplacés.")

    hook.step(1, "Corpus de démonstration")
    stop = _timed(seconds, "corpus")
    corpus_path, corpus_rows, corpus_reused = _corpus(settings, state, hook)
    corpus = read_corpus(corpus_path)
    stop()
    hook.done(f"{corpus_rows:,} appels".replace(",", " ") + (" (repris)" if corpus_reused else ""))

    hook.step(2, "Entraînement du classifieur")
    stop = _timed(seconds, "entraînement")
    sample, described = training_sample(corpus, settings)
    training_file = out_dir / TRAINING_FILE
    text = sample.to_csv(index=False)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != _sha256(training_file):
        with atomic_file(training_file, "w") as handle:
            handle.write(text)
    model, model_reused = _train(settings, training_file, state, hook)
    stop()
    hook.done(
        f"exactitude {model['accuracy']:.1%}, modèle {model['model_version']}".replace(".", ",")
        + (" (repris)" if model_reused else "")
    )

    hook.step(3, "Reclassification de l'historique")
    stop = _timed(seconds, "reclassification")
    batch = _reclassify(settings, corpus_path, hook)
    db = Database.open(settings.database)
    try:
        low = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        high = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
        stored = db.predictions.model_versions(low, high).get(model["model_version"], 0)
    finally:
        db.close()
    stop()
    hook.done(f"{_count(stored)} appels dans la base, dont {_count(batch.scored)} notés maintenant")

    start = DEFAULT_START
    end = start + dt.timedelta(weeks=DEFAULT_WEEKS) - dt.timedelta(days=1)
    hook.step(4, "Part de « autre », alertes et motifs émergents")
    stop = _timed(seconds, "suivi")
    hook.total(None)
    emerging_json = out_dir / EMERGING_FILE
    config = load_config()
    representation = config.emerging.representation
    # One lemmatizer (with its cache) for the monitoring and the report: the same notes are lemmatized once.
    lemmatizer = make_lemmatizer(representation.lemmatizer, extra_stop_words=representation.extra_stop_words)
    outcome = run_emerging(
        granularity="week",
        database_url=settings.database,
        store=True,
        model_version=model["model_version"],
        json_out=emerging_json,
        config=config,
        lemmatizer=lemmatizer,
    )
    report = outcome.report
    stop()
    signalled = sorted({c.id for p in report.periods for c in p.clusters if c.signal != "none"})
    hook.done(f"{len(report.periods)} semaines, {len(report.alerts)} alertes, {len(signalled)} groupes signalés")

    hook.step(5, "Rapport HTML")
    stop = _timed(seconds, "rapport")
    report_path = out_dir / REPORT_FILE
    written = run_report(
        ReportRequest(start=start, end=end, out=report_path, review_url=REVIEW_LINK),
        ReportSources(
            database_url=settings.database,
            model_version=model["model_version"],
            model=str(settings.out_dir / MODEL_DIR),
        ),
        config=config,
        version=__version__,
        lemmatizer=lemmatizer,
        monitored=outcome,  # the monitoring just stored: not computed twice
    )
    stop()
    hook.done(str(report_path))

    frame = outcome.source.frame
    if frame.empty:  # an incremental run over the store keeps no frame of the calls: read their codes back
        from serving.review.emerging import calls_from_store
        from serving.store import Database

        db = Database.open(settings.database)
        try:
            frame = calls_from_store(db, model_version=model["model_version"]).frame
        finally:
            db.close()
    calls = frame[["call_id", "code", "timestamp"]].assign(call_id=lambda f: f["call_id"].astype(str))
    events = check_events(report, calls, corpus, start)
    n_calls = sum(p.n_calls for p in report.periods)
    n_autre = sum(p.n_autre for p in report.periods)
    if corpus_reused:
        notes.append("Corpus repris de l'exécution précédente (mêmes réglages).")
    if model_reused:
        notes.append("Modèle repris de l'exécution précédente (même échantillon) : aucune nouvelle version MLflow.")
    return DemoOutcome(
        out_dir=out_dir,
        corpus=corpus_path,
        corpus_rows=corpus_rows,
        corpus_reused=corpus_reused,
        training_file=training_file,
        training_rows=len(sample),
        training_sample=described,
        model_dir=out_dir / MODEL_DIR,
        model_version=str(model["model_version"]),
        model_reused=model_reused,
        accuracy=float(model["accuracy"]),
        macro_f1=float(model["macro_f1"]),
        registered_version=str(model["registered_version"]),
        alias=str(model["alias"]),
        tracking_uri=settings.tracking_uri,
        database=settings.database,
        stored_predictions=int(stored),
        scored=int(batch.scored),
        quarantined=int(batch.quarantined_rows),
        monitoring_run=outcome.run.id if outcome.run is not None else None,
        scope=outcome.scope,
        periods=len(report.periods),
        calls=n_calls,
        autre_share=n_autre / n_calls if n_calls else 0.0,
        last_autre_share=report.periods[-1].autre_share if report.periods else 0.0,
        alerts=Counter(alert.kind for alert in report.alerts),
        clusters=signalled,
        report=report_path,
        report_run=written.stored_run_id,
        emerging_json=emerging_json,
        events=events,
        seconds=seconds,
        notes=notes,
    )


def outcome_summary(outcome: DemoOutcome) -> dict[str, Any]:
    """A JSON-friendly digest (tests, scripts)."""
    data = asdict(outcome)
    return json.loads(json.dumps(data, default=str))


def _count(value: int) -> str:
    return f"{value:,}".replace(",", " ")
