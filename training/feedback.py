"""Agents' choices as training data: pure functions from the store's feedback to labelled examples.

Each call an agent qualified through `/v1/feedback` is a labelled example: its redacted note (stored with the
call's prediction) and the code the agent chose. Before it can teach the model:
- one example per call: the feedback table is append-only, an agent who changes their mind adds a row, so the
  **latest** choice of a call wins (the earlier ones are counted as superseded);
- a call without a stored note (unknown to the store, or stored without text) teaches nothing: counted, left out;
- codes chosen under an older taxonomy version go through the crosswalk chain (`taxonomy.crosswalk`) to the
  version being trained: renames and merges are mapped, splits and withdrawals (« à requalifier »), codes of
  another base or of an unreadable version are left out and counted — never guessed;
- « autre » stays « autre »: evidence of out-of-base notes for the novelty gate, never a class;
- the same note (after whitespace and case folding) with different final codes on different calls is reported
  (counts only, never the text): the examples stay, since either agent may be right, but a manager should look.

The CLI reads the feedback from the store (`serving.store`) and passes plain `FeedbackNote`s: training never
imports serving. `split_recent` keeps the most recent feedback as the evaluation holdout (time split), so the
champion/challenger decision is made on fresh real calls.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from taxonomy import AUTRE
from taxonomy.crosswalk import MigrationPlan, MigrationStatus, plan_migration
from taxonomy.errors import TaxonomyError
from taxonomy.loader import load_taxonomy
from taxonomy.schema import Taxonomy
from training.errors import TrainingConfigError, TrainingDataError

# Why an agent's choice was left out (keys of `FeedbackReport.dropped`, shown to the user as is).
NO_NOTE = "note absente du stockage"
REQUALIFY = "motif à requalifier (scindé ou retiré depuis)"
UNKNOWN_CODE = "motif inconnu de sa version"
OTHER_BASE = "version de base illisible ou d'une autre base"
INACTIVE = "motif hors de la base entraînée"
SITE_CAP = "plafond par site atteint"
AGENT_CAP = "plafond par agent atteint"


@dataclass(frozen=True)
class FeedbackNote:
    """One agent's choice joined to the call's stored note. `text` is already redacted (None: no note stored)."""

    call_id: str
    code: str
    taxonomy_ref: str
    given_at: datetime
    text: str | None = None
    site: str | None = None
    agent: str | None = None  # who chose, when the store knows (revision 0005); None: unknown, never capped


@dataclass(frozen=True)
class FeedbackReport:
    """What happened to the feedback read (counts and codes only: no note's text)."""

    read: int = 0
    calls: int = 0
    superseded: int = 0  # earlier choices of a call replaced by its latest one
    used: int = 0
    autre: int = 0  # of which « autre » evidence
    migrated: dict[str, int] = field(default_factory=dict)  # "old → new" → examples
    dropped: dict[str, int] = field(default_factory=dict)  # reason → calls left out
    contradictory_notes: int = 0  # distinct notes given different codes on different calls
    contradictory_calls: int = 0  # calls carrying those notes
    by_site: dict[str, int] = field(default_factory=dict)  # site ("" = none) → examples used
    last_at: datetime | None = None  # latest choice read: `motifs learn` counts what came after it as new


@dataclass(frozen=True)
class FeedbackExamples:
    """Labelled examples from feedback, oldest first, with the report of how they were obtained."""

    texts: list[str]
    codes: list[str]
    times: list[datetime]
    sites: list[str | None]
    report: FeedbackReport

    def __len__(self) -> int:
        return len(self.texts)


def parse_since(value: str) -> datetime:
    """`--since`: a day (AAAA-MM-JJ, midnight UTC) or an ISO date-time (UTC when it has no offset)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text) if "T" in text or " " in text else None
        if moment is None:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day)
    except ValueError:
        raise TrainingDataError("--since : date illisible (attendu : AAAA-MM-JJ, par ex. 2026-03-02)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def latest_per_call(notes: Iterable[FeedbackNote]) -> tuple[list[FeedbackNote], int]:
    """The latest choice of each call (ties: the one read last), oldest first; and how many were superseded."""
    latest: dict[str, tuple[datetime, int, FeedbackNote]] = {}
    read = 0
    for order, note in enumerate(notes):
        read += 1
        kept = latest.get(note.call_id)
        if kept is None or (note.given_at, order) >= (kept[0], kept[1]):
            latest[note.call_id] = (note.given_at, order, note)
    ordered = sorted(latest.values(), key=lambda item: (item[0], item[1]))
    return [item[2] for item in ordered], read - len(latest)


def note_key(text: str) -> str:
    """Two notes are the same note when they differ only by case and whitespace."""
    return " ".join(text.casefold().split())


def contradictions(texts: Sequence[str], codes: Sequence[str]) -> tuple[int, int]:
    """(distinct notes given more than one code, calls carrying them)."""
    codes_of: dict[str, set[str]] = defaultdict(set)
    calls_of: Counter[str] = Counter()
    for text, code in zip(texts, codes, strict=True):
        key = note_key(text)
        codes_of[key].add(code)
        calls_of[key] += 1
    mixed = [key for key, found in codes_of.items() if len(found) > 1]
    return len(mixed), sum(calls_of[key] for key in mixed)


class _Migrator:
    """Maps (taxonomy ref, code) to a code of the target version, one crosswalk plan per source version."""

    def __init__(self, target: Taxonomy, lineage: Sequence[Taxonomy] | None) -> None:
        self.target = target
        self.lineage = lineage
        self._plans: dict[str, MigrationPlan | None] = {}

    def code(self, ref: str, code: str) -> tuple[str | None, str | None]:
        """(code in the target, None) or (None, why it was left out)."""
        if code == AUTRE:
            return AUTRE, None
        if ref == self.target.ref:
            return code, None
        plan = self._plan(ref)
        if plan is None:
            return None, OTHER_BASE
        migration = plan.migrate(code)
        if migration.status in (MigrationStatus.MAPPED, MigrationStatus.UNCHANGED) and migration.code:
            return migration.code, None
        if migration.status is MigrationStatus.REQUALIFY:
            return None, REQUALIFY
        return None, UNKNOWN_CODE

    def _plan(self, ref: str) -> MigrationPlan | None:
        if ref not in self._plans:
            try:
                source = next((t for t in self.lineage or () if t.ref == ref), None) or load_taxonomy(ref)
                self._plans[ref] = plan_migration(source, self.target, lineage=self.lineage)
            except (TaxonomyError, OSError, ValueError):
                self._plans[ref] = None  # another base, a version not shipped here, a later version
        return self._plans[ref]


def prepare_feedback(
    notes: Iterable[FeedbackNote],
    target: Taxonomy,
    *,
    since: datetime | None = None,
    max_site_share: float | None = None,
    max_agent_share: float | None = None,
    lineage: Sequence[Taxonomy] | None = None,
) -> FeedbackExamples:
    """Feedback → training examples of `target` (see the module docstring for each rule).

    `since`: only choices given at or after it. `max_site_share` (drift guard, 0 < share ≤ 1): no site supplies
    more than that share of the examples (`cap_per_site`) — a site over it keeps only its most recent examples,
    the others are counted under « plafond par site atteint », so one busy site cannot pull the model towards its
    own habits. `max_agent_share` does the same per agent (`cap_per_agent`: choices whose agent is unknown are
    never capped), applied after the site cap."""
    for name, share in (("max_site_share", max_site_share), ("max_agent_share", max_agent_share)):
        if share is not None and not 0 < share <= 1:
            raise TrainingConfigError(f"training.feedback.{name} = {share} (attendu : une part entre 0 exclu et 1)")
    chosen = [n for n in notes if since is None or n.given_at >= since]
    latest, superseded = latest_per_call(chosen)
    migrator = _Migrator(target, lineage)
    active = set(target.active_codes)
    dropped: Counter[str] = Counter()
    migrated: Counter[str] = Counter()
    kept: list[tuple[FeedbackNote, str]] = []
    for note in latest:
        if note.text is None or not note.text.strip():
            dropped[NO_NOTE] += 1
            continue
        code, why = migrator.code(note.taxonomy_ref, note.code)
        if code is None:
            dropped[str(why)] += 1
            continue
        if code != AUTRE and code not in active:
            dropped[INACTIVE] += 1
            continue
        if code != note.code:
            migrated[f"{note.code} → {code}"] += 1
        kept.append((note, code))
    if max_site_share is not None:
        kept, capped = cap_per_site(kept, max_site_share)
        if capped:
            dropped[SITE_CAP] += capped
    if max_agent_share is not None:
        kept, capped = cap_per_agent(kept, max_agent_share)
        if capped:
            dropped[AGENT_CAP] += capped
    texts = [str(note.text) for note, _ in kept]
    codes = [code for _, code in kept]
    mixed_notes, mixed_calls = contradictions(texts, codes)
    report = FeedbackReport(
        read=len(chosen),
        calls=len(latest),
        superseded=superseded,
        used=len(kept),
        autre=sum(code == AUTRE for code in codes),
        migrated=dict(sorted(migrated.items())),
        dropped=dict(sorted(dropped.items())),
        contradictory_notes=mixed_notes,
        contradictory_calls=mixed_calls,
        by_site=dict(sorted(Counter(note.site or "" for note, _ in kept).items())),
        last_at=max((note.given_at for note in chosen), default=None),
    )
    return FeedbackExamples(
        texts=texts,
        codes=codes,
        times=[note.given_at for note, _ in kept],
        sites=[note.site for note, _ in kept],
        report=report,
    )


def cap_per_site(
    kept: Sequence[tuple[FeedbackNote, str]], max_share: float
) -> tuple[list[tuple[FeedbackNote, str]], int]:
    """Keep, for each site, at most `max_share` of the examples (counted before capping; at least one), its most
    recent ones; order is preserved. With a single site there is nothing to balance: nothing is capped."""
    counts = Counter(note.site or "" for note, _ in kept)
    if len(counts) < 2:
        return list(kept), 0
    limit = max(1, math.floor(max_share * len(kept)))
    seen: Counter[str] = Counter()
    out_reversed: list[tuple[FeedbackNote, str]] = []
    for note, code in reversed(kept):  # most recent first: a capped site keeps its freshest choices
        site = note.site or ""
        if seen[site] < limit:
            seen[site] += 1
            out_reversed.append((note, code))
    return list(reversed(out_reversed)), len(kept) - len(out_reversed)


def cap_per_agent(
    kept: Sequence[tuple[FeedbackNote, str]], max_share: float
) -> tuple[list[tuple[FeedbackNote, str]], int]:
    """Keep, for each known agent, at most `max_share` of the examples (counted before capping, unknown agents
    included; at least one), their most recent ones; order is preserved. Choices of an unknown agent (feedback
    stored before revision 0005, or sent without an agent in open mode) are kept. With fewer than two known agents
    there is nothing to balance: nothing is capped."""
    counts = Counter(note.agent for note, _ in kept if note.agent)
    if len(counts) < 2:
        return list(kept), 0
    limit = max(1, math.floor(max_share * len(kept)))
    seen: Counter[str] = Counter()
    out_reversed: list[tuple[FeedbackNote, str]] = []
    for note, code in reversed(kept):  # most recent first: a capped agent keeps their freshest choices
        if note.agent:
            if seen[note.agent] >= limit:
                continue
            seen[note.agent] += 1
        out_reversed.append((note, code))
    return list(reversed(out_reversed)), len(kept) - len(out_reversed)


def split_recent(n_examples: int, fraction: float, *, minimum: int = 10) -> tuple[list[int], list[int]]:
    """(older, most recent) positions of examples sorted oldest first: the most recent `fraction` is held out.
    Below `minimum` examples nothing is held out (too few fresh calls to judge a model on)."""
    if n_examples < minimum:
        return list(range(n_examples)), []
    held = max(1, math.ceil(fraction * n_examples))
    return list(range(n_examples - held)), list(range(n_examples - held, n_examples))


FEEDBACK_SPLIT = "feedback-time"
FEEDBACK_MARK_TAG = "feedback_last_at"  # MLflow run tag: the latest agent's choice the model was trained with


def feedback_tags(report: FeedbackReport | None) -> dict[str, str]:
    """MLflow tags of a training with feedback: when its latest choice was given (ISO 8601, UTC)."""
    if report is None or report.last_at is None:
        return {}
    return {FEEDBACK_MARK_TAG: report.last_at.astimezone(UTC).isoformat()}


@dataclass(frozen=True)
class TrainingRows:
    """The file's rows followed by the feedback examples, with train / evaluation positions into them."""

    texts: list[str]
    codes: list[str]
    times: list[datetime] | None
    train: list[int]
    evaluation: list[int]
    split_kind: str
    autre_rows: set[int]  # feedback « autre » evidence: given to the fit (novelty calibration), never a class


def add_feedback(
    texts: Sequence[str],
    codes: Sequence[str],
    times: Sequence[datetime] | None,
    split: tuple[Sequence[int], Sequence[int], str],
    examples: FeedbackExamples,
    *,
    fraction: float,
    minimum: int,
) -> TrainingRows:
    """Append the feedback examples to the file's rows. With at least `minimum` examples the evaluation holdout
    becomes the most recent `fraction` of the feedback (fresh real calls: what the champion must be judged on) and
    the whole file joins the training part; otherwise the file's own split is kept and every example is trained on.
    Times are kept only when the file has them (calibration folds by time need one for every row)."""
    train, evaluation, kind = list(split[0]), list(split[1]), split[2]
    offset = len(texts)
    older, recent = split_recent(len(examples), fraction, minimum=minimum)
    if recent:
        train, evaluation, kind = train + evaluation, [offset + i for i in recent], FEEDBACK_SPLIT
    train += [offset + i for i in older]
    return TrainingRows(
        texts=[*texts, *examples.texts],
        codes=[*codes, *examples.codes],
        times=None if times is None else [*times, *examples.times],
        train=train,
        evaluation=evaluation,
        split_kind=kind,
        autre_rows={offset + i for i, code in enumerate(examples.codes) if code == AUTRE},
    )
