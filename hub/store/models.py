"""Tables of the sync layer: source-record snapshots, quarantine, sync state, runs.

Later areas (identity, push-back) keep their tables in modules of their own and add
them by Alembic revision; every model shares `Base.metadata`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.store.db import BigId, JSONType, UTCDateTime


class Base(DeclarativeBase):
    # Every model here maps one Table; saying so lets Core statements take `Model.__table__`
    # without a cast (SQLAlchemy types it as the wider FromClause).
    __table__: ClassVar[Table]


class Run(Base):
    """One execution of a step (sync, resolve, push) with what it counted."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    step: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_runs_step_source", "step", "source", "id"),)


class SourceRecordRow(Base):
    """The latest version of every source record, raw and mapped."""

    __tablename__ = "source_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[str] = mapped_column(String(255))
    entity_kind: Mapped[str | None] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    canonical: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), comment="when the current version was first seen"
    )
    last_run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("runs.id"), comment="the run that stored the current version"
    )

    __table_args__ = (
        UniqueConstraint("system", "object", "source_id", name="uq_source_records_key"),
        Index("ix_source_records_last_run", "last_run_id"),
    )


def same_source_record(table: Table, other: Table) -> ColumnElement[bool]:
    """Rows of two tables that name one source record by (system, object, source_id): the
    join between source records and what is kept per source record (members, outbox rows)."""
    return and_(*(table.c[name] == other.c[name] for name in ("system", "object", "source_id")))


class QuarantineRow(Base):
    """A record that could not be stored, with why: one entry per record, so a re-read
    updates it instead of adding another. Open until the record maps, leaves the export
    or a person dismisses it; closed entries stay as history."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))  # the last to meet it
    system: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[str | None] = mapped_column(String(255))
    entry_key: Mapped[str] = mapped_column(
        String(300), comment="id:<record id>, or line:<export digest>:<line> without an id"
    )
    line: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(
        String(8), comment="read, map or store: the step that refused the record"
    )
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(32), comment="of the reason and raw row")
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(String(16), comment="mapped, gone, dismissed")
    note: Mapped[str | None] = mapped_column(Text, comment="why it was dismissed")

    __table_args__ = (
        UniqueConstraint("system", "object", "entry_key", name="uq_quarantine_entry"),
        Index("ix_quarantine_source_id", "system", "object", "source_id"),
    )


class SyncState(Base):
    """The committed watermark of one source object: a (timestamp, id) cursor."""

    __tablename__ = "sync_state"

    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    object: Mapped[str] = mapped_column(String(128), primary_key=True)
    watermark_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    watermark_id: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))
    mapping_digest: Mapped[str | None] = mapped_column(
        String(32), comment="of the object's mapping its stored records were mapped with"
    )
