"""Every Alembic revision upgrades an empty store, and the models match the migrations."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_0006_keys_existing_quarantine_entries_one_open_entry_per_record(store_url: str) -> None:
    """Entries stored before 0006 (one per distinct reason and row) become one per record:
    the newest of a record's open entries stays open, the others close as superseded."""
    engine = make_engine(store_url)
    upgrade(engine, "0005")
    old = {"run_id": 1, "system": "shop", "object": "customers", "raw": "{}"}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, step, source, started_at, status, counts) "
                "VALUES (1, 'sync', 'shop', :at, 'succeeded', '{}')"
            ),
            {"at": "2026-01-01 00:00:00"},
        )
        insert = text(
            "INSERT INTO quarantine (run_id, system, object, source_id, reason, raw, "
            "fingerprint, created_at, resolved_at) VALUES (:run_id, :system, :object, "
            ":source_id, :reason, :raw, :fingerprint, :created_at, :resolved_at)"
        )
        for source_id, fingerprint, resolved_at in [
            ("C1", "a" * 32, None),
            ("C1", "b" * 32, None),
            (None, "c" * 32, None),
            ("C2", "d" * 32, "2026-01-02 00:00:00"),
        ]:
            connection.execute(
                insert,
                {
                    **old,
                    "source_id": source_id,
                    "reason": f"reason {fingerprint[0]}",
                    "fingerprint": fingerprint,
                    "created_at": "2026-01-01 00:00:00",
                    "resolved_at": resolved_at,
                },
            )

    upgrade(engine)

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT source_id, entry_key, resolution, resolved_at IS NULL, stage, "
                "last_seen_at IS NOT NULL FROM quarantine ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("C1", "fp:" + "a" * 32, "superseded", False, "read", True),
        ("C1", "id:C1", None, True, "read", True),
        (None, "fp:" + "c" * 32, None, True, "read", True),
        ("C2", "id:C2", "mapped", False, "read", True),
    ]
