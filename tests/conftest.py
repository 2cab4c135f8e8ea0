"""Shared fixtures. Test services (PostgreSQL, Chromium) come from scripts/test-services via `make test`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


def _service_or_skip(env_var: str, what: str) -> str:
    value = os.environ.get(env_var, "")
    if value:
        return value
    if os.environ.get("MOTIFS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (MOTIFS_REQUIRE_SERVICES=1) but {env_var} is not set")
    pytest.skip(f"{what} not available: run `make test` (scripts/test-services) or set {env_var}")


@pytest.fixture(autouse=True)
def _no_local_taxonomies(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's local taxonomy folder (./motifs-data/taxonomy: review drafts): an empty one
    of their own (training registers its taxonomy there), unless a test sets MOTIFS_TAXONOMY_DIR itself."""
    monkeypatch.setenv("MOTIFS_TAXONOMY_DIR", str(tmp_path_factory.mktemp("local-taxonomies")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of the real PostgreSQL started by scripts/test-services."""
    return _service_or_skip("MOTIFS_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's chromium binary, driven by Playwright (no `playwright install`)."""
    return _service_or_skip("MOTIFS_TEST_CHROMIUM", "Chromium")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on a SQLite file and once on the real PostgreSQL (in a schema of its own,
    dropped afterwards, so parallel tests and other worktrees sharing the server never see each other's rows)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'motifs.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sqlalchemy.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sqlalchemy.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(autouse=True)
def _test_client_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API checks the Host header (TrustedHostMiddleware): Starlette's TestClient sends « testserver »."""
    monkeypatch.setenv("MOTIFS_ALLOWED_HOSTS", '["testserver", "127.0.0.1", "localhost"]')


@pytest.fixture(scope="session", autouse=True)
def _trusted_models_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Models saved by the tests are recorded in a trusted-models list of the session (pipeline.trust), never in
    the developer's ./motifs-data. Session-wide and first: session fixtures save models too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTIFS_TRUSTED_MODELS", str(tmp_path_factory.getbasetemp() / "trusted-models.jsonl"))
        yield
