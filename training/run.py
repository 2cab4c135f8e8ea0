"""The one entry point of training that touches disk, configuration and MLflow: `train_and_register`.

    data file ─ read (text, label, optional timestamp) ─ taxonomy (id, version, path or from-data)
        └ split: train / evaluation (by time when the file has timestamps, else stratified by reason)
        └ fit on train (`training.fit.fit_model` holds validation notes and whole reasons out of the train part to
          choose the abstention threshold for the target precision, then refits) ─ evaluate on evaluation
        └ save the artifact (model.joblib + manifest.json) ─ MLflow run + registered version ─ champion/challenger

Everything in between is a pure function of `training.split`, `training.fit`, `training.calibrate`,
`training.evaluate`, `training.promotion`. No note's text leaves this process except inside the model artifact
(whose first step is the redactor): MLflow gets aggregates, codes and hashes only.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.artifact import Manifest, TrainingDataInfo, save_model, split_taxonomy_ref
from pipeline.calls import TIMESTAMP_FORMATS, parse_timestamps
from pipeline.files import file_sha256
from pipeline.mlflow_model import resolve_artifact, resolve_tracking_uri
from pipeline.redaction import Redactor
from pipeline.tables import inspect_table, iter_table, read_header, undecodable
from taxonomy import AUTRE
from training import tracking
from training.errors import InvalidSplit, TrainingConfigError, TrainingDataError
from training.evaluate import EvaluationReport, evaluate
from training.feedback import FeedbackNote, FeedbackReport, add_feedback, feedback_tags, prepare_feedback
from training.fit import fit_model
from training.promotion import PromotionDecision, registered_name_for
from training.split import stratified_split, time_split

FROM_DATA = "from-data"
DEFAULT_CONFIG = "defaults.yaml"


# --------------------------------------------------------------------------------------------------- configuration
def load_config(path: str | Path | None) -> dict[str, Any]:
    """Defaults (`training/defaults.yaml`) deep-merged with the user's YAML file. Sections: `training` (split,
    registry) is ours; every other key is the model's configuration, passed to `training.fit` as is."""
    defaults = yaml.safe_load(resources.files("training").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    if path is None:
        return defaults
    path = Path(path)
    try:
        user = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise TrainingConfigError(f"{path} : fichier de configuration introuvable ou illisible") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise TrainingConfigError(f"{path} : YAML invalide{where}") from None
    if user is None:
        return defaults
    if not isinstance(user, dict):
        raise TrainingConfigError(f"{path} : un dictionnaire YAML est attendu à la racine")
    _check_training_keys(user.get("training", {}), defaults["training"], path)
    return _deep_merge(defaults, user)


def _check_training_keys(user: Any, defaults: Mapping[str, Any], path: Path, prefix: str = "training") -> None:
    if not isinstance(user, Mapping):
        raise TrainingConfigError(f"{path} : « {prefix} » doit être un dictionnaire")
    for key, value in user.items():
        if key not in defaults:
            raise TrainingConfigError(
                f"{path} : clé « {prefix}.{key} » inconnue (attendu : {', '.join(sorted(defaults))})"
            )
        if isinstance(defaults[key], Mapping):
            _check_training_keys(value, defaults[key], path, f"{prefix}.{key}")


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# ------------------------------------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class LabelledData:
    """Labelled notes read from one file, with what was left out (counts and record numbers, never text)."""

    texts: list[str]
    labels: list[str]
    timestamps: list[datetime] | None
    records: int
    skipped: dict[str, list[int]]
    sha256: str
    file_name: str
    guesses: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.texts)


