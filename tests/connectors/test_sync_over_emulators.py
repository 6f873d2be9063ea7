"""The hub's sync over live Salesforce and HubSpot emulators, with the shipped mapping files.

Everything a user would configure is real here: relhub.yaml, mappings/salesforce.yaml and
mappings/hubspot.yaml, credentials from RELHUB_CONN_* variables, the store on SQLite and
PostgreSQL. Only the two SaaS systems are stand-ins.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from connectors.base import AuthenticationError
from connectors.salesforce import ApiLimitReached
from emulators.hubspot import EmulatorConfig as HubSpotConfig
from emulators.hubspot import HubSpotEmulator, generate
from emulators.salesforce import EmulatorConfig as SalesforceConfig
from emulators.salesforce import Faults, SalesforceEmulator
from emulators.salesforce.seed import generate as generate_org
from hub.cli.mappings import mapping_problems
from hub.config import RelhubConfig, load_config
from hub.deletion_guard import MassDeletionRefused
from hub.store import runs
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, Run, SourceRecordRow
from hub.sync import sync_source
from hub.yamlfile import ConfigError

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
SF_OBJECTS = ("Contact", "Lead", "Account")
HS_OBJECTS = ("contacts", "companies")


@dataclass
class Systems:
    org: SalesforceEmulator
    hub: HubSpotEmulator
    secrets: list[str]
    config: RelhubConfig


def relhub_yaml(org: SalesforceEmulator) -> str:
    """Overlap and index lag at zero, so a second sync reads exactly what changed."""
    return f"""\
sources:
  - name: salesforce
    type: salesforce
    mapping: {MAPPINGS / "salesforce.yaml"}
    connection: sf_emulator
    overlap_seconds: 0
    objects: [{", ".join(SF_OBJECTS)}]
    options: {{ca_bundle: "{org.ca_path}", base_delay_s: 0.01, max_attempts: 8,
               rate_limit_calls: 1000}}
  - name: hubspot
    type: hubspot
    mapping: {MAPPINGS / "hubspot.yaml"}
    connection: hs_emulator
    overlap_seconds: 0
    objects: [{", ".join(HS_OBJECTS)}]
    options: {{consistency_lag_s: 0, base_delay_s: 0.01, max_delay_s: 0.2, max_attempts: 8,
               search_requests_per_second: 40, reconcile_every_s: 0}}
"""


@pytest.fixture
def systems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Systems]:
    secret = uuid.uuid4().hex
    sf_config = SalesforceConfig(
        password=f"sf-password-{secret}",
        security_token=f"SFTOKEN{secret}",
        client_secret=f"sf-client-secret-{secret}",
    )
    hub_config = HubSpotConfig(retry_after_s=0.01, search_rate_limit=50)
    with (
        SalesforceEmulator(sf_config) as org,
        HubSpotEmulator(config=hub_config, token=f"pat-na1-{secret}") as hub,
    ):
        generate_org(org.store, accounts=20, contacts=120, leads=60)
        generate(hub.store, contacts=150, companies=30)
        for field, value in org.credentials().items():
            monkeypatch.setenv(f"RELHUB_CONN_SF_EMULATOR_{field.upper()}", value)
        monkeypatch.setenv("RELHUB_CONN_HS_EMULATOR_ACCESS_TOKEN", hub.token)
        monkeypatch.setenv("RELHUB_CONN_HS_EMULATOR_BASE_URL", hub.base_url)
        (tmp_path / "relhub.yaml").write_text(relhub_yaml(org))
        secrets = [sf_config.password, sf_config.security_token, sf_config.client_secret, hub.token]
        yield Systems(org, hub, secrets, load_config(tmp_path / "relhub.yaml"))


def emulator_ids(systems: Systems, system: str, object_name: str) -> set[str]:
    if system == "salesforce":
        rows = systems.org.store.visible_records(object_name, include_deleted=True)
        return {row["Id"] for row in rows}
    return set(systems.hub.store.records[object_name])


def landed(engine: Engine, system: str, object_name: str) -> tuple[dict[str, bool], set[str]]:
    """Stored ids (with their deleted flag) and quarantined ids of one object."""
    with engine.connect() as connection:
        stored = connection.execute(
            select(SourceRecordRow.source_id, SourceRecordRow.deleted).where(
                SourceRecordRow.system == system, SourceRecordRow.object == object_name
            )
        )
        quarantined = connection.execute(
            select(QuarantineRow.source_id).where(
                QuarantineRow.system == system, QuarantineRow.object == object_name
            )
        )
        return dict(stored.tuples().all()), {q for (q,) in quarantined}


def sync_all(systems: Systems, engine: Engine) -> dict[str, dict[str, dict[str, int]]]:
    """Each source's per-object counts, from one sync of each."""
    return {
        source.name: sync_source(systems.config, engine, source).totals()["objects"]
        for source in systems.config.sources
    }


