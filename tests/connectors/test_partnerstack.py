"""The PartnerStack connector over a live emulator, and the hub's sync of it with the
shipped mapping (store on SQLite and PostgreSQL). The contract suite (test_contract.py)
covers what every connector shares; these tests cover what is PartnerStack's own."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from partnerstack_harness import PARTNERSHIPS, connector_for
from sqlalchemy import select

from connectors.base import AuthenticationError, ConnectorError, Page, ReadSpec, SourceRecord
from connectors.partnerstack import CONTACTS, PartnerStackConnector
from emulators.partnerstack import PartnerStackEmulator, SeededProgram, generate
from emulators.partnerstack import partnerstack_limits as limits
from hub.cli.mappings import mapping_problems
from hub.config import RelhubConfig, load_config
from hub.deletion_guard import MassDeletionRefused
from hub.golden import export, show
from hub.resolve import resolve
from hub.store.migrate import open_store
from hub.store.models import SourceRecordRow
from hub.sync import sync_source

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
MEMBERS = ReadSpec(CONTACTS, id_field="key", modified_at_field="updated_at")
T0 = 1_714_557_600_000  # 2024-05-01 10:00 UTC, in PartnerStack's epoch milliseconds


@pytest.fixture
def program() -> Iterator[PartnerStackEmulator]:
    with PartnerStackEmulator(config=limits(retry_after_s=0.01)) as emulator:
        yield emulator


@pytest.fixture
def seeded(program: PartnerStackEmulator) -> SeededProgram:
    return generate(program.store, people=2_000, seed=3)


@pytest.fixture
def connector(program: PartnerStackEmulator) -> Iterator[PartnerStackConnector]:
    live = connector_for(program, page_size=250, reconcile_every_s=0)
    yield live
    live.close()


def read(
    connector: PartnerStackConnector, spec: ReadSpec, since: object = None, *, full: bool = False
) -> tuple[list[SourceRecord], list[Page]]:
    pages = list(connector.read_changes(spec, since, full=full))  # type: ignore[arg-type]
    return [r for p in pages for r in p.records], pages


def queries(program: PartnerStackEmulator) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(entry.path).query) for entry in program.log.snapshot()]


def missing(pages: list[Page], known: set[str]) -> set[str]:
    """The known ids a complete reconciliation no longer vouches for."""
    assert any(p.snapshot_complete for p in pages)
    return known - {i for p in pages if p.snapshot for i in p.present_ids}


def test_a_read_pages_with_starting_after_and_asks_only_for_changes(
    program: PartnerStackEmulator, connector: PartnerStackConnector
) -> None:
    keys = [
        program.store.insert("partnerships", {"email": f"p{n}@example.com"}, at_ms=T0 + n).key
        for n in range(600)
    ]
    records, pages = read(connector, PARTNERSHIPS)
    assert sorted(r.id for r in records) == sorted(keys)
    asked = queries(program)
    assert [q["limit"] for q in asked] == [["250"]] * 3
    assert "starting_after" not in asked[0] and all("starting_after" in q for q in asked[1:])
    assert [p.checkpoint is not None for p in pages] == [False, False, True]
    checkpoint = pages[-1].checkpoint
    assert checkpoint is not None and checkpoint.record_id == keys[-1]

    program.log.clear()
    time.sleep(0.005)
    program.store.update("partnerships", keys[10], {"first_name": "Renamed"})
    program.store.update("partnerships", keys[599], {"first_name": "Also renamed"})
    changed, pages = read(connector, PARTNERSHIPS, checkpoint)
    assert sorted(r.id for r in changed) == sorted([keys[10], keys[599]])
    change_reads = [q for q in queries(program) if "min_updated" in q]
    # one millisecond before the watermark: an inclusive and an exclusive bound both work
    assert change_reads[0]["min_updated"] == [str(T0 + 599 - 1)]
    assert len(change_reads) == 1  # the two changes fit one page
    assert read(connector, PARTNERSHIPS, pages[-1].checkpoint)[0] == []


def test_partner_contacts_are_the_team_members_and_leavers_become_deletions(
    program: PartnerStackEmulator, connector: PartnerStackConnector, seeded: SeededProgram
) -> None:
    records, pages = read(connector, MEMBERS, full=True)
    assert sorted(r.id for r in records) == sorted(seeded.members)
    first = records[0]
    assert first.fields["partnership_key"] in seeded.partnerships and first.fields["email"]
    checkpoint = pages[-1].checkpoint

    time.sleep(0.005)
    partnership = program.store.get("partnerships", seeded.partnerships[0])
    team = partnership.body["team"]
    leaver = team["members"][-1]["key"]
    program.store.update(
        "partnerships", partnership.key, {"team": {**team, "members": team["members"][:-1]}}
    )
    archived = program.store.archive("partnerships", seeded.partnerships[1])
    archived_members = {m["key"] for m in archived.body["team"]["members"]}

    changed, pages = read(connector, MEMBERS, checkpoint)
    stayed = {m["key"] for m in team["members"][:-1]}
    assert {r.id for r in changed} == stayed  # the changed team, re-read whole
    assert missing(pages, set(seeded.members)) == {leaver} | archived_members


def test_every_contact_arrives_once_through_errors_throttling_and_cut_answers(
    program: PartnerStackEmulator, seeded: SeededProgram
) -> None:
    program.config.error_rate, program.config.drop_rate = 0.15, 0.1
    program.config.throttle_every = 4
    connector = connector_for(program, page_size=1, max_attempts=12)
    try:
        records, _ = read(connector, MEMBERS)
        customers, _ = read(connector, ReadSpec("customers", "key", "updated_at"), full=True)
    finally:
        connector.close()
    counts = Counter(r.id for r in records)
    assert set(counts) == set(seeded.members) and set(counts.values()) == {1}
    assert sorted(r.id for r in customers) == sorted(seeded.customers)
    answered = Counter(entry.status for entry in program.log.snapshot())
    assert answered[429] >= 3 and answered[500] + answered[503] >= 1, answered


def test_throttling_waits_as_long_as_retry_after_says(program: PartnerStackEmulator) -> None:
    for n in range(2):
        program.store.insert("partnerships", {"email": f"p{n}@example.com"}, at_ms=T0 + n)
    program.config.retry_after_s, program.config.throttle_every = 0.3, 2  # the 2nd request
    program.config.throttle_burst = 1
    program.gate.reseed()
    connector = connector_for(program, page_size=1, base_delay_s=0.0, max_delay_s=5.0)
    try:
        started = time.monotonic()
        records, _ = read(connector, PARTNERSHIPS)
        waited = time.monotonic() - started
    finally:
        connector.close()
    assert sorted(r.fields["email"] for r in records) == ["p0@example.com", "p1@example.com"]
    assert program.log.statuses() == [200, 429, 200]
    assert waited >= 0.3


def test_bad_keys_stop_the_read_without_naming_the_secret(program: PartnerStackEmulator) -> None:
    secret = f"sk_wrong_{uuid.uuid4().hex}"
    credentials = {**program.credentials(), "secret_key": secret}
    connector = PartnerStackConnector.from_config("partnerstack", {}, credentials)
    with pytest.raises(AuthenticationError, match="401 Unauthorized") as refused:
        read(connector, PARTNERSHIPS)
    assert secret not in str(refused.value)
    with pytest.raises(ConnectorError, match="public_key and secret_key"):
        PartnerStackConnector.from_config("partnerstack", {}, {"public_key": "pk"})
    with pytest.raises(ConnectorError, match="no object 'deals'"):
        connector_for(program).discover("deals")


def test_a_list_that_serves_a_page_again_stops_with_an_error(
    program: PartnerStackEmulator, connector: PartnerStackConnector
) -> None:
    keys = [program.store.insert("partnerships", {}, at_ms=T0 + n).key for n in range(600)]
    program.config.stuck_paging = True  # page 2 is page 1 again: its last key repeats
    with pytest.raises(ConnectorError, match=r"paging cursor .* a second time"):
        read(connector, PARTNERSHIPS)
    asked = queries(program)
    assert len(asked) == 2 and asked[1]["starting_after"] == [keys[-250]]


def test_an_unreadable_item_is_rejected_with_its_key_and_the_rest_arrive(
    program: PartnerStackEmulator, connector: PartnerStackConnector
) -> None:
    good = program.store.insert("customers", {"name": "Good", "email": "a@good.example"})
    bad = program.store.insert("customers", {"name": "Bad", "joined_at": "yesterday"})
    _, pages = read(connector, ReadSpec("customers", "key", "updated_at"))
    assert [r.id for p in pages for r in p.records] == [good.key]
    rejects = [reject for p in pages for reject in p.rejects]
    assert [(r.source_id, "yesterday" in r.reason) for r in rejects] == [(bad.key, True)]

    members = [{"key": "mem_1", "email": "a@p.example", "title": "CTO"}, {"email": "b@p.example"}]
    program.store.insert("partnerships", {"team": {"name": "P", "members": members}})
    contacts, pages = read(connector, MEMBERS)
    assert [r.id for r in contacts] == ["mem_1"]
    assert [r.raw for p in pages for r in p.rejects] == [{"email": "b@p.example"}]
    assert connector.discover(CONTACTS).fields["title"].custom  # a member's own custom field


# --- the hub's sync with mappings/partnerstack.yaml ---------------------------------------


def relhub_config(
    tmp_path: Path, program: PartnerStackEmulator, monkeypatch: pytest.MonkeyPatch
) -> RelhubConfig:
    for name, value in program.credentials().items():
        monkeypatch.setenv(f"RELHUB_CONN_PS_EMULATOR_{name.upper()}", value)
    (tmp_path / "relhub.yaml").write_text(
        f"""\
