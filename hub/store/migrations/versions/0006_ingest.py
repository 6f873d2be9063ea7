"""ingest: reserved for the ingest-hardening change (issue 12): quarantine identity, mapping digests

Empty until its change lands; it keeps the revision chain linear while the changes that
fill it are built side by side.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
