"""Small test doubles for the API, shaped like the real contracts (serving/api/ports.py):

- `KeywordModel` ~ pipeline.model.ReasonModel (a keyword table instead of spaCy + scikit-learn);
- `TagRedactor` ~ pipeline.redaction.Redactor (regexes for the personal data the tests plant);
The taxonomy is the real one (national 1.1.0 and the shipped site extension metropole_lyon).
The doubles let the API be tested without the model and redaction branches and without spaCy.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.predictions import Prediction, Suggestion
from serving.api.ports import Redactor
from serving.api.resources import Resources, load_site_taxonomies
from serving.store import Database
from taxonomy import load_taxonomy

KEYWORDS = {
    "versement": "paiement_non_recu",
    "payé": "paiement_non_recu",
    "montant": "paiement_montant",
    "attestation": "attestation",
    "rendez-vous": "rdv_gestion",
    "adresse": "situation_adresse",
    "mot de passe": "numerique_identifiants",
    # A local code of the site metropole_lyon (→ lyon_fonds_solidarite_logement → paiement_difficulte).
    "fsl": "lyon_fsl_energie",
}


class KeywordModel:
    """Deterministic: the first keyword found wins with 0.7; no keyword → « autre » (novelty 0.9); one keyword →
    confident, several → to_confirm with those codes as the prediction set."""

    model_version = "keywords-1"
    taxonomy_ref = "national@1.1.0"
    threshold_ = 0.5

    def __init__(self) -> None:
        self.classes_ = sorted(set(KEYWORDS.values()))
        self.received: list[str] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:  # picklable, so it can be saved as a model artifact
        return {key: value for key, value in self.__dict__.items() if key not in ("_lock", "received")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.received = []
        self._lock = threading.Lock()

    def predict_proba(self, texts: list[str]) -> list[list[float]]:
        return [[1.0 / len(self.classes_)] * len(self.classes_) for _ in texts]

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
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
            return Prediction("autre", top_k[0].confidence, True, top_k, "autre", (), 0.9, 0.5)
        top_k = tuple(Suggestion(code, 0.7 if i == 0 else 0.2 / (i + 1)) for i, code in enumerate(ranked))
        codes = tuple(dict.fromkeys(hits))
        if len(codes) == 1:
            return Prediction(top_k[0].code, 0.7, False, top_k, "confident", codes, 0.2, 0.5)
        return Prediction(top_k[0].code, 0.7, False, top_k, "to_confirm", codes, 0.2, 0.5)


class SlowModel(KeywordModel):
    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        time.sleep(self.delay_s)
        return super().suggest(texts, k, redacted=redacted)


class RaisingModel(KeywordModel):
    """Fails the way a real library might: with the input quoted in the exception message."""

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
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


def make_resources(
    db_url: str, *, model: KeywordModel | None = None, redactor: Redactor | None = None, threads: int = 4
) -> Resources:
    """What `load_resources` builds, with the doubles for the model and (by default) the redactor."""
    model = model or KeywordModel()
    national = load_taxonomy(model.taxonomy_ref)
    return Resources(
        model=model,
        redactor=redactor or TagRedactor(),
        taxonomy=national,
        database=Database.open(db_url),
        sites=load_site_taxonomies(national, None),
        executor=ThreadPoolExecutor(threads, "test-model"),
    )


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'api.db'}"
