"""identity: golden records, members, links, review queue, steward decisions, id history,
blocking-key index

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from hub.store.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_KEY = sa.String(length=512)
_GOLDEN = sa.String(length=32)
_PAIR_TABLES = ("identity_links", "review_queue")


def _run_fk(column: str = "run_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["runs.id"])


def _create_pair_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("left_key", _KEY, nullable=False),
        sa.Column("right_key", _KEY, nullable=False),
        sa.Column("entity_kind", sa.String(length=16), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=True),
        sa.Column(
            "evidence",
            _JSON,
            nullable=False,
            comment="[{comparison, level, weight}] per compared field",
        ),
        sa.Column("run_id", _ID, nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("left_key", "right_key"),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f"ix_{name}_right", ["right_key"], unique=False)


def upgrade() -> None:
    op.create_table(
        "golden_records",
        sa.Column("golden_id", _GOLDEN, nullable=False),
        sa.Column("entity_kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "fields",
            _JSON,
            nullable=False,
            comment="name -> {value, rule, provenance} or a list of them (multi-valued)",
        ),
        sa.Column("roles", _JSON, nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=32), nullable=True),
        sa.Column(
            "lifecycle", _JSON, nullable=False, comment="stage -> when a member first reported it"
        ),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("created_run_id", _ID, nullable=False),
        sa.Column("updated_run_id", _ID, nullable=False),
        _run_fk("created_run_id"),
        _run_fk("updated_run_id"),
        sa.PrimaryKeyConstraint("golden_id"),
    )
    with op.batch_alter_table("golden_records", schema=None) as batch_op:
        batch_op.create_index("ix_golden_records_status", ["entity_kind", "status"], unique=False)

    op.create_table(
        "golden_members",
        sa.Column("record_key", _KEY, nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("golden_id", _GOLDEN, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("record_key"),
    )
    with op.batch_alter_table("golden_members", schema=None) as batch_op:
        batch_op.create_index("ix_golden_members_golden_id", ["golden_id"], unique=False)
        batch_op.create_index(
            "ix_golden_members_system", ["system", "object", "golden_id"], unique=False
        )

    for name in _PAIR_TABLES:
        _create_pair_table(name)

    op.create_table(
        "steward_decisions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("left_key", _KEY, nullable=True),
        sa.Column("right_key", _KEY, nullable=True),
        sa.Column("golden_id", _GOLDEN, nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("value", _JSON, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("steward_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_steward_decisions_golden", ["golden_id", "field"], unique=False)
        batch_op.create_index("ix_steward_decisions_pair", ["left_key", "right_key"], unique=False)

    op.create_table(
        "golden_id_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("golden_id", _GOLDEN, nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("other_id", _GOLDEN, nullable=True),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("golden_id_history", schema=None) as batch_op:
        batch_op.create_index("ix_golden_id_history_golden_id", ["golden_id"], unique=False)

    op.create_table(
        "blocking_keys",
        sa.Column("record_key", _KEY, nullable=False),
        sa.Column("block", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("record_key", "block"),
    )
    with op.batch_alter_table("blocking_keys", schema=None) as batch_op:
        batch_op.create_index("ix_blocking_keys_block", ["block"], unique=False)


def downgrade() -> None:
    for name in (
        "blocking_keys",
        "golden_id_history",
        "steward_decisions",
        *_PAIR_TABLES,
        "golden_members",
        "golden_records",
    ):
        op.drop_table(name)
