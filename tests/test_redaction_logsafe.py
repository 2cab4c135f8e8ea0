"""Free text never reaches logs: `describe_text` says only a length, `RedactingFilter` redacts what slips through."""

from __future__ import annotations

import io
import logging

import pytest

from pipeline.redaction import RedactingFilter, describe_text

NOTE = "Mme Dupont, NIR 1 85 01 75 123 456 09, tél 06 12 34 56 78, jean.dupont@example.org"
SECRETS = ["Dupont", "1 85 01 75 123 456 09", "06 12 34 56 78", "jean.dupont@example.org"]


def test_describe_text_gives_only_the_length() -> None:
    assert describe_text(NOTE) == f"<texte de {len(NOTE)} caractères>"
    assert describe_text(None) == "<NoneType>"


@pytest.fixture
def logger() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test.redaction.logsafe")
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log, stream


def test_filter_redacts_messages_arguments_and_tracebacks(logger: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = logger
    log.info("note reçue : %s", NOTE)
    log.warning(NOTE)
    try:
        raise ValueError(f"ligne invalide : {NOTE}")
    except ValueError:
        log.exception("échec pour l'appel %s", "c42")
    written = stream.getvalue()
    assert all(secret not in written for secret in SECRETS)
    assert "note reçue : Mme <NOM>, NIR <NIR>" in written
    assert "échec pour l'appel c42" in written and "ValueError" in written


def test_filter_survives_a_badly_formatted_record(logger: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = logger
    log.error("deux arguments attendus %s %s", NOTE)
    written = stream.getvalue()
    assert "deux arguments attendus" in written
    assert all(secret not in written for secret in SECRETS)
