"""A push is not echoed back: the records it wrote come back on the next sync with their
new raw payload stored, but a resolve sees nothing changed — also where the push filled
in a mapped field (only_if_empty)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pushfixtures import cycle, hubspot_value, running_systems
from sqlalchemy import select

from hub.resolve import resolve
from hub.store.migrate import open_store
from hub.store.models import SourceRecordRow
from hub.sync import sync_source


def test_records_written_by_a_push_are_stored_but_not_resolved_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    engine = open_store(store_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        ada = {"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.org"}
        systems.org.store.create("Contact", {**ada, "Phone": "+1 617 555 0100"})
        contact = systems.portal.store.insert(  # no phone: the push fills it in
            "contacts", {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org"}
        )
        _, reports = cycle(systems, engine)
        assert hubspot_value(systems, "contacts", contact.id, "phone") == "+16175550100"
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
