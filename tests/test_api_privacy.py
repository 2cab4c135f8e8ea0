"""Personal data planted in bad requests never shows up in responses, logs or the database's text columns.

The requests go to a real uvicorn server over loopback (its own logging included); every log record of every
logger (caplog at DEBUG) and everything printed on stdout/stderr (capfd) is searched for the planted values.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from pipeline.redaction import Redactor
from serving.api import Settings, create_app
from serving.store import Database
from tests.api_doubles import KeywordModel, RaisingModel, SlowModel, TagRedactor, make_resources, sqlite_url
from tests.live_server import running_server

NAME = "Mme Quillivic"
PHONE = "06 71 82 93 04"
EMAIL = "b.quillivic@exemple.fr"
NIR = "2 84 05 69 123 456 78"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
PLANTED = (NAME, PHONE, EMAIL, NIR, IBAN)
# What must never be seen: distinctive fragments (a reformatted value would still be caught).
FRAGMENTS = ("Quillivic", "quillivic", "71 82 93", "718293", "69 123 456", "3000 6000", "0112 3456")
NOTE = f"{NAME} ({PHONE}, {EMAIL}, NIR {NIR}, IBAN {IBAN}) n'a pas reçu son versement"


def assert_clean(where: str, content: str) -> None:
    leaked = [fragment for fragment in FRAGMENTS if fragment in content]
    assert leaked == [], f"personal data leaked in {where}: {leaked}"


BAD_REQUESTS: list[tuple[str, str, dict[str, object]]] = [
    ("too long", "POST", {"path": "/v1/suggestions", "json": {"text": NOTE * 40}}),
    ("body too large", "POST", {"path": "/v1/suggestions", "json": {"text": NOTE * 2000}}),
    ("text is a list", "POST", {"path": "/v1/suggestions", "json": {"text": list(PLANTED)}}),
    ("text is an object", "POST", {"path": "/v1/suggestions", "json": {"text": {NAME: PHONE}}}),
    ("k is text", "POST", {"path": "/v1/suggestions", "json": {"text": "ok", "k": PHONE}}),
    ("site is text", "POST", {"path": "/v1/suggestions", "json": {"text": "ok", "site": NAME}}),
    ("channel is text", "POST", {"path": "/v1/suggestions", "json": {"text": "ok", "channel": EMAIL}}),
    ("call_id is text", "POST", {"path": "/v1/suggestions", "json": {"text": "ok", "call_id": NIR}}),
    ("unknown field", "POST", {"path": "/v1/suggestions", "json": {"text": "ok", NAME: IBAN}}),
    ("unknown field value", "POST", {"path": "/v1/suggestions", "json": {"text": "ok", "note": NOTE}}),
    ("invalid JSON", "POST", {"path": "/v1/suggestions", "content": ('{"text": "' + NOTE).encode()}),
    ("not UTF-8", "POST", {"path": "/v1/suggestions", "content": ('{"text": "' + NOTE + '"}').encode("cp1252")}),
    ("not JSON content type", "POST", {"path": "/v1/suggestions", "content": NOTE.encode(), "type": "text/plain"}),
    ("query string", "POST", {"path": f"/v1/suggestions?text={PHONE}", "json": {"text": "attestation"}}),
    ("chosen code is text", "POST", {"path": "/v1/feedback", "json": {"call_id": "A-1", "chosen_code": NOTE}}),
    (
        "suggested codes text",
        "POST",
        {"path": "/v1/feedback", "json": {"call_id": "A-1", "chosen_code": "autre", "suggested_codes": [EMAIL]}},
    ),
    ("feedback call_id", "POST", {"path": "/v1/feedback", "json": {"call_id": NAME, "chosen_code": "autre"}}),
    ("taxonomy site", "GET", {"path": f"/v1/taxonomy?site={NAME}"}),
    ("path", "GET", {"path": f"/v1/{EMAIL}"}),
]


CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own HTTP client logs the URLs it calls: not the server's logs


@pytest.fixture
def capture(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    yield caplog
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def server_logs(caplog: pytest.LogCaptureFixture) -> str:
    lines = [
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith(CLIENT_LOGGERS)
    ]
    assert lines, "no server log captured: the check would be empty"
    return "\n".join(lines)


def _send(http: httpx.Client, method: str, spec: dict[str, object]) -> httpx.Response:
    headers = {"content-type": str(spec.get("type", "application/json"))}
    if "json" in spec:
        return http.request(method, str(spec["path"]), json=spec["json"])
    return http.request(method, str(spec["path"]), content=spec.get("content"), headers=headers)  # type: ignore[arg-type]


def _run(app: object, requests: list[tuple[str, str, dict[str, object]]]) -> list[tuple[str, httpx.Response]]:
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:  # type: ignore[arg-type]
        return [(label, _send(http, method, spec)) for label, method, spec in requests]


def test_bad_requests_never_echo_personal_data(
    tmp_path: Path, capture: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(
        Settings(database_url=sqlite_url(tmp_path), max_text_length=2000),
        loader=lambda s: make_resources(s.database_url),
    )
    responses = _run(app, BAD_REQUESTS)
    statuses = {label: response.status_code for label, response in responses}
    assert statuses == {
        "too long": 413,
        "body too large": 413,
        "text is a list": 422,
        "text is an object": 422,
        "k is text": 422,
        "site is text": 422,
        "channel is text": 422,
        "call_id is text": 422,
        "unknown field": 422,
        "unknown field value": 422,
        "invalid JSON": 422,
        "not UTF-8": 400,
        "not JSON content type": 422,
        "query string": 200,
        "chosen code is text": 422,
        "suggested codes text": 422,
        "feedback call_id": 422,
        "taxonomy site": 422,
        "path": 404,
    }
    for label, response in responses:
        assert_clean(f"response to « {label} »", response.text + str(response.headers))
    out, err = capfd.readouterr()
    assert_clean("stdout/stderr", out + err)
    assert_clean("log records", server_logs(capture))
    assert "POST /v1/suggestions 413" in capture.text  # the access log did run: the check above saw real logs


@pytest.mark.parametrize("model", [RaisingModel(), SlowModel(0.5)], ids=["model raises", "model too slow"])
def test_failing_model_never_leaks_the_note(
    tmp_path: Path, model: KeywordModel, capture: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(
        Settings(database_url=sqlite_url(tmp_path), request_timeout_s=0.1),
        loader=lambda s: make_resources(s.database_url, model=model),
    )
    ((_, response),) = _run(
        app, [("note", "POST", {"path": "/v1/suggestions", "json": {"text": NOTE, "call_id": "A-9"}})]
    )
    assert response.status_code in (200, 500)
    assert_clean("response", response.text)
    out, err = capfd.readouterr()
    assert_clean("stdout/stderr", out + err)
    assert_clean("log records", server_logs(capture))
    assert Database.open(sqlite_url(tmp_path), migrate=False).predictions.count() == 0


@pytest.mark.parametrize("real_redactor", [False, True], ids=["test double", "pipeline.redaction"])
def test_only_redacted_text_reaches_the_database(
    tmp_path: Path, capture: pytest.LogCaptureFixture, real_redactor: bool
) -> None:
    redactor = Redactor() if real_redactor else TagRedactor()
    app = create_app(
        Settings(database_url=sqlite_url(tmp_path)),
        loader=lambda s: make_resources(s.database_url, redactor=redactor),
    )
    requests: list[tuple[str, str, dict[str, object]]] = [
        ("suggestion", "POST", {"path": "/v1/suggestions", "json": {"text": NOTE, "call_id": "A-1"}}),
        ("feedback", "POST", {"path": "/v1/feedback", "json": {"call_id": "A-1", "chosen_code": "paiement_non_recu"}}),
    ]
    assert [r.status_code for _, r in _run(app, requests)] == [200, 201]
    db = Database.open(sqlite_url(tmp_path), migrate=False)
    with db.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("predictions", "feedback")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    assert "<NOM>" in dump and "<TEL>" in dump and "versement" in dump
    assert_clean("database rows", dump)
    assert_clean("log records", server_logs(capture))
    raw = (tmp_path / "api.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("api.db-*"))
    assert_clean("database files", raw.decode("utf-8", "replace"))
