"""Push-back over live emulators: golden ids land in every member, a second cycle
writes nothing, refused rows are kept with the API's message while the rest land."""

from __future__ import annotations

import json
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
from typer.testing import CliRunner

from hub.cli import app
from hub.push.queries import outbox_counts, rejected_writes
from hub.push.step import push
from hub.store.migrate import open_store

runner = CliRunner()


def test_golden_ids_land_and_a_second_cycle_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    engine = open_store(store_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        built, reports = cycle(systems, engine)
        by_system = {r.system: r for r in reports}
        assert built.queued > 0
        assert sum(r.written for r in reports) > 0
        assert all(r.rejected == 0 and r.skipped == 0 for r in reports)
        for (obj, sid), golden_id in members(engine, "hubspot").items():
            assert hubspot_value(systems, obj, sid, "relhub_golden_id") == golden_id
        for (obj, sid), golden_id in members(engine, "salesforce").items():
            assert salesforce_value(systems, obj, sid, "Relhub_Golden_Id__c") == golden_id
        hubspot_writes = sum(
            e.items or 0
            for e in systems.portal.log.snapshot()
            if e.method == "POST" and e.path.endswith("/batch/update") and e.status < 300
        )
        assert hubspot_writes == by_system["hubspot"].written

        systems.portal.log.clear()
        systems.org.clear_log()
        built, reports = cycle(systems, engine)
        assert built.queued == 0
        assert [r.written for r in reports] == [0, 0]
        # No write and no pre-write read of objects (the sync's association reads may come).
        objects_batches = [
            e
            for e in systems.portal.log.snapshot()
            if e.path.startswith("/crm/v3/objects/") and "/batch/" in e.path
        ]
        assert not objects_batches
        assert not [e for e in systems.org.requests() if "composite/sobjects" in e.path]


def test_a_refused_row_is_kept_with_its_message_and_the_rest_of_the_batch_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        sync_and_resolve(systems, engine)
        contacts = sorted(sid for obj, sid in members(engine, "hubspot") if obj == "contacts")
        gone = contacts[0]
        systems.portal.store.archive("contacts", gone)  # after our read: the write is refused
        _, reports = push(systems.config, engine, ["hubspot"])
        (report,) = reports
        assert report.rejected == 1 and report.written > 1
        (refused,) = rejected_writes(engine, ["hubspot"])
        assert refused["id"] == gone and refused["message"]
        for sid in contacts[1:]:
            assert hubspot_value(systems, "contacts", sid, "relhub_golden_id")
        assert outbox_counts(engine)["hubspot"]["rejected"] == 1
        monkeypatch.setenv("RELHUB_DATABASE_URL", sqlite_url)
        status = runner.invoke(app, ["status", "--json", "-c", str(tmp_path / "relhub.yaml")])
        assert json.loads(status.stdout)["push"]["hubspot"]["rejected"] == 1
        _, again = push(systems.config, engine, ["hubspot"])
        assert again[0].rejected == 0 and again[0].written == 0  # a refusal does not loop
        assert "pending" not in outbox_counts(engine)["hubspot"]


def test_dry_run_counts_per_system_and_field_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    monkeypatch.setenv("RELHUB_DATABASE_URL", sqlite_url)
    with running_systems(tmp_path, monkeypatch) as systems:
        sync_and_resolve(systems, engine)
        systems.portal.log.clear()
        systems.org.clear_log()
        config = str(tmp_path / "relhub.yaml")
        result = runner.invoke(app, ["push", "--dry-run", "--json", "-c", config])
        assert result.exit_code == 0, result.output
        summaries = {s["system"]: s for s in json.loads(result.stdout)}
        contacts = sum(1 for obj, _ in members(engine, "hubspot") if obj == "contacts")
        assert summaries["hubspot"]["by_field"]["contacts.relhub_golden_id"] == contacts
        assert summaries["salesforce"]["sample"][0]["fields"]["Relhub_Golden_Id__c"]
        # No write and no pre-write read of objects (the sync's association reads may come).
        objects_batches = [
            e
            for e in systems.portal.log.snapshot()
            if e.path.startswith("/crm/v3/objects/") and "/batch/" in e.path
        ]
        assert not objects_batches
        assert not [e for e in systems.org.requests() if "composite/sobjects" in e.path]

        result = runner.invoke(app, ["push", "hubspot", "-c", config])
        assert result.exit_code == 0, result.output
        assert "hubspot" in result.stdout
        assert outbox_counts(engine)["hubspot"] == {"written": len(members(engine, "hubspot"))}
