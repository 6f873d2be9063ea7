"""Bulk inserts through each database's own path keep every value exactly, and a value
the database refuses costs that record alone, quarantined with the database's reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from hub.store.db import JSONText
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, SourceRecordRow
from hub.store.runs import start_run
from hub.store.snapshots import SnapshotRow, commit_page

AWKWARD = ["tab\there", "new\nline", "back\\slash", "carriage\rreturn", "\\N", "Ñúñez ☃", ""]


def snapshot(source_id: str, text: str) -> SnapshotRow:
    payload = JSONText(json.dumps({"name": text}))
    return SnapshotRow(
        source_id=source_id,
        entity_kind="person",
        payload=payload,
        canonical=None,
        modified_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        deleted=False,
        content_hash=source_id.ljust(32, "0"),
    )


def commit(engine, rows):  # type: ignore[no-untyped-def]
    return commit_page(
        engine,
        run_id=start_run(engine, "sync", "t"),
        system="t",
        object_name="o",
        rows=rows,
        quarantine=[],
        checkpoint=None,
        run_counts={},
    )


def test_awkward_values_round_trip(store_url: str) -> None:
    engine = open_store(store_url)
    counts = commit(engine, [snapshot(f"id{i}\t{text}", text) for i, text in enumerate(AWKWARD)])
    assert counts.inserted == len(AWKWARD)
    with engine.connect() as connection:
        stored = {r.source_id: r for r in connection.execute(select(SourceRecordRow))}
    for i, text in enumerate(AWKWARD):
        row = stored[f"id{i}\t{text}"]
        assert row.payload == {"name": text}
        assert row.canonical is None
        assert row.modified_at == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
        assert row.deleted is False


def test_a_refused_value_costs_one_record(postgres_url: str) -> None:
    engine = open_store(postgres_url)
    rows = [snapshot("good1", "a"), snapshot("nul", "bad\u0000byte"), snapshot("good2", "b")]
    counts = commit(engine, rows)
    assert (counts.inserted, counts.quarantined) == (2, 1)
    with engine.connect() as connection:
        [entry] = connection.execute(select(QuarantineRow)).all()
        stored = connection.execute(select(SourceRecordRow.source_id)).scalars().all()
    assert entry.source_id == "nul"
    assert entry.reason.startswith("database refused the record:")
    assert sorted(stored) == ["good1", "good2"]


def test_a_refused_update_is_quarantined_under_its_source_id(postgres_url: str) -> None:
    """An update names its row by primary key: the quarantine entry still says which
    record was refused, and the stored version stays as it was."""
    engine = open_store(postgres_url)
    commit(engine, [snapshot("ana", "a"), snapshot("luis", "b")])
    changed = snapshot("ana", "bad\u0000byte")._replace(content_hash="changed".ljust(32, "0"))
    counts = commit(engine, [changed, snapshot("luis", "b")])
    assert (counts.updated, counts.quarantined, counts.unchanged) == (0, 1, 1)
    with engine.connect() as connection:
        [entry] = connection.execute(select(QuarantineRow)).all()
        stored = dict(
            connection.execute(select(SourceRecordRow.source_id, SourceRecordRow.payload)).all()
        )
    assert entry.source_id == "ana"
    assert entry.reason.startswith("database refused the record:")
    assert stored == {"ana": {"name": "a"}, "luis": {"name": "b"}}