def test_shipped_mappings_validate_against_the_discovered_schemas(systems: Systems) -> None:
    assert mapping_problems(systems.config, offline=False) == []


def test_sync_stores_every_record_then_only_the_changes(systems: Systems, store_url: str) -> None:
    engine = open_store(store_url)
    objects = sync_all(systems, engine)
    for system, names in (("salesforce", SF_OBJECTS), ("hubspot", HS_OBJECTS)):
        for name in names:
            counts = objects[system][name]
            ids = emulator_ids(systems, system, name)
            stored, quarantined = landed(engine, system, name)
            assert counts["fetched"] == len(ids) == counts["inserted"] + counts["quarantined"]
            assert set(stored) | quarantined == ids and not set(stored) & quarantined
            assert len(stored) > len(ids) // 2, f"{system}.{name}: most records should map"

    time.sleep(0.005)  # the changes land after the stored watermarks' millisecond
    org, hub = systems.org.store, systems.hub.store
    contact = org.create("Contact", {"LastName": "Newcomer", "Email": "new@example.com"})
    lead = next(iter(landed(engine, "salesforce", "Lead")[0]))
    org.update("Lead", lead, {"Title": "Head of Purchasing"})
    account = next(iter(landed(engine, "salesforce", "Account")[0]))
    org.delete("Account", account)
    person = hub.insert("contacts", {"email": "fresh@example.com", "firstname": "Fresh"}).id
    company = next(iter(landed(engine, "hubspot", "companies")[0]))
    hub.update("companies", company, {"industry": "RETAIL"})
    gone = next(iter(landed(engine, "hubspot", "contacts")[0]))
    hub.archive("contacts", gone)

    objects = sync_all(systems, engine)
    changed = {
        ("salesforce", "Contact"): {"inserted": 1},
        ("salesforce", "Lead"): {"updated": 1},
        ("salesforce", "Account"): {"updated": 1, "deletions": 1},
        ("hubspot", "contacts"): {"inserted": 1, "deletions": 1},  # found by reconciling ids
        ("hubspot", "companies"): {"updated": 1},
    }
    for (system, name), expected in changed.items():
        counts = objects[system][name]
        picked = {k: counts[k] for k in ("inserted", "updated", "unchanged", "deletions")}
        expected_total = expected.get("inserted", 0) + expected.get("updated", 0)
        assert counts["fetched"] == expected_total, f"{system}.{name}: {counts}"
        assert picked == {"inserted": 0, "updated": 0, "unchanged": 0, "deletions": 0} | expected
    assert landed(engine, "salesforce", "Contact")[0][contact] is False
    assert landed(engine, "salesforce", "Account")[0][account] is True
    stored_contacts = landed(engine, "hubspot", "contacts")[0]
    assert stored_contacts[person] is False and stored_contacts[gone] is True


