"""A push is not echoed back: the records it wrote come back on the next sync with their
new raw payload stored, but a resolve sees nothing changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pushfixtures import MAPPINGS, cycle, running_systems
from sqlalchemy import select

from hub.resolve import resolve
from hub.store.migrate import open_store
from hub.store.models import SourceRecordRow
from hub.sync import sync_source


def mappings_pushing_golden_ids_only(folder: Path) -> Path:
    """The shipped mappings without the only_if_empty writes, which change mapped values."""
    shutil.copytree(MAPPINGS, folder / "mappings")
    for name in ("salesforce.yaml", "hubspot.yaml"):
        path = folder / "mappings" / name
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if "mode: only_if_empty" not in line))
    return folder / "mappings"


def test_records_written_by_a_push_are_stored_but_not_resolved_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    engine = open_store(store_url)
    mappings = mappings_pushing_golden_ids_only(tmp_path)
    with running_systems(tmp_path, monkeypatch, mappings=mappings) as systems:
        _, reports = cycle(systems, engine)
        written = sum(r.written for r in reports)
        assert written > 0

        synced = [sync_source(systems.config, engine, s) for s in systems.config.sources]
        totals = [r.totals() for r in synced]
        assert sum(t["fetched"] for t in totals) >= written  # the pushed records came back
        assert sum(t["updated"] for t in totals) == 0
        assert resolve(systems.config, engine).changed == 0

        with engine.connect() as connection:
            payloads = connection.execute(
                select(SourceRecordRow.payload).where(SourceRecordRow.system == "hubspot")
            ).scalars()
            stamped = [p for p in payloads if p.get("relhub_golden_id")]
        assert stamped  # the raw payload holds what the push wrote
