"""change feed: golden-record events in commit order, webhooks, and SQL views for BI (issue 20)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from hub.store.db import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# Flat columns of the golden-records view: (column, JSON path) into `fields`
_FLAT = (
    ("given_name", ("given_name",)),
    ("family_name", ("family_name",)),
    ("full_name", ("full_name",)),
    ("name", ("name",)),
    ("email", ("emails", 0)),
    ("phone", ("phones", 0)),
    ("domain", ("domains", 0)),
)


def _field_sql(dialect: str, path: tuple[str | int, ...]) -> str:
    """A golden field's value as text: `fields.<path>.value` in the dialect's JSON syntax."""
    if dialect == "postgresql":
        steps = "".join(f"->{p}" if isinstance(p, int) else f"->'{p}'" for p in path)
        return f"fields{steps}->>'value'"
    steps = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return f"json_extract(fields, '${steps}.value')"


def _views(dialect: str) -> dict[str, str]:
    flat = ",\n  ".join(f"{_field_sql(dialect, path)} AS {name}" for name, path in _FLAT)
    return {
        "relhub_golden_records": f"""
SELECT golden_id, entity_kind, status, lifecycle_stage, member_count, roles,
  {flat},
  fields, lifecycle, created_run_id, updated_run_id
FROM golden_records""",  # noqa: S608 (only the constants above)
        "relhub_golden_members": """
SELECT m.golden_id, m.system, m.object, m.source_id, m.record_key, m.run_id,
  g.entity_kind, g.status AS golden_status
FROM golden_members m JOIN golden_records g ON g.golden_id = m.golden_id""",
        "relhub_changes": """
SELECT c.first_event + e.seq - 1 AS position, e.event, e.golden_id, e.entity_kind,
  e.detail, e.run_id, c.committed_at
FROM change_commits c JOIN change_events e ON e.run_id = c.run_id""",
    }


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("golden_id", sa.String(length=32), nullable=False),
        sa.Column("entity_kind", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column(
            "detail",
            _JSON,
            nullable=False,
            comment="what changed: field names, roles, stages, the ids merged or split",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("run_id", "seq"),
    )
    op.create_table(
        "change_commits",
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("first_event", _ID, nullable=False),
        sa.Column("last_event", _ID, nullable=False),
        sa.Column("committed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("run_id"),
        sa.UniqueConstraint("last_event", name="uq_change_commits_last"),
    )
    head = op.create_table(
        "change_feed_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event", _ID, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "last_event": 0}])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", _JSON, nullable=False, comment="event types it receives"),
        sa.Column(
            "secret_env",
            sa.String(length=128),
            nullable=False,
            comment="the environment variable holding the HMAC signing secret",
        ),
        sa.Column("cursor", _ID, nullable=False, comment="the last feed position queued for it"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subscription_id", _ID, nullable=False),
        sa.Column("position", _ID, nullable=False, comment="the event's feed position"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscriptions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "position", name="uq_webhook_deliveries_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    for name, query in _views(op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in _views(op.get_bind().dialect.name):
        op.execute(f"DROP VIEW {name}")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("change_feed_head")
    op.drop_table("change_commits")
    op.drop_table("change_events")