def test_secrets_stay_out_of_logs_and_run_rows(
    systems: Systems,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = open_store(sqlite_url)
    systems.org.set_faults(Faults(seed=3, error_rate=0.1, throttle_every=10, retry_after_s=0))
    systems.hub.config.error_rate, systems.hub.config.throttle_every = 0.1, 10
    caplog.set_level(logging.DEBUG)
    sync_all(systems, engine)
    assert "retry" in caplog.text  # the faults made the connectors log their retries

    monkeypatch.setenv("RELHUB_CONN_SF_EMULATOR_PASSWORD", f"wrong-{systems.secrets[0]}")
    monkeypatch.setenv("RELHUB_CONN_HS_EMULATOR_ACCESS_TOKEN", f"wrong-{systems.secrets[3]}")
    refusals = []
    for source in systems.config.sources:
        with pytest.raises(AuthenticationError) as refused:
            sync_source(systems.config, engine, source)
        refusals.append(str(refused.value))
    with engine.connect() as connection:
        run_rows = [
            (r.status, str(r.counts), r.error or "") for r in connection.execute(select(Run))
        ]
    assert [status for status, _, _ in run_rows] == ["succeeded"] * 2 + ["failed"] * 2
    assert all(error for _, _, error in run_rows[2:])
    texts = [caplog.text, *refusals, *(f"{counts} {error}" for _, counts, error in run_rows)]
    for secret in systems.secrets:
        assert not any(secret in text for text in texts), "a secret leaked"


def test_deletions_the_change_reads_cannot_see_reach_the_hub(
    systems: Systems, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    sync_all(systems, engine)
    salesforce = next(s for s in systems.config.sources if s.name == "salesforce")
    live = [i for i, deleted in landed(engine, "salesforce", "Account")[0].items() if not deleted]
    systems.org.store.hard_delete("Account", live[0])
    counts = sync_source(systems.config, engine, salesforce).totals()["objects"]
    assert counts["Account"]["deletions"] == 1 and counts["Contact"]["deletions"] == 0
    stored = landed(engine, "salesforce", "Account")[0]
    assert stored[live[0]] is True and not any(stored[i] for i in live[1:])


def test_a_full_sync_keeps_what_the_source_still_has(systems: Systems, sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    sync_all(systems, engine)
    for source in systems.config.sources:
        totals = sync_source(systems.config, engine, source, full=True).totals()
        assert totals["deletions"] == 0, source.name
    for system, names in (("salesforce", SF_OBJECTS), ("hubspot", HS_OBJECTS)):
        for name in names:
            assert not any(landed(engine, system, name)[0].values()), f"{system}.{name}"


def test_a_reconciliation_that_would_delete_too_much_stops(
    systems: Systems, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    sync_all(systems, engine)
    salesforce = next(s for s in systems.config.sources if s.name == "salesforce")
    live = [i for i, deleted in landed(engine, "salesforce", "Account")[0].items() if not deleted]
    for record_id in live[: len(live) // 2]:
        systems.org.store.hard_delete("Account", record_id)
    with pytest.raises(MassDeletionRefused, match=r"salesforce\.Account: the read would delete"):
        sync_source(systems.config, engine, salesforce)
    assert not any(landed(engine, "salesforce", "Account")[0].values())  # nothing deleted


def test_hubspot_deletions_past_the_archive_reach_the_hub_through_the_guard(
    systems: Systems, store_url: str
) -> None:
    """Permanent (GDPR) deletions never enter the archive, archived records go after 90
    days: only the id reconciliation sees either, and a mass deletion stops there."""
    engine = open_store(store_url)
    hubspot = next(s for s in systems.config.sources if s.name == "hubspot")
    sync_source(systems.config, engine, hubspot)
    hub = systems.hub.store
    live = [i for i, deleted in landed(engine, "hubspot", "contacts")[0].items() if not deleted]
    hub.delete_permanently("contacts", live[0])
    hub.archive("contacts", live[1], at=hub.clock() - timedelta(days=91))  # purged by now
    counts = sync_source(systems.config, engine, hubspot).totals()["objects"]
    assert counts["contacts"]["deletions"] == 2 and live[1] not in hub.records["contacts"]
    for record_id in live[2 : len(live) // 2]:
        hub.delete_permanently("contacts", record_id)
    with pytest.raises(MassDeletionRefused, match=r"hubspot\.contacts: the read would delete"):
        sync_source(systems.config, engine, hubspot)
    stored = landed(engine, "hubspot", "contacts")[0]
    assert [i for i in live if stored[i]] == live[:2]  # nothing more was deleted


def test_a_mapped_field_hidden_by_field_level_security_stops_the_sync(
    systems: Systems, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    salesforce = next(s for s in systems.config.sources if s.name == "salesforce")
    sync_source(systems.config, engine, salesforce)
    before = runs.watermark(engine, "salesforce", "Contact")
    systems.org.set_field_security("Contact", {"Birthdate"})  # a profile change
    with pytest.raises(ConfigError) as refused:
        sync_source(systems.config, engine, salesforce)
    message = str(refused.value)
    assert "salesforce.yaml" in message and "objects.Contact.fields.birth_date.from" in message
    assert "column 'Birthdate' is not in what salesforce Contact's describe lists" in message
    assert runs.watermark(engine, "salesforce", "Contact") == before


def test_a_salesforce_mapping_stamped_by_another_field_is_refused_before_a_read(
    systems: Systems, sqlite_url: str, tmp_path: Path
) -> None:
    shipped = (MAPPINGS / "salesforce.yaml").read_text()
    stamped = tmp_path / "salesforce.yaml"
    stamped.write_text(shipped.replace("SystemModstamp", "LastModifiedDate", 1))
    config_path = tmp_path / "relhub.yaml"
    config_path.write_text(
        relhub_yaml(systems.org).replace(str(MAPPINGS / "salesforce.yaml"), str(stamped))
    )
    config = load_config(config_path)
    line = shipped.splitlines().index("    modified_at_field: SystemModstamp") + 1
    expected = (
        f"{stamped}:{line}: objects.Contact.modified_at_field: must be SystemModstamp, "
        "not LastModifiedDate: LastModifiedDate stays put when a system process"
    )
    [problem] = mapping_problems(config, offline=False)
    assert problem.startswith(expected)
    systems.org.clear_log()
    salesforce = next(s for s in config.sources if s.name == "salesforce")
    with pytest.raises(ConfigError) as refused:
        sync_source(config, open_store(sqlite_url), salesforce)
    assert str(refused.value).startswith(expected)
    assert [e.query["q"] for e in systems.org.requests() if "q" in e.query] == []  # no read


def test_a_sync_stopped_at_its_share_of_the_daily_limit_loses_nothing(
    systems: Systems, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    salesforce = next(s for s in systems.config.sources if s.name == "salesforce")
    systems.org.set_api_limit(100, used=75)  # relhub stops at 80% of the org's allocation
    with pytest.raises(ApiLimitReached, match="used 80 of its 100 daily API requests"):
        sync_source(systems.config, engine, salesforce)
    stopped_at = {name: runs.watermark(engine, "salesforce", name) for name in SF_OBJECTS}
    systems.org.set_api_limit(100_000)  # a new day
    sync_source(systems.config, engine, salesforce)
    for name in SF_OBJECTS:
        assert set(landed(engine, "salesforce", name)[0]) == emulator_ids(
            systems, "salesforce", name
        )
    assert any(mark is None for mark in stopped_at.values())  # it did stop part-way


def test_a_full_sync_through_bulk_jobs_then_incremental_ones_through_rest(
    systems: Systems, tmp_path: Path, sqlite_url: str
) -> None:
    bulk_yaml = relhub_yaml(systems.org).replace(
        "rate_limit_calls: 1000}", "rate_limit_calls: 1000, bulk_min_records: 50, bulk_poll_s: 0}"
    )
    (tmp_path / "bulk.yaml").write_text(bulk_yaml)
    config = load_config(tmp_path / "bulk.yaml")
    salesforce = next(s for s in config.sources if s.name == "salesforce")
    engine = open_store(sqlite_url)
    systems.org.clear_log()
    sync_source(config, engine, salesforce, full=True)
    jobs = [e for e in systems.org.requests() if e.method == "POST" and "jobs/query" in e.path]
    assert len(jobs) == 2  # Contact (120) and Lead (60); Account (20) stays on REST
    for name in SF_OBJECTS:
        assert set(landed(engine, "salesforce", name)[0]) == emulator_ids(
            systems, "salesforce", name
        )

    record_id = next(iter(landed(engine, "salesforce", "Contact")[0]))
    systems.org.store.update("Contact", record_id, {"Title": "Bulk-then-REST"})
    counts = sync_source(config, engine, salesforce).totals()["objects"]
    assert counts["Contact"]["updated"] == 1 and counts["Lead"]["updated"] == 0
    again = sync_source(config, engine, salesforce, full=True).totals()
    assert again["deletions"] == 0 and again["updated"] == 0  # bulk reads records as REST does
