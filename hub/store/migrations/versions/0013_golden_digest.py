"""golden_digest: a golden record keeps the digest of what it holds

A full resolve survives every golden record; most come out as they were (a second full
resolve, a refit that moves few clusters). The digest of a row's content lets the resolve
compare a page of fresh rows with the stored ones by one short column and rewrite only
those that changed. Rows written before have none, and are rewritten once.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER, not a batch: SQLite's batch copies the table, and the BI view
    # relhub_golden_records (0010) must keep naming it.
    op.add_column(
        "golden_records",
        sa.Column(
            "digest",
            sa.String(length=32),
            nullable=True,
            comment="of the row's content as survived (none once merged or retired)",
        ),
    )


def downgrade() -> None:
    op.drop_column("golden_records", "digest")