def read_labelled(
    path: str | Path,
    *,
    text_col: str,
    label_col: str,
    time_col: str | None = None,
    time_required: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> LabelledData:
    """Read a CSV/Parquet/JSONL file through `pipeline.tables` (encoding and delimiter guessed unless given). Rows
    with an empty text or label, undecodable bytes or a wrong number of fields are skipped and counted by record
    number. `time_col` is used when present and when at least 95 % of the kept rows have a readable date (ISO 8601
    or jj/mm/aaaa, as `pipeline.calls.parse_timestamps` reads them); with `time_required` (the user named the
    column) a missing or unreadable column is an error instead of a silent stratified split."""
    spec = inspect_table(path, encoding=encoding, delimiter=delimiter)
    header = read_header(spec)
    missing = [c for c in (text_col, label_col) if c not in header]
    if time_required and time_col is not None and time_col not in header:
        missing.append(time_col)
    if missing:
        raise TrainingDataError(
            f"{spec.path.name} : colonne(s) {', '.join(missing)} absente(s) "
            f"(colonnes du fichier : {', '.join(header[:20])}) — voir --text-col, --label-col et --time-col"
        )
    use_time = time_col is not None and time_col in header
    texts: list[str] = []
    labels: list[str] = []
    stamps: list[str] = []
    skipped: dict[str, list[int]] = {
        "ligne mal formée": [],
        "texte vide": [],
        "motif vide": [],
        "octets illisibles": [],
    }
    records = 0
    for chunk in iter_table(spec):
        skipped["ligne mal formée"].extend(m.row for m in chunk.malformed)
        records += len(chunk.frame) + len(chunk.malformed)
        frame = chunk.frame
        if frame.empty:
            continue
        text = frame[text_col].astype(str)
        label = frame[label_col].astype(str).str.strip()
        bad_bytes = undecodable(text) | undecodable(label)
        empty_text = text.str.strip() == ""
        empty_label = label == ""
        rows = frame["__row__"]
        skipped["octets illisibles"].extend(rows[bad_bytes].tolist())
        skipped["texte vide"].extend(rows[~bad_bytes & empty_text].tolist())
        skipped["motif vide"].extend(rows[~bad_bytes & ~empty_text & empty_label].tolist())
        keep = ~(bad_bytes | empty_text | empty_label)
        texts.extend(text[keep].tolist())
        labels.extend(label[keep].tolist())
        if use_time:
            stamps.extend(frame.loc[keep, str(time_col)].astype(str).tolist())
    if not texts:
        raise TrainingDataError(f"{spec.path.name} : aucune ligne avec un texte et un motif")
    timestamps = _parse_times(stamps) if use_time else None
    if time_required and timestamps is None:
        raise TrainingDataError(
            f"{spec.path.name} : colonne {time_col} : moins de 95 % de dates lisibles (attendu : {TIMESTAMP_FORMATS})"
        )
    return LabelledData(
        texts=texts,
        labels=labels,
        timestamps=timestamps,
        records=records,
        skipped={reason: rows for reason, rows in skipped.items() if rows},
        sha256=file_sha256(spec.path),
        file_name=spec.path.name,
        guesses=spec.guesses,
    )


def _parse_times(values: Sequence[str]) -> list[datetime] | None:
    """Dates read as every other command reads them (`pipeline.calls.parse_timestamps`); None under 95 %."""
    parsed = parse_timestamps(pd.Series(list(values), dtype=object))
    if len(parsed) == 0 or parsed.notna().mean() < 0.95:
        return None
    filled = parsed.fillna(parsed.min())
    return [ts.to_pydatetime() for ts in filled]


# ------------------------------------------------------------------------------------------------------- taxonomy
UNKNOWN_LABEL_POLICIES = ("refuse", "autre")


@dataclass(frozen=True)
class LabelSpace:
    """The taxonomy a model is trained on, and how the data's labels map onto its codes (through each reason's
    code, label and aliases, without accents nor case: `taxonomy.map_labels`)."""

    taxonomy: Any
    ref: str
    label_codes: dict[str, str]  # data label → code, for every label that names a reason
    replaced: dict[str, str] = field(default_factory=dict)  # deprecated code → its single successor
    unknown: dict[str, int] = field(default_factory=dict)  # labels naming no reason → rows (sent to « autre »)

    def code_of(self, label: str) -> str:
        code = self.label_codes.get(label)
        if code is None:
            # Only with unknown_labels="autre" (refused otherwise): never learned, and the evaluation counts any
            # label outside the model's classes as « autre » (open set) while keeping it apart in its tables.
            return label
        return self.replaced.get(code, code)

    @property
    def active_codes(self) -> set[str]:
        return set(self.taxonomy.active_codes) - {AUTRE}


def label_space(
    taxonomy_spec: str | Path | None,
    labels: Sequence[str],
    *,
    data_name: str,
    unknown_labels: str = "refuse",
) -> LabelSpace:
    """`None` = latest shipped national version; `from-data[:ID]` builds one from the labels; else id/ref/path.

    Labels that name no reason of the taxonomy are refused (`TrainingDataError` saying how many and which), or sent
    to « autre » with `unknown_labels="autre"` — never compared as they are with the codes."""
    import taxonomy as tx

    if unknown_labels not in UNKNOWN_LABEL_POLICIES:
        raise TrainingDataError(
            f"--unknown-labels « {unknown_labels[:20]} » (attendu : {' ou '.join(UNKNOWN_LABEL_POLICIES)})"
        )
    text = None if taxonomy_spec is None else str(taxonomy_spec)
    if text is not None and (text == FROM_DATA or text.startswith(FROM_DATA + ":")):
        taxonomy_id = text.partition(":")[2] or _slug(Path(data_name).stem)
        loaded = tx.taxonomy_from_labels(labels, taxonomy_id=taxonomy_id, version="1.0.0")
    else:
        loaded = tx.load_taxonomy(text)
    mapping = tx.map_labels(loaded, labels)
    if mapping.unknown and unknown_labels == "refuse":
        raise TrainingDataError(
            f"{data_name} : {mapping.describe_unknown()} ne correspondent à aucun motif de {loaded.ref} (ni code, "
            "ni libellé, ni alias, sans tenir compte des accents ni de la casse) — corriger les étiquettes, ajouter "
            "des alias dans la base, ou --unknown-labels autre pour les compter comme « autre »"
        )
    replaced: dict[str, str] = {}
    for code in set(mapping.codes.values()):
        if code in loaded and code not in loaded.active_codes:
            successors = loaded.successors(code)
            if len(successors) == 1:
                replaced[code] = successors[0]
    return LabelSpace(loaded, loaded.ref, dict(mapping.codes), replaced, dict(mapping.unknown))


def _slug(name: str) -> str:
    import taxonomy as tx

    return str(tx.codes_for_labels([name])[name])


def reason_texts(taxonomy: Any) -> dict[str, list[str]]:
    """Label, definition and examples of every active reason except « autre »: training signal for few-shot codes."""
    out: dict[str, list[str]] = {}
    for reason in taxonomy.active_reasons:
        if reason.code == AUTRE:
            continue
        out[reason.code] = [reason.label, reason.definition, *[str(e) for e in reason.examples]]
    return out


def with_reviewed_examples(
    texts: Mapping[str, Sequence[str]], reviewed: Mapping[str, Sequence[str]], active_codes: set[str]
) -> tuple[dict[str, list[str]], dict[str, int], dict[str, int]]:
    """The taxonomy's texts per code plus the reviewed examples of active codes (each distinct text once);
    returns (texts, examples used per code, examples left out per inactive or unknown code)."""
    merged = {code: list(values) for code, values in texts.items()}
    used: dict[str, int] = {}
    ignored: dict[str, int] = {}
    for code, examples in sorted(reviewed.items()):
        cleaned = list(dict.fromkeys(str(text) for text in examples if str(text).strip()))
        if code not in active_codes:
            if cleaned:
                ignored[code] = len(cleaned)  # distinct texts, counted like the used ones
            continue
        target = merged.setdefault(code, [])
        added = [text for text in cleaned if text not in target]
        target.extend(added)
        if added:
            used[code] = len(added)
    return merged, used, ignored


# ---------------------------------------------------------------------------------------------------- orchestrator
@dataclass(frozen=True)
class TrainResult:
    model: Any
    model_dir: Path
    manifest: Manifest
    report: EvaluationReport
    publication: tracking.Publication
    tracking_uri: str
    data: LabelledData
    split_sizes: dict[str, int]
    split_kind: str
    unknown_labels: dict[str, int]
    replaced_codes: dict[str, str]
    fit_seconds: float
    abstention: dict[str, Any] = field(default_factory=dict)  # fit_model's calibration report
    reviewed_examples: dict[str, int] = field(default_factory=dict)  # code → reviewed examples used
    reviewed_ignored: dict[str, int] = field(default_factory=dict)  # inactive code → examples left out
    taxonomy_path: Path | None = None  # where the model's base is registered (shipped or local folder)
    labels_mapped: int = 0  # distinct data labels that name a reason (code, label or alias)
    labels_unmatched: dict[str, int] = field(default_factory=dict)  # labels naming no reason → rows (« autre »)
    feedback: FeedbackReport | None = None  # --with-feedback: what the agents' choices gave
    evaluation_notes: tuple[list[str], list[str]] = field(default=([], []), repr=False)  # texts, codes (in memory)

    @property
    def promotion(self) -> PromotionDecision:
        return self.publication.promotion


def train_and_register(
    data_path: str | Path,
    taxonomy: str | Path | None,
    text_col: str,
    label_col: str,
    config_path: str | Path | None,
    out_dir: str | Path,
    tracking_uri: str | None = None,
    *,
    reviewed_examples: Mapping[str, Sequence[str]] | None = None,
    time_col: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    unknown_label_policy: str = "refuse",
    taxonomy_dir: str | Path | None = None,
    feedback: Sequence[FeedbackNote] | None = None,
    feedback_since: datetime | None = None,
) -> TrainResult:
    """Train, calibrate, evaluate, save, log to MLflow and register (see the module docstring).

    `reviewed_examples`: code → redacted notes an analyst filed under that code (the review of emerging clusters,
    read from the store by the CLI). They join the taxonomy's texts of their reason (`reason_texts`): training rows
    of the code, never evaluation rows. Codes that are not active in the taxonomy are left out and counted.

    `time_col`: the date column of the time split (default: the configuration's `training.split.time_column` when
    the file has it). `unknown_label_policy`: `refuse` (default) or `autre` (see `label_space`). The taxonomy is saved
    with the model and registered in the local taxonomy folder (`taxonomy_dir`), so that every later command finds
    exactly this base.
    `feedback`: agents' choices joined to their redacted notes (`training.feedback`), appended to the data; the
    most recent of them become the evaluation holdout."""
    config = load_config(config_path)
    settings = config["training"]
    data = read_labelled(
        data_path,
        text_col=text_col,
        label_col=label_col,
        time_col=time_col or settings["split"]["time_column"],
        time_required=time_col is not None,
        encoding=encoding,
        delimiter=delimiter,
    )
    space = label_space(taxonomy, data.labels, data_name=data.file_name, unknown_labels=unknown_label_policy)
    import taxonomy as tx

    registered_taxonomy = tx.registered_path(space.taxonomy, taxonomy_dir=taxonomy_dir)  # conflicts: before fitting
    codes = [space.code_of(label) for label in data.labels]
    known = space.active_codes
    unknown_counts = pd.Series([c for c in codes if c not in known], dtype=object).value_counts()
    unknown_labels = {str(k): int(v) for k, v in unknown_counts.items()}
    if not any(code in known for code in codes):
        raise TrainingDataError(
            f"aucun motif de {data.file_name} n'est un code actif de {space.ref} "
            f"(attendu : des codes de la base, ou --taxonomy {FROM_DATA})"
        )

    train, evaluation, split_kind = _split(data, codes, settings["split"])
    texts, times, autre_rows, feedback_report = data.texts, data.timestamps, set[int](), None
    if feedback is not None:
        share = float(settings["feedback"]["max_site_share"])
        agent_share = float(settings["feedback"].get("max_agent_share", 1.0))
        examples = prepare_feedback(
            feedback, space.taxonomy, since=feedback_since, max_site_share=share, max_agent_share=agent_share
        )
        merged = add_feedback(
            data.texts, codes, data.timestamps, (train, evaluation, split_kind), examples,
            fraction=float(settings["split"]["evaluation_fraction"]),
            minimum=int(settings["feedback"]["holdout_minimum"]),
        )  # fmt: skip
        texts, codes, times, feedback_report = merged.texts, merged.codes, merged.times, examples.report
        train, evaluation, split_kind = merged.train, merged.evaluation, merged.split_kind
        autre_rows = merged.autre_rows
    model_config = {key: value for key, value in config.items() if key != "training"}
    started = time.perf_counter()
    signal, used, ignored = with_reviewed_examples(reason_texts(space.taxonomy), reviewed_examples or {}, known)
    rows = [i for i in train if codes[i] in known or i in autre_rows]
    model = fit_model(
        [texts[i] for i in rows],
        [codes[i] for i in rows],
        signal,
        model_config,
        redactor=Redactor(),  # first step of the model: no personal data in vocabularies or exemplars
        # calibration folds follow time when the file has timestamps (decision.folds_by)
        times=None if times is None else [times[i] for i in rows],
    )
    fit_seconds = time.perf_counter() - started
    model.taxonomy_ref = space.ref
    eval_texts = [texts[i] for i in evaluation]
    eval_codes = [codes[i] for i in evaluation]
    report = evaluate(model, eval_texts, eval_codes)

    out = Path(out_dir)
    manifest = save_model(
        model,
        out,
        training_data=TrainingDataInfo(sha256=data.sha256, rows=data.rows, file_name=data.file_name),
        label_codes=space.label_codes,
        taxonomy=space.taxonomy,
    )
    taxonomy_path = registered_taxonomy or tx.register_taxonomy(space.taxonomy, taxonomy_dir=taxonomy_dir)
    uri = resolve_tracking_uri(tracking_uri)
    taxonomy_id, taxonomy_version = split_taxonomy_ref(space.ref)
    abstention = dict(getattr(model, "abstention_", {}) or {})
    sizes = {"train": len(train), "validation": int(abstention.get("n_calibration", 0)), "evaluation": len(evaluation)}
    resolved_model_config = getattr(model, "config_", None) or model_config  # the model's defaults + overrides
    params = tracking.flatten_params({"training": settings, **resolved_model_config})
    params.update(
        {
            "data.file_name": data.file_name,
            "data.text_col": text_col,
            "data.label_col": label_col,
            "data.split_kind": split_kind,
            "taxonomy.ref": space.ref,
            "data.reviewed_examples": str(sum(used.values())),
            "data.feedback_examples": str(feedback_report.used if feedback_report else 0),
        }
    )
    metrics = {
        **report.metrics(),
        "threshold": float(model.threshold_),
        "fit_seconds": fit_seconds,
        "rows_read": float(data.records),
        "rows_used": float(data.rows),
        "rows_unknown_label": float(sum(unknown_labels.values())),
        **{f"rows_{name}": float(n) for name, n in sizes.items()},
        **calibration_metrics(abstention),
    }
    tags = {
        "taxonomy_id": taxonomy_id or "",
        "taxonomy_version": taxonomy_version or "",
        "taxonomy_ref": space.ref,
        "training_data_sha256": data.sha256,
        "training_data_rows": str(data.rows),
        "model_version": manifest.model_version,
        "artifact_dir": str(out.resolve()),
        "artifact_sha256": manifest.sha256,
        "evaluation_set_sha256": _evaluation_set_hash(eval_texts, eval_codes),
        **feedback_tags(feedback_report),
    }
    publication = tracking.publish(
        model=model,
        model_dir=out,
        manifest=manifest,
        report=report,
        eval_texts=eval_texts,
        eval_codes=eval_codes,
        params=params,
        metrics=metrics,
        tags=tags,
        tracking_uri=uri,
        registered_name=registered_name_for(settings["registry"]["registered_model"], taxonomy_id),
        experiment_name=settings["registry"]["experiment"],
    )
    return TrainResult(
        model=model,
        model_dir=out,
        manifest=manifest,
        report=report,
        publication=publication,
        tracking_uri=uri,
        data=data,
        split_sizes=sizes,
        split_kind=split_kind,
        unknown_labels=unknown_labels,
        replaced_codes=space.replaced,
        fit_seconds=fit_seconds,
        abstention=abstention,
        reviewed_examples=used,
        reviewed_ignored=ignored,
        taxonomy_path=taxonomy_path,
        labels_mapped=len(space.label_codes),
        labels_unmatched=space.unknown,
        feedback=feedback_report,
        evaluation_notes=(eval_texts, eval_codes),
    )


def _evaluation_set_hash(texts: Sequence[str], codes: Sequence[str]) -> str:
    """Identifies the evaluation notes and labels (a hash, never the notes) so runs measured alike can be told."""
    digest = hashlib.sha256()
    for text, code in zip(texts, codes, strict=True):
        digest.update(text.encode("utf-8", "surrogatepass") + b"\x1f" + code.encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def _split(data: LabelledData, codes: Sequence[str], settings: Mapping[str, Any]) -> tuple[list[int], list[int], str]:
    """Train / evaluation row indices: by time when the file has readable timestamps, else stratified by code."""
    fraction = float(settings["evaluation_fraction"])
    try:
        if data.timestamps is not None:
            split = time_split(data.timestamps, test_fraction=fraction)
            kind = "time"
        else:
            split = stratified_split(codes, test_size=fraction, random_state=int(settings["random_state"]))
            kind = "stratified"
    except InvalidSplit as exc:
        raise TrainingDataError(f"{data.file_name} : découpage impossible ({exc})") from None
    if len(split.test) == 0:
        raise TrainingDataError(f"{data.file_name} : trop peu de lignes pour garder un jeu d'évaluation")
    return [int(i) for i in split.train], [int(i) for i in split.test], kind


@dataclass(frozen=True)
class FileEvaluation:
    """`evaluate_file`'s answer: the report, and the file's labels that name no reason of the model's base."""

    report: EvaluationReport
    taxonomy_ref: str
    labels_unmatched: dict[str, int]


def evaluate_file(
    model_ref: str | Path,
    data_path: str | Path,
    *,
    text_col: str,
    label_col: str,
    tracking_uri: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    unknown_labels: str = "refuse",
) -> FileEvaluation:
    """`motifs evaluate`: load a model (directory or `models:/…`, hash-checked) and evaluate it on a labelled file.

    Labels are mapped onto the model's own taxonomy (code, label or alias, as in training); labels that name no
    reason are refused, or with `unknown_labels="autre"` counted as « autre » (open-set evaluation)."""
    loaded = resolve_artifact(model_ref, tracking_uri=tracking_uri)
    data = read_labelled(data_path, text_col=text_col, label_col=label_col, encoding=encoding, delimiter=delimiter)
    import taxonomy as tx

    if unknown_labels not in UNKNOWN_LABEL_POLICIES:
        raise TrainingDataError(
            f"--unknown-labels « {unknown_labels[:20]} » (attendu : {' ou '.join(UNKNOWN_LABEL_POLICIES)})"
        )
    legacy = loaded.manifest.label_codes or {}  # older from-data models: label → code recorded in the manifest
    if legacy and loaded.manifest.taxonomy_file is None:
        # An older from-data model carries no base file, only its label → code table: map through it.
        ref = str(loaded.manifest.taxonomy_ref)
        known = set(legacy) | {str(c) for c in loaded.manifest.classes}
        mapping = tx.LabelMapping(ref, {}, Counter(label for label in data.labels if label not in known))
    else:
        base = loaded.taxonomy()
        ref = base.ref
        mapping = tx.map_labels(base, [label for label in data.labels if label not in legacy])
    if mapping.unknown and unknown_labels == "refuse":
        raise TrainingDataError(
            f"{data.file_name} : {mapping.describe_unknown()} ne correspondent à aucun motif de {ref}, la base "
            "du modèle — corriger les étiquettes, ou --unknown-labels autre pour les compter comme « autre » "
            "(évaluation en ensemble ouvert)"
        )
    codes = [legacy.get(label) or mapping.codes.get(label) or label for label in data.labels]
    return FileEvaluation(evaluate(loaded.model, data.texts, codes), ref, dict(mapping.unknown))


def calibration_metrics(report: dict[str, Any]) -> dict[str, float]:
    """The numbers of the three gates' calibration (`model.abstention_`) as flat MLflow metrics."""
    out: dict[str, float] = {}
    for name in ("max_prob_weight", "novelty_auc", "alpha", "set_coverage", "out_of_fold_accuracy"):
        if isinstance(report.get(name), int | float):
            out[f"calibration_{name}"] = float(report[name])
    for gate in ("novelty", "prediction_set", "confident"):
        for key, value in (report.get(gate) or {}).items():
            if isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
                out[f"calibration_{gate}_{key}"] = float(value)
    return out
