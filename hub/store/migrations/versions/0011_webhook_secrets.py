"""webhook_secrets: a subscription keeps its signing secret, not an environment variable's name

The deliverer signs for every subscription from one process (a cron job, an Airflow
task), so a secret per subscription in that process's environment could not be managed
by `relhub webhooks add`; the store holds it, as a receiver's provider does. No release
wrote subscriptions before this one, so the column is replaced, not converted.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("secret_env")
        batch_op.add_column(
            sa.Column(
                "secret",
                sa.String(length=128),
                nullable=False,
                comment="the HMAC-SHA256 signing secret, shown once when the subscription is added",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("secret")
        batch_op.add_column(
            sa.Column(
                "secret_env",
                sa.String(length=128),
                nullable=False,
                comment="the environment variable holding the HMAC signing secret",
            )
        )
