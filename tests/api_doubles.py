"""Small test doubles for the API, shaped like the real contracts (serving/api/ports.py):

- `KeywordModel` ~ pipeline.model.ReasonModel (a keyword table instead of spaCy + scikit-learn);
- `TagRedactor` ~ pipeline.redaction.Redactor (regexes for the personal data the tests plant);
- `FakeTaxonomy` ~ taxonomy.Taxonomy (national codes + one site's local reasons, roll-up).

They let the API be tested without the model, redaction and taxonomy branches; once those land, the tests that
need realism switch to the real objects.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from serving.api.resources import Resources
from serving.store import Database


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    code: str
    confidence: float
    autre: bool
    top_k: tuple[Suggestion, ...]


KEYWORDS = {
    "versement": "paiement_non_recu",
    "payé": "paiement_non_recu",
    "montant": "paiement_montant",
    "attestation": "attestation",
    "rendez-vous": "rdv_prise",
    "adresse": "situation_adresse",
    "mot de passe": "numerique_connexion",
    "composteur": "dechets_compost",  # a local code of the site metropole_lyon
}


class KeywordModel:
    """Deterministic: the first keyword found wins with 0.7; no keyword → « autre »."""

    model_version = "keywords-1"
    taxonomy_ref = "national@1.1.0"
    threshold_ = 0.5

    def __init__(self) -> None:
        self.classes_ = sorted(set(KEYWORDS.values()))
        self.received: list[str] = []
        self._lock = threading.Lock()

    def suggest(self, texts: list[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        assert isinstance(texts, list), "the API must pass a list of texts"
        assert redacted, "the API must redact before calling the model"
        with self._lock:
            self.received.extend(texts)
        return [self._one(text.lower(), k) for text in texts]

    def _one(self, text: str, k: int) -> Prediction:
        hits = [code for word, code in KEYWORDS.items() if word in text]
        ranked = list(dict.fromkeys(hits + self.classes_))[:k]
        if not hits:
            top_k = tuple(Suggestion(code, 0.2 - 0.01 * i) for i, code in enumerate(ranked))
            return Prediction("autre", top_k[0].confidence, True, top_k)
        top_k = tuple(Suggestion(code, 0.7 if i == 0 else 0.2 / (i + 1)) for i, code in enumerate(ranked))
        return Prediction(top_k[0].code, 0.7, False, top_k)


class SlowModel(KeywordModel):
    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def suggest(self, texts: list[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        time.sleep(self.delay_s)
        return super().suggest(texts, k, redacted=redacted)


class RaisingModel(KeywordModel):
    """Fails the way a real library might: with the input quoted in the exception message."""

    def suggest(self, texts: list[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        raise ValueError(f"cannot featurize {texts!r}")


class TagRedactor:
    """Replaces what the tests plant: e-mails, French phone numbers, NIR, IBAN, names after a civility."""

    PATTERNS = (
        (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "<EMAIL>"),
        (re.compile(r"\bFR\d{2}(?:\s?[0-9A-Z]{4}){5}\s?[0-9A-Z]{3}\b"), "<IBAN>"),
        (re.compile(r"\b[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2A|2B)\s?\d{3}\s?\d{3}\s?\d{2}\b"), "<NIR>"),
        (re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"), "<TEL>"),
        (re.compile(r"\b(?:M\.|Mme|Monsieur|Madame)\s+[A-ZÉÈ][\w-]+"), "<NOM>"),
    )

    def redact(self, text: str) -> str:
        for pattern, tag in self.PATTERNS:
            text = pattern.sub(tag, text)
        return text


@dataclass(frozen=True)
class SelfService:
    hint: str
    url: str | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    domain: str | None = None
    parent: str | None = None
    site: str | None = None
    self_service: SelfService | None = None
    is_active: bool = True


NATIONAL_REASONS = (
    Reason(
        "paiement_non_recu",
        "Versement non reçu ou en retard",
        "paiement",
        self_service=SelfService(
            "Consulter ses paiements dans l'espace personnel", "https://www.example.gouv.fr/paiements"
        ),
    ),
    Reason("paiement_montant", "Montant d'un versement incompris ou modifié", "paiement"),
    Reason(
        "attestation",
        "Demande d'attestation ou de duplicata",
        "pieces",
        self_service=SelfService("Télécharger l'attestation en ligne"),
    ),
    Reason("rdv_prise", "Prise de rendez-vous", "rendez_vous"),
    Reason("situation_adresse", "Changement d'adresse ou de coordonnées", "situation"),
    Reason("numerique_connexion", "Problème de connexion à l'espace personnel", "numerique"),
    Reason("dechets_collecte", "Collecte des déchets", "dechets"),
    Reason("paiement_indu", "Trop-perçu", "paiement", is_active=False),
    Reason("autre", "Autre motif (hors base)"),
)
LYON_REASONS = (
    Reason("dechets_compost", "Composteurs de quartier", "dechets", parent="dechets_collecte", site="metropole_lyon"),
)


@dataclass(frozen=True)
class FakeTaxonomy:
    reasons: tuple[Reason, ...] = NATIONAL_REASONS
    ref: str = "national@1.1.0"
    _by_code: dict[str, Reason] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {r.code: r for r in self.reasons})

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Reason:
        return self._by_code[code]

    @property
    def active_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons if r.is_active)

    @property
    def active_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.is_active)

    def roll_up(self, code: str) -> str:
        reason = self.get(code)
        while reason.parent is not None:
            reason = self.get(reason.parent)
        return reason.code

    def with_site(self, reasons: tuple[Reason, ...], site_ref: str) -> FakeTaxonomy:
        return FakeTaxonomy(self.reasons + reasons, f"{self.ref}+{site_ref}")


def make_resources(db_url: str, *, model: KeywordModel | None = None, threads: int = 4) -> Resources:
    from concurrent.futures import ThreadPoolExecutor

    national = FakeTaxonomy()
    return Resources(
        model=model or KeywordModel(),
        redactor=TagRedactor(),
        taxonomy=national,
        database=Database.open(db_url),
        sites={"metropole_lyon": national.with_site(LYON_REASONS, "metropole_lyon@1.0.0")},
        executor=ThreadPoolExecutor(threads, "test-model"),
    )


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'api.db'}"
