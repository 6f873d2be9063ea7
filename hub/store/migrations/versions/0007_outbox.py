"""outbox: reserved for the push-back outbox (issue 16)

Empty until its change lands; it keeps the revision chain linear while the changes that
fill it are built side by side.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
