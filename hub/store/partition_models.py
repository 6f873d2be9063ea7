"""Tables of a partitioned full resolve: its plan, its partitions and the pairs they
scored, all keyed by the resolve's run.

A partitioned resolve runs as separate tasks (one prepares, one per partition scores,
one finishes), possibly on separate machines: these rows are how they hand work on. The
finishing task deletes its run's rows; a run that never finished leaves rows the next
prepare deletes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.db import BigId, JSONType, UTCDateTime
from hub.store.identity_models import RecordKey
from hub.store.models import Base


class ResolvePlanRow(Base):
    """What every task of one partitioned resolve shares: the models it scores with (not
    yet the store's: those are replaced when the resolve finishes) and the marks of what
    it covers."""

    __tablename__ = "resolve_plans"

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runs.id"), primary_key=True)
    settings_digest: Mapped[str] = mapped_column(String(64))
    models: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="{entity kind: fitted model parameters}"
    )
    marks: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="{source_run, decision}: what the resolve has seen"
    )


class ResolvePartitionRow(Base):
    """One partition: a range of block digests of the blocking index."""

    __tablename__ = "resolve_partitions"

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("resolve_plans.run_id"), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_block: Mapped[str] = mapped_column(
        String(32), comment="the lowest block digest of the range ('': from the first)"
    )
    stop_block: Mapped[str] = mapped_column(
        String(32), comment="the block digest the range stops before ('~': past the last)"
    )
    pairs: Mapped[int] = mapped_column(BigId, comment="candidate pairs within its blocks")
    scored_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), comment="when its pairs were scored; null: not yet"
    )


class ScoredPairRow(Base):
    """A candidate pair a partition linked or sent to review: the pairs the finishing
    task decides on (every other candidate pair decides nothing)."""

    __tablename__ = "resolve_scored_pairs"

    run_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
    right_key: Mapped[str] = mapped_column(RecordKey, primary_key=True)
