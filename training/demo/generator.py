"""Generating the demo corpus day by day: deterministic for a seed, bounded memory, written in chunks."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.tables import TableWriter, writable_table_kind
from taxonomy import AUTRE
from training.demo import pii
from training.demo.bank import PhraseBank, Phrases, build_bank, params
from training.demo.french import MONTHS, number_words
from training.demo.noise import strip_accents
from training.demo.schedule import DEFAULT_WEEKS, Day, WeekMix, days_of, rows_per_day, week_mixes
from training.errors import InvalidDemoSettings

DEMO_COLUMNS: tuple[str, ...] = (
    "call_id",
    "text",
    "timestamp",
    "site",
    "channel",
    "reason",
    "scenario",
    "template_family",
    "true_reason",
    "text_kind",
    "pii_types",
    "week",
)
PII_TYPES: tuple[str, ...] = (
    "nom",
    "telephone",
    "telephone_oral",
    "email",
    "nir",
    "iban",
    "carte",
    "adresse",
    "date_naissance",
    "numero_dossier",
    "plaque",
)
NORMAL = "normal"
DEFAULT_START = dt.date(2026, 1, 5)
PHONE_CHANNELS = ("telephone", "rappel")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class DemoSettings:
    rows: int
    seed: int = 42
    start: dt.date = DEFAULT_START
    weeks: int = DEFAULT_WEEKS
    chunk_rows: int = 50_000

    def check(self) -> None:
        if self.rows < 1:
            raise InvalidDemoSettings(f"nombre de lignes reçu : {self.rows} (attendu : au moins 1)")
        if not 4 <= self.weeks <= 104:
            raise InvalidDemoSettings(f"nombre de semaines reçu : {self.weeks} (attendu : de 4 à 104)")
        if self.chunk_rows < 1:
            raise InvalidDemoSettings(f"taille de lot reçue : {self.chunk_rows} (attendu : au moins 1)")
        if self.seed < 0:
            raise InvalidDemoSettings(f"graine reçue : {self.seed} (attendu : un entier positif ou nul)")


@dataclass
class DemoResult:
    path: Path
    rows: int
    seconds: float
    reasons: Counter[str] = field(default_factory=Counter)
    scenarios: Counter[str] = field(default_factory=Counter)
    text_kinds: Counter[str] = field(default_factory=Counter)
    rows_with_pii: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def _pick(r: random.Random, phrases: Phrases) -> str:
    """One variant of one phrase, both uniformly."""
    variants = phrases[int(r.random() * len(phrases))]
    return variants[int(r.random() * len(variants))]


def _pick_variant(r: random.Random, variants: list[str]) -> str:
    return variants[int(r.random() * len(variants))]


def _list_slot(values: list[str]) -> Callable[[_Slots], str]:
    def fill(slots: _Slots) -> str:
        return values[int(slots.r.random() * len(values))]

    return fill


class _Slots(dict[str, str]):
    """Slot values of one text, generated on first use (so a slot used twice keeps its value)."""

    def __init__(self, composer: _Composer, r: random.Random, oral: bool) -> None:
        super().__init__()
        self.composer = composer
        self.r = r
        self.oral = oral
        self.pii: list[str] = []
        self.prestation: list[str] | None = None

    def __missing__(self, key: str) -> str:
        value = self.composer.fill(key, self)
        self[key] = value
        return value


class _Composer:
    """Builds the text of one call from the phrase banks."""

    def __init__(self, seed: int, p: dict[str, Any]) -> None:
        self.bank: PhraseBank = build_bank(seed)
        self.names = pii.NameLists.load()
        self.p = p
        text = p["text"]
        noise = p["noise"]
        self.short_share = float(text["short_note_share"])
        self.details_per_note = [int(k) for k in text["details_per_note"]]
        self.context_share = float(text["context_share"])
        self.closing_share = float(text["closing_share"])
        self.third_party_share = float(text["third_party_share"])
        self.words_min, self.words_max = (int(w) for w in text["transcript_words"])
        self.strip_accents = float(noise["strip_accents"])
        self.upper = float(noise["upper"])
        self.capitalise = float(noise["capitalise"])
        self.spoken_numbers = float(noise["spoken_numbers"])
        self.phone_oral = float(p["pii"]["telephone_oral_share"])
        slots = self.bank.slots
        self.prestations: list[list[str]] = slots["prestations"]
        self.lists: dict[str, list[str]] = {
            "document": slots["documents"],
            "courrier": slots["courriers"],
            "organisme": slots["organismes"],
            "membre": slots["membres"],
            "lieu": slots["lieux"],
        }
        self.weekdays: list[str] = slots["weekdays"]
        self.units: list[list[Any]] = slots["duration_units"]
        self._handlers: dict[str, Callable[[_Slots], str]] = {
            "prestation": lambda s: self._prestation(s)[0],
            "la_prestation": lambda s: self._prestation(s)[1],
            "de_prestation": lambda s: self._prestation(s)[2],
            "a_prestation": lambda s: self._prestation(s)[3],
            "duree": self._duration,
            "montant": self._amount,
            "montant2": self._amount,
            "date": self._past_date,
            "date_futur": self._future_date,
            "mois": lambda s: MONTHS[int(s.r.random() * 12)],
            "mois2": lambda s: MONTHS[int(s.r.random() * 12)],
            "nb": lambda s: self._number(s, 2 + int(s.r.random() * 4)),
            "nom": lambda s: self._pii(s, "nom", pii.person_name(s.r, self.names, oral=s.oral)),
            "prenom_nom": lambda s: self._pii(s, "nom", pii.first_and_last_name(s.r, self.names)),
            "tel": self._phone,
            "email": lambda s: self._pii(s, "email", pii.email(s.r, self.names)),
            "nir": lambda s: self._pii(s, "nir", pii.nir(s.r)),
            "iban": lambda s: self._pii(s, "iban", pii.iban(s.r)),
            "carte": lambda s: self._pii(s, "carte", pii.card_number(s.r)),
            "adresse": lambda s: self._pii(s, "adresse", pii.address(s.r, self.names)),
            "adresse2": lambda s: self._pii(s, "adresse", pii.address(s.r, self.names)),
            "dob": lambda s: self._pii(s, "date_naissance", pii.birth_date(s.r, oral=s.oral)),
            "dossier": self._file_number,
            "plaque": lambda s: self._pii(s, "plaque", pii.licence_plate(s.r)),
        }
        for name, values in self.lists.items():
            self._handlers[name] = _list_slot(values)

    @property
    def slot_names(self) -> frozenset[str]:
        return frozenset(self._handlers)

    # --- slots -----------------------------------------------------------------------------------------------

    def fill(self, key: str, slots: _Slots) -> str:
        return self._handlers[key](slots)

    def _pii(self, slots: _Slots, kind: str, value: str) -> str:
        if kind not in slots.pii:
            slots.pii.append(kind)
        return value

    def _prestation(self, slots: _Slots) -> list[str]:
        if slots.prestation is None:
            slots.prestation = self.prestations[int(slots.r.random() * len(self.prestations))]
        return slots.prestation

    def _number(self, slots: _Slots, n: int) -> str:
        if slots.oral and slots.r.random() < self.spoken_numbers:
            return number_words(n)
        return str(n)

    def _duration(self, slots: _Slots) -> str:
        r = slots.r
        singular, plural, low, high = self.units[int(r.random() * len(self.units))]
        n = int(low) + int(r.random() * (int(high) - int(low) + 1))
        if slots.oral and n == 1:
            return f"un {singular}"
        return f"{self._number(slots, n)} {singular if n == 1 else plural}"

    def _amount(self, slots: _Slots) -> str:
        r = slots.r
        euros = int(20 + (r.random() ** 2) * 1480)
        cents = int(r.random() * 100) if r.random() < 0.35 else 0
        if slots.oral:
            if r.random() < self.spoken_numbers:
                return f"{number_words(euros)} euros"
            return f"{euros} euros"
        amount = f"{euros:,}".replace(",", " ") if r.random() < 0.5 else str(euros)
        if cents:
            amount += f",{cents:02d}"
        form = r.random()
        if form < 0.4:
            return f"{amount} €"
        if form < 0.6:
            return f"{amount}€"
        if form < 0.85:
            return f"{amount} euros"
        return f"{amount}e" if not cents else f"{amount} eur"

    def _past_date(self, slots: _Slots) -> str:
        r = slots.r
        day, month = 1 + int(r.random() * 28), 1 + int(r.random() * 12)
        form = r.random()
        if slots.oral:
            if form < 0.5:
                return f"le {self._number(slots, day)} {MONTHS[month - 1]}"
            return f"{self.weekdays[int(r.random() * 5)]} dernier" if form < 0.8 else "la semaine dernière"
        if form < 0.35:
            return f"le {day:02d}/{month:02d}"
        if form < 0.55:
            return f"le {day} {MONTHS[month - 1]}"
        if form < 0.7:
            return f"{self.weekdays[int(r.random() * 5)]} dernier"
        if form < 0.8:
            return "la semaine dernière"
        if form < 0.9:
            return f"le {day}"
        return f"début {MONTHS[month - 1]}"

    def _future_date(self, slots: _Slots) -> str:
        r = slots.r
        day, month = 1 + int(r.random() * 28), 1 + int(r.random() * 12)
        hour, minute = 8 + int(r.random() * 9), (0, 15, 30, 45)[int(r.random() * 4)]
        time_text = f"{hour}h{minute:02d}" if minute else f"{hour}h"
        weekday = self.weekdays[int(r.random() * 5)]
        form = r.random()
        if slots.oral:
            return f"{weekday} prochain à {self._number(slots, hour)} heures"
        if form < 0.35:
            return f"le {day:02d}/{month:02d} à {time_text}"
        if form < 0.6:
            return f"{weekday} prochain à {time_text}"
        if form < 0.8:
            return f"le {day} {MONTHS[month - 1]}"
        return f"{weekday} {time_text}"

    def _phone(self, slots: _Slots) -> str:
        if slots.oral and slots.r.random() < self.phone_oral:
            return self._pii(slots, "telephone_oral", pii.phone_spoken(slots.r))
        return self._pii(slots, "telephone", pii.phone(slots.r))

    def _file_number(self, slots: _Slots) -> str:
        if slots.oral and slots.r.random() < self.spoken_numbers:
            return self._pii(slots, "numero_dossier", pii.file_number_spoken(slots.r))
        return self._pii(slots, "numero_dossier", pii.file_number(slots.r))

    # --- texts -----------------------------------------------------------------------------------------------

    def note(self, r: random.Random, key: str, family: str, channel: str, planted: list[str]) -> tuple[str, list[str]]:
        bank = self.bank
        phrases = bank.reasons[key][family]
        if r.random() < self.short_share:
            template = _pick(r, phrases.notes)
        else:
            openings = bank.openings
            if channel != "telephone" and r.random() < 0.6:
                opening = _pick(r, openings[channel])
            elif "nom" in planted:
                opening = _pick(r, openings["with_name"])
                planted = [t for t in planted if t != "nom"]
            elif r.random() < self.third_party_share:
                opening = _pick(r, openings["third_party"])
            else:
                opening = _pick(r, openings["any"])
            middle = [_pick(r, phrases.notes)]
            wanted = self.details_per_note[int(r.random() * len(self.details_per_note))]
            pool = phrases.details
            first = int(r.random() * len(pool))
            details = [_pick_variant(r, pool[(first + j) % len(pool)]) for j in range(min(wanted, len(pool)))]
            if r.random() < self.context_share:
                details.insert(int(r.random() * (len(details) + 1)), _pick(r, bank.contexts))
            for kind in planted:
                details.insert(int(r.random() * (len(details) + 1)), _pick(r, bank.pii_note[kind]))
            middle += details
            if r.random() < self.closing_share:
                middle.append(_pick(r, bank.closings))
            separators = bank.separators
            template = opening
            for piece in middle:
                template = f"{template}{separators[int(r.random() * len(separators))]}{piece}" if template else piece
        slots = _Slots(self, r, oral=False)
        text = template.format_map(slots)
        if r.random() < self.strip_accents:
            text = strip_accents(text)
        x = r.random()
        if x < self.upper:
            text = text.upper()
        elif x < self.upper + self.capitalise:
            text = text[:1].upper() + text[1:]
        return text, slots.pii

    def transcript(self, r: random.Random, key: str, family: str, planted: list[str]) -> tuple[str, list[str]]:
        """Caller states the need, agent asks who is calling, caller answers (personal data), agent looks and
        explains, caller adds context… until the target length, then goodbyes. Lower-case, no punctuation, as
        speech-to-text writes it."""
        bank = self.bank
        phrases = bank.reasons[key][family]
        target = self.words_min + int(r.random() * (self.words_max - self.words_min + 1))
        order = list(range(len(phrases.spoken)))
        r.shuffle(order)
        caller = [_pick_variant(r, phrases.spoken[i]) for i in order]
        segments = [_pick(r, bank.greetings), caller.pop()]
        fillers = [_pick_variant(r, v) for v in bank.fillers]
        answers = [_pick_variant(r, v) for v in bank.agent_answers]
        explanations = [_pick_variant(r, bank.explanation_prefixes) + v[0] for v in phrases.details]
        for pool in (fillers, answers, explanations):
            r.shuffle(pool)
        if r.random() < 0.5 and fillers:
            segments.append(fillers.pop())
        if planted or r.random() < 0.5:
            segments.append(_pick(r, bank.agent_prompts))
        for kind in planted:
            segments.append(_pick(r, bank.pii_spoken[kind]))
        segments.append(explanations.pop())
        words = sum(s.count(" ") + 1 for s in segments)
        turn = 0
        while words < target and (fillers or answers or caller or explanations):
            turn += 1
            if turn % 2:  # caller
                source = caller if caller and r.random() < 0.35 else fillers
            else:  # agent
                source = explanations if explanations and r.random() < 0.3 else answers
            if not source:
                source = next(p for p in (fillers, answers, caller, explanations) if p)
            segment = source.pop()
            segments.append(segment)
            words += segment.count(" ") + 1
        segments.append(_pick(r, bank.transcript_closings))
        slots = _Slots(self, r, oral=True)
        text = " ".join(segments).format_map(slots).lower()
        return text, slots.pii


@dataclass(frozen=True)
class _Category:
    key: str  # phrase bank: reason code or scenario name
    scenario: str
    true_reason: str


class DemoGenerator:
    """Generates the demo corpus as DataFrame chunks (see `training.demo` for what is in it)."""

    def __init__(self, settings: DemoSettings) -> None:
        settings.check()
        self.settings = settings
        self.p = params()
        self.composer = _Composer(settings.seed, self.p)
        self.days: list[Day] = days_of(settings.start, settings.weeks)
        self.mixes: dict[int, WeekMix] = week_mixes(self.p, settings.weeks)
        self.counts = rows_per_day(self.p, self.days, self.mixes, settings.rows, settings.seed)
        self.categories = [self._category(name) for name in next(iter(self.mixes.values())).categories]
        channels: dict[str, dict[str, Any]] = self.p["channels"]
        self.channel_names = list(channels)
        self.channel_weights = np.array([c["weight"] for c in channels.values()], dtype=float)
        self.weekend_weights = np.array([c["weight"] if c["weekend"] else 0.0 for c in channels.values()], dtype=float)
        self.hours = {
            name: (
                np.array([int(h) for h in c["hours"]]),
                np.array(list(c["hours"].values()), dtype=float) / sum(c["hours"].values()),
            )
            for name, c in channels.items()
        }
        sites: dict[str, float] = self.p["sites"]
        self.site_names = list(sites)
        self.site_weights = np.array(list(sites.values()), dtype=float) / sum(sites.values())
        phone_weight = sum(channels[c]["weight"] for c in PHONE_CHANNELS) / self.channel_weights.sum()
        self.transcript_rate = min(1.0, float(self.p["text"]["transcript_share"]) / phone_weight)
        pii_settings = self.p["pii"]
        self.pii_counts = [int(k) for k in pii_settings["items_per_text"]]
        self.pii_count_weights = np.array(list(pii_settings["items_per_text"].values()), dtype=float)
        self.pii_count_weights /= self.pii_count_weights.sum()
        self.pii_kinds = list(pii_settings["types"])
        self.pii_kind_cumulative = list(np.cumsum([float(w) for w in pii_settings["types"].values()]))
        noise = self.p["label_noise"]
        self.p_confusable = float(noise["confusable"])
        self.p_autre = float(noise["autre"])
        self.confusions: dict[str, list[str]] = self.p["confusions"]
        filed = self.p["scenarios"]["emergent_reforme"]["filed_as"]
        self.emergent_filed = list(filed)
        self.emergent_filed_weights = [float(w) for w in filed.values()]

    def _category(self, name: str) -> _Category:
        scenarios = self.p["scenarios"]
        if name == "autre_vrai":
            return _Category(name, name, AUTRE)
        if name == "emergent_reforme":
            return _Category(name, name, "")
        if name in ("pic_connexion", "sous_theme_attestation"):
            return _Category(name, name, scenarios[name]["reason"])
        return _Category(name, NORMAL, name)

    def _filed(self, r: random.Random, category: _Category) -> str:
        if category.scenario == NORMAL:
            x = r.random()
            if x < self.p_autre:
                return AUTRE
            if x < self.p_autre + self.p_confusable and category.key in self.confusions:
                neighbours = self.confusions[category.key]
                return neighbours[int(r.random() * len(neighbours))]
            return category.key
        if category.scenario == "emergent_reforme":
            return r.choices(self.emergent_filed, weights=self.emergent_filed_weights)[0]
        return category.true_reason

    def day_frame(self, day: Day, first_call: int) -> pd.DataFrame:
        """All calls of one day, sorted by time; depends only on the seed and the day (not on chunking)."""
        n = int(self.counts[day.index])
        seed = self.settings.seed
        rng = np.random.default_rng([seed, 2, day.index])
        r = random.Random(seed * 1_000_003 + day.index)
        mix = self.mixes[day.week]
        categories = rng.choice(len(mix.categories), size=n, p=mix.probabilities)
        weights = self.channel_weights if day.open else self.weekend_weights
        channels = rng.choice(len(self.channel_names), size=n, p=weights / weights.sum())
        seconds = np.zeros(n, dtype=np.int64)
        for index, name in enumerate(self.channel_names):
            mask = channels == index
            count = int(mask.sum())
            if count:
                hours, hour_weights = self.hours[name]
                seconds[mask] = rng.choice(hours, size=count, p=hour_weights) * 3600 + rng.integers(0, 3600, count)
        order = np.argsort(seconds, kind="stable")
        categories, channels, seconds = categories[order], channels[order], seconds[order]
        sites = rng.choice(len(self.site_names), size=n, p=self.site_weights)
        transcript = rng.random(n) < self.transcript_rate
        pii_count = rng.choice(self.pii_counts, size=n, p=self.pii_count_weights)

        texts: list[str] = []
        reasons: list[str] = []
        scenario_column: list[str] = []
        true_reasons: list[str] = []
        kinds: list[str] = []
        pii_column: list[str] = []
        family = mix.family
        composer = self.composer
        category_list = [self.categories[c] for c in categories.tolist()]
        channel_list = [self.channel_names[c] for c in channels.tolist()]
        transcript_list = transcript.tolist()
        pii_list = pii_count.tolist()
        for i in range(n):
            category = category_list[i]
            channel = channel_list[i]
            wanted = pii_list[i]
            planted = (
                list(dict.fromkeys(r.choices(self.pii_kinds, cum_weights=self.pii_kind_cumulative, k=wanted)))
                if wanted
                else []
            )
            if transcript_list[i] and channel in PHONE_CHANNELS:
                text, found = composer.transcript(r, category.key, family, planted)
                kinds.append("transcription")
            else:
                text, found = composer.note(r, category.key, family, channel, planted)
                kinds.append("note")
            texts.append(text)
            pii_column.append(";".join(sorted(found)))
            reasons.append(self._filed(r, category))
            scenario_column.append(category.scenario)
            true_reasons.append(category.true_reason)
        day_start = np.datetime64(day.date, "s")
        return pd.DataFrame(
            {
                "call_id": [f"C{first_call + i:09d}" for i in range(n)],
                "text": texts,
                "timestamp": (day_start + seconds.astype("timedelta64[s]")).astype("datetime64[ns]"),
                "site": [self.site_names[s] for s in sites.tolist()],
                "channel": channel_list,
                "reason": reasons,
                "scenario": scenario_column,
                "template_family": family,
                "true_reason": true_reasons,
                "text_kind": kinds,
                "pii_types": pii_column,
                "week": np.full(n, day.week, dtype=np.int64),
            },
            columns=list(DEMO_COLUMNS),
        )

    def chunks(self, progress: Progress | None = None) -> Iterator[pd.DataFrame]:
        """Day frames grouped into chunks of at least `chunk_rows` rows (a day is never split)."""
        pending: list[pd.DataFrame] = []
        pending_rows = 0
        next_call = 1
        for day in self.days:
            frame = self.day_frame(day, next_call)
            next_call += len(frame)
            if progress is not None:
                progress(len(frame))
            if frame.empty:
                continue
            pending.append(frame)
            pending_rows += len(frame)
            if pending_rows >= self.settings.chunk_rows:
                yield pd.concat(pending, ignore_index=True)
                pending, pending_rows = [], 0
        if pending:
            yield pd.concat(pending, ignore_index=True)


def generate_demo_calls(settings: DemoSettings, *, progress: Progress | None = None) -> Iterator[pd.DataFrame]:
    """The demo corpus as DataFrame chunks, in time order (columns `DEMO_COLUMNS`)."""
    return DemoGenerator(settings).chunks(progress)


def write_demo_calls(out: str | Path, settings: DemoSettings, *, progress: Progress | None = None) -> DemoResult:
    """Generate the demo corpus into `out` (.csv, .parquet or .jsonl, chosen by extension), chunk by chunk."""
    out = Path(out)
    writable_table_kind(out)  # refuse an unknown extension before generating anything
    if out.is_dir():
        raise InvalidDemoSettings(f"{out} est un dossier (attendu : un fichier .csv, .parquet ou .jsonl)")
    started = time.perf_counter()
    result = DemoResult(path=out, rows=0, seconds=0.0)
    generator = DemoGenerator(settings)
    with TableWriter(out) as writer:
        for chunk in generator.chunks(progress):
            writer.write(chunk)
            result.rows += len(chunk)
            result.reasons.update(chunk["reason"].tolist())
            result.scenarios.update(chunk["scenario"].tolist())
            result.text_kinds.update(chunk["text_kind"].tolist())
            result.rows_with_pii += int((chunk["pii_types"] != "").sum())
    result.seconds = time.perf_counter() - started
    return result
