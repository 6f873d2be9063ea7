"""The HubSpot connector, through the real hubspot-api-client, against the emulator over HTTP."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot_harness import CONTACTS, connector_for, contract_harness

from connectors.base import (
    AuthenticationError,
    ConnectorError,
    FieldType,
    Page,
    ReadSpec,
    SourceRecord,
    TransientError,
    Watermark,
    WriteRequest,
    WriteStatus,
)
from connectors.hubspot import COMPANIES_FIELD, DailyLimitReached, HubSpotConnector, _translate
from emulators.gate import Verdict
from emulators.hubspot import EmulatorConfig, HubSpotEmulator, generate
from emulators.hubspot.schema import custom_property
from hub.mapping.engine import ObjectMapper
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
COMPANIES = ReadSpec("companies", id_field="hs_object_id", modified_at_field="hs_lastmodifieddate")
MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "hubspot.yaml"


@pytest.fixture
def hub() -> Iterator[HubSpotEmulator]:
    config = EmulatorConfig(retry_after_s=0.01, search_rate_limit=100)
    with HubSpotEmulator(config=config) as emulator:
        yield emulator


@pytest.fixture
def connector(hub: HubSpotEmulator) -> Iterator[HubSpotConnector]:
    connector = connector_for(hub, search_requests_per_second=90)
    yield connector
    connector.close()


def read_all(
    connector: HubSpotConnector, spec: ReadSpec, since: Watermark | None, full: bool = False
) -> tuple[list[SourceRecord], list[Page]]:
    pages = list(connector.read_changes(spec, since, full=full))
    return [record for page in pages for record in page.records], pages


def seed(hub: HubSpotEmulator, count: int, **kwargs: object) -> list[str]:
    return generate(
        hub.store, contacts=count, modified_at=lambda n: T0 + timedelta(milliseconds=n), **kwargs
    )  # type: ignore[arg-type]


def test_discover_types_properties(connector: HubSpotConnector) -> None:
    fields = connector.discover("contacts").fields
    assert fields["email"].type is FieldType.EMAIL
    assert fields["phone"].type is FieldType.PHONE
    assert fields["lastmodifieddate"].type is FieldType.DATETIME
    assert fields["hs_object_id"].type is FieldType.ID
    assert fields["associatedcompanyid"].type is FieldType.REFERENCE
    assert fields["lifecyclestage"].type is FieldType.PICKLIST
    assert "customer" in fields["lifecyclestage"].picklist_values
    assert fields["relhub_golden_id"].custom and not fields["email"].custom
    assert connector.discover("companies").fields["is_partner"].type is FieldType.BOOLEAN


def test_inserts_updates_and_deletes_arrive_incrementally(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = seed(hub, 20, companies=2)
    first, pages = read_all(connector, CONTACTS, None)
    assert sorted(r.id for r in first) == sorted(ids)
    assert first[0].fields["associatedcompanyid"] in hub.store.records["companies"]
    checkpoint = pages[-1].checkpoint
    assert checkpoint is not None and checkpoint > first[-1].cursor  # type: ignore[operator]

    added = hub.store.insert("contacts", {"email": "new@example.com"}).id
    hub.store.update("contacts", ids[3], {"jobtitle": "Astronaut"})
    hub.store.archive("contacts", ids[5])
    second, pages = read_all(connector, CONTACTS, checkpoint)
    changed = {r.id: r for r in second}
    assert set(changed) == {added, ids[3]} and len(second) == 2
    assert changed[ids[3]].fields["jobtitle"] == "Astronaut" and not changed[ids[3]].deleted
    assert not any(p.snapshot for p in pages)  # the archive is not paged on every read
    third, _ = read_all(connector, CONTACTS, pages[-1].checkpoint)
    assert third == []


def test_the_first_read_of_a_day_reconciles_ids_to_find_every_kind_of_deletion(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = seed(hub, 20)
    hub.store.archive("contacts", ids[5])  # restorable, listed as archived
    hub.store.delete_permanently("contacts", ids[6])  # GDPR: never archived
    merged = hub.store.merge("contacts", ids[7], ids[8]).id  # both answer with a new id
    yesterday = Watermark(datetime.now(UTC) - timedelta(days=1))
    _, pages = read_all(connector, CONTACTS, yesterday)
    scan = [p for p in pages if p.snapshot]
    assert scan and scan[-1].snapshot_complete and scan[-1].checkpoint is None
    present = {i for p in scan for i in p.present_ids}
    assert set(ids) - present == {ids[5], ids[6], ids[7], ids[8]} and merged in present
    listings = [e for e in hub.log.snapshot() if e.path == "/crm/v3/objects/contacts"]
    assert len(listings) == 1  # 17 live ids: one page of 100


def test_25000_changes_in_one_window_pass_the_10000_search_cap(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    # 12,000 records share one millisecond (past the cap on a single timestamp) and
    # 13,000 spread over the next 13 ms.
    ids = generate(
        hub.store,
        contacts=25_000,
        modified_at=lambda n: (
            T0 if n < 12_000 else T0 + timedelta(milliseconds=1 + (n - 12_000) // 1000)
        ),
    )
    records, pages = read_all(connector, CONTACTS, None)
    counts = Counter(r.id for r in records)
    assert len(counts) == 25_000 and set(counts) == set(ids) and max(counts.values()) == 1
    assert Watermark(T0 + timedelta(milliseconds=12), max(ids[-2000:-1000])) in {
        p.checkpoint for p in pages
    }
    searches = [e for e in hub.log.snapshot() if e.path.endswith("/search")]
    assert all(e.status == 200 for e in searches)
    checkpoints = [p.checkpoint for p in pages if p.checkpoint is not None]
    assert checkpoints == sorted(checkpoints)


def test_faults_and_throttling_lose_and_repeat_nothing(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = generate(
        hub.store, contacts=3_000, modified_at=lambda n: T0 + timedelta(milliseconds=n // 7)
    )
    hub.config.error_rate, hub.config.drop_rate = 0.10, 0.03
    hub.config.throttle_every, hub.config.throttle_burst = 12, 3
    hub.config.retry_after_header = False
    hub.gate.reseed()
    for full in (False, True):
        records, _ = read_all(connector, CONTACTS, None, full=full)
        counts = Counter(r.id for r in records)
        assert set(counts) == set(ids) and set(counts.values()) == {1}
    verdicts = Counter(e.verdict for e in hub.log.snapshot())
    assert verdicts[Verdict.THROTTLE_BURST] >= 3 and verdicts[Verdict.DROP] >= 1
    assert verdicts[Verdict.SERVER_ERROR] >= 1 and verdicts[Verdict.UNAVAILABLE] >= 1


def test_resuming_from_any_page_checkpoint_loses_nothing(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = generate(
        hub.store, contacts=900, modified_at=lambda n: T0 + timedelta(milliseconds=n // 150)
    )
    _, pages = read_all(connector, CONTACTS, None)
    emitted: set[str] = set()
    for page in pages[:-1]:
        emitted |= {r.id for r in page.records}
        if page.checkpoint is None:
            continue
        rest, _ = read_all(connector, CONTACTS, page.checkpoint)
        assert emitted | {r.id for r in rest} == set(ids)


def test_records_changed_during_a_read_shift_nothing_out_of_it(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = seed(hub, 1_000)
    seen: set[str] = set()
    for number, page in enumerate(connector.read_changes(CONTACTS, None)):
        seen |= {r.id for r in page.records}
        if number == 2:  # move already-read records to the end, as offset paging would trip on
            for record_id in ids[:5]:
                hub.store.update("contacts", record_id, {"jobtitle": "Moved"})
    assert seen == set(ids)


def test_late_indexed_write_is_caught_by_the_next_read(hub: HubSpotEmulator) -> None:
    ids = seed(hub, 5)
    connector = connector_for(hub, consistency_lag_s=0.5, search_requests_per_second=90)
    _, pages = read_all(connector, CONTACTS, None)
    hub.store.index_delay_s = 0.3
    hub.store.update("contacts", ids[0], {"jobtitle": "Late"})  # search sees it 0.3 s from now
    hub.store.index_delay_s = 0.0
    hub.store.update("contacts", ids[1], {"jobtitle": "Early"})  # newer, and visible at once
    seen, pages = read_all(connector, CONTACTS, pages[-1].checkpoint)
    assert [r.id for r in seen] == [ids[1]]
    time.sleep(0.55)
    later, _ = read_all(connector, CONTACTS, pages[-1].checkpoint)
    assert ids[0] in {r.id for r in later}
    connector.close()


def test_merged_ids_surface_as_deletions(hub: HubSpotEmulator, connector: HubSpotConnector) -> None:
    primary, other = seed(hub, 2)
    merged = hub.store.merge("contacts", primary, other).id
    records, _ = read_all(connector, CONTACTS, Watermark(T0 + timedelta(milliseconds=5)))
    assert [(r.id, r.deleted) for r in records] == [(merged, False), (primary, True), (other, True)]
    assert records[1].fields == records[2].fields == {"merged_into": merged}


def test_a_write_by_a_merged_away_id_is_matched_to_the_new_record(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    primary, other, plain = seed(hub, 3)
    merged = hub.store.merge("contacts", primary, other).id
    requests = [
        WriteRequest({"jobtitle": "Chief of Staff"}, record_id=other),
        WriteRequest({"jobtitle": "Engineer"}, record_id=plain),
        WriteRequest({"jobtitle": "Nobody"}, record_id="999999"),
    ]
    results = connector.write_batch("contacts", requests)
    assert [(r.status, r.record_id) for r in results] == [
        (WriteStatus.WRITTEN, merged),
        (WriteStatus.WRITTEN, plain),
        (WriteStatus.NOT_FOUND, "999999"),
    ]
    assert results[0].message == f"{other} was merged into {merged}"
    assert hub.store.records["contacts"][merged].properties["jobtitle"] == "Chief of Staff"
    reads = [e for e in hub.log.snapshot() if e.path.endswith("/batch/read")]
    assert [e.items for e in reads] == [1]  # the unmatched input only


def test_contacts_carry_every_associated_company_and_work_at_each(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    both, alone, plain = seed(hub, 3, companies=2)
    primary = hub.store.company_links[both][0]
    other = next(c for c in hub.store.records["companies"] if c != primary)
    hub.store.associate(both, other)
    hub.store.company_links.pop(alone)
    records, _ = read_all(connector, CONTACTS, None, full=True)
    companies = {r.id: r.fields[COMPANIES_FIELD] for r in records}
    assert companies[both] == [primary, other] and companies[alone] == []
    assert companies[plain] == [hub.store.company_links[plain][0]]
    reads = [e for e in hub.log.snapshot() if "/crm/v4/associations/" in e.path]
    assert [e.items for e in reads] == [3]  # one batch read per page of contacts
    mapper = ObjectMapper("hubspot", "contacts", load_mapping(MAPPING).objects["contacts"])
    stated = json.loads(mapper.map_json(next(r for r in records if r.id == both)))
    assert stated["relationships"] == [
        {"type": "works_at", "object": "companies", "record_id": company}
        for company in (primary, other)
    ]


def test_full_refresh_reads_the_snapshot(hub: HubSpotEmulator, connector: HubSpotConnector) -> None:
    ids = seed(hub, 250, companies=3)
    hub.store.archive("contacts", ids[0])
    records, pages = read_all(connector, CONTACTS, None, full=True)
    assert sorted(r.id for r in records) == sorted(ids[1:])
    assert pages[-1].snapshot_complete and pages[-1].checkpoint is not None
    companies, _ = read_all(connector, COMPANIES, None, full=True)
    assert len(companies) == 3 and companies[0].fields["domain"].endswith(".example.com")


def test_a_500_property_object_syncs(hub: HubSpotEmulator, connector: HubSpotConnector) -> None:
    names = hub.store.add_custom_properties("contacts", 500, prefix="wide_property_")
    ids = seed(hub, 150)
    for record_id in ids:
        hub.store.update(
            "contacts",
            record_id,
            {n: f"{n}-{record_id}" for n in names},
            validate=False,
            modified_at=T0,
        )
    assert len(connector.discover("contacts").fields) > 500
    incremental, _ = read_all(connector, CONTACTS, None)
    full, _ = read_all(connector, CONTACTS, None, full=True)
    for records in (incremental, full):
        assert len(records) == 150
        assert all(r.fields[n] == f"{n}-{r.id}" for r in records for n in names)
    logged = hub.log.snapshot()
    assert all(e.status != 414 for e in logged)
    assert any(e.path.endswith("/batch/read") for e in logged)  # the long list went in a body


def test_partial_write_failures_are_reported_per_record(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = seed(hub, 4)
    taken = hub.store.records["contacts"][ids[3]].properties["email"]
    results = connector.write_batch(
        "contacts",
        [
            WriteRequest({"relhub_golden_id": "g-1"}, record_id=ids[0]),
            WriteRequest({"email": "broken"}, record_id=ids[1]),
            WriteRequest({"firstname": "Ghost"}, record_id="999999"),
            WriteRequest({"email": taken}, record_id=ids[2]),
            WriteRequest({"email": "up@example.com", "firstname": "Up"}, external_id_field="email"),
            WriteRequest({"firstname": "Nobody"}),
        ],
    )
    assert [r.status for r in results] == [
        WriteStatus.WRITTEN,
        WriteStatus.REJECTED,
        WriteStatus.NOT_FOUND,
        WriteStatus.AMBIGUOUS,
        WriteStatus.WRITTEN,
        WriteStatus.REJECTED,
    ]
    assert "INVALID_EMAIL" in results[1].message and results[2].record_id == "999999"
    assert hub.store.records["contacts"][ids[0]].properties["relhub_golden_id"] == "g-1"
    assert hub.store.find_by("contacts", "email", "up@example.com")[0].id == results[4].record_id


def test_values_are_written_in_the_form_each_property_type_takes(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    hub.store.add_property("contacts", custom_property("last_seen_at", "datetime"))
    ids = seed(hub, 3)
    hub.store.update("contacts", ids[2], {"lifecyclestage": "customer"}, validate=False)
    two_hours_east = timezone(timedelta(hours=2))
    requests = [
        WriteRequest(
            {"date_of_birth": date(1990, 2, 28), "last_seen_at": T0.astimezone(two_hours_east)},
            record_id=ids[0],
        ),
        WriteRequest({"date_of_birth": datetime(1991, 3, 1, 15, 0, tzinfo=UTC)}, record_id=ids[1]),
        WriteRequest({"lifecyclestage": "lead"}, record_id=ids[2]),  # backwards: cleared first
        WriteRequest({"date_of_birth": "soon"}, record_id=ids[1]),
    ]
    results = connector.write_batch("contacts", requests)
    assert [r.status for r in results] == [WriteStatus.WRITTEN] * 3 + [WriteStatus.REJECTED]
    assert results[3].message == "date_of_birth: 'soon' is not a date"
    stored = {i: hub.store.records["contacts"][i].properties for i in ids}
    assert stored[ids[0]]["date_of_birth"] == "1990-02-28"
    assert stored[ids[0]]["last_seen_at"] == "2024-05-01T12:00:00.000Z"
    assert stored[ids[1]]["date_of_birth"] == "1991-03-01"  # str() would be refused
    assert stored[ids[2]]["lifecyclestage"] == "lead"
    updates = [e.items for e in hub.log.snapshot() if e.path.endswith("/batch/update")]
    assert updates == [3, 1, 1]  # the batch, the clearing, the backwards move again


def test_batches_never_exceed_100_and_repeat_writes_keep_order(
    hub: HubSpotEmulator, connector: HubSpotConnector
) -> None:
    ids = seed(hub, 240)
    requests = [WriteRequest({"jobtitle": f"v1-{i}"}, record_id=i) for i in ids]
    requests.append(WriteRequest({"jobtitle": "v2"}, record_id=ids[0]))
    results = connector.write_batch("contacts", requests)
    assert all(r.status is WriteStatus.WRITTEN for r in results) and len(results) == 241
    sizes = [e.items for e in hub.log.snapshot() if e.path.endswith("/batch/update")]
    assert max(sizes) <= 100 and sum(sizes) == 241  # type: ignore[type-var,arg-type]
    assert hub.store.records["contacts"][ids[0]].properties["jobtitle"] == "v2"


def test_client_limiter_keeps_a_write_burst_under_the_portal_limit() -> None:
    config = EmulatorConfig(rate_limit=20, rate_window_s=1.0, retry_after_s=0.3)
    with HubSpotEmulator(config=config) as hub:
        ids = seed(hub, 3_000)  # 30 batches of 100, four in flight at a time
        burst = [WriteRequest({"jobtitle": "x"}, record_id=record_id) for record_id in ids]
        polite = connector_for(hub, requests_per_window=16, window_s=1.0)
        results = polite.write_batch("contacts", burst)
        polite.close()
        assert {r.status for r in results} == {WriteStatus.WRITTEN}
        assert [e.status for e in hub.log.snapshot() if "/batch/" in e.path] == [200] * 30


def test_the_connector_paces_by_the_portals_headers_under_its_ceiling() -> None:
    """A portal on a lower tier than the configured rate: the connector learns the window
    from X-HubSpot-RateLimit-Max, and what another integration spent of it from -Remaining."""
    config = EmulatorConfig(rate_limit=20, rate_window_s=2.0, retry_after_s=0.3)
    with HubSpotEmulator(config=config) as hub:
        ids = seed(hub, 1_000)
        burst = [WriteRequest({"jobtitle": "y"}, record_id=record_id) for record_id in ids]
        connector = connector_for(hub, requests_per_window=10_000, window_s=2.0)
        try:
            connector.discover("contacts")
            assert connector._limiter.max_calls == 20  # the portal's, not the configured 10,000
            headers = {"Authorization": f"Bearer {hub.token}"}
            for _ in range(14):  # another integration spends most of the window
                requests.get(f"{hub.base_url}/crm/v3/objects/contacts", headers=headers)
            hub.log.clear()
            started = time.monotonic()
            results = connector.write_batch("contacts", burst)
        finally:
            connector.close()
        assert {r.status for r in results} == {WriteStatus.WRITTEN}
        assert hub.log.statuses() == [200] * 10  # 15 + 10 > 20: it waited instead of a 429
        assert time.monotonic() - started >= 1.0


def test_refused_token_raises_without_leaking_it(hub: HubSpotEmulator) -> None:
    bad = HubSpotConnector.from_config(
        "hubspot", {}, {"access_token": "secret-123", "base_url": hub.base_url}
    )
    with pytest.raises(AuthenticationError) as raised:
        bad.discover("contacts")
    assert "secret-123" not in str(raised.value)
    with pytest.raises(ConnectorError):
        HubSpotConnector.from_config("hubspot", {}, {})


def test_mapping_file_validates_against_the_discovered_schema(connector: HubSpotConnector) -> None:
    mapping = load_mapping(MAPPING)
    assert mapping.system == "hubspot" and set(mapping.objects) == {"contacts", "companies"}
    compile_mapping(mapping)
    for object_name in mapping.objects:
        schema = connector.discover(object_name)
        assert [str(p) for p in check_against_schema(mapping, object_name, schema)] == []


def test_contract_harness_drives_the_emulator_behind_the_connector() -> None:
    with contract_harness() as harness:
        record_id = harness.create({"email": "h@example.com", "firstname": "H"})
        harness.update(record_id, {"firstname": "Hh"})
        assert harness.get(record_id)["firstname"] == "Hh"  # type: ignore[index]
        harness.set_faults(error_rate=0.2, throttle_every=3)
        records, pages = read_all(harness.connector, harness.spec, None)
        assert [r.fields["firstname"] for r in records] == ["Hh"]
        harness.delete(record_id)
        assert harness.get(record_id) is None
        records, pages = read_all(harness.connector, harness.spec, pages[-1].checkpoint)
        scan = [p for p in pages if p.snapshot]  # the harness reconciles ids on every read
        assert records == [] and scan[-1].snapshot_complete
        assert [i for p in scan for i in p.present_ids] == []


def test_the_daily_limit_stops_the_read_without_retrying(hub: HubSpotEmulator) -> None:
    seed(hub, 5)
    connector = connector_for(hub)
    try:
        hub.config.daily_limit = hub.gate.daily_used + 1  # discover passes, the search does not
        with pytest.raises(DailyLimitReached, match="resets at midnight"):
            read_all(connector, CONTACTS, None)
        verdicts = [e.verdict for e in hub.log.snapshot()]
        assert verdicts.count(Verdict.DAILY_LIMITED) == 1
    finally:
        connector.close()


def test_an_error_body_without_a_message_is_reported_with_its_text() -> None:
    refused = ObjectsApiException(status=400, reason="Bad Request")
    refused.body = '{"status": "error", "category": "VALIDATION_ERROR"}'
    error = _translate(refused, "batch update contacts")
    assert "VALIDATION_ERROR" in str(error) and not isinstance(error, TransientError)


def test_a_list_that_repeats_its_cursor_stops_with_an_error(hub: HubSpotEmulator) -> None:
    seed(hub, 250)
    hub.config.stuck_paging = True  # page 2 is page 1 again, with its cursor
    connector = connector_for(hub)
    try:
        with pytest.raises(ConnectorError, match="paging cursor '1100' a second time"):
            read_all(connector, CONTACTS, None, full=True)
    finally:
        connector.close()
    assert [e.path for e in hub.log.snapshot()].count("/crm/v3/objects/contacts") == 2
