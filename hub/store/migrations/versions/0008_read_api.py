"""read_api: reserved for the read API: tokens, change feed, webhooks (issue 20)

Empty until its change lands; it keeps the revision chain linear while the changes that
fill it are built side by side.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
