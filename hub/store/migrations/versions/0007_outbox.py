"""outbox: the push-back outbox (issue 16)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from hub.store.db import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "push_outbox",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("golden_id", sa.String(length=32), nullable=False),
        sa.Column(
            "golden_version",
            _ID,
            nullable=False,
            comment="the resolve run that last wrote the golden record",
        ),
        sa.Column("fields", _JSON, nullable=False, comment="source field -> value"),
        sa.Column(
            "read_modified_at",
            UTCDateTime(),
            nullable=True,
            comment="the source record's change time the diff was taken against",
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("run_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_push_outbox_key"),
    )
    op.create_index(
        "ix_push_outbox_status", "push_outbox", ["system", "status", "object", "id"], unique=False
    )
    op.create_index(
        "ix_push_outbox_target", "push_outbox", ["system", "object", "source_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_push_outbox_target", table_name="push_outbox")
    op.drop_index("ix_push_outbox_status", table_name="push_outbox")
    op.drop_table("push_outbox")
