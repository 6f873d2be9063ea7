"""Fixtures shared by every test: stores on SQLite and on PostgreSQL.

PostgreSQL tests use RELHUB_TEST_POSTGRES_URL (default: the local server on
127.0.0.1:5432, database `test`), each test in a schema of its own. Without a server
they skip with the reason — except in CI (CI=true), where a missing PostgreSQL fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_URL = os.environ.get(
    "RELHUB_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parent.parent


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except OperationalError as error:
        return str(error.orig).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL at {POSTGRES_URL}: {problem}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL} ({problem}); set RELHUB_TEST_POSTGRES_URL")
    return POSTGRES_URL


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards.

    Its connections carry the schema's name as `application_name`, so the teardown can
    close those the code under test left open in its engines' pools: one pytest process
    would otherwise keep a few connections per test and run out of the server's."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options=-csearch_path%3D{schema}&application_name={schema}"
    with admin.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :schema AND pid <> pg_backend_pid()"
            ),
            {"schema": schema},
        )
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL store of its own for one test."""
    with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'relhub.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded default and on production's database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'relhub.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`store_url` shared by a module's tests (for expensive set-ups, like Airflow's)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'relhub.db'}"
        return
    with fresh_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_maker(request: pytest.FixtureRequest) -> Callable[[], AbstractContextManager[str]]:
    """Fresh stores on one backend, as many as a test needs (hypothesis wants one per
    example, which a function-scoped `store_url` cannot give)."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        return lambda: fresh_schema(server)

    @contextmanager
    def sqlite_store() -> Iterator[str]:
        with TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/relhub.db"

    return sqlite_store
