"""The real loading path (`load_resources`: artifact → taxonomy → sites → redactor → database) and `motifs serve`
as a process, with its own logging, checked for planted personal data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipeline.artifact import save_model
from pipeline.redaction import Redactor
from serving.api import Settings, load_resources
from serving.api.server import bind_socket
from serving.store import Database
from tests.api_doubles import KeywordModel, sqlite_url
from tests.test_api_privacy import BAD_REQUESTS, NOTE, assert_clean

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "model"
    save_model(KeywordModel(), directory)
    return directory


def test_load_resources_from_an_artifact_directory(model_dir: Path, tmp_path: Path) -> None:
    resources = load_resources(Settings(model=str(model_dir), database_url=sqlite_url(tmp_path)))
    try:
        assert resources.model_version == "keywords-1"
        assert resources.taxonomy.ref == "national@1.1.0"
        assert resources.taxonomy_for("metropole_lyon").ref == "national@1.1.0+metropole_lyon@1.0.0"
        assert resources.local_parents["lyon_fsl_energie"] == "paiement_difficulte"
        assert isinstance(resources.redactor, Redactor)  # the model has none of its own
        assert resources.model.received == [  # type: ignore[attr-defined]
            "L'usager n'a pas reçu son versement du mois et demande une attestation."
        ]  # warmed up before serving
        assert resources.database.ping()
    finally:
        resources.close()


@pytest.mark.slow
def test_motifs_serve_process_logs_no_personal_data(model_dir: Path, tmp_path: Path) -> None:
    sock = bind_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONPATH": str(REPO), "MOTIFS_DATABASE_URL": sqlite_url(tmp_path)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "motifs", "serve", "--model", str(model_dir), "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                assert server.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "motifs serve did not become ready"
                time.sleep(0.2)
            with httpx.Client(base_url=base, timeout=30) as http:
                good = http.post("/v1/suggestions", json={"text": NOTE, "call_id": "P-1"})
                assert good.status_code == 200
                for _label, method, spec in BAD_REQUESTS:
                    if "json" in spec:
                        response = http.request(method, str(spec["path"]), json=spec["json"])
                    else:
                        headers = {"content-type": str(spec.get("type", "application/json"))}
                        response = http.request(method, str(spec["path"]), content=spec.get("content"), headers=headers)  # type: ignore[arg-type]
                    assert response.status_code < 500
                    assert_clean(f"response to {_label}", response.text)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "Page des agents : http://127.0.0.1:" in output
    assert "motifs.api.access : POST /v1/suggestions 200" in output
    assert_clean("motifs serve output", output)
    (stored,) = Database.open(sqlite_url(tmp_path), migrate=False).predictions.get("P-1")
    assert_clean("stored note", stored.redacted_text or "")
    assert "<TEL>" in (stored.redacted_text or "")


def test_served_logs_are_redacted_even_when_code_slips(capsys: pytest.CaptureFixture[str]) -> None:
    """The log configuration of `motifs serve` redacts every record: a slip that logs a note leaks tags only."""
    import logging
    import logging.config

    from serving.api.server import log_config

    touched = [logging.getLogger(name) for name in ("", "motifs", "uvicorn", "uvicorn.error", "uvicorn.access")]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate, logger.disabled) for logger in touched]
    logging.config.dictConfig(log_config())
    try:
        logging.getLogger("motifs.test").error("note reçue : %s", NOTE)
        logging.getLogger("another.library").warning("note reçue : %s", NOTE)
    finally:
        for logger, handlers, level, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
    written = capsys.readouterr().err
    assert written.count("note reçue") == 2
    assert_clean("served logs", written)
