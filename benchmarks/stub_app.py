"""The API with a constant-time stand-in model and no redaction: the floor of our own stack (FastAPI, validation,
taxonomy labels, storage), for `benchmarks/api_latency.py --model stub`. Never used outside benchmarks.

uvicorn --factory benchmarks.stub_app:create_app
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from pipeline.predictions import Prediction, Suggestion
from serving.api import Resources, Settings
from serving.api import create_app as create_api
from serving.api.resources import load_site_taxonomies
from serving.store import Database
from taxonomy import load_taxonomy

CODES = ("paiement_non_recu", "dossier_etat", "attestation", "rdv_gestion", "situation_adresse", "info_droits")


class StubModel:
    model_version = "stub"
    taxonomy_ref = "national@1.1.0"
    classes_ = CODES

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        predictions = []
        for text in texts:
            first = zlib.crc32(text.encode()) % len(CODES)
            top = tuple(Suggestion(CODES[(first + i) % len(CODES)], 0.6 / (i + 1)) for i in range(k))
            predictions.append(Prediction(top[0].code, top[0].confidence, False, top))
        return predictions


class IdentityRedactor:
    def redact(self, text: str) -> str:
        return text


def _load(settings: Settings) -> Resources:
    model = StubModel()
    national = load_taxonomy(model.taxonomy_ref)
    return Resources(
        model=model,
        redactor=IdentityRedactor(),
        taxonomy=national,
        database=Database.open(settings.database_url),
        sites=load_site_taxonomies(national, settings.site_extensions_dir),
        executor=ThreadPoolExecutor(settings.model_threads, "motifs-model"),
    )


def create_app() -> FastAPI:
    return create_api(Settings(), loader=_load)
