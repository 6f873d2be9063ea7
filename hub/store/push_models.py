"""The push-back outbox: one row per write the golden record asks of a source record.

A row is keyed by what it writes (target record, fields, golden version), so rebuilding
the outbox never queues the same write twice, and its status moves:
pending -> (sending ->) written | rejected | skipped, or pending -> superseded; a row
skipped because its source record changed after the diff is pending again, or
superseded, once the next build has diffed the re-read record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.db import BigId, JSONType, UTCDateTime
from hub.store.identity_models import GoldenId
from hub.store.models import Base

PENDING, SENDING, WRITTEN = "pending", "sending", "written"
REJECTED, SKIPPED, SUPERSEDED = "rejected", "skipped", "superseded"


class OutboxRow(Base):
    """A write waiting for, or done by, the push step."""

    __tablename__ = "push_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    system: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[str] = mapped_column(String(255))
    golden_id: Mapped[str] = mapped_column(GoldenId)
    golden_version: Mapped[int] = mapped_column(
        BigId, comment="the resolve run that last wrote the golden record"
    )
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, comment="source field -> value")
    read_modified_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), comment="the source record's change time the diff was taken against"
    )
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))

    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_push_outbox_key"),
        Index("ix_push_outbox_status", "system", "status", "object", "id"),
        Index("ix_push_outbox_target", "system", "object", "source_id"),
    )
