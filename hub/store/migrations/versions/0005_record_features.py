"""record features: each record's normalized values, kept with its blocking keys; the
blocking-key index clustered by key

An incremental resolve scores a changed record's block neighbours from the features
instead of parsing and normalizing their source records. On SQLite both tables are
WITHOUT ROWID: a lookup by key is one B-tree descent, and the index on `block` then
holds each row's record key, so a block's members are read from the index alone. The
old blocking keys are dropped, not copied, and so are the fitted models: the next resolve
is a full one, which fills both tables (the index version in the settings digest changes
with this revision too, so it would be anyway).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.String(length=512)
_CAP_COMMENT = "The block's rule's size cap: a record leaving the block may bring it under"


def _blocking_keys(with_rowid: bool) -> None:
    op.drop_table("blocking_keys")
    op.create_table(
        "blocking_keys",
        sa.Column("record_key", _KEY, nullable=False),
        sa.Column("block", sa.String(length=32), nullable=False),
        sa.Column("cap", sa.Integer(), server_default="0", nullable=False, comment=_CAP_COMMENT),
        sa.PrimaryKeyConstraint("record_key", "block"),
        sqlite_with_rowid=with_rowid,
    )
    op.create_index("ix_blocking_keys_block", "blocking_keys", ["block"])


def upgrade() -> None:
    op.create_table(
        "record_features",
        sa.Column("record_key", _KEY, primary_key=True),
        sa.Column("entity_kind", sa.String(16), nullable=False),
        sa.Column(
            "features",
            sa.Text(),
            nullable=False,
            comment="JSON: the values in the engine's feature layout for the kind",
        ),
        sqlite_with_rowid=False,
    )
    _blocking_keys(with_rowid=False)
    op.execute(sa.text("DELETE FROM identity_models"))


def downgrade() -> None:
    op.drop_table("record_features")
    _blocking_keys(with_rowid=True)