sources:
  - name: partnerstack
    type: partnerstack
    mapping: {MAPPINGS / "partnerstack.yaml"}
    connection: ps_emulator
    overlap_seconds: 0
    objects: [partnerships, partner_contacts, customers]
    options: {{base_delay_s: 0.01, max_delay_s: 0.2, reconcile_every_s: 0}}
"""
    )
    return load_config(tmp_path / "relhub.yaml")


def test_the_sync_stores_partners_contacts_and_customers_then_their_changes(
    program: PartnerStackEmulator,
    seeded: SeededProgram,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = relhub_config(tmp_path, program, monkeypatch)
    assert mapping_problems(config, offline=False) == []
    engine = open_store(store_url)
    source = config.sources[0]
    counts = sync_source(config, engine, source).totals()["objects"]
    expected = {
        "partnerships": seeded.partnerships,
        "partner_contacts": seeded.members,
        "customers": seeded.customers,
    }
    for name, keys in expected.items():
        assert counts[name]["fetched"] == len(keys) == counts[name]["inserted"], (name, counts)
    with engine.connect() as connection:
        partner = connection.execute(
            select(SourceRecordRow.canonical).where(
                SourceRecordRow.source_id == seeded.partnerships[0]
            )
        ).scalar_one()
    assert partner["roles"] == ["partner"] and partner["attributes"]["partner_tier"]

    time.sleep(0.005)
    leaving = program.store.get("partnerships", seeded.partnerships[0])
    team = leaving.body["team"]
    program.store.update(
        "partnerships", leaving.key, {"team": {**team, "members": team["members"][1:]}}
    )
    counts = sync_source(config, engine, source).totals()["objects"]
    assert counts["partner_contacts"]["deletions"] == 1
    assert counts["partnerships"]["fetched"] == 1 and counts["customers"]["fetched"] == 0
    with engine.connect() as connection:
        gone = connection.execute(
            select(SourceRecordRow.deleted).where(
                SourceRecordRow.source_id == team["members"][0]["key"]
            )
        ).scalar_one()
    assert gone is True


def test_a_reconciliation_that_would_delete_too_much_stops(
    program: PartnerStackEmulator,
    seeded: SeededProgram,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = relhub_config(tmp_path, program, monkeypatch)
    engine = open_store(sqlite_url)
    sync_source(config, engine, config.sources[0])
    for key in seeded.partnerships[: len(seeded.partnerships) // 2]:
        program.store.archive("partnerships", key)
    with pytest.raises(MassDeletionRefused, match=r"partnerstack\.partnerships: the read would"):
        sync_source(config, engine, config.sources[0])
    with engine.connect() as connection:
        deleted = connection.execute(
            select(SourceRecordRow.source_id).where(SourceRecordRow.deleted.is_(True))
        ).all()
    assert deleted == []


def test_relationships_resolve_onto_golden_ids_and_are_exported(
    program: PartnerStackEmulator,
    seeded: SeededProgram,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = relhub_config(tmp_path, program, monkeypatch)
    engine = open_store(store_url)
    sync_source(config, engine, config.sources[0])
    resolve(config, engine, full=True)
    records = list(export(engine))
    golden_of = {m["id"]: g["golden_id"] for g in records for m in g["members"]}
    by_id = {g["golden_id"]: g for g in records}

    for partnership in seeded.partnerships:
        partner = by_id[golden_of[partnership]]
        assert "partner" in partner["roles"]
        assert {"type": "partner_of", "to": "company"} in [
            _plain(r) for r in partner["relationships"]
        ]
    for customer in seeded.customers:
        assert [_plain(r) for r in by_id[golden_of[customer]]["relationships"]] == [
            {"type": "customer_of", "to": "company"}
        ]
    stated_twice = 0
    for member in seeded.members:
        person = by_id[golden_of[member]]
        partnership = _partnership_of(program, member)
        contact_of = [r for r in person["relationships"] if r["type"] == "contact_of"]
        assert {"type": "contact_of", "golden_id": golden_of[partnership]} in map(
            _plain, contact_of
        )
        assert any(f"partnerstack/partner_contacts/{member}" in r["stated_by"] for r in contact_of)
        stated_twice += any(len(r["stated_by"]) > 1 for r in contact_of)
    assert stated_twice, "duplicate contacts merged into one person state one relationship"

    # Archived, a partnership and its members leave; no relationship names a golden
    # record that is not there any more, and `golden show` lists what one states.
    time.sleep(0.005)
    program.store.archive("partnerships", seeded.partnerships[0])
    sync_source(config, engine, config.sources[0])
    resolve(config, engine)
    records = list(export(engine))
    active = {g["golden_id"] for g in records}
    members = {m["id"] for g in records for m in g["members"]}
    assert seeded.partnerships[0] not in members
    targets = {r["golden_id"] for g in records for r in g["relationships"] if "golden_id" in r}
    assert targets and targets <= active
    shown = show(engine, golden_of[seeded.partnerships[1]])
    assert {"type": "partner_of", "to": "company"} in [_plain(r) for r in shown.relationships]


def _plain(relationship: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in relationship.items() if k != "stated_by"}


def _partnership_of(program: PartnerStackEmulator, member: str) -> str:
    return next(
        item.key
        for item in program.store.snapshot("partnerships")
        if any(m["key"] == member for m in item.body["team"]["members"])
    )
