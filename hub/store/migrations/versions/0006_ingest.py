"""ingest: one quarantine entry per bad record, closed with how; mapping digests

A quarantine entry is named by its record's id, or where no id could be read by its
export's digest and line (`entry_key`), so a re-read updates it instead of adding
another. Entries record how they closed (mapped, gone, dismissed, with a note) and the
line and change time of the row. Each object's sync state keeps the digest of the
mapping its stored records were mapped with, so a mapping change re-maps them.

Existing entries are keyed by their record id; of several open entries of one record
only the newest stays open (the others close as superseded); entries without an id keep
their fingerprint as key and close when a later read of the export no longer meets them.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.store.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY_COMMENT = "id:<record id>, or line:<export digest>:<line> without an id"
_STAGE_COMMENT = "read, map or store: the step that refused the record"


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("entry_key", sa.String(length=300), nullable=True, comment=_KEY_COMMENT)
        )
        batch_op.add_column(sa.Column("line", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "stage",
                sa.String(length=8),
                server_default="read",
                nullable=False,
                comment=_STAGE_COMMENT,
            )
        )
        batch_op.add_column(sa.Column("modified_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "resolution",
                sa.String(length=16),
                nullable=True,
                comment="mapped, gone, dismissed",
            )
        )
        batch_op.add_column(
            sa.Column("note", sa.Text(), nullable=True, comment="why it was dismissed")
        )
    _key_existing_entries(op.get_bind())
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.alter_column(
            "entry_key",
            existing_type=sa.String(length=300),
            nullable=False,
            existing_comment=_KEY_COMMENT,
        )
        batch_op.alter_column("last_seen_at", existing_type=UTCDateTime(), nullable=False)
        batch_op.alter_column(
            "stage",
            existing_type=sa.String(length=8),
            existing_nullable=False,
            existing_comment=_STAGE_COMMENT,
            server_default=None,
        )
        batch_op.alter_column(
            "fingerprint",
            existing_type=sa.String(length=32),
            existing_nullable=False,
            comment="of the reason and raw row",
        )
        batch_op.drop_constraint("uq_quarantine_fingerprint", type_="unique")
        batch_op.create_unique_constraint("uq_quarantine_entry", ["system", "object", "entry_key"])
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mapping_digest",
                sa.String(length=32),
                nullable=True,
                comment="of the object's mapping its stored records were mapped with",
            )
        )


def _key_existing_entries(connection: sa.Connection) -> None:
    quarantine = sa.table(
        "quarantine",
        sa.column("id", sa.BigInteger()),
        sa.column("system", sa.String()),
        sa.column("object", sa.String()),
        sa.column("source_id", sa.String()),
        sa.column("fingerprint", sa.String()),
        sa.column("created_at", UTCDateTime()),
        sa.column("resolved_at", UTCDateTime()),
        sa.column("entry_key", sa.String()),
        sa.column("last_seen_at", UTCDateTime()),
        sa.column("resolution", sa.String()),
    )
    rows = connection.execute(
        sa.select(
            quarantine.c.id,
            quarantine.c.system,
            quarantine.c.object,
            quarantine.c.source_id,
            quarantine.c.fingerprint,
            quarantine.c.created_at,
            quarantine.c.resolved_at,
        ).order_by(quarantine.c.id.desc())
    ).all()
    keyed: set[tuple[str, str, str]] = set()
    updates = []
    for pk, system, object_name, source_id, fingerprint, created_at, resolved_at in rows:
        key = f"id:{source_id}" if source_id else f"fp:{fingerprint}"
        values = {"pk": pk, "key": key, "seen": created_at, "resolved": resolved_at, "how": None}
        if (system, object_name, key) in keyed:  # a newer entry of the record holds the key
            values["key"] = f"fp:{fingerprint}"
            values["resolved"] = resolved_at or created_at
            values["how"] = "superseded"
        elif resolved_at is not None:
            values["how"] = "mapped"
        keyed.add((system, object_name, key))
        updates.append(values)
    if updates:
        connection.execute(
            sa.update(quarantine)
            .where(quarantine.c.id == sa.bindparam("pk"))
            .values(
                entry_key=sa.bindparam("key"),
                last_seen_at=sa.bindparam("seen"),
                resolved_at=sa.bindparam("resolved"),
                resolution=sa.bindparam("how"),
            ),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("mapping_digest")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_constraint("uq_quarantine_entry", type_="unique")
        batch_op.create_unique_constraint(
            "uq_quarantine_fingerprint", ["system", "object", "fingerprint"]
        )
        batch_op.alter_column(
            "fingerprint", existing_type=sa.String(length=32), existing_nullable=False, comment=None
        )
        for column in (
            "note",
            "resolution",
            "last_seen_at",
            "modified_at",
            "stage",
            "line",
            "entry_key",
        ):
            batch_op.drop_column(column)
