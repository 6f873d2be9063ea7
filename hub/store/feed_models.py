"""Tables of the change feed and its webhooks.

A resolve writes its golden-record events under its run id as it decides them; only when
it commits does the run get its place in the feed (`ChangeCommitRow`), taken from the one
row of `ChangeFeedHeadRow` inside the committing transaction. That row lock serializes the
commits that carry events, so feed positions grow in commit order with no holes: a
follower never sees a later commit before an earlier one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.db import BigId, JSONType, UTCDateTime
from hub.store.identity_models import GoldenId
from hub.store.models import Base

HEAD_ID = 1  # the feed head's single row


class ChangeEventRow(Base):
    """One golden-record event of a run, numbered within the run in the order decided."""

    __tablename__ = "change_events"

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    golden_id: Mapped[str] = mapped_column(GoldenId)
    entity_kind: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="what changed: field names, roles, stages, the ids merged or split"
    )


class ChangeCommitRow(Base):
    """A committed run's place in the feed: its events are positions first..last."""

    __tablename__ = "change_commits"

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"), primary_key=True)
    first_event: Mapped[int] = mapped_column(BigId)
    last_event: Mapped[int] = mapped_column(BigId)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("last_event", name="uq_change_commits_last"),)


class ChangeFeedHeadRow(Base):
    """The last feed position handed out; updated by each committing run, which locks it."""

    __tablename__ = "change_feed_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_event: Mapped[int] = mapped_column(BigId)


class WebhookSubscriptionRow(Base):
    """A receiver of some event types, and how far the feed has been queued for it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONType, comment="event types it receives")
    secret: Mapped[str] = mapped_column(
        String(128),
        comment="the HMAC-SHA256 signing secret, shown once when the subscription is added",
    )
    cursor: Mapped[int] = mapped_column(BigId, comment="the last feed position queued for it")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDeliveryRow(Base):
    """An event owed to a subscriber: pending (with when to try next) or dead (given up)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_subscriptions.id"))
    position: Mapped[int] = mapped_column(BigId, comment="the event's feed position")
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("subscription_id", "position", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
