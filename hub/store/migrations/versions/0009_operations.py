"""operations: reserved for concurrency and operations (issue 13)

Empty until its change lands; it keeps the revision chain linear while the changes that
fill it are built side by side.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
