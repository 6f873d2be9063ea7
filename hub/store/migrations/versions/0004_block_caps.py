"""block caps: each blocking-key row keeps its rule's cap

A record that leaves a block (deleted, or changed) can take it under its cap; the
incremental resolve needs the cap of a block it no longer computes.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "blocking_keys",
        sa.Column(
            "cap",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="The block's rule's size cap: a record leaving the block may bring it under",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("blocking_keys") as batch:
        batch.drop_column("cap")
