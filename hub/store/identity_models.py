"""Tables of the identity layer: golden records, their members, link evidence, the review
queue, steward decisions, golden-id history, the blocking-key index and the records'
normalized values.

Source records are named by their key `system/object/source_id` (`identity.record_key`),
so identity rows never depend on the snapshot table's surrogate ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.db import BigId, JSONType, UTCDateTime
from hub.store.models import Base

RecordKey = String(512)


GoldenId = String(32)

ACTIVE, MERGED, RETIRED = "active", "merged", "retired"
MUST_LINK, CANNOT_LINK, FIELD_OVERRIDE = "must_link", "cannot_link", "field_override"


class GoldenRecordRow(Base):
    """One golden record: survived fields with provenance, roles and lifecycle.

    A merged or retired golden record keeps its row (with its last fields) so that its
    id still explains itself; `status` says which.
    """

    __tablename__ = "golden_records"

    golden_id: Mapped[str] = mapped_column(GoldenId, primary_key=True)
    entity_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="name -> {value, rule, provenance} or a list of them (multi-valued)"
    )
    roles: Mapped[list[str]] = mapped_column(JSONType)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(32))
    lifecycle: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="stage -> when a member first reported it"
    )
    member_count: Mapped[int] = mapped_column(Integer)
    created_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))
    updated_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))
    digest: Mapped[str | None] = mapped_column(
        String(32), comment="of the row's content as survived (none once merged or retired)"
    )

    __table_args__ = (Index("ix_golden_records_status", "entity_kind", "status"),)


class GoldenMemberRow(Base):
    """A source record's golden record: the cross-reference downstream apps translate with."""

    __tablename__ = "golden_members"

    record_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[str] = mapped_column(String(255))
    golden_id: Mapped[str] = mapped_column(GoldenId, index=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))

    __table_args__ = (Index("ix_golden_members_system", "system", "object", "golden_id"),)


class _PairEvidence:
    """What the engine says about a record pair: the rule, or each field's level and weight."""

    left_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
    right_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
    entity_kind: Mapped[str] = mapped_column(String(16))
    probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    rule: Mapped[str | None] = mapped_column(String(128))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, comment="[{comparison, level, weight}] per compared field"
    )
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))


class LinkRow(_PairEvidence, Base):
    """A pair the model accepted as the same entity (the edges golden records grow from)."""

    __tablename__ = "identity_links"
    __table_args__ = (Index("ix_identity_links_right", "right_key"),)


class ReviewRow(_PairEvidence, Base):
    """A pair in the review band, waiting for a steward's match / no-match."""

    __tablename__ = "review_queue"
    __table_args__ = (Index("ix_review_queue_right", "right_key"),)


class StewardDecisionRow(Base):
    """A steward's must-link, cannot-link (pair of record keys) or field override (golden
    id, field, value). A newer decision on the same pair or field replaces the older."""

    __tablename__ = "steward_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    left_key: Mapped[str | None] = mapped_column(RecordKey)
    right_key: Mapped[str | None] = mapped_column(RecordKey)
    golden_id: Mapped[str | None] = mapped_column(GoldenId)
    field: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_steward_decisions_pair", "left_key", "right_key"),
        Index("ix_steward_decisions_golden", "golden_id", "field"),
    )


class GoldenIdHistoryRow(Base):
    """What happened to an id: minted, merged_into another, split_from another, retired."""

    __tablename__ = "golden_id_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    golden_id: Mapped[str] = mapped_column(GoldenId, index=True)
    event: Mapped[str] = mapped_column(String(16))
    other_id: Mapped[str | None] = mapped_column(GoldenId)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    # the read API asks which ids were merged into (or split from) one id
    __table_args__ = (Index("ix_golden_id_history_other", "other_id"),)


class BlockingKeyRow(Base):
    """Which blocks a record sits in (a digest of rule and key values), so an incremental
    resolve finds the stored records a changed record can be compared with."""

    __tablename__ = "blocking_keys"

    record_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
    block: Mapped[str] = mapped_column(String(32), primary_key=True)
    cap: Mapped[int] = mapped_column(
        Integer,
        server_default="0",
        comment="The block's rule's size cap: a record leaving the block may bring it under",
    )

    # SQLite: rows clustered by key, and the index on block holds each row's record key
    __table_args__ = (Index("ix_blocking_keys_block", "block"), {"sqlite_with_rowid": False})


class RecordFeaturesRow(Base):
    """A record's normalized values (`identity.engine.NormalizedRecord`), written with its
    blocking keys: an incremental resolve scores a changed record's block neighbours from
    these instead of parsing and normalizing their source records again."""

    __tablename__ = "record_features"

    record_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
    entity_kind: Mapped[str] = mapped_column(String(16))
    features: Mapped[str] = mapped_column(
        Text, comment="JSON: the values in the engine's feature layout for the kind"
    )

    # SQLite: rows clustered by key, so a lookup is one B-tree descent instead of two
    __table_args__ = ({"sqlite_with_rowid": False},)


class FittedModelRow(Base):
    """What a full resolve fitted for one entity kind (m, u, prior, term frequencies). An
    incremental resolve scores with it, so its links weigh what a full resolve's would;
    `settings_digest` says which resolution settings it was fitted under (a change means a
    full resolve)."""

    __tablename__ = "identity_models"

    entity_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    settings_digest: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="{m: {comparison: [per level]}, u: {…}, prior}"
    )
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"))
