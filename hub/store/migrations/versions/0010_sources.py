"""sources: reserved for the HR, partner and SQL sources (issue 17)

Empty until its change lands; it keeps the revision chain linear while the changes that
fill it are built side by side.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
