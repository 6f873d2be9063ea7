"""The Salesforce connector through the real simple-salesforce, over HTTPS, against the emulator."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from salesforce_harness import connector_for
from simple_salesforce.exceptions import SalesforceError

from connectors.base import (
    AuthenticationError,
    ConnectorError,
    FieldType,
    Page,
    ReadSpec,
    Watermark,
    WriteRequest,
    WriteStatus,
)
from connectors.salesforce import (
    ApiLimitReached,
    SalesforceApiError,
    SalesforceConnector,
    SalesforceCredentials,
    SalesforceOptions,
    _api_error,
    soql_quote,
)
from emulators.salesforce import Faults, SalesforceEmulator

CONTACTS = ReadSpec(
    "Contact", "Id", "SystemModstamp", "IsDeleted", ("FirstName", "LastName", "Email")
)


@pytest.fixture
def org() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator() as emulator:
        yield emulator


@pytest.fixture
def connector(org: SalesforceEmulator) -> Iterator[SalesforceConnector]:
    sf = connector_for(org)
    yield sf
    sf.close()


def read_all(
    sf: SalesforceConnector, spec: ReadSpec, since: Watermark | None = None, **kwargs: bool
) -> list[Page]:
    return list(sf.read_changes(spec, since, **kwargs))


def ids_of(pages: list[Page]) -> list[str]:
    return [r.id for p in pages for r in p.records]


# -- SOQL quoting ---------------------------------------------------------------------


def test_soql_quote_escapes_every_reserved_character() -> None:
    assert soql_quote("O'Brien") == "'O\\'Brien'"
    assert soql_quote("back\\slash") == "'back\\\\slash'"
    assert soql_quote("' OR Name != '") == "'\\' OR Name != \\''"
    assert soql_quote('say "hi"\n\t\r\b\f') == "'say \\\"hi\\\"\\n\\t\\r\\b\\f'"
    assert soql_quote("bell\x07 nul\x00") == "'bell\\u0007 nul\\u0000'"
    assert soql_quote("naïve ✓") == "'naïve ✓'"
    assert soql_quote(None) == "null" and soql_quote(True) == "true" and soql_quote(3) == "3"
    with pytest.raises(ValueError):
        soql_quote(math.nan)
    with pytest.raises(TypeError):
        soql_quote(object())


def test_soql_quote_formats_datetimes_in_utc_with_milliseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert soql_quote(datetime(2024, 1, 2, 5, 4, 5, 6789, tzinfo=plus_two)) == (
        "2024-01-02T03:04:05.006Z"
    )
    assert soql_quote(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05.000Z"  # naive: UTC


def test_hostile_values_round_trip_through_the_real_query_path(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    hostiles = ["O'Brien", "\\'; DELETE", "' OR LastName != '", 'a"b\\', "line\nbreak\u0001"]
    stamp = datetime(2024, 3, 1, tzinfo=UTC)
    ids = {org.store.create("Contact", {"LastName": h}, at=stamp): h for h in hostiles}
    for record_id, hostile in ids.items():
        soql = f"SELECT Id FROM Contact WHERE LastName = {soql_quote(hostile)}"
        found = connector._call("test", lambda sf, q=soql: sf.query(q))["records"]
        assert [r["Id"] for r in found] == [record_id], hostile
    # A hostile id in a watermark stays a literal: the read neither fails nor widens.
    pages = read_all(connector, CONTACTS, Watermark(stamp, "zzz' OR Id != '"))
    assert ids_of(pages) == []


# -- reads ----------------------------------------------------------------------------


def test_discover_maps_describe_types(connector: SalesforceConnector) -> None:
    schema = connector.discover("Contact")
    assert schema.system == "salesforce" and schema.object == "Contact"
    assert schema.fields["Email"].type is FieldType.EMAIL
    assert schema.fields["AccountId"].type is FieldType.REFERENCE
    assert schema.fields["Birthdate"].type is FieldType.DATE
    assert schema.fields["SystemModstamp"].type is FieldType.DATETIME
    assert schema.fields["Lifetime_Value__c"].type is FieldType.NUMBER
    assert schema.fields["Number_Of_Orders__c"].type is FieldType.INTEGER
    tier = schema.fields["Loyalty_Tier__c"]
    assert tier.custom and tier.type is FieldType.PICKLIST
    assert tier.picklist_values == ("Bronze", "Silver", "Gold")
    assert "MailingCity" in schema.fields and "MailingAddress" not in schema.fields  # compound


def test_a_change_by_a_system_process_arrives_on_the_system_modstamp_watermark(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    record_id = org.store.create("Contact", {"LastName": "Rollup"})
    watermark = read_all(connector, CONTACTS)[-1].checkpoint
    assert watermark is not None
    time.sleep(0.002)
    org.store.update("Contact", record_id, {"Number_Of_Orders__c": 4}, by_system=True)
    spec = ReadSpec("Contact", "Id", "SystemModstamp", "IsDeleted", ("Number_Of_Orders__c",))
    [changed] = [r for p in read_all(connector, spec, watermark) for r in p.records]
    assert changed.id == record_id and changed.fields["Number_Of_Orders__c"] == 4


def test_inserts_updates_and_deletes_arrive_incrementally(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    first = [
        org.store.create("Contact", {"LastName": f"L{i}", "Email": f"l{i}@x.io"}) for i in range(5)
    ]
    pages = read_all(connector, CONTACTS, None)
    assert sorted(ids_of(pages)) == sorted(first)
    watermark = pages[-1].checkpoint
    assert watermark is not None
    assert read_all(connector, CONTACTS, watermark)[0].records == []

    time.sleep(0.002)
    org.store.update("Contact", first[0], {"Email": "changed@x.io"})
    org.store.delete("Contact", first[1])
    added = org.store.create("Contact", {"LastName": "New"})
    changes = {r.id: r for p in read_all(connector, CONTACTS, watermark) for r in p.records}
    assert set(changes) == {first[0], first[1], added}
    assert changes[first[0]].fields["Email"] == "changed@x.io"
    assert changes[first[1]].deleted and not changes[added].deleted
    assert changes[added].system == "salesforce" and changes[added].modified_at.tzinfo is not None


def test_shared_modstamp_across_page_and_chunk_boundaries_arrives_once(
    org: SalesforceEmulator,
) -> None:
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    for i in range(4500):
        org.store.create("Contact", {"LastName": f"T{i}"}, at=stamp)
    sf = connector_for(org, chunk_size=2500)  # pages of 2,000 inside chunks of 2,500
    try:
        pages = read_all(sf, CONTACTS)
        assert [len(p.records) for p in pages] == [2000, 500, 2000]
        seen = ids_of(pages)
        assert len(seen) == len(set(seen)) == 4500
        checkpoints = [p.checkpoint for p in pages]
        assert checkpoints == sorted(checkpoints)  # type: ignore[type-var]
        # Resuming from a checkpoint inside the run of equal timestamps reads the rest.
        rest = ids_of(read_all(sf, CONTACTS, pages[0].checkpoint))
        assert rest == seen[2000:]
    finally:
        sf.close()


def test_full_read_marks_the_snapshot_complete(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    for i in range(3):
        org.store.create("Contact", {"LastName": f"S{i}"})
    some = read_all(connector, CONTACTS)
    full = read_all(connector, CONTACTS, some[-1].checkpoint, full=True)
    assert len(ids_of(full)) == 3 and full[-1].snapshot_complete
    assert not some[-1].snapshot_complete


def test_every_record_arrives_once_under_errors_throttling_and_drops(
    org: SalesforceEmulator,
) -> None:
    for i in range(3000):
        org.store.create("Contact", {"LastName": f"F{i}"})
    org.set_faults(
        Faults(
            seed=5,
            error_rate=0.1,
            throttle_every=5,
            throttle_burst=2,
            retry_after_s=0,
            drop_rate=0.05,
        )
    )
    sf = connector_for(org, page_size=200, chunk_size=600)
    try:
        seen = ids_of(read_all(sf, CONTACTS))
        assert len(seen) == len(set(seen)) == 3000
        log = org.requests()
        statuses = Counter(e.status for e in log)
        failures = sum(e.status in {403, 500, 503} or e.dropped for e in log)
        assert statuses[403] >= 4 and statuses[500] + statuses[503] >= 1
        assert any(e.dropped for e in log)
        assert sf.retrier.retries == failures
    finally:
        sf.close()


def test_retry_after_is_honoured(org: SalesforceEmulator) -> None:
    org.store.create("Contact", {"LastName": "x"})
    sleeps: list[float] = []
    credentials = SalesforceCredentials.from_mapping(org.credentials())
    options = SalesforceOptions(
        ca_bundle=str(org.ca_path), rate_limit_calls=1000, bulk_min_records=0
    )
    sf = SalesforceConnector("salesforce", credentials, options, sleep=sleeps.append)
    try:
        # Describe is data request 1; the query (no COUNT() with bulk reads off) is
        # request 2 and is throttled once.
        org.set_faults(Faults(throttle_every=2, throttle_burst=1, retry_after_s=0.25))
        assert len(ids_of(read_all(sf, ReadSpec("Contact", "Id")))) == 1
        assert sleeps == [0.25]
    finally:
        sf.close()


def test_expired_session_is_refreshed_once(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    org.store.create("Contact", {"LastName": "x"})
    assert len(ids_of(read_all(connector, CONTACTS))) == 1
    org.expire_tokens()
    org.clear_log()
    assert len(ids_of(read_all(connector, CONTACTS))) == 1
    assert [(e.method, e.status) for e in org.requests()] == [
        ("GET", 401),  # the COUNT() that decides between REST and a bulk job
        ("POST", 200),
        ("GET", 200),
        ("GET", 200),
    ]


def test_refused_credentials_raise_authentication_error(org: SalesforceEmulator) -> None:
    creds = {**org.credentials(), "password": "wrong"}
    sf = SalesforceConnector.from_config("salesforce", {"ca_bundle": str(org.ca_path)}, creds)
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        sf.discover("Contact")


def test_client_credentials_flow(org: SalesforceEmulator) -> None:
    creds = {
        k: v
        for k, v in org.credentials().items()
        if k in {"login_url", "client_id", "client_secret"}
    }
    sf = SalesforceConnector.from_config("sf", {"ca_bundle": str(org.ca_path)}, creds)
    assert "Email" in sf.discover("Contact").fields


def test_exhausted_daily_limit_stops_the_read_without_retrying(org: SalesforceEmulator) -> None:
    sf = connector_for(org, max_attempts=3, max_api_share=1.0)
    sf.discover("Contact")
    org.set_api_limit(10, used=10)
    org.clear_log()
    with pytest.raises(ApiLimitReached, match="daily API request limit is used up"):
        read_all(sf, CONTACTS)
    assert [e.status for e in org.requests()] == [403]


def test_the_read_stops_at_its_share_of_the_daily_allocation(org: SalesforceEmulator) -> None:
    sf = connector_for(org, max_api_share=0.5)
    org.set_api_limit(100, used=48)
    sf.discover("Contact")  # request 49: below half
    with pytest.raises(ApiLimitReached, match=r"used 50 of its 100 .* stops at 50%"):
        read_all(sf, CONTACTS)
    org.set_api_limit(100, used=0)
    assert read_all(sf, CONTACTS) is not None  # a new day: reads again


def test_concurrent_request_limit_is_retried(org: SalesforceEmulator) -> None:
    org.set_faults(Faults(throttle_every=2, throttle_burst=1, retry_after_s=None))
    for i in range(3):
        org.store.create("Contact", {"LastName": f"C{i}"})
    sf = connector_for(org)
    sf.discover("Contact")
    assert len(ids_of(read_all(sf, CONTACTS))) == 3
    sf.close()
    throttled = [e for e in org.requests() if e.status == 403]
    assert throttled, "the default fault is Salesforce's 403 REQUEST_LIMIT_EXCEEDED"


def test_wide_object_splits_its_field_list_and_never_gets_414(org: SalesforceEmulator) -> None:
    name = org.add_wide_object(500)
    for i in range(30):
        values = {f"Wide_Profile_Attribute_{n:03d}_Text__c": f"v{i}-{n}" for n in range(0, 500, 7)}
        org.store.create(name, {"Name": f"W{i}", **values})
    sf = connector_for(org, page_size=200)
    try:
        pages = read_all(sf, ReadSpec(name, "Id", "SystemModstamp", "IsDeleted"))
        records = [r for p in pages for r in p.records]
        assert len(records) == 30
        assert all(len(r.fields) >= 500 for r in records)
        assert records[0].fields["Wide_Profile_Attribute_497_Text__c"] == "v0-497"
        queries = [e for e in org.requests() if "/query" in e.path]
        assert len(queries) >= 2 and all(e.status == 200 for e in org.requests())
        everything = ", ".join(sf.discover(name).fields)
        with pytest.raises(SalesforceApiError) as unsplit:
            sf._call("unsplit", lambda client: client.query(f"SELECT {everything} FROM {name}"))
        assert unsplit.value.status == 414
    finally:
        sf.close()


def test_lookback_rereads_late_visible_writes(org: SalesforceEmulator) -> None:
    org.store.create("Contact", {"LastName": "early"})
    org.set_visibility_delay(0.3)
    late = org.store.create("Contact", {"LastName": "late"})  # stamped now, visible later
    org.set_visibility_delay(0)
    time.sleep(0.002)
    org.store.create("Contact", {"LastName": "after"})
    strict, overlapping = connector_for(org), connector_for(org, lookback_s=5)
    try:
        watermark = read_all(strict, CONTACTS)[-1].checkpoint
        time.sleep(0.35)
        assert late not in ids_of(read_all(strict, CONTACTS, watermark))
        assert late in ids_of(read_all(overlapping, CONTACTS, watermark))
    finally:
        strict.close()
        overlapping.close()


# -- writes ---------------------------------------------------------------------------


def test_partial_failures_are_reported_per_record_in_batches_of_200(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    ids = [org.store.create("Contact", {"LastName": f"W{i}"}) for i in range(450)]
    org.store.delete("Contact", ids[7])
    writes = [WriteRequest({"Title": f"t{i}"}, record_id=rid) for i, rid in enumerate(ids)]
    writes[3] = WriteRequest({"Email": "not-an-email"}, record_id=ids[3])
    writes[250] = WriteRequest({"LastName": None}, record_id=ids[250])
    org.clear_log()
    results = connector.write_batch("Contact", writes)
    assert len(results) == 450
    assert results[3].status is WriteStatus.REJECTED
    assert "INVALID_EMAIL_ADDRESS" in results[3].message
    assert results[7].status is WriteStatus.NOT_FOUND
    assert results[250].status is WriteStatus.REJECTED
    assert "REQUIRED_FIELD_MISSING" in results[250].message
    assert Counter(r.status for r in results)[WriteStatus.WRITTEN] == 447
    assert org.store.get("Contact", ids[449])["Title"] == "t449"
    calls = [e for e in org.requests() if e.path.endswith("/composite/sobjects")]
    assert [e.method for e in calls] == ["PATCH"] * 3  # 200 + 200 + 50


def test_two_writes_to_one_record_go_in_separate_calls_in_order(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    ids = [org.store.create("Contact", {"LastName": f"D{i}"}) for i in range(3)]
    writes = [
        WriteRequest({"Title": "first"}, record_id=ids[0]),
        WriteRequest({"Title": "other"}, record_id=ids[1]),
        WriteRequest({"Title": "second"}, record_id=ids[0][:15]),
        WriteRequest({"Title": "third"}, record_id=ids[0]),
    ]
    org.clear_log()
    results = connector.write_batch("Contact", writes)
    assert [r.status for r in results] == [WriteStatus.WRITTEN] * 4
    assert org.store.get("Contact", ids[0])["Title"] == "third"
    assert org.store.get("Contact", ids[1])["Title"] == "other"
    calls = [e for e in org.requests() if e.path.endswith("/composite/sobjects")]
    assert len(calls) == 3  # Salesforce refuses a list naming a record twice
    upserts = [
        WriteRequest({"External_Id__c": key, "LastName": key}, external_id_field="External_Id__c")
        for key in ("E-9", "e-9")  # one record: external ids compare case-insensitively
    ]
    assert [r.status for r in connector.write_batch("Contact", upserts)] == [
        WriteStatus.WRITTEN
    ] * 2
    assert len(org.store.find("Contact", "External_Id__c", "E-9")) == 1


def test_upserts_report_created_updated_and_ambiguous(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    existing = org.store.create("Contact", {"LastName": "Old", "External_Id__c": "E-1"})
    for _ in range(2):
        org.store.create("Contact", {"LastName": "Twin", "External_Id__c": "E-2"})
    upsert = "External_Id__c"
    results = connector.write_batch(
        "Contact",
        [
            WriteRequest(
                {"External_Id__c": "E-1", "LastName": "Updated"}, external_id_field=upsert
            ),
            WriteRequest({"External_Id__c": "E-2", "LastName": "Which?"}, external_id_field=upsert),
            WriteRequest(
                {"External_Id__c": "E-3", "LastName": "Created"}, external_id_field=upsert
            ),
            WriteRequest({"External_Id__c": "E-4", "Email": "bad"}, external_id_field=upsert),
            WriteRequest({"LastName": "Plain create"}),
        ],
    )
    assert [r.status for r in results] == [
        WriteStatus.WRITTEN,
        WriteStatus.AMBIGUOUS,
        WriteStatus.WRITTEN,
        WriteStatus.REJECTED,
        WriteStatus.WRITTEN,
    ]
    assert results[0].record_id == existing and results[0].message == ""
    assert results[2].message == "created" and results[2].record_id.startswith("003")
    assert org.store.get("Contact", existing)["LastName"] == "Updated"


def test_a_refused_call_rejects_its_records_without_failing_the_batch(
    connector: SalesforceConnector,
) -> None:
    results = connector.write_batch("Contact", [WriteRequest({"Nope__c": 1}, record_id="003x")])
    assert results[0].status is WriteStatus.REJECTED and "INVALID_FIELD" in results[0].message


def test_upserts_survive_faults(org: SalesforceEmulator) -> None:
    org.set_faults(Faults(seed=9, error_rate=0.2, throttle_every=4, retry_after_s=0))
    sf = connector_for(org)
    try:
        writes = [
            WriteRequest(
                {"External_Id__c": f"K{i}", "LastName": f"K{i}"}, external_id_field="External_Id__c"
            )
            for i in range(300)
        ]
        results = sf.write_batch("Contact", writes)
        assert all(r.status is WriteStatus.WRITTEN for r in results)
        assert org.store.count("Contact") == 300
    finally:
        sf.close()


# -- configuration --------------------------------------------------------------------


def test_configuration_errors_name_the_field_and_never_show_secrets(
    org: SalesforceEmulator,
) -> None:
    with pytest.raises(ConnectorError, match="unknown Salesforce option"):
        SalesforceConnector.from_config("sf", {"page_sise": 200}, org.credentials())
    with pytest.raises(ConnectorError, match="page_size"):
        SalesforceConnector.from_config("sf", {"page_size": 50}, org.credentials())
    with pytest.raises(ConnectorError, match="client_secret"):
        SalesforceConnector.from_config("sf", {}, {"domain": "test", "client_id": "x"})
    creds = org.credentials()
    sf = SalesforceConnector.from_config("sf", {"ca_bundle": str(org.ca_path)}, creds)
    sf.discover("Contact")
    shown = repr(sf) + repr(SalesforceCredentials.from_mapping(creds))
    for secret in (creds["password"], creds["client_secret"], creds["security_token"]):
        assert secret not in shown
    assert (
        SalesforceCredentials.from_mapping(
            {"domain": "acme.my", "client_id": "a", "client_secret": "b"}
        ).login_url
        == "https://acme.my.salesforce.com"
    )


def test_deletions_past_the_recycle_bin_are_found_by_reconciling_ids(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    kept, purged, hard = (org.store.create("Contact", {"LastName": n}) for n in "KPH")
    watermark = read_all(connector, CONTACTS)[-1].checkpoint
    assert watermark is not None
    time.sleep(0.002)
    recent = org.store.create("Contact", {"LastName": "Recent"})
    pages = read_all(connector, CONTACTS, watermark)
    assert ids_of(pages) == [recent] and not any(p.snapshot for p in pages)

    # A sync paused past the bin's 15 days, and a hard delete: queryAll sees neither.
    org.store.delete("Contact", purged, at=datetime.now(UTC) - timedelta(days=16))
    org.store.hard_delete("Contact", hard)
    pages = read_all(connector, CONTACTS, watermark)
    scan = [p for p in pages if p.snapshot]
    assert scan and scan[-1].snapshot_complete and not any(p.records for p in scan)
    assert sorted(i for p in scan for i in p.present_ids) == sorted([kept, recent])
    assert ids_of(pages) == [recent]  # the changes still arrive beside the scan

    # A watermark newer than the last physical deletion needs no scan.
    newer = pages[-1].checkpoint
    assert not any(p.snapshot for p in read_all(connector, CONTACTS, newer))


# -- Bulk API 2.0 ---------------------------------------------------------------------


def test_a_large_initial_read_runs_as_one_bulk_job_and_reads_as_rest_does(
    org: SalesforceEmulator,
) -> None:
    for i in range(7):
        org.store.create("Contact", {"LastName": f"B{i}", "Lifetime_Value__c": 1.5 * i})
    org.store.delete("Contact", org.store.create("Contact", {"LastName": "Gone"}))
    spec = ReadSpec(
        "Contact", "Id", "SystemModstamp", "IsDeleted", ("LastName", "Lifetime_Value__c")
    )
    rest = connector_for(org)
    bulk = connector_for(org, bulk_min_records=5, bulk_page_size=3, bulk_poll_s=0)
    try:
        by_rest = {r.id: r for p in read_all(rest, spec, full=True) for r in p.records}
        org.clear_log()
        pages = read_all(bulk, spec, full=True)
        by_bulk = {r.id: r for p in pages for r in p.records}
        assert by_bulk == by_rest  # same values, types and dateTime text
        assert [p.checkpoint is None for p in pages] == [True, True, False]
        assert pages[-1].checkpoint == max(r.cursor for r in by_rest.values() if r.cursor)
        assert [p.snapshot_complete for p in pages] == [False, False, True]
        logged = org.requests()
        queries = [e.query["q"] for e in logged if "q" in e.query]
        assert queries == ["SELECT COUNT() FROM Contact"]  # no REST query of the rows
        assert sum(e.path.endswith("/results") for e in logged) == 3
    finally:
        rest.close()
        bulk.close()


def test_a_failed_bulk_job_stops_the_read_with_its_reason(org: SalesforceEmulator) -> None:
    org.store.create("Contact", {"LastName": "One"})
    org.api.bulk.failure = "InternalServerError: the query timed out"
    sf = connector_for(org, bulk_min_records=1, bulk_poll_s=0)
    try:
        with pytest.raises(ConnectorError, match=r"bulk query job \w+ failed: InternalServerError"):
            read_all(sf, CONTACTS)
    finally:
        sf.close()


def test_a_query_whose_next_batch_url_repeats_stops_with_an_error(
    org: SalesforceEmulator,
) -> None:
    for i in range(450):
        org.store.create("Contact", {"LastName": f"n{i}"})
    sf = connector_for(org, page_size=200)
    try:
        org.set_faults(Faults(stuck_paging=True))
        with pytest.raises(ConnectorError, match=r"paging cursor .* a second time"):
            read_all(sf, CONTACTS)
    finally:
        sf.close()


def test_an_error_body_without_a_message_is_reported_by_its_text() -> None:
    error = SalesforceError("https://x", 400, "query", [{"errorCode": "WEIRD", "detail": "d"}])
    assert str(_api_error(error)) == 'Salesforce 400 WEIRD: {"errorCode": "WEIRD", "detail": "d"}'


# -- merges (SOAP) ----------------------------------------------------------------------


def soap_calls(org: SalesforceEmulator) -> list[int]:
    return [e.status for e in org.requests() if e.path.startswith("/services/Soap/u/")]


def test_merge_bins_the_record_and_the_next_read_sees_it_deleted(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    master = org.store.create("Contact", {"LastName": "Keep"})
    merged = org.store.create("Contact", {"LastName": "Gone"})
    watermark = read_all(connector, CONTACTS)[-1].checkpoint
    time.sleep(0.002)
    result = connector.merge("Contact", master, merged)
    assert (result.status, result.record_id) == (WriteStatus.WRITTEN, master)
    binned = org.store.visible_records("Contact", include_deleted=True)[1]
    assert (binned["Id"], binned["MasterRecordId"]) == (merged, master)
    later = read_all(connector, CONTACTS, watermark)
    assert [(r.id, r.deleted) for p in later for r in p.records] == [(merged, True)]


@pytest.mark.parametrize(
    ("object_name", "merged", "reason"),
    [
        ("Contact", "gone", "ENTITY_IS_DELETED"),
        ("Contact", "lead", "INVALID_CROSS_REFERENCE_KEY"),
        ("Contact", "<x&'\">", "INVALID_CROSS_REFERENCE_KEY"),  # escaped, not injected
        ("Opportunity", "lead", "Salesforce merges Account, Contact, Lead, not Opportunity"),
    ],
)
def test_a_merge_salesforce_refuses_is_rejected_with_its_reason(
    org: SalesforceEmulator,
    connector: SalesforceConnector,
    object_name: str,
    merged: str,
    reason: str,
) -> None:
    master = org.store.create("Contact", {"LastName": "Keep"})
    ids = {
        "gone": org.store.create("Contact", {"LastName": "Gone"}),
        "lead": org.store.create("Lead", {"LastName": "L", "Company": "Acme"}),
    }
    org.store.delete("Contact", ids["gone"])
    result = connector.merge(object_name, master, ids.get(merged, merged))
    assert result.status == WriteStatus.REJECTED
    assert result.message.startswith(reason)
    assert org.store.get("Contact", master)["IsDeleted"] is False


def test_a_merge_refreshes_an_expired_session_and_retries_throttling(
    org: SalesforceEmulator, connector: SalesforceConnector
) -> None:
    ids = [org.store.create("Contact", {"LastName": f"C{i}"}) for i in range(3)]
    assert connector.merge("Contact", ids[0], ids[1]).status == WriteStatus.WRITTEN
    org.expire_tokens()
    org.set_faults(
        Faults(throttle_every=2, throttle_burst=1, retry_after_s=0, path_prefix="/services/Soap")
    )
    org.clear_log()
    assert connector.merge("Contact", ids[0], ids[2]).status == WriteStatus.WRITTEN
    assert soap_calls(org) == [500, 403, 200]  # bad session, then a throttled attempt
