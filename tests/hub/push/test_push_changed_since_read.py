"""A record edited in its source between resolve and push is not overwritten: the push
compares its modification stamp (Salesforce's SystemModstamp, HubSpot's lastmodifieddate)
right before the batch write, skips it, writes the rest of the batch, and the next
sync -> resolve -> push writes the diff taken against the edited record."""

from __future__ import annotations

from pathlib import Path

import pytest
from pushfixtures import (
    cycle,
    hubspot_value,
    members,
    running_systems,
    salesforce_value,
    sync_and_resolve,
)
from sqlalchemy import select

from connectors.base import CHANGED_SINCE_READ
from hub.push.step import push
from hub.store.migrate import open_store
from hub.store.push_models import SKIPPED, OutboxRow

ADA = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org"}
GRACE = {"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@example.org"}


def test_a_record_edited_after_the_read_is_skipped_then_rediffed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    engine = open_store(store_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        org, portal = systems.org.store, systems.portal.store
        # each has a phone only in the other system: the push fills it in (only_if_empty)
        org.create(
            "Contact",
            {
                "FirstName": "Ada",
                "LastName": "Lovelace",
                "Email": "ada@example.org",
                "Phone": "+1 617 555 0100",
            },
        )
        ada = portal.insert("contacts", ADA).id
        grace = org.create("Contact", GRACE)
        portal.insert(
            "contacts",
            {
                "firstname": "Grace",
                "lastname": "Hopper",
                "email": "grace@example.org",
                "phone": "+1 212 555 0100",
            },
        )
        sync_and_resolve(systems, engine)

        # edited by people after our read: the phone the push would fill in is now set
        portal.update("contacts", ada, {"phone": "+1 617 555 0199"})
        org.update("Contact", grace, {"Phone": "+1 212 555 0199"})
        _, reports = push(systems.config, engine)

        by_system = {r.system: r for r in reports}
        assert by_system["hubspot"].skipped == 1 and by_system["salesforce"].skipped == 1
        assert hubspot_value(systems, "contacts", ada, "phone") == "+1 617 555 0199"
        assert hubspot_value(systems, "contacts", ada, "relhub_golden_id") is None
        assert salesforce_value(systems, "Contact", grace, "Phone") == "+1 212 555 0199"
        assert salesforce_value(systems, "Contact", grace, "Relhub_Golden_Id__c") is None
        edited = {("hubspot", "contacts", ada), ("salesforce", "Contact", grace)}
        for system, value in (("hubspot", hubspot_value), ("salesforce", salesforce_value)):
            field = "relhub_golden_id" if system == "hubspot" else "Relhub_Golden_Id__c"
            others = [
                (obj, sid, golden_id)
                for (obj, sid), golden_id in members(engine, system).items()
                if (system, obj, sid) not in edited
            ]
            assert others and all(value(systems, o, s, field) == g for o, s, g in others)
        with engine.connect() as connection:
            skipped = connection.execute(
                select(OutboxRow.system, OutboxRow.source_id, OutboxRow.message).where(
                    OutboxRow.status == SKIPPED
                )
            ).all()
        assert {(s, sid) for s, sid, _ in skipped} == {("hubspot", ada), ("salesforce", grace)}
        assert {message for _, _, message in skipped} == {CHANGED_SINCE_READ}

        _, reports = cycle(systems, engine)
        assert sum(r.skipped for r in reports) == 0
        assert sum(r.written for r in reports) == 2
        golden = members(engine, "hubspot")[("contacts", ada)]
        assert hubspot_value(systems, "contacts", ada, "relhub_golden_id") == golden
        assert hubspot_value(systems, "contacts", ada, "phone") == "+1 617 555 0199"
        golden = members(engine, "salesforce")[("Contact", grace)]
        assert salesforce_value(systems, "Contact", grace, "Relhub_Golden_Id__c") == golden
        assert salesforce_value(systems, "Contact", grace, "Phone") == "+1 212 555 0199"
