"""Every Alembic revision upgrades an empty store, and the models match the migrations."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import hub.store.schema  # noqa: F401  (every table on Base.metadata)
from hub.store.db import make_engine
from hub.store.migrate import (
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)
from hub.store.models import Base


def test_upgrade_empty_store_to_head(store_url: str) -> None:
    engine = make_engine(store_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"source_records", "quarantine", "sync_state", "runs"} <= tables


def test_models_match_migrations(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_ensure_schema_is_idempotent(store_url: str) -> None:
    engine = make_engine(store_url)
    ensure_schema(engine)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()


def test_an_interrupted_migration_leaves_no_half_schema(store_url: str) -> None:
    """DDL is transactional on both databases: a migration killed midway changes nothing."""
    engine = make_engine(store_url)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
        raise RuntimeError("killed before the commit")
    assert current_revision(engine) is None
    assert inspect(engine).get_table_names() == []
