"""Schema migrations: every command brings an empty or older store to the current schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from hub.store.db import make_engine, writing

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_240_311  # advisory-lock key: concurrent Airflow tasks migrate once


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the store; on PostgreSQL under an advisory lock so parallel starts are safe."""
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


def ensure_schema(engine: Engine) -> None:
    """Migrate only when behind: the common case costs one small query."""
    if current_revision(engine) != head_revision():
        upgrade(engine)


def open_store(url: str, pool_size: int | None = None) -> Engine:
    """An engine on a store that is ready to use: migrated to the current schema (see
    `make_engine` for `pool_size`)."""
    engine = make_engine(url, pool_size)
    ensure_schema(engine)
    return engine
