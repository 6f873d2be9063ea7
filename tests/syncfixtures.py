"""A small file source written into a temporary folder, for the sync tests."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from hub.config import RelhubConfig, load_config
from hub.store.models import QuarantineRow, SourceRecordRow, SyncState

COLUMNS = ["id", "first", "last", "email", "born", "visits", "updated", "deleted"]

MAPPING = """\
system: shop
objects:
  customers:
    entity: person
    roles: [customer]
    id_field: id
    modified_at_field: updated
    deleted_field: deleted
    fields:
      given_name: {from: first, transforms: [trim]}
      family_name: {from: last, transforms: [trim]}
      emails: {from: email, transforms: [email]}
      birth_date: {from: born, transforms: [{date: {formats: ["%Y-%m-%d"]}}]}
    attributes:
      visits: {from: visits, type: integer}
"""


def row(index: int, updated: str = "2026-01-01T00:00:00Z", **changes: Any) -> dict[str, Any]:
    values = {
        "id": f"C{index:06d}",
        "first": f"Ana{index}",
        "last": "García López",
        "email": f"ana{index}@example.com",
        "born": "1980-02-01",
        "visits": str(index % 7),
        "updated": updated,
        "deleted": "false",
    }
    values.update(changes)
    return values


def write_rows(
    path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] = COLUMNS
) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def make_source(
    folder: Path,
    rows: Sequence[dict[str, Any]],
    *,
    page_size: int = 1000,
    overlap_seconds: float = 300,
    deletion: str = "flag",
    max_deletion_share: float = 0.1,
    mapping: str = MAPPING,
    columns: Sequence[str] = COLUMNS,
) -> RelhubConfig:
    (folder / "shop.yaml").write_text(mapping)
    write_rows(folder / "customers.csv", rows, columns)
    (folder / "relhub.yaml").write_text(
        "sources:\n"
        "  - name: shop\n    type: file\n    mapping: shop.yaml\n"
        f"    page_size: {page_size}\n    overlap_seconds: {overlap_seconds}\n"
        f"    max_deletion_share: {max_deletion_share}\n"
        f"    objects:\n      customers: {{path: customers.csv, deletion: {deletion}}}\n"
    )
    return load_config(folder / "relhub.yaml")


def store_contents(engine: Engine) -> dict[str, Any]:
    """What a sync leaves behind, without wall-clock times and run ids."""
    with engine.connect() as connection:
        snapshots = sorted(
            (
                r.system,
                r.object,
                r.source_id,
                r.content_hash,
                r.deleted,
                r.modified_at.isoformat() if r.modified_at else None,
                json.dumps(r.canonical, sort_keys=True),
            )
            for r in connection.execute(select(SourceRecordRow))
        )
        quarantine = sorted(
            (q.system, q.object, q.source_id or "", q.reason, q.fingerprint, q.resolved_at is None)
            for q in connection.execute(select(QuarantineRow))
        )
        states = sorted(
            (
                s.system,
                s.object,
                s.watermark_at.isoformat() if s.watermark_at else None,
                s.watermark_id,
            )
            for s in connection.execute(select(SyncState))
        )
    return {"snapshots": snapshots, "quarantine": quarantine, "states": states}
