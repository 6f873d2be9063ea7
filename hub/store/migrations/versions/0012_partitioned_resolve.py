"""partitioned_resolve: the plan, partitions and scored pairs of a partitioned full resolve

A full resolve may run as separate tasks on separate workers (one prepares, one per
partition of the blocking index scores, one finishes); these tables are how they hand
work on, keyed by the resolve's run.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.store.db import BigId, JSONType, UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.String(length=512)


def upgrade() -> None:
    op.create_table(
        "resolve_plans",
        sa.Column("run_id", BigId, sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("settings_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "models",
            JSONType,
            nullable=False,
            comment="{entity kind: fitted model parameters}",
        ),
        sa.Column(
            "marks",
            JSONType,
            nullable=False,
            comment="{source_run, decision}: what the resolve has seen",
        ),
    )
    op.create_table(
        "resolve_partitions",
        sa.Column("run_id", BigId, sa.ForeignKey("resolve_plans.run_id"), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column(
            "first_block",
            sa.String(length=32),
            nullable=False,
            comment="the lowest block digest of the range ('': from the first)",
        ),
        sa.Column(
            "stop_block",
            sa.String(length=32),
            nullable=False,
            comment="the block digest the range stops before ('~': past the last)",
        ),
        sa.Column("pairs", BigId, nullable=False, comment="candidate pairs within its blocks"),
        sa.Column(
            "scored_at",
            UTCDateTime(),
            nullable=True,
            comment="when its pairs were scored; null: not yet",
        ),
        sa.PrimaryKeyConstraint("run_id", "partition"),
    )
    op.create_table(
        "resolve_scored_pairs",
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("left_key", _KEY, nullable=False),
        sa.Column("right_key", _KEY, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "partition", "left_key", "right_key"),
    )


def downgrade() -> None:
    op.drop_table("resolve_scored_pairs")
    op.drop_table("resolve_partitions")
    op.drop_table("resolve_plans")
