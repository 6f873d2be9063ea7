"""Source-side merges (push.merge_duplicates, off by default): two HubSpot contacts the
resolve links above the stricter threshold are merged by HubSpot's merge endpoint, listed
first in the dry run; below the threshold, or with the option off, nothing is merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from pushfixtures import Systems, hubspot_value, members, running_systems, sync_and_resolve
from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli import app
from hub.config import load_config
from hub.push.step import push
from hub.store.identity_models import GoldenMemberRow, LinkRow
from hub.store.migrate import open_store
from hub.store.push_models import REJECTED, OutboxRow
from identity import record_key

runner = CliRunner()
ADA = {
    "firstname": "Ada",
    "lastname": "Lovelace",
    "email": "ada@example.org",
    "phone": "+1 617 555 0100",
    "city": "Boston",
}


def merges_posted(systems: Systems) -> int:
    return sum(
        1
        for e in systems.portal.log.snapshot()
        if e.method == "POST" and e.path.endswith("/merge") and e.status < 300
    )


@pytest.mark.parametrize(
    ("option", "enabled"),
    [
        ("{enabled: true}", True),  # the default min_probability, 0.999
        ("{enabled: true, min_probability: 0.9999999}", False),  # the pair falls short
        ("{enabled: false}", False),
    ],
)
def test_duplicates_linked_above_the_threshold_are_merged_in_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str, option: str, enabled: bool
) -> None:
    engine = open_store(store_url)
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        first = systems.portal.store.insert("contacts", ADA).id
        second = systems.portal.store.insert("contacts", ADA).id
        config_file = tmp_path / "relhub.yaml"
        config_file.write_text(config_file.read_text() + f"push: {{merge_duplicates: {option}}}\n")
        config = load_config(config_file)
        systems.config = config
        sync_and_resolve(systems, engine)
        keys = [record_key("hubspot", "contacts", i) for i in (first, second)]
        with engine.connect() as connection:
            golden = (
                connection.execute(
                    select(GoldenMemberRow.golden_id).where(GoldenMemberRow.record_key.in_(keys))
                )
                .scalars()
                .all()
            )
            probability = connection.execute(
                select(LinkRow.probability).where(
                    LinkRow.left_key.in_(keys), LinkRow.right_key.in_(keys)
                )
            ).scalar()
        assert len(golden) == 2 and golden[0] == golden[1]
        assert probability is not None and 0.999 <= probability < 0.9999999

        dry = runner.invoke(app, ["push", "hubspot", "--dry-run", "-c", str(config_file)])
        assert dry.exit_code == 0, dry.output
        listed = f"contacts {second} into {first}"
        assert (listed in dry.stdout) is enabled
        if enabled:
            assert dry.stdout.index(listed) < dry.stdout.index("records would be written")

        systems.portal.log.clear()
        _, reports = push(config, engine, ["hubspot"])
        posted = merges_posted(systems)
        if not enabled:
            assert posted == 0
            return
        assert posted == 1
        assert reports[0].rejected == 0
        records = systems.portal.store.records["contacts"]
        assert first not in records and second not in records  # one new record holds both
        survivors = [r for r in records.values() if r.properties.get("email") == ADA["email"]]
        assert len(survivors) == 1
        merged_ids = survivors[0].properties["hs_merged_object_ids"].split(";")
        assert {first, second} <= set(merged_ids)

        sync_and_resolve(systems, engine)
        _, reports = push(config, engine, ["hubspot"])
        assert merges_posted(systems) == posted  # asked once
        survivor = survivors[0].id
        assert members(engine, "hubspot").keys() >= {("contacts", survivor)}
        assert ("contacts", first) not in members(engine, "hubspot")  # merged away: deleted
        golden_id = members(engine, "hubspot")[("contacts", survivor)]
        assert hubspot_value(systems, "contacts", survivor, "relhub_golden_id") == golden_id


SF_ADA = {
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Email": "ada@example.org",
    "Phone": "+1 617 555 0100",
    "MailingCity": "Boston",
}


def soap_merges(systems: Systems) -> list[int]:
    return [e.status for e in systems.org.requests() if e.path.startswith("/services/Soap/u/")]


@pytest.mark.parametrize("master_gone", [False, True])
def test_salesforce_duplicates_are_merged_by_the_soap_merge_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str, master_gone: bool
) -> None:
    """The younger contact is merged into the older one and read back as deleted; a merge
    Salesforce refuses (here: the master deleted meanwhile) is rejected with its reason."""
    engine = open_store(store_url)
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        first = systems.org.store.create("Contact", SF_ADA)
        second = systems.org.store.create("Contact", SF_ADA)
        config_file = tmp_path / "relhub.yaml"
        config_file.write_text(
            config_file.read_text() + "push: {merge_duplicates: {enabled: true}}\n"
        )
        config = systems.config = load_config(config_file)
        sync_and_resolve(systems, engine)
        if master_gone:
            systems.org.store.delete("Contact", first)
        systems.org.clear_log()
        _, reports = push(config, engine, ["salesforce"])
        assert soap_merges(systems) == [200]
        binned = systems.org.store.visible_records("Contact", include_deleted=True)
        merged = {r["Id"]: r for r in binned if r["Id"] in (first, second)}
        if master_gone:
            with engine.connect() as connection:
                refused = connection.execute(
                    select(OutboxRow.source_id, OutboxRow.message).where(
                        OutboxRow.status == REJECTED, OutboxRow.source_id == second
                    )
                ).all()
            assert [(r.source_id, r.message.split(":")[0]) for r in refused] == [
                (second, "ENTITY_IS_DELETED")
            ]
            assert merged[second]["IsDeleted"] is False
            return
        assert reports[0].rejected == 0
        assert (merged[second]["IsDeleted"], merged[second]["MasterRecordId"]) == (True, first)
        assert merged[first]["IsDeleted"] is False

        sync_and_resolve(systems, engine)
        push(config, engine, ["salesforce"])
        assert soap_merges(systems) == [200]  # asked once
        assert ("Contact", second) not in members(engine, "salesforce")  # merged away: deleted
        assert ("Contact", first) in members(engine, "salesforce")
